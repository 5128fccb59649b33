"""Every change to questionnaires, links and responses goes through these functions.

The server is the final judge of an answer: `submit` runs the questionnaire version's own
logic (`manyi.analytics.formlogic.run_form`) whatever the page said, stores nothing when a
shown question breaks its constraint or a required one is empty, and stores a retried
submission only once.
"""

from __future__ import annotations

import datetime as dt
import secrets
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from manyi.analytics.formlogic import ExpressionError, Problem, run_form
from manyi.analytics.xlsform import XLSFormError, form_from_dict, form_to_dict, read_xlsform
from manyi.core import clock
from manyi.core.events import emit
from manyi.core.tasks import periodic
from manyi.customers.models import Customer
from manyi.customers.timeline import append as timeline_append
from manyi.org import audit
from manyi.org.actions import SYSTEM
from manyi.org.models import Branch
from manyi.org.permissions import require_permission
from manyi.org.scoping import require_branch, staff_of

from . import channels
from .events import SurveyAnswered
from .models import (
    CallAttempt,
    CallCase,
    CallList,
    Campaign,
    Channel,
    Feedback,
    Invitation,
    OptOut,
    Questionnaire,
    QuestionnaireVersion,
    Response,
    ScoreTally,
    SurveyLink,
    TriggeredInvitation,
)

MAX_XLSFORM_BYTES = 5 * 1024 * 1024


class SubmissionRefused(ValidationError):
    """The answers break the questionnaire's rules; `problems` says where and why."""

    def __init__(self, problems: list[dict[str, str]]) -> None:
        super().__init__(_("Some answers need correcting."))
        self.problems = problems


class LinkUnusable(ValidationError):
    """Unknown, expired or already used link (HTTP 404/410)."""

    @property
    def status(self) -> int:
        """Unknown links are 404; closed, used-up or full ones 410 Gone."""
        return 404 if self.code == "unknown" else 410


def _staff(actor: Any) -> Any:
    return None if actor == SYSTEM else staff_of(actor)


def _language_of(language: str) -> str:
    return "zh" if not language or language.lower().startswith("zh") else "en"


# -- questionnaires -------------------------------------------------------------------------
def import_xlsform(
    actor: Any, *, content: bytes, file_name: str, code: str = ""
) -> tuple[QuestionnaireVersion, list[str]]:
    """Read an XLSForm workbook into a questionnaire. A questionnaire that already has
    answers gets a new version (the answers keep theirs); one without answers has its
    current version replaced. Returns the version and what the form uses that we do not
    support (listed, not silently dropped)."""
    if actor != SYSTEM:
        require_permission(actor, "surveys.design")
    if len(content) > MAX_XLSFORM_BYTES:
        raise ValidationError(_("The workbook is larger than 5 MB."))
    suffix = Path(file_name).suffix.lower()
    if suffix not in (".xlsx", ".xls", ".csv"):
        raise ValidationError(_("An XLSForm is an .xlsx, .xls or .csv file."))
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"form{suffix}"
        path.write_bytes(content)
        try:
            form = read_xlsform(path)
        except XLSFormError as exc:
            raise ValidationError(exc.zh if _is_chinese() else str(exc)) from None
    code = (code or form.form_id or "").strip()
    if not code:
        raise ValidationError(_("The questionnaire needs a code (form_id in the settings sheet)."))
    definition = form_to_dict(form)
    with transaction.atomic():
        questionnaire, _created = Questionnaire.objects.select_for_update().get_or_create(
            code=code, defaults={"title": form.title or code, "created_by": _staff(actor)}
        )
        current = questionnaire.current_version()
        if current is not None and not current.responses.exists():
            current.definition = definition
            current.source_name = file_name[:255]
            current.save(update_fields=["definition", "source_name"])
            version = current
        else:
            version = QuestionnaireVersion.objects.create(
                questionnaire=questionnaire,
                number=(current.number + 1) if current else 1,
                definition=definition,
                source_name=file_name[:255],
                created_by=_staff(actor),
            )
        if form.title and questionnaire.title != form.title:
            questionnaire.title = form.title
            questionnaire.save(update_fields=["title"])
        audit.record(
            actor,
            "surveys.import",
            questionnaire,
            after={
                "version": version.number,
                "file": file_name,
                "questions": len(form.questions),
                "unsupported": form.unsupported,
            },
        )
    return version, form.unsupported


