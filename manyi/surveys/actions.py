"""Every change to questionnaires, links and responses goes through these functions.

The server is the final judge of an answer: `submit` runs the questionnaire version's own
logic (`manyi.analytics.formlogic.run_form`) whatever the page said, stores nothing when a
shown question breaks its constraint or a required one is empty, and stores a retried
submission only once.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import secrets
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, models, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from manyi.analytics.formcheck import check_form, normalise
from manyi.analytics.formlogic import ExpressionError, Problem, run_form
from manyi.analytics.survey_metrics import low_score_threshold
from manyi.analytics.xlsform import XLSFormError, form_from_dict, form_to_dict, read_xlsform
from manyi.core import clock
from manyi.core.events import emit
from manyi.core.tasks import enqueue
from manyi.customers.models import Customer
from manyi.customers.timeline import append as timeline_append
from manyi.org import audit
from manyi.org.actions import SYSTEM
from manyi.org.models import Branch
from manyi.org.permissions import require_permission
from manyi.org.scoping import require_branch, staff_of

from . import channels
from .auditing import AuditAction
from .events import LowScoreGiven, SurveyAnswered
from .models import (
    CallAttempt,
    CallCase,
    CallList,
    Campaign,
    Channel,
    Feedback,
    Invitation,
    LinkAlias,
    OptOut,
    Questionnaire,
    QuestionnaireVersion,
    Response,
    ScoreBreakdown,
    ScoreTally,
    SurveyLink,
    SurveyTrigger,
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
            # what pyxform lets through but no respondent could answer: no question at all,
            # calculations that wait on each other in a loop
            check_form(normalise(form))
        except XLSFormError as exc:
            raise ValidationError(exc.zh if _is_chinese() else str(exc)) from None
        except RecursionError:
            raise ValidationError(
                _("An expression of the form is nested too deeply to be read.")
            ) from None
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
            AuditAction.IMPORT,
            questionnaire,
            after={
                "version": version.number,
                "file": file_name,
                "questions": len(form.questions),
                "unsupported": form.unsupported,
            },
        )
    return version, form.unsupported


def definition_digest(definition: dict[str, Any]) -> str:
    """Fingerprint of a stored definition: tells an editor someone saved meanwhile."""
    text = json.dumps(definition, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


class QuestionnaireChanged(ValidationError):
    """Someone saved the questionnaire after the editor opened it."""

    def __init__(self, number: int) -> None:
        self.number = number
        super().__init__(
            _(
                "Someone else changed this questionnaire while you were editing it (it is "
                "now version %(n)d). Check your changes and save again to keep them."
            )
            % {"n": number},
            code="edit_conflict",
        )


def edit_questionnaire(
    actor: Any,
    questionnaire: Questionnaire,
    definition: dict[str, Any],
    *,
    note: str = "",
    base: str | None = None,
) -> QuestionnaireVersion:
    """Publish a questionnaire edited in the product (the editing page, scripts), checked
    as strictly as an uploaded workbook. Like `import_xlsform`, a current version that has
    answers stays as it is and the edit becomes the next version (the answers keep
    theirs); one without answers is changed in place. An edit that changes nothing stores
    nothing and returns the current version. `base`: the digest of the definition the
    editor started from; when someone saved since, the edit is refused
    (`QuestionnaireChanged`), checked under the questionnaire's lock."""
    if actor != SYSTEM:
        require_permission(actor, "surveys.design")
    try:
        form = normalise(form_from_dict(definition))
        check_form(form)
    except RecursionError:
        raise ValidationError(
            _("An expression of the form is nested too deeply to be read.")
        ) from None
    except XLSFormError as exc:
        raise ValidationError(exc.zh if _is_chinese() else str(exc)) from None
    except (KeyError, TypeError, ValueError, AttributeError):
        raise ValidationError(
            _("The questionnaire's description is incomplete or not valid.")
        ) from None
    edited = form_to_dict(form)

    def canonical(data: dict[str, Any]) -> str:
        return json.dumps(data, sort_keys=True, ensure_ascii=False)

    with transaction.atomic():
        questionnaire = Questionnaire.objects.select_for_update().get(pk=questionnaire.pk)
        current = questionnaire.current_version()
        stale = base is not None and current is not None
        if stale and definition_digest(current.definition) != base:
            raise QuestionnaireChanged(current.number)
        before: Any = None
        if current is not None:
            try:
                before = normalise(form_from_dict(current.definition))
            except (KeyError, TypeError, ValueError, AttributeError):
                before = None  # an old definition we cannot read: any edit replaces it
            if before is not None and canonical(form_to_dict(before)) == canonical(edited):
                return current
        source = (note.strip() or _("Edited in Manyi"))[:255]
        answered = current is not None and current.responses.exists()
        if current is not None and not answered:
            current.definition = edited
            current.source_name = source
            current.save(update_fields=["definition", "source_name"])
            version = current
        else:
            version = QuestionnaireVersion.objects.create(
                questionnaire=questionnaire,
                number=(current.number + 1) if current else 1,
                definition=edited,
                source_name=source,
                created_by=_staff(actor),
                created_at=clock.now(),
            )
        if form.title and questionnaire.title != form.title:
            questionnaire.title = form.title
            questionnaire.save(update_fields=["title"])
        old = {q.name: q for q in before.questions} if before is not None else {}
        new = {q.name: q for q in form.questions}
        audit.record(
            actor,
            AuditAction.EDIT,
            questionnaire,
            before={"version": current.number} if current is not None else None,
            after={
                "version": version.number,
                "new_version": version is not current,
                "questions": len(form.questions),
                "added": sorted(set(new) - set(old)),
                "removed": sorted(set(old) - set(new)),
                "changed": sorted(n for n in set(new) & set(old) if new[n] != old[n]),
            },
            note=note.strip()[:300],
        )
    return version


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
    campaign: Campaign | None = None,
    agent: Any = None,
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
    if expires_at is not None and expires_at <= clock.now():
        raise ValidationError(_("The link would expire before anyone could open it."))
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
            campaign=campaign,
            agent=agent,
            created_at=clock.now(),
        )
        audit.record(
            actor,
            AuditAction.LINK,
            link,
            after={"questionnaire": questionnaire.code, "single_use": single_use},
        )
    return link, token


