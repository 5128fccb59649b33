"""How each kind of notification reads, worded when shown (in the reader's language) from
the data the subscriber stored."""

from __future__ import annotations

from typing import Any

from django.utils.translation import get_language
from django.utils.translation import gettext as _

from manyi.core.formats import duration

from .models import Kind, Notification


def headline(notification: Notification) -> str:
    p: dict[str, Any] = notification.params or {}
    kind = notification.kind
    if kind == Kind.ASSIGNED:
        return _("%(number)s was assigned to you: %(subject)s") % p
    if kind == Kind.APPROVAL_NEEDED:
        if p.get("decline"):
            return _("%(number)s waits for your decision on declining the demand") % p
        return _("%(number)s waits for your approval: a resolution of ¥%(total)s") % p
    if kind == Kind.DECIDED:
        if p.get("approved"):
            return _("%(by)s approved your proposal on %(number)s") % p
        return _("%(by)s rejected your proposal on %(number)s") % p
    if kind == Kind.ORDER_SENT:
        return _("%(number)s: an execution order for your department: %(order)s") % p
    if kind == Kind.DUE_SOON:
        return _("%(number)s is due in %(left)s (business time): %(subject)s") % {
            **p,
            "left": duration(max(int(p.get("minutes", 0)), 1) * 60),
        }
    if kind == Kind.BREACHED:
        return _("%(number)s is past a deadline and was escalated: %(subject)s") % p
    if kind == Kind.LOW_SCORE:
        return _("%(customer)s gave a low score in “%(survey)s”") % p
    return str(Kind(kind).label) if kind in Kind.values else kind


def detail(notification: Notification) -> str:
    """The second line: a comment, the scores given."""
    p = notification.params or {}
    if notification.kind == Kind.DECIDED and p.get("comment"):
        return p["comment"]
    if notification.kind == Kind.LOW_SCORE and p.get("scores"):
        return _("; ").join(_score(s) for s in p["scores"])
    return str(p.get("note", ""))


def _score(score: Any) -> str:
    """One low answer: the question's text in the reader's language, and the value."""
    if not isinstance(score, dict):  # stored as "question: value" before the texts were kept
        return str(score)
    labels = score.get("labels") or {}
    wanted = "en" if (get_language() or "zh").startswith("en") else "zh"
    label = (
        labels.get(wanted)
        or labels.get("zh")
        or labels.get("default")
        or next((text for text in labels.values() if text), "")
        or str(score.get("question", ""))
    )
    return _("%(question)s: %(value)s") % {"question": label, "value": score.get("value", "")}