def _is_chinese() -> bool:
    from django.utils.translation import get_language

    return (get_language() or "zh-hans").lower().startswith("zh")


# -- links --------------------------------------------------------------------------------
def create_link(
    actor: Any,
    questionnaire: Questionnaire,
    *,
    channel: str = Channel.WEB,
    customer: Customer | None = None,
    branch: Branch | None = None,
    single_use: bool = True,
    expires_at: dt.datetime | None = None,
) -> tuple[SurveyLink, str]:
    """A new link; the raw token is returned once (for the SMS, e-mail or QR code)."""
    if actor != SYSTEM:
        require_permission(actor, "surveys.distribute")
        if branch is not None:
            require_branch(actor, branch.pk)
    if channel not in Channel.values:
        raise ValidationError(_("Unknown channel %(c)s.") % {"c": channel})
    if questionnaire.current_version() is None:
        raise ValidationError(_("This questionnaire has no version to answer yet."))
    token = secrets.token_urlsafe(16)  # 128 bits: unguessable
    with transaction.atomic():
        link = SurveyLink.objects.create(
            questionnaire=questionnaire,
            digest=SurveyLink.digest_of(token),
            customer=customer,
            branch=branch or (customer.branch if customer else None),
            channel=channel,
            single_use=single_use,
            expires_at=expires_at,
            created_at=clock.now(),
        )
        audit.record(
            actor,
            "surveys.link",
            link,
            after={"questionnaire": questionnaire.code, "single_use": single_use},
        )
    return link, token


def open_link(token: str) -> SurveyLink:
    link = (
        SurveyLink.objects.select_related("questionnaire", "customer", "branch")
        .filter(digest=SurveyLink.digest_of(token or ""))
        .first()
    )
    if link is None or not link.questionnaire.active:
        raise LinkUnusable(_("This survey link is not valid."), code="unknown")
    if link.expires_at is not None and link.expires_at < timezone.now():
        raise LinkUnusable(_("This survey has closed."), code="closed")
    if link.single_use and link.responses_count > 0:
        raise LinkUnusable(_("This survey has already been answered. Thank you!"), code="used")
    if quota_full(link):
        raise LinkUnusable(
            _("We have all the answers we need for now. Thank you!"), code="quota_full"
        )
    return link


def version_for(link: SurveyLink) -> QuestionnaireVersion:
    version = link.questionnaire.current_version()
    if version is None:
        raise LinkUnusable(_("This survey link is not valid."), code="unknown")
    return version


def save_draft(token: str, answers: Mapping[str, Any]) -> SurveyLink:
    """Keep unfinished answers so the respondent can come back to them."""
    link = open_link(token)
    link.draft = {str(k): str(v) for k, v in answers.items()}
    link.draft_saved_at = timezone.now()
    link.save(update_fields=["draft", "draft_saved_at"])
    return link


# -- responses ------------------------------------------------------------------------------
def submit(
    token: str,
    answers: Mapping[str, Any],
    *,
    submission_key: str,
    language: str = "",
    started_at: dt.datetime | None = None,
) -> tuple[Response, bool]:
    """Store a response if the questionnaire's rules accept it. Returns (response, created):
    the same submission sent twice (same key) is stored once and answered the same."""
    key = (submission_key or "").strip()[:64]
    if len(key) < 8:
        raise ValidationError(_("A submission key of at least 8 characters is required."))
    existing = Response.objects.filter(submission_key=key).first()
    if existing is not None:
        return existing, False
    link = open_link(token)
    version = version_for(link)
    form = form_from_dict(version.definition)
    known = {q.name for q in form.questions}
    given = {str(k): "" if v is None else str(v) for k, v in answers.items()}
    unknown = sorted(set(given) - known)
    if unknown:
        raise ValidationError(_("Unknown questions: %(names)s") % {"names": ", ".join(unknown)})
    try:
        state = run_form(form.rules, given, today=timezone.localdate())
    except ExpressionError as exc:  # a broken form: the author must fix it
        raise ValidationError(exc.zh if _is_chinese() else str(exc)) from None
    if not state.ok:
        raise SubmissionRefused(
            [_problem(form, problem, _language_of(language)) for problem in state.problems]
        )
    try:
        with transaction.atomic():
            link = SurveyLink.objects.select_for_update().get(pk=link.pk)
            if link.single_use and link.responses_count > 0:
                raise LinkUnusable(
                    _("This survey has already been answered. Thank you!"), code="used"
                )
            response = Response.objects.create(
                questionnaire=link.questionnaire,
                version=version,
                link=link,
                customer=link.customer,
                branch=link.branch,
                channel=link.channel,
                answers=given,
                values={k: v for k, v in state.values.items() if v != ""},
                submission_key=key,
                language=_language_of(language),
                started_at=started_at,
                submitted_at=clock.now(),
            )
            SurveyLink.objects.filter(pk=link.pk).update(
                responses_count=F("responses_count") + 1, draft={}
            )
            _tally(response, form)
            if link.customer_id:
                timeline_append(
                    link.customer_id,
                    response.submitted_at,
                    "survey",
                    f"{link.questionnaire.title} · {response.get_channel_display()}",
                    detail={"response": response.pk, "version": version.number},
                    source=f"survey:{response.pk}",
                )
            emit(
                SurveyAnswered(
                    response_id=response.pk,
                    questionnaire=link.questionnaire.code,
                    version=version.number,
                    customer_id=link.customer_id,
                    branch_id=link.branch_id,
                    channel=link.channel,
                )
            )
    except IntegrityError:  # the same key at the same moment from a second tab
        existing = Response.objects.filter(submission_key=key).first()
        if existing is None:
            raise
        return existing, False
    return response, True