def _find_link(token: str) -> SurveyLink | None:
    """The link a token opens: its own token or a reminder's."""
    digest = SurveyLink.digest_of(token or "")
    links = SurveyLink.objects.select_related("questionnaire", "customer", "branch", "campaign")
    return links.filter(digest=digest).first() or links.filter(aliases__digest=digest).first()


def open_link(token: str) -> SurveyLink:
    link = _find_link(token)
    if link is None or not link.questionnaire.active:
        raise LinkUnusable(_("This survey link is not valid."), code="unknown")
    if link.expires_at is not None and link.expires_at < clock.now():
        raise LinkUnusable(_("This survey has closed."), code="closed")
    if link.single_use and link.responses_count > 0:
        raise LinkUnusable(_("This survey has already been answered. Thank you!"), code="used")
    return link


def version_for(link: SurveyLink, number: int | None = None) -> QuestionnaireVersion:
    """The version the respondent answers: the current one, or the one the page was given
    (`number`) so an edit published meanwhile does not refuse their answers. When the
    campaign's cell is full the respondent stops here, or is diverted to the campaign's
    other questionnaire."""
    questionnaire = link.questionnaire
    if quota_full(link):
        questionnaire = link.campaign.divert_to if link.campaign else None
        if questionnaire is None or not questionnaire.active:
            raise LinkUnusable(
                _("We have all the answers we need for now. Thank you!"), code="quota_full"
            )
    if number is not None:
        version = questionnaire.versions.filter(number=number).first()
        if version is None:
            raise LinkUnusable(
                _("This survey changed while you were answering. Please open the link again."),
                code="changed",
            )
        return version
    version = questionnaire.current_version()
    if version is None:
        raise LinkUnusable(_("This survey link is not valid."), code="unknown")
    return version


