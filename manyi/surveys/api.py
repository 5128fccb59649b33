"""Survey API: questionnaires from XLSForm, links, and the public endpoints a respondent's
page (or an integration) answers through.

POST /surveys/questionnaires                    import an XLSForm workbook (multipart `file`)
GET  /surveys/questionnaires                    list, with versions and response counts
POST /surveys/questionnaires/{code}/links       a link for a respondent or a QR code
GET  /surveys/s/{token}                         the questionnaire behind a link (public)
PUT  /surveys/s/{token}/draft                   save unfinished answers (public)
POST /surveys/s/{token}/responses               submit (public): 201 stored, 200 the same
                                                submission again, 422 answers to correct,
                                                410 link used up, closed or quota full,
                                                404 unknown
POST /surveys/s/{token}/opt-out                 no more surveys for this customer (public)
POST /surveys/campaigns                         a campaign to a segment by SMS or e-mail
POST /surveys/campaigns/{id}/launch             send the invitations
GET  /surveys/campaigns/{id}                    invited, sent, responses, response rate
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Count
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from ninja import Field, File, Form, Router, Schema, Status
from ninja.files import UploadedFile

from manyi.analytics.xlsform import form_from_dict
from manyi.core import ratelimit
from manyi.core.apierrors import ApiError, error_response
from manyi.core.schemas import Id, Int64, IsoDateTime
from manyi.customers.models import Customer, Segment
from manyi.org.permissions import require_permission
from manyi.org.scoping import can_see_branch, get_visible_or_404, visible_branch_by_code

from . import actions, export, metrics, reading
from .models import Campaign, Feedback, Questionnaire, Response

router = Router(tags=["surveys"])


class ImportOut(Schema):
    code: str
    title: str
    version: int
    questions: int
    unsupported: list[str]


@router.post(
    "/surveys/questionnaires",
    response={201: ImportOut},
    summary=gettext_lazy(
        "Import an XLSForm workbook as a questionnaire (a new version once answered)"
    ),
)
def import_questionnaire(
    request: HttpRequest,
    file: UploadedFile | None = File(None),  # noqa: B008
    code: Form[str] = "",
) -> Any:
    content = _uploaded(file)
    version, unsupported = actions.import_xlsform(
        request.auth, content=content, file_name=file.name or "form.xlsx", code=code
    )
    return Status(
        201,
        {
            "code": version.questionnaire.code,
            "title": version.questionnaire.title,
            "version": version.number,
            "questions": len(version.definition["questions"]),
            "unsupported": unsupported,
        },
    )


class QuestionnaireOut(Schema):
    code: str
    title: str
    active: bool
    versions: int
    responses: int


@router.get(
    "/surveys/questionnaires",
    response=list[QuestionnaireOut],
    summary=gettext_lazy("The questionnaires and their versions"),
)
def questionnaires(request: HttpRequest) -> Any:
    require_permission(request.auth, "surveys.view")
    rows = Questionnaire.objects.annotate(
        version_count=Count("versions", distinct=True),
        response_count=Count("responses", distinct=True),
    ).order_by("code")
    return [
        {
            "code": q.code,
            "title": q.title,
            "active": q.active,
            "versions": q.version_count,
            "responses": q.response_count,
        }
        for q in rows
    ]


class LinkIn(Schema):
    channel: str = "web"
    customer_id: Id | None = None
    single_use: bool = True
    expires_at: IsoDateTime | None = None


class LinkOut(Schema):
    token: str
    url: str


@router.post(
    "/surveys/questionnaires/{code}/links",
    response={201: LinkOut},
    summary=gettext_lazy("A link to send to a customer"),
)
def create_link(request: HttpRequest, code: str, payload: LinkIn) -> Any:
    require_permission(request.auth, "surveys.distribute")
    questionnaire = Questionnaire.objects.filter(code=code).first()
    if questionnaire is None:
        raise ApiError(404, "not_found", _("No such questionnaire."))
    customer = (
        get_visible_or_404(Customer, request.auth, pk=payload.customer_id)
        if payload.customer_id
        else None
    )
    _link, token = actions.create_link(
        request.auth,
        questionnaire,
        channel=payload.channel,
        customer=customer,
        single_use=payload.single_use,
        expires_at=payload.expires_at,
    )
    return Status(201, {"token": token, "url": request.build_absolute_uri(f"/s/{token}/")})


def _unusable(request: HttpRequest, exc: actions.LinkUnusable) -> ApiError:
    if exc.code == "unknown":  # a wrong token: count it against guessing
        ratelimit.hit(ratelimit.BAD_TOKENS_PER_ADDRESS, ratelimit.address(request))
    return ApiError(exc.status, f"link_{exc.code}", " ".join(exc.messages))


def _not_guessing(request: HttpRequest) -> None:
    """An address that sent many wrong survey tokens waits before it may try more."""
    if ratelimit.exceeded(ratelimit.BAD_TOKENS_PER_ADDRESS, ratelimit.address(request)):
        raise ApiError(
            429, "rate_limited", _("Too many wrong survey links: please try again later.")
        )


def _open(request: HttpRequest, token: str) -> Any:
    _not_guessing(request)
    try:
        return actions.open_link(token)
    except actions.LinkUnusable as exc:
        raise _unusable(request, exc) from None


@router.get(
    "/surveys/s/{token}", auth=None, summary=gettext_lazy("The questionnaire behind a link")
)
def questionnaire_for_link(request: HttpRequest, token: str, lang: str = "") -> Any:
    link = _open(request, token)
    try:
        version = reading.version_for(link)
    except actions.LinkUnusable as exc:
        raise _unusable(request, exc) from None
    form = form_from_dict(version.definition)
    return {
        "title": form.title,
        "version": version.number,
        "languages": form.languages,
        "language": lang if lang in form.languages else form.default_language,
        "definition": version.definition,
        "draft": link.draft if link.single_use else {},
    }


class DraftIn(Schema):
    answers: dict[str, Any]


@router.put("/surveys/s/{token}/draft", auth=None, summary=gettext_lazy("Save unfinished answers"))
def save_draft(request: HttpRequest, token: str, payload: DraftIn) -> Any:
    _open(request, token)
    link = actions.save_draft(token, payload.answers)
    return {"saved_at": link.draft_saved_at}


class SubmissionIn(Schema):
    answers: dict[str, Any]
    submission_key: str = Field(
        ..., min_length=8, max_length=64, description="the same key for a retried submission"
    )
    language: str = ""
    started_at: IsoDateTime | None = None
    version: Int64 | None = Field(
        None, description="the version the page showed (from GET); answers are checked by it"
    )


class SubmittedOut(Schema):
    id: int
    created: bool


@router.post(
    "/surveys/s/{token}/responses",
    auth=None,
    response={200: SubmittedOut, 201: SubmittedOut},
    summary=gettext_lazy("Submit the answers"),
)
def submit(request: HttpRequest, token: str, payload: SubmissionIn) -> Any:
    _not_guessing(request)
    try:
        response, created = actions.submit(
            token,
            payload.answers,
            submission_key=payload.submission_key,
            language=payload.language,
            started_at=payload.started_at,
            version=payload.version,
        )
    except actions.SubmissionRefused as exc:
        return error_response(
            request, 422, "invalid_answers", exc.messages[0], problems=exc.problems
        )
    except actions.LinkUnusable as exc:
        raise _unusable(request, exc) from None
    except ValidationError as exc:
        raise ApiError(422, "invalid", " ".join(exc.messages)) from None
    return Status(201 if created else 200, {"id": response.pk, "created": created})


@router.post(
    "/surveys/s/{token}/opt-out", auth=None, summary=gettext_lazy("No more surveys for me")
)
def opt_out(request: HttpRequest, token: str) -> Any:
    _not_guessing(request)
    try:
        actions.opt_out(token)
    except actions.LinkUnusable as exc:
        raise _unusable(request, exc) from None
    return {"opted_out": True}


class CampaignIn(Schema):
    name: str
    questionnaire: str = Field(..., description="questionnaire code")
    segment_id: Id
    channel: str = Field(..., description="sms or email")
    message: str = Field(..., description="{客户} the customer's name, {链接} the link")
    reminder_after_days: Int64 | None = None
    max_reminders: Int64 = 1
    quota_by: str = Field("", description="branch or tier: the cells a quota counts")
    quota_per_cell: Int64 | None = None
    divert_to: str = Field("", description="questionnaire code a full cell's customers answer")
    expires_at: IsoDateTime | None = None


class CampaignOut(Schema):
    id: int
    name: str
    state: str
    invited: int
    sent: int
    responses: int
    rate: float | None


def _campaign_out(campaign: Campaign) -> dict[str, Any]:
    return {
        "id": campaign.pk,
        "name": campaign.name,
        "state": campaign.state,
        **reading.response_rate(campaign),
    }


@router.post(
    "/surveys/campaigns", response={201: CampaignOut}, summary=gettext_lazy("A campaign (draft)")
)
def create_campaign(request: HttpRequest, payload: CampaignIn) -> Any:
    data = payload.dict()
    questionnaire = Questionnaire.objects.filter(code=data.pop("questionnaire")).first()
    segment = Segment.objects.filter(pk=data.pop("segment_id")).first()
    if questionnaire is None or segment is None:
        raise ApiError(404, "not_found", _("No such questionnaire or segment."))
    divert_code = data.pop("divert_to")
    if divert_code:
        data["divert_to"] = Questionnaire.objects.filter(code=divert_code).first()
        if data["divert_to"] is None:
            raise ApiError(404, "not_found", _("No such questionnaire to divert to."))
    campaign = actions.create_campaign(
        request.auth, questionnaire=questionnaire, segment=segment, **data
    )
    return Status(201, _campaign_out(campaign))


@router.post(
    "/surveys/campaigns/{campaign_id}/launch",
    summary=gettext_lazy("Send the invitations (again: only to those not yet invited)"),
)
def launch_campaign(request: HttpRequest, campaign_id: Id) -> Any:
    campaign = Campaign.objects.filter(pk=campaign_id).select_related("segment").first()
    if campaign is None:
        raise ApiError(404, "not_found", _("No such campaign."))
    return actions.launch_campaign(request.auth, campaign)


@router.get(
    "/surveys/campaigns/{campaign_id}",
    response=CampaignOut,
    summary=gettext_lazy("A campaign with its response rate"),
)
def campaign_detail(request: HttpRequest, campaign_id: Id) -> Any:
    require_permission(request.auth, "surveys.view")
    campaign = Campaign.objects.filter(pk=campaign_id).first()
    if campaign is None:
        raise ApiError(404, "not_found", _("No such campaign."))
    return _campaign_out(campaign)


@router.get(
    "/surveys/questionnaires/{code}/responses.{fmt}",
    summary=gettext_lazy("Export the responses (csv or xlsx), one row each, codes or labels"),
)
def export_responses(
    request: HttpRequest, code: str, fmt: str, labels: bool = False, lang: str = "zh"
) -> Any:
    require_permission(request.auth, "surveys.export")
    questionnaire = Questionnaire.objects.filter(code=code).first()
    if questionnaire is None or fmt not in ("csv", "xlsx"):
        raise ApiError(404, "not_found", _("No such questionnaire or format."))
    responses = Response.objects.visible_to(request.auth).filter(questionnaire=questionnaire)
    name = f"{code}-{timezone.localdate():%Y%m%d}.{fmt}"
    if fmt == "csv":
        response = StreamingHttpResponse(
            export.csv_lines(questionnaire, responses, labels=labels, language=lang),
            content_type="text/csv; charset=utf-8",
        )
    else:
        response = HttpResponse(
            export.xlsx_bytes(questionnaire, responses, labels=labels, language=lang),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@router.get(
    "/surveys/questionnaires/{code}/metrics",
    summary=gettext_lazy(
        "NPS, CSAT, CES or the mean of a question, overall or by branch, channel, month, "
        "version, agent, customer tier or campaign; for one campaign or one customer segment"
    ),
)
def question_metrics(
    request: HttpRequest,
    code: str,
    question: str,
    metric: str = "nps",
    by: str = "",
    top: Int64 = 2,
    campaign: Int64 | None = None,
    segment: Int64 | None = None,
) -> Any:
    require_permission(request.auth, "surveys.view")
    questionnaire = Questionnaire.objects.filter(code=code).first()
    if questionnaire is None:
        raise ApiError(404, "not_found", _("No such questionnaire."))
    chosen_campaign = chosen_segment = None
    if campaign is not None:
        chosen_campaign = Campaign.objects.filter(pk=campaign, questionnaire=questionnaire).first()
        if chosen_campaign is None:
            raise ApiError(404, "not_found", _("No such campaign of this questionnaire."))
    if segment is not None:
        chosen_segment = Segment.objects.filter(pk=segment).first()
        if chosen_segment is None:
            raise ApiError(404, "not_found", _("No such segment."))
    return metrics.compute(
        questionnaire,
        request.auth,
        question=question,
        metric=metric,
        by=by,
        top=top,
        campaign=chosen_campaign,
        segment=chosen_segment,
    )


@router.get(
    "/surveys/questionnaires/{code}/words",
    summary=gettext_lazy("The most frequent words of an open question's answers"),
)
def question_words(request: HttpRequest, code: str, question: str, top: Int64 = 30) -> Any:
    require_permission(request.auth, "surveys.view")
    questionnaire = Questionnaire.objects.filter(code=code).first()
    if questionnaire is None:
        raise ApiError(404, "not_found", _("No such questionnaire."))
    return metrics.words(questionnaire, request.auth, question=question, top=top)


class FeedbackIn(Schema):
    source: str = Field("paper", description="paper (a comment card keyed in), social, app_review")
    text: str
    kind: str = "opinion"
    branch: str | None = None
    platform: str = ""
    author: str = ""
    rating: Int64 | None = None
    posted_at: IsoDateTime | None = None
    url: str = ""
    external_id: str = ""


@router.post("/surveys/feedback", response={201: dict}, summary=gettext_lazy("Add feedback"))
def add_feedback(request: HttpRequest, payload: FeedbackIn) -> Any:
    data = payload.dict()
    code = data.pop("branch")
    branch = visible_branch_by_code(request.auth, code) if code else None
    if data["posted_at"] is None:
        data.pop("posted_at")
    feedback = actions.add_feedback(request.auth, branch=branch, **data)
    return Status(201, {"id": feedback.pk})


@router.post(
    "/surveys/feedback/import", summary=gettext_lazy("Import posts or reviews from a CSV export")
)
def import_feedback(
    request: HttpRequest,
    file: UploadedFile | None = File(None),  # noqa: B008
    source: Form[str] = "",
    platform: Form[str] = "",
) -> Any:
    content = _uploaded(file)
    return actions.import_feedback_csv(request.auth, content, source=source, platform=platform)


def _uploaded(file: UploadedFile | None) -> bytes:
    """The file's bytes; an empty or missing file is refused with a message (Django drops an
    empty file part, so the schema cannot require one)."""
    content = file.read() if file is not None else b""
    if not content:
        raise ValidationError(_("Choose a file to upload: the file sent is empty."))
    return content


@router.post(
    "/surveys/feedback/{feedback_id}/ticket", summary=gettext_lazy("Open a ticket from feedback")
)
def feedback_ticket(request: HttpRequest, feedback_id: Id, branch: str = "") -> Any:
    require_permission(request.auth, "tickets.create")
    feedback = Feedback.objects.filter(pk=feedback_id).first()
    if feedback is None or (
        feedback.branch_id is not None and not can_see_branch(request.auth, feedback.branch_id)
    ):
        raise ApiError(404, "not_found", _("No such feedback."))
    target = visible_branch_by_code(request.auth, branch) if branch else None
    ticket = actions.feedback_to_ticket(request.auth, feedback, branch=target)
    return {"ticket": ticket.number, "id": ticket.pk}