def _problem(form: Any, problem: Problem, language: str) -> dict[str, str]:
    question = next(q for q in form.questions if q.name == problem.name)
    label = question.labels.get(language) or next(iter(question.labels.values()), problem.name)
    if problem.code == "constraint":
        message = (
            question.constraint_messages.get(language)
            or problem.message
            or _("This answer is not accepted.")
        )
    else:
        message = {
            "required": _("This question needs an answer."),
            "integer": _("Enter a whole number."),
            "decimal": _("Enter a number."),
            "date": _("Enter a date (YYYY-MM-DD)."),
            "choice": _("Choose one of the options given."),
        }[problem.code]
    return {"question": problem.name, "label": label, "code": problem.code, "message": message}


# -- campaigns --------------------------------------------------------------------------------
def create_campaign(actor: Any, **fields: Any) -> Campaign:
    if actor != SYSTEM:
        require_permission(actor, "surveys.distribute")
    campaign = Campaign(created_by=_staff(actor), **fields)
    if campaign.quota_by and not campaign.quota_per_cell:
        raise ValidationError(_("Give the number of responses per cell for the quota."))
    if "{链接}" not in campaign.message and "{link}" not in campaign.message:
        raise ValidationError(_("The message must contain {链接}, where the survey link goes."))
    with transaction.atomic():
        campaign.full_clean(exclude=["created_by"])
        campaign.save()
        audit.record(actor, "surveys.campaign.create", campaign, after={"name": campaign.name})
    return campaign


def segment_customers(actor: Any, segment: Any) -> Any:
    """The segment's customers the person may see; the system sees the whole company."""
    from manyi.customers.segments import members, rules_to_q

    if actor != SYSTEM:
        return members(actor, segment)
    customers = Customer.objects.filter(merged_into__isnull=True).filter(rules_to_q(segment.rules))
    if any(rule["field"] == "tag" for rule in segment.rules):
        customers = customers.distinct()
    return customers


def next_call_case(call_list: CallList) -> CallCase | None:
    """The case to call now: callbacks that are due first, then those not called yet."""
    due = call_list.cases.filter(
        state__in=[CallCase.State.TO_CALL, CallCase.State.CALLBACK]
    ).filter(models.Q(next_call_at__isnull=True) | models.Q(next_call_at__lte=timezone.now()))
    return (
        due.select_related("customer")
        .order_by(F("next_call_at").asc(nulls_last=True), "pk")
        .first()
    )


def address_of(customer: Customer, channel: str) -> str:
    kind = "email" if channel == Channel.EMAIL else "mobile"
    contact = (
        customer.contacts.filter(kind=kind).order_by("-is_primary", "pk").values("value").first()
    )
    return contact["value"] if contact else ""


def _message(template: str, customer: Customer, url: str) -> str:
    """An invitation's text: {客户} (or {name}) the customer, {链接} (or {link}) the link."""
    text = template.replace("{客户}", customer.name).replace("{name}", customer.name)
    return text.replace("{链接}", url).replace("{link}", url)