def save_draft(token: str, answers: Mapping[str, Any]) -> SurveyLink:
    """Keep unfinished answers so the respondent can come back to them; only on a link of
    one respondent (a shared link's page keeps them on the device)."""
    link = open_link(token)
    if not link.single_use:
        raise ValidationError(
            _("Answers to a shared link are kept on your device, not on the server.")
        )
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
    version: int | None = None,
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
    answered = version_for(link, version)
    form = form_from_dict(answered.definition)
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
                questionnaire=answered.questionnaire,
                version=answered,
                link=link,
                customer=link.customer,
                branch=link.branch,
                channel=link.channel,
                campaign_id=link.campaign_id,
                agent_id=link.agent_id,
                tier=link.customer.tier if link.customer else "",
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
            low = low_scores(form, response.values, answered.questionnaire.low_score_at_most)
            if link.customer_id:
                timeline_append(
                    link.customer_id,
                    response.submitted_at,
                    "survey",
                    f"{answered.questionnaire.title} · {response.get_channel_display()}",
                    detail={"response": response.pk, "version": answered.number, "low": low},
                    source=f"survey:{response.pk}",
                )
            emit(
                SurveyAnswered(
                    response_id=response.pk,
                    questionnaire=answered.questionnaire.code,
                    version=answered.number,
                    customer_id=link.customer_id,
                    branch_id=link.branch_id,
                    channel=link.channel,
                )
            )
            if low:
                emit(
                    LowScoreGiven(
                        response_id=response.pk,
                        questionnaire=answered.questionnaire.code,
                        customer_id=link.customer_id,
                        branch_id=link.branch_id,
                        agent_id=link.agent_id,
                        campaign_id=link.campaign_id,
                        channel=link.channel,
                        scores=tuple(low),
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
        message = (
            {
                "required": _("This question needs an answer."),
                "integer": _("Enter a whole number."),
                "decimal": _("Enter a number."),
                "date": _("Enter a date (YYYY-MM-DD)."),
                "choice": _("Choose one of the options given."),
                "rank": _("Put all the options in order, each exactly once."),
            }.get(problem.code)
            or problem.message
            or _("This answer is not accepted.")
        )
    return {"question": problem.name, "label": label, "code": problem.code, "message": message}


# -- campaigns --------------------------------------------------------------------------------
def create_campaign(actor: Any, **fields: Any) -> Campaign:
    if actor != SYSTEM:
        require_permission(actor, "surveys.distribute")
    campaign = Campaign(created_by=_staff(actor), **fields)
    if campaign.quota_by and not campaign.quota_per_cell:
        raise ValidationError(_("Give the number of responses per cell for the quota."))
    if campaign.divert_to_id and not campaign.quota_by:
        raise ValidationError(_("Diverting needs a quota: say by what cells are counted."))
    if campaign.divert_to_id and campaign.divert_to_id == campaign.questionnaire_id:
        raise ValidationError(_("A full cell cannot be diverted to the same questionnaire."))
    if "{链接}" not in campaign.message and "{link}" not in campaign.message:
        raise ValidationError(_("The message must contain {链接}, where the survey link goes."))
    if campaign.expires_at is not None and campaign.expires_at <= clock.now():
        raise ValidationError(_("The link would expire before anyone could open it."))
    with transaction.atomic():
        campaign.full_clean(exclude=["created_by"])
        campaign.save()
        audit.record(actor, AuditAction.CAMPAIGN_CREATE, campaign, after={"name": campaign.name})
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


INLINE_INVITATIONS = 200  # more than this are sent by a worker, not in the request


def launch_campaign(
    actor: Any, campaign: Campaign, *, in_background: bool | None = None
) -> dict[str, int]:
    """Invite the segment's customers the person may see: one single-use link each, sent
    by the campaign's channel. A large segment is sent by a worker (the answer says how
    many are queued) unless `in_background` says otherwise; launching again invites only
    those not yet invited."""
    if actor != SYSTEM:
        require_permission(actor, "surveys.distribute")
    if campaign.segment is None:
        raise ValidationError(_("Choose the segment to invite."))
    if campaign.state == Campaign.State.CLOSED:
        raise ValidationError(_("This campaign is closed."))
    if campaign.expires_at is not None and campaign.expires_at <= clock.now():
        raise ValidationError(_("The campaign's links have expired: set a later expiry first."))
    waiting = (
        segment_customers(actor, campaign.segment)
        .exclude(pk__in=campaign.invitations.values("customer_id"))
        .count()
    )
    with transaction.atomic():
        Campaign.objects.filter(pk=campaign.pk).update(
            state=Campaign.State.RUNNING, launched_at=campaign.launched_at or clock.now()
        )
        audit.record(actor, AuditAction.CAMPAIGN_LAUNCH, campaign, after={"customers": waiting})
    user_id = None if actor == SYSTEM else actor.pk
    if not (waiting > INLINE_INVITATIONS if in_background is None else in_background):
        return send_invitations(campaign.pk, user_id)
    transaction.on_commit(lambda: enqueue(send_invitations, campaign.pk, user_id))
    return {"queued": waiting}


def send_invitations(campaign_id: int, user_id: int | None) -> dict[str, int]:
    """Send the campaign's invitations to its segment's customers not yet invited (seen by
    the person who launched it). Opted-out customers and those without an address are
    recorded, not sent to. Safe to run twice: each customer is invited once."""
    from django.contrib.auth import get_user_model

    campaign = Campaign.objects.select_related("questionnaire", "segment").get(pk=campaign_id)
    actor = SYSTEM if user_id is None else get_user_model().objects.get(pk=user_id)
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
                campaign=campaign,
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
                invitation.status, invitation.sent_at = Invitation.Status.SENT, clock.now()
        try:
            with transaction.atomic():
                invitation.save()
                Campaign.objects.filter(pk=campaign.pk).update(
                    invited_count=F("invited_count") + 1,
                    sent_count=F("sent_count") + int(invitation.status == Invitation.Status.SENT),
                )
        except IntegrityError:  # a second run of this task got there first
            continue
        counts[invitation.status] += 1
    audit.record(actor, AuditAction.CAMPAIGN_SENT, campaign, after=counts)
    return counts


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
            token = secrets.token_urlsafe(16)  # a further token: the first SMS still works
            LinkAlias.objects.create(link_id=invitation.link_id, digest=SurveyLink.digest_of(token))
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


def response_rates(campaigns: list[Campaign]) -> dict[int, dict[str, Any]]:
    """Invited, sent, answered and the rate, from the campaigns' own counts and the
    running tallies: one query however many invitations and responses there are."""
    answered = dict(
        ScoreBreakdown.objects.filter(
            dimension="campaign", question="", key__in=[str(c.pk) for c in campaigns]
        )
        .values_list("key")
        .annotate(n=models.Sum("n"))
    )
    rates = {}
    for campaign in campaigns:
        responses = answered.get(str(campaign.pk), 0)
        sent = campaign.sent_count
        rates[campaign.pk] = {
            "invited": campaign.invited_count,
            "sent": sent,
            "responses": responses,
            "rate": round(100 * responses / sent, 1) if sent else None,
        }
    return rates


def response_rate(campaign: Campaign) -> dict[str, Any]:
    campaign.refresh_from_db(fields=["invited_count", "sent_count"])
    return response_rates([campaign])[campaign.pk]


def close_campaign(actor: Any, campaign: Campaign) -> Campaign:
    """No more answers through the campaign's links, and no more reminders."""
    if actor != SYSTEM:
        require_permission(actor, "surveys.distribute")
    if campaign.state == Campaign.State.CLOSED:
        raise ValidationError(_("This campaign is closed."))
    with transaction.atomic():
        now = clock.now()
        Campaign.objects.filter(pk=campaign.pk).update(state=Campaign.State.CLOSED, closed_at=now)
        SurveyLink.objects.filter(campaign=campaign).filter(
            models.Q(expires_at__isnull=True) | models.Q(expires_at__gt=now)
        ).update(expires_at=now)
        audit.record(actor, AuditAction.CAMPAIGN_CLOSE, campaign, after={"state": "closed"})
    campaign.refresh_from_db()
    return campaign


def quota_full(link: SurveyLink) -> bool:
    """True when the link's campaign has its quota of responses for this customer's cell
    (answers to the questionnaire a full cell diverts to do not count)."""
    campaign = link.campaign
    if campaign is None or not campaign.quota_by or not campaign.quota_per_cell:
        return False
    customer = link.customer
    if customer is None:
        return False
    return cell_count(campaign, branch_id=link.branch_id, tier=customer.tier) >= (
        campaign.quota_per_cell
    )


def _cells(campaign: Campaign) -> Any:
    """The running tallies behind the campaign's quota cells (one row per day and cell)."""
    counted = ScoreBreakdown.objects.filter(questionnaire_id=campaign.questionnaire_id, question="")
    if campaign.quota_by == "branch":
        return counted.filter(dimension="campaign", key=str(campaign.pk))
    return counted.filter(dimension="campaign_tier", key__startswith=f"{campaign.pk}:")


def cell_count(campaign: Campaign, *, branch_id: int | None = None, tier: str = "") -> int:
    """The campaign's responses in one quota cell, from the running tallies (exact: they
    are written in the submission's own transaction)."""
    counted = _cells(campaign)
    if campaign.quota_by == "branch":
        counted = counted.filter(branch_id=branch_id)
    else:
        counted = counted.filter(key=f"{campaign.pk}:{tier}")
    return counted.aggregate(n=models.Sum("n"))["n"] or 0


def quota_cells(campaign: Campaign) -> list[dict[str, Any]]:
    """Every cell's responses against the quota, for the campaign's page."""
    if not campaign.quota_by or not campaign.quota_per_cell:
        return []
    rows = _cells(campaign)
    if campaign.quota_by == "branch":
        counted = list(rows.values_list("branch__name").annotate(n=models.Sum("n")))
    else:
        labels = dict(Customer.Tier.choices)
        counted = [
            (labels.get(key.split(":", 1)[1], key), n)
            for key, n in rows.values_list("key").annotate(n=models.Sum("n"))
        ]
    return [
        {"cell": cell or "—", "n": n, "full": n >= campaign.quota_per_cell}
        for cell, n in sorted(counted, key=lambda item: str(item[0]))
    ]


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
            SYSTEM,
            trigger.questionnaire,
            channel=trigger.channel,
            customer=customer,
            agent=pending.agent,
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
            AuditAction.CALL_LIST,
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
        audit.record(actor, AuditAction.CALL, case, after={"outcome": outcome})
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


# Codes of a rating's "don't know / not applicable" column: not points of the scale.
NOT_A_POINT = {"other", "dk", "na", "none", "refused"}


def numeric_questions(form: Any) -> dict[str, tuple[float, float] | None]:
    """Questions whose answers are numbers, with their scale where they have one: number
    and range questions, and choice lists whose points are whole numbers (a 1-5 rating
    written as a choice list, perhaps with a "don't know" column, which is not counted)."""
    found: dict[str, tuple[float, float] | None] = {}
    for question in form.questions:
        scale = rating_scale(question)
        if scale is not None:
            found[question.name] = scale
        elif question.kind in NUMERIC_KINDS:
            found[question.name] = None
    return found


def rating_scale(question: Any) -> tuple[float, float] | None:
    """The ends of a rating question's scale: a range's start and end, or the lowest and
    highest of its numeric choice codes (leaving out "don't know" and the like); None for
    anything else."""
    if question.kind == "range":
        return float(question.parameters.get("start", 0)), float(question.parameters.get("end", 10))
    if question.kind == "select_one" and question.choices:
        codes = [c.name for c in question.choices]
        if not all(code.lstrip("-").isdigit() or code.lower() in NOT_A_POINT for code in codes):
            return None
        numbers = [int(code) for code in codes if code.lstrip("-").isdigit()]
        regular = [n for n in numbers if n not in (97, 98, 99)]
        # 97-99 beside a 0-10 scale are "don't know" codes, not points
        points = regular if regular and max(regular) <= 10 else numbers
        if points:
            return float(min(points)), float(max(points))
    return None


def low_scores(
    form: Any, values: Mapping[str, Any], thresholds: Mapping[str, Any]
) -> list[dict[str, Any]]:
    """The answers that count as low: at or under the questionnaire's own threshold for the
    question, or the scale's usual one (`low_score_threshold`)."""
    found = []
    for question in form.questions:
        raw = values.get(question.name)
        if raw in (None, ""):
            continue
        scale = rating_scale(question)
        limit = thresholds.get(question.name)
        if limit is None and scale is None:
            continue
        try:
            value = float(raw)
            at_most = float(limit) if limit is not None else low_score_threshold(*scale)
        except (TypeError, ValueError):
            continue
        if value <= at_most:
            found.append({"question": question.name, "value": value, "at_most": at_most})
    return found


COUNT_COLUMNS = ("n", "total", "squares", *(f"c{v}" for v in range(11)))


def _counts(number: float, counted: bool) -> dict[str, float]:
    row = dict.fromkeys(COUNT_COLUMNS, 0)
    row.update(n=1, total=number, squares=number * number)
    if counted and number.is_integer() and 0 <= number <= 10:
        row[f"c{int(number)}"] = 1
    return row


def _add(into: dict[tuple[Any, ...], dict[str, float]], key: tuple[Any, ...], row: dict) -> None:
    entry = into.get(key)
    if entry is None:
        into[key] = dict(row)
    else:
        for column in COUNT_COLUMNS:
            entry[column] += row[column]


def _numbers(
    values: Mapping[str, Any], numeric: Mapping[str, tuple[float, float] | None]
) -> list[tuple[str, float]]:
    """(question, number) for the response itself ("", counted as 0) and each answer on
    its scale ("don't know" and the like are not counted)."""
    found = [("", 0.0)]
    for name, scale in numeric.items():
        try:
            number = float(values.get(name))
        except (TypeError, ValueError):
            continue
        if scale is None or scale[0] <= number <= scale[1]:
            found.append((name, number))
    return found


def _tally_rows(
    questionnaire_id: int,
    version: int,
    submitted: dt.datetime,
    branch_id: int | None,
    channel: str,
    extra: Mapping[str, Any],
    numbers: list[tuple[str, float]],
    tallies: dict[tuple[Any, ...], dict[str, float]],
    breakdowns: dict[tuple[Any, ...], dict[str, float]],
) -> None:
    day = timezone.localtime(submitted).date()
    month = day.replace(day=1)
    for name, number in numbers:
        row = _counts(number, bool(name))
        _add(tallies, (questionnaire_id, name, version, day, branch_id, channel), row)
        for dimension, key in extra.items():
            if key in (None, "") or (name and dimension in COUNT_ONLY):
                continue
            _add(breakdowns, (questionnaire_id, name, month, branch_id, dimension, str(key)), row)


def _upsert(model: type[models.Model], rows: dict[tuple[Any, ...], dict[str, float]]) -> None:
    """Add counts to the running totals in one statement per table (INSERT ... ON CONFLICT
    DO UPDATE, on SQLite and PostgreSQL alike); rows go in key order so two submissions
    never wait on each other's rows crosswise."""
    if not rows:
        return
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    key_columns = list(model.KEY)
    columns = [*key_columns, *COUNT_COLUMNS]
    target = ", ".join(
        "COALESCE(branch_id, 0)" if column == "branch_id" else quote(column)
        for column in key_columns
    )
    updates = ", ".join(
        f"{quote(c)} = {table}.{quote(c)} + excluded.{quote(c)}" for c in COUNT_COLUMNS
    )
    placeholders = "(" + ", ".join(["%s"] * len(columns)) + ")"
    ordered = sorted(rows.items(), key=lambda item: tuple(str(part) for part in item[0]))
    with connection.cursor() as cursor:
        for start in range(0, len(ordered), 500):
            chunk = ordered[start : start + 500]
            params: list[Any] = []
            for key, counts in chunk:
                params.extend(key)
                params.extend(counts[column] for column in COUNT_COLUMNS)
            cursor.execute(
                f"INSERT INTO {table} ({', '.join(quote(c) for c in columns)}) "
                f"VALUES {', '.join([placeholders] * len(chunk))} "
                f"ON CONFLICT ({target}) DO UPDATE SET {updates}",
                params,
            )


# breakdowns that only count responses (a campaign's quota cells by tier)
COUNT_ONLY = {"campaign_tier"}


def _breakdown_keys(campaign: int | None, agent: int | None, tier: str) -> dict[str, Any]:
    return {
        "campaign": campaign,
        "agent": agent,
        "tier": tier,
        "campaign_tier": f"{campaign}:{tier}" if campaign and tier else None,
    }


def _tally(response: Response, form: Any) -> None:
    tallies: dict[tuple[Any, ...], dict[str, float]] = {}
    breakdowns: dict[tuple[Any, ...], dict[str, float]] = {}
    _tally_rows(
        response.questionnaire_id,
        response.version.number,
        response.submitted_at,
        response.branch_id,
        response.channel,
        _breakdown_keys(response.campaign_id, response.agent_id, response.tier),
        _numbers(response.values, numeric_questions(form)),
        tallies,
        breakdowns,
    )
    _upsert(ScoreTally, tallies)
    _upsert(ScoreBreakdown, breakdowns)


def rebuild_tallies(questionnaire: Questionnaire) -> int:
    """Recount the running totals from the stored responses (after bulk loads)."""
    count = 0
    with transaction.atomic():
        ScoreTally.objects.filter(questionnaire=questionnaire).delete()
        ScoreBreakdown.objects.filter(questionnaire=questionnaire).delete()
        forms = {v.pk: form_from_dict(v.definition) for v in questionnaire.versions.all()}
        numeric = {pk: numeric_questions(form) for pk, form in forms.items()}
        tallies: dict[tuple[Any, ...], dict[str, float]] = {}
        breakdowns: dict[tuple[Any, ...], dict[str, float]] = {}
        rows = Response.objects.filter(questionnaire=questionnaire).values_list(
            "version_id",
            "version__number",
            "submitted_at",
            "branch_id",
            "channel",
            "campaign_id",
            "agent_id",
            "tier",
            "values",
        )
        for (
            version_id,
            number,
            submitted,
            branch,
            channel,
            campaign,
            agent,
            tier,
            values,
        ) in rows.iterator(chunk_size=5000):
            numbers = _numbers(values, numeric[version_id])
            extra = _breakdown_keys(campaign, agent, tier)
            _tally_rows(
                questionnaire.pk,
                number,
                submitted,
                branch,
                channel,
                extra,
                numbers,
                tallies,
                breakdowns,
            )
            count += len(numbers)
        _upsert(ScoreTally, tallies)
        _upsert(ScoreBreakdown, breakdowns)
    return count


def schedule_triggered(
    event_name: str,
    customer_id: int,
    source: str,
    occurred_at: dt.datetime,
    *,
    agent_id: int | None = None,
) -> int:
    """Queue the invitations the active triggers of an event ask for (once per trigger and
    source, however often the event is delivered); `send_triggered` sends them when due."""
    created = 0
    for trigger in SurveyTrigger.objects.filter(event=event_name, active=True):
        _invitation, was_created = TriggeredInvitation.objects.get_or_create(
            trigger=trigger,
            source=source,
            defaults={
                "customer_id": customer_id,
                "agent_id": agent_id,
                "due_at": occurred_at + dt.timedelta(minutes=trigger.delay_minutes),
            },
        )
        created += was_created
    return created
