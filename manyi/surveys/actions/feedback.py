"""Listening posts: feedback from the widget, comment cards keyed in, posts and reviews
imported from a CSV export, and a complaint or contact opened from any of them."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from manyi.org import audit
from manyi.org.actions import SYSTEM
from manyi.org.models import Branch
from manyi.org.permissions import require_permission
from manyi.org.scoping import require_branch

from ..auditing import AuditAction
from ..models import Feedback

FEEDBACK_HEADERS = {
    # CSV column -> field; Chinese headers as exported by the usual monitoring tools
    "platform": "platform",
    "平台": "platform",
    "author": "author",
    "作者": "author",
    "昵称": "author",
    "text": "text",
    "内容": "text",
    "正文": "text",
    "posted_at": "posted_at",
    "时间": "posted_at",
    "发布时间": "posted_at",
    "rating": "rating",
    "评分": "rating",
    "url": "url",
    "链接": "url",
    "id": "external_id",
    "编号": "external_id",
}


def add_feedback(actor: Any, *, source: str, text: str, **fields: Any) -> Feedback:
    """One item of feedback: the widget (no login: `actor` is SYSTEM), a comment card keyed
    in, a post or review."""
    if actor != SYSTEM:
        require_permission(actor, "customers.change")
        branch = fields.get("branch")
        if branch is not None:
            require_branch(actor, branch.pk)
    if not (text or "").strip():
        raise ValidationError(_("The feedback has no text."))
    feedback = Feedback(source=source, text=text.strip()[:5000], **fields)
    feedback.full_clean(exclude=["ticket", "customer", "branch"])
    with transaction.atomic():
        feedback.save()
        audit.record(actor, AuditAction.FEEDBACK, feedback, after={"source": source})
    return feedback


def import_feedback_csv(
    actor: Any, content: bytes, *, source: str, platform: str = ""
) -> dict[str, int]:
    """Posts or reviews from a CSV export (UTF-8 or GB18030). Rows already imported (same
    platform and id) are skipped; rows without text are reported, not stored."""
    import csv
    import io

    if actor != SYSTEM:
        require_permission(actor, "customers.import")
    if source not in (Feedback.Source.SOCIAL, Feedback.Source.APP_REVIEW):
        raise ValidationError(_("Import posts as social media or app reviews."))
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = content.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise ValidationError(_("The file is neither UTF-8 nor GB18030 text."))
    reader = csv.DictReader(io.StringIO(text))
    keys = {h: h.strip().lower() for h in reader.fieldnames or []}
    mapping = {h: FEEDBACK_HEADERS[k] for h, k in keys.items() if k in FEEDBACK_HEADERS}
    if "text" not in mapping.values():
        raise ValidationError(_("The file needs a text column (text or 内容)."))
    counts = {"created": 0, "duplicates": 0, "empty": 0}
    with transaction.atomic():
        for row in reader:
            data = {field: (row.get(header) or "").strip() for header, field in mapping.items()}
            if not data.get("text"):
                counts["empty"] += 1
                continue
            data["platform"] = data.get("platform") or platform
            if (
                data.get("external_id")
                and Feedback.objects.filter(
                    source=source, platform=data["platform"], external_id=data["external_id"]
                ).exists()
            ):
                counts["duplicates"] += 1
                continue
            posted = data.pop("posted_at", "")
            rating = data.pop("rating", "")
            Feedback.objects.create(
                source=source,
                posted_at=_parse_time(posted) or timezone.now(),
                rating=int(float(rating)) if rating.replace(".", "", 1).isdigit() else None,
                **data,
            )
            counts["created"] += 1
        audit.record(actor, AuditAction.FEEDBACK_IMPORT, None, after={"source": source, **counts})
    return counts


def _parse_time(text: str) -> dt.datetime | None:
    """A post's time as the monitoring tools write it (local time); None if unreadable."""
    for pattern in ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y/%m/%d %H:%M", "%Y-%m-%d"):
        try:
            return timezone.make_aware(dt.datetime.strptime(text, pattern))
        except ValueError:
            continue
    return None


def feedback_to_ticket(actor: Any, feedback: Feedback, *, branch: Branch | None = None) -> Any:
    """Open a complaint or contact from a piece of feedback, in one click."""
    from manyi.tickets import actions as ticket_actions

    branch = branch or feedback.branch
    if branch is None:
        raise ValidationError(_("Choose the branch that takes this up."))
    if feedback.ticket_id:
        return feedback.ticket
    channel = {"widget": "web", "paper": "counter", "social": "social", "app_review": "social"}[
        feedback.source
    ]
    ticket_type = {"complaint": "complaint", "praise": "praise", "suggestion": "suggestion"}.get(
        feedback.kind, "enquiry"
    )
    customer = feedback.customer
    new_customer = None
    if customer is None:
        new_customer = {"name": feedback.author or _("Anonymous"), "phone": feedback.contact}
    with transaction.atomic():
        ticket = ticket_actions.create_ticket(
            actor,
            branch=branch,
            customer=customer,
            new_customer=new_customer,
            channel=channel,
            ticket_type=ticket_type,
            subject=feedback.text[:60],
            description="\n".join(
                part
                for part in (
                    f"{feedback.get_source_display()} {feedback.platform} {feedback.author}",
                    feedback.text,
                    feedback.url,
                )
                if part.strip()
            ),
        )
        Feedback.objects.filter(pk=feedback.pk).update(ticket=ticket)
    return ticket