def public_url(token: str) -> str:
    from django.conf import settings

    return f"{settings.MANYI_PUBLIC_URL}/s/{token}/"


def launch_campaign(actor: Any, campaign: Campaign) -> dict[str, int]:
    """Invite the segment's customers the person may see: one single-use link each, sent
    by the campaign's channel. Opted-out customers and those without an address are
    recorded, not sent to. Launching again invites only those not yet invited."""
    if actor != SYSTEM:
        require_permission(actor, "surveys.distribute")
    if campaign.segment is None:
        raise ValidationError(_("Choose the segment to invite."))
    counts = dict.fromkeys(Invitation.Status.values, 0)
    opted_out = set(OptOut.objects.values_list("customer_id", flat=True))
    invited = set(campaign.invitations.values_list("customer_id", flat=True))
    customers = segment_customers(actor, campaign.segment)
    for customer in customers.select_related("branch").iterator(chunk_size=500):
        if customer.pk in invited:
            continue
        invitation = Invitation(campaign=campaign, customer=customer)
        if customer.pk in opted_out:
            invitation.status = Invitation.Status.OPTED_OUT
        elif not (address := address_of(customer, campaign.channel)):
            invitation.status = Invitation.Status.NO_ADDRESS
        else:
            link, token = create_link(
                SYSTEM,
                campaign.questionnaire,
                channel=campaign.channel,
                customer=customer,
                expires_at=campaign.expires_at,
            )
            invitation.link, invitation.address = link, address
            try:
                channels.send(
                    campaign.channel,
                    address,
                    campaign.questionnaire.title,
                    _message(campaign.message, customer, public_url(token)),
                )
            except channels.SendError as exc:
                invitation.status, invitation.error = Invitation.Status.FAILED, str(exc)[:300]
            else:
                invitation.status, invitation.sent_at = Invitation.Status.SENT, timezone.now()
        invitation.save()
        counts[invitation.status] += 1
    with transaction.atomic():
        Campaign.objects.filter(pk=campaign.pk).update(
            state=Campaign.State.RUNNING, launched_at=campaign.launched_at or timezone.now()
        )
        audit.record(actor, "surveys.campaign.launch", campaign, after=counts)
    return counts


@periodic("surveys.send_reminders", minutes=60)
def send_reminders(now: dt.datetime | None = None) -> int:
    """Remind those who have not answered, once the campaign's delay has passed; never
    the ones who answered or opted out since."""
    now = now or timezone.now()
    sent = 0
    opted_out = set(OptOut.objects.values_list("customer_id", flat=True))
    running = Campaign.objects.filter(
        state=Campaign.State.RUNNING, reminder_after_days__isnull=False
    ).select_related("questionnaire")
    for campaign in running:
        due = now - dt.timedelta(days=campaign.reminder_after_days)
        waiting = campaign.invitations.filter(
            status=Invitation.Status.SENT,
            link__responses_count=0,
            reminders__lt=campaign.max_reminders,
        ).filter(
            models.Q(reminded_at__lte=due) | models.Q(reminded_at__isnull=True, sent_at__lte=due)
        )
        for invitation in waiting.select_related("customer", "link"):
            if invitation.customer_id in opted_out:
                continue
            token = secrets.token_urlsafe(16)  # a fresh token for the same link
            SurveyLink.objects.filter(pk=invitation.link_id).update(
                digest=SurveyLink.digest_of(token)
            )
            try:
                channels.send(
                    campaign.channel,
                    invitation.address,
                    campaign.questionnaire.title,
                    _message(campaign.message, invitation.customer, public_url(token)),
                )
            except channels.SendError as exc:
                invitation.error = str(exc)[:300]
                invitation.save(update_fields=["error"])
                continue
            invitation.reminders += 1
            invitation.reminded_at = now
            invitation.save(update_fields=["reminders", "reminded_at"])
            sent += 1
    return sent


def opt_out(token: str, *, source: str = "survey page") -> None:
    """The respondent asks for no more surveys (the link names the customer)."""
    link = SurveyLink.objects.filter(digest=SurveyLink.digest_of(token or "")).first()
    if link is None or link.customer_id is None:
        raise LinkUnusable(_("This survey link is not valid."), code="unknown")
    OptOut.objects.get_or_create(customer_id=link.customer_id, defaults={"source": source})


def response_rate(campaign: Campaign) -> dict[str, Any]:
    sent = campaign.invitations.filter(status=Invitation.Status.SENT).count()
    answered = Response.objects.filter(link__invitation__campaign=campaign).count()
    return {
        "invited": campaign.invitations.count(),
        "sent": sent,
        "responses": answered,
        "rate": round(100 * answered / sent, 1) if sent else None,
    }


def quota_full(link: SurveyLink) -> bool:
    """True when the link's campaign has its quota of responses for this customer's cell."""
    invitation = getattr(link, "invitation", None)
    campaign = invitation.campaign if invitation is not None else None
    if campaign is None or not campaign.quota_by or not campaign.quota_per_cell:
        return False
    customer = link.customer
    cell = {"branch": "customer__branch_id", "tier": "customer__tier"}[campaign.quota_by]
    value = customer.branch_id if campaign.quota_by == "branch" else customer.tier
    taken = Response.objects.filter(link__invitation__campaign=campaign, **{cell: value}).count()
    return taken >= campaign.quota_per_cell


# -- triggers ----------------------------------------------------------------------------
def _last_surveyed(customer_id: int) -> dt.datetime | None:
    """When this customer was last sent a survey, by a campaign or a trigger."""
    times = [
        Invitation.objects.filter(customer_id=customer_id, sent_at__isnull=False)
        .order_by("-sent_at")
        .values_list("sent_at", flat=True)
        .first(),
        TriggeredInvitation.objects.filter(customer_id=customer_id, state="sent")
        .order_by("-sent_at")
        .values_list("sent_at", flat=True)
        .first(),
    ]
    known = [t for t in times if t is not None]
    return max(known) if known else None


@periodic("surveys.send_triggered", minutes=5)
def send_triggered(now: dt.datetime | None = None) -> int:
    """Send the triggered surveys that are due, unless the customer opted out or was
    surveyed within the trigger's `once_per_days`."""
    now = now or timezone.now()
    sent = 0
    due = TriggeredInvitation.objects.filter(state="pending", due_at__lte=now).select_related(
        "trigger__questionnaire", "customer"
    )
    for pending in due.order_by("due_at"):
        trigger, customer = pending.trigger, pending.customer
        last = _last_surveyed(customer.pk)
        reason = ""
        if OptOut.objects.filter(customer=customer).exists():
            reason = "opted out"
        elif last is not None and now - last < dt.timedelta(days=trigger.once_per_days):
            reason = f"surveyed {last:%Y-%m-%d}"
        elif not (address := address_of(customer, trigger.channel)):
            reason = "no address"
        if reason:
            pending.state, pending.reason = TriggeredInvitation.State.SKIPPED, reason
            pending.save(update_fields=["state", "reason"])
            continue
        link, token = create_link(
            SYSTEM, trigger.questionnaire, channel=trigger.channel, customer=customer
        )
        text = _message(trigger.message, customer, public_url(token))
        try:
            channels.send(trigger.channel, address, trigger.questionnaire.title, text)
        except channels.SendError as exc:
            pending.state, pending.reason = TriggeredInvitation.State.SKIPPED, str(exc)[:200]
            pending.save(update_fields=["state", "reason"])
            continue
        pending.state, pending.link, pending.sent_at = TriggeredInvitation.State.SENT, link, now
        pending.save(update_fields=["state", "link", "sent_at"])
        sent += 1
    return sent


# -- phone interviews (CATI) -----------------------------------------------------------------
MAX_CALL_ATTEMPTS = 6
RETRY_AFTER = {"no_answer": dt.timedelta(hours=2), "busy": dt.timedelta(minutes=30)}


def draw_call_list(
    actor: Any,
    *,
    name: str,
    questionnaire: Questionnaire,
    segment: Any,
    size: int,
    seed: int,
    stratify_by: str = "",
) -> CallList:
    """A reproducible random sample of the segment's customers with a phone (simple, or
    stratified by branch or tier in proportion)."""
    from manyi.analytics.sampling import simple_random_sample, stratified_sample

    if actor != SYSTEM:
        require_permission(actor, "surveys.distribute")
    if stratify_by not in ("", "branch", "tier"):
        raise ValidationError(_("Strata are by branch or by tier."))
    if size < 1:
        raise ValidationError(_("The sample needs at least one customer."))
    reachable = segment_customers(actor, segment).filter(contacts__kind="mobile").distinct()
    field = {"branch": "branch__code", "tier": "tier"}.get(stratify_by)
    with transaction.atomic():
        call_list = CallList.objects.create(
            name=name,
            questionnaire=questionnaire,
            segment=segment,
            size=size,
            seed=seed,
            stratify_by=stratify_by,
            created_by=_staff(actor),
        )
        if field is None:
            chosen = {
                "": simple_random_sample(
                    list(reachable.values_list("pk", flat=True)), size, seed=seed
                )
            }
        else:
            strata: dict[str, list[int]] = {}
            for pk, key in reachable.values_list("pk", field):
                strata.setdefault(str(key), []).append(pk)
            chosen = stratified_sample(strata, size, seed=seed)
        CallCase.objects.bulk_create(
            [
                CallCase(call_list=call_list, customer_id=pk, stratum=stratum)
                for stratum, ids in chosen.items()
                for pk in ids
            ]
        )
        audit.record(
            actor,
            "surveys.call_list",
            call_list,
            after={
                "size": size,
                "seed": seed,
                "strata": stratify_by,
                "drawn": call_list.cases.count(),
            },
        )
    return call_list


def record_call(
    actor: Any,
    case: CallCase,
    *,
    outcome: str,
    recording_ref: str = "",
    note: str = "",
    callback_at: dt.datetime | None = None,
    consent: bool = False,
) -> CallCase:
    """Record a call's outcome. A callback is only scheduled with the customer's consent
    (given before, or now: `consent=True` records it), at the asked time moved into their
    preferred window; no answer and busy are retried later, up to a limit."""
    from manyi.analytics.sampling import callback_time

    if actor != SYSTEM:
        require_permission(actor, "surveys.distribute")
    if outcome not in CallAttempt.Outcome.values:
        raise ValidationError(_("Unknown call outcome %(o)s.") % {"o": outcome})
    if outcome == CallAttempt.Outcome.COMPLETED:
        raise ValidationError(_("A completed interview is recorded by submitting its answers."))
    now = clock.now()
    with transaction.atomic():
        case = CallCase.objects.select_for_update().select_related("customer").get(pk=case.pk)
        customer = case.customer
        if outcome == CallAttempt.Outcome.CALLBACK:
            if not (consent or customer.callback_consent):
                raise ValidationError(
                    _("Ask the customer whether we may call back, and record the consent.")
                )
            if consent and not customer.callback_consent:
                Customer.objects.filter(pk=customer.pk).update(callback_consent=True)
            window = (
                (customer.callback_from, customer.callback_until)
                if customer.callback_from and customer.callback_until
                else None
            )
            local = timezone.localtime(callback_at or now + dt.timedelta(hours=1))
            case.next_call_at = callback_time(local, window)
            case.state = CallCase.State.CALLBACK
        elif outcome in RETRY_AFTER:
            case.state = (
                CallCase.State.UNREACHABLE
                if case.attempts + 1 >= MAX_CALL_ATTEMPTS
                else CallCase.State.TO_CALL
            )
            case.next_call_at = now + RETRY_AFTER[outcome]
        else:
            case.state = {
                CallAttempt.Outcome.REFUSED: CallCase.State.REFUSED,
                CallAttempt.Outcome.WRONG_NUMBER: CallCase.State.WRONG_NUMBER,
            }[outcome]
            case.next_call_at = None
        case.attempts += 1
        case.interviewer = _staff(actor) or case.interviewer
        case.save()
        CallAttempt.objects.create(
            case=case,
            interviewer=_staff(actor),
            outcome=outcome,
            at=now,
            recording_ref=recording_ref[:200],
            note=note[:300],
        )
        audit.record(actor, "surveys.call", case, after={"outcome": outcome})
    return case


def complete_interview(
    actor: Any, case: CallCase, answers: Mapping[str, Any], *, recording_ref: str = ""
) -> Response:
    """The interviewer's answers, judged by the same rules as a respondent's."""
    if actor != SYSTEM:
        require_permission(actor, "surveys.distribute")
    case = CallCase.objects.select_related("call_list__questionnaire", "customer").get(pk=case.pk)
    _link, token = create_link(
        SYSTEM, case.call_list.questionnaire, channel=Channel.PHONE, customer=case.customer
    )
    response, _created = submit(token, answers, submission_key=f"cati-{case.pk}-{case.attempts}")
    with transaction.atomic():
        case.state, case.response, case.next_call_at = CallCase.State.COMPLETED, response, None
        case.attempts += 1
        case.interviewer = _staff(actor) or case.interviewer
        case.save()
        CallAttempt.objects.create(
            case=case,
            interviewer=_staff(actor),
            outcome=CallAttempt.Outcome.COMPLETED,
            at=clock.now(),
            recording_ref=recording_ref[:200],
        )
    return response


def interviewer_progress(call_list: CallList) -> list[dict[str, Any]]:
    """Calls and outcomes per interviewer, for the supervisor."""
    rows = (
        CallAttempt.objects.filter(case__call_list=call_list)
        .values("interviewer__name", "outcome")
        .annotate(n=models.Count("pk"))
    )
    table: dict[str, dict[str, Any]] = {}
    for row in rows:
        name = row["interviewer__name"] or "—"
        entry = table.setdefault(name, {"interviewer": name, "calls": 0})
        entry[row["outcome"]] = row["n"]
        entry["calls"] += row["n"]
    return sorted(table.values(), key=lambda r: r["interviewer"])


# -- listening posts --------------------------------------------------------------------------
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
        audit.record(actor, "surveys.feedback", feedback, after={"source": source})
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
        audit.record(actor, "surveys.feedback.import", None, after={"source": source, **counts})
    return counts


def _parse_time(text: str) -> dt.datetime | None:
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


# -- running totals for the figures ----------------------------------------------------------
NUMERIC_KINDS = {"integer", "decimal", "range"}


def numeric_questions(form: Any) -> list[str]:
    """Questions whose answers are numbers: number and range questions, and choices whose
    codes are all whole numbers (a 1-5 rating written as a choice list)."""
    names = []
    for question in form.questions:
        if question.kind in NUMERIC_KINDS or (
            question.kind == "select_one"
            and question.choices
            and all(c.name.lstrip("-").isdigit() for c in question.choices)
        ):
            names.append(question.name)
    return names


def _tally(response: Response, form: Any) -> None:
    day = timezone.localtime(response.submitted_at).date()
    for name in ["", *numeric_questions(form)]:
        raw = response.values.get(name) if name else 0
        try:
            number = float(raw)
        except (TypeError, ValueError):
            continue
        tally, _created = ScoreTally.objects.select_for_update().get_or_create(
            questionnaire_id=response.questionnaire_id,
            question=name,
            version=response.version.number,
            day=day,
            branch_id=response.branch_id,
            channel=response.channel,
        )
        update: dict[str, Any] = {
            "n": F("n") + 1,
            "total": F("total") + number,
            "squares": F("squares") + number * number,
        }
        if name and number.is_integer() and 0 <= number <= 10:
            column = f"c{int(number)}"
            update[column] = F(column) + 1
        ScoreTally.objects.filter(pk=tally.pk).update(**update)


def rebuild_tallies(questionnaire: Questionnaire) -> int:
    """Recount the running totals from the stored responses (after bulk loads)."""
    count = 0
    with transaction.atomic():
        ScoreTally.objects.filter(questionnaire=questionnaire).delete()
        forms = {v.pk: form_from_dict(v.definition) for v in questionnaire.versions.all()}
        totals: dict[tuple[Any, ...], dict[str, float]] = {}
        rows = Response.objects.filter(questionnaire=questionnaire).values_list(
            "version_id", "version__number", "submitted_at", "branch_id", "channel", "values"
        )
        numeric = {pk: numeric_questions(form) for pk, form in forms.items()}
        for version_id, number, submitted, branch, channel, values in rows.iterator(
            chunk_size=5000
        ):
            day = timezone.localtime(submitted).date()
            for name in ["", *numeric[version_id]]:
                try:
                    value = float(values.get(name) if name else 0)
                except (TypeError, ValueError):
                    continue
                key = (name, number, day, branch, channel)
                entry = totals.setdefault(key, {"n": 0, "total": 0.0, "squares": 0.0})
                entry["n"] += 1
                entry["total"] += value
                entry["squares"] += value * value
                if name and value.is_integer() and 0 <= value <= 10:
                    column = f"c{int(value)}"
                    entry[column] = entry.get(column, 0) + 1
                count += 1
        ScoreTally.objects.bulk_create(
            [
                ScoreTally(
                    questionnaire=questionnaire,
                    question=name,
                    version=number,
                    day=day,
                    branch_id=branch,
                    channel=channel,
                    **entry,
                )
                for (name, number, day, branch, channel), entry in totals.items()
            ],
            batch_size=2000,
        )
    return count
