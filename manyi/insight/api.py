"""Satisfaction-index API: start an analysis on a questionnaire's responses, on a data set
used before or on an uploaded file; follow it; read its result and reports.

POST /insight/runs                     a run on survey responses or a data set (JSON)
POST /insight/runs/upload              a run on an uploaded file (multipart `file`)
GET  /insight/runs                     the latest runs the person may see
GET  /insight/runs/{id}                status, and the result once done
GET  /insight/runs/{id}/report.xlsx    the Excel report
GET  /insight/questionnaires           questionnaires to analyse, with their rating questions
GET  /insight/index/latest             each programme's latest index and its change (dashboards)
GET  /insight/programmes/{id}/trend    a programme's index per wave
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from ninja import Field, File, Form, Router, Schema, Status
from ninja.files import UploadedFile

from manyi.analytics.modelfile import template_names, template_text
from manyi.core.apierrors import ApiError
from manyi.core.schemas import Id
from manyi.org.permissions import require_permission
from manyi.org.scoping import get_visible_or_404, visible_branch_by_code

from . import actions, reading
from .data import survey_catalogue
from .models import AnalysisRun, Dataset, Programme

router = Router(tags=["insight"])

Scheme = Literal["path", "centroid", "factorial"]
Missing = Literal["", "casewise", "mean"]
WaveCut = Literal["quarter", "half", "month", "year", "campaign"]


class IndexSurveySource(Schema, extra="forbid"):
    questionnaire: str = Field(..., description="questionnaire code", max_length=60)
    version: int | None = Field(None, ge=1, description="only this version")
    since: dt.date | None = Field(None, description="answered from (local date)")
    until: dt.date | None = Field(None, description="answered until (local date, inclusive)")
    campaigns: list[Id] = Field([], max_length=100, description="only these campaigns (ids)")
    branch: str = Field("", max_length=32, description="only this branch's answers (code)")
    region: str = Field("", max_length=32, description="only this region's answers (code)")
    wave_by: WaveCut = Field("quarter", description="how waves are cut")


class IndexRunOptions(Schema, extra="forbid"):
    scheme: Scheme = "path"
    missing: Missing = ""
    bootstrap: int = Field(0, ge=0, le=actions.MAX_BOOTSTRAP)
    seed: int = Field(0, ge=0, le=2**31 - 1)
    target: str = Field("", max_length=100, description="target construct")
    group: str = Field(
        "",
        max_length=200,
        description="compare groups by this column: wave, branch, region, channel, tier, "
        "month, quarter, half, campaign, version or segment:<name> for survey data",
    )


class IndexRunIn(IndexRunOptions, extra="forbid"):
    survey: IndexSurveySource | None = Field(None, description="a questionnaire's responses")
    dataset: Id | None = Field(None, description="or a data set used before")
    model: str = Field(
        "",
        max_length=200_000,
        description="the model file (YAML); or leave empty and name a template",
    )
    template: str = Field("", max_length=60, description="a shipped model: china, ecsi, acsi")
    mapping: dict[str, str] = Field(
        {}, description="item of the model -> question name, where the names differ"
    )
    title: str = Field("", max_length=200)


class IndexRunOut(Schema):
    id: int
    title: str
    status: str
    status_label: str
    dataset: int
    rows: int
    options: dict[str, Any]
    error: str
    created_at: dt.datetime
    finished_at: dt.datetime | None
    result: dict[str, Any] | None


class RatingItemOut(Schema):
    name: str
    label: str
    scale: list[float]
    dont_know: list[str]
    reverse: bool


class IndexQuestionnaireOut(Schema):
    code: str
    title: str
    responses: int
    versions: list[int]
    campaigns: list[dict[str, Any]]
    items: list[RatingItemOut]


def _model_text(model: str, template: str) -> str:
    if model.strip():
        return model
    if template in template_names():
        return template_text(template)
    raise ApiError(
        400,
        "invalid",
        _("Send the model file, or name a template: %(t)s.") % {"t": ", ".join(template_names())},
    )


def _out(run: AnalysisRun, request: HttpRequest) -> dict[str, Any]:
    from django.utils.translation import get_language

    return {
        "id": run.pk,
        "title": run.title,
        "status": run.status,
        "status_label": run.get_status_display(),
        "dataset": run.dataset_id,
        "rows": run.dataset.rows,
        "options": {k: v for k, v in run.options.items() if k != "unbound_model"},
        "error": run.error_for(get_language() or "zh-hans"),
        "created_at": run.created_at,
        "finished_at": run.finished_at,
        "result": run.result if run.status == AnalysisRun.Status.DONE else None,
    }


def _runs(request: HttpRequest) -> Any:
    require_permission(request.auth, "insight.view")
    return (
        AnalysisRun.objects.visible_to(request.auth)
        .select_related("dataset")
        .defer("report", "dataset__content")
    )


@router.post(
    "/insight/runs",
    response={201: IndexRunOut},
    summary=gettext_lazy("Start an analysis on a questionnaire's responses or a data set"),
)
def start_run(request: HttpRequest, payload: IndexRunIn) -> Any:
    require_permission(request.auth, "insight.run")
    if (payload.survey is None) == (payload.dataset is None):
        raise ApiError(400, "invalid", _("Send either a survey source or a data set."))
    if payload.survey is not None:
        source = payload.survey
        dataset = actions.survey_dataset(
            request.auth,
            questionnaire=source.questionnaire,
            version=source.version,
            since=source.since,
            until=source.until,
            campaigns=list(source.campaigns),
            branch=visible_branch_by_code(request.auth, source.branch) if source.branch else None,
            region=_region(source.region),
            wave_by=source.wave_by,
        )
    else:
        dataset = get_visible_or_404(
            Dataset.objects.defer("content"), request.auth, pk=payload.dataset
        )
    options = payload.dict(include=set(IndexRunOptions.model_fields))
    options["mapping"] = payload.mapping
    run = actions.start_run(
        request.auth,
        dataset=dataset,
        model_yaml=_model_text(payload.model, payload.template),
        options=options,
        title=payload.title,
    )
    run.refresh_from_db()
    return Status(201, _out(run, request))


def _region(code: str) -> Any:
    if not code:
        return None
    from manyi.org.models import Region

    region = Region.objects.filter(code=code).first()
    if region is None:
        raise ApiError(404, "not_found", _("No such region."))
    return region


@router.post(
    "/insight/runs/upload",
    response={201: IndexRunOut},
    summary=gettext_lazy("Start an analysis on an uploaded file of survey data"),
)
def start_run_on_upload(
    request: HttpRequest,
    file: UploadedFile | None = File(None),  # noqa: B008  (Django drops an empty part)
    model: Form[str] = "",
    template: Form[str] = "",
    name: Form[str] = "",
    branch: Form[str] = "",
    scheme: Form[Scheme] = "path",
    bootstrap: Form[Annotated[int, Field(ge=0, le=actions.MAX_BOOTSTRAP)]] = 0,
    seed: Form[Annotated[int, Field(ge=0, le=2**31 - 1)]] = 0,
    target: Form[str] = "",
    group: Form[str] = "",
) -> Any:
    require_permission(request.auth, "insight.run")
    content = file.read() if file is not None else b""
    if not content:
        raise ApiError(400, "invalid", _("Choose a file to upload: the file sent is empty."))
    run = actions.start_run_on_upload(
        request.auth,
        name=name or file.name or "upload",
        filename=file.name or "upload.csv",
        content=content,
        branch=visible_branch_by_code(request.auth, branch) if branch else None,
        model_yaml=_model_text(model, template),
        options={
            "scheme": scheme,
            "bootstrap": bootstrap,
            "seed": seed,
            "target": target,
            "group": group,
        },
    )
    run.refresh_from_db()
    return Status(201, _out(run, request))


@router.get(
    "/insight/runs", response=list[IndexRunOut], summary=gettext_lazy("The latest analyses")
)
def list_runs(request: HttpRequest, limit: Annotated[int, Field(ge=1, le=100)] = 20) -> Any:
    return [_out(run, request) for run in _runs(request)[:limit]]


@router.get(
    "/insight/runs/{run_id}",
    response=IndexRunOut,
    summary=gettext_lazy("An analysis: its status, and its result once done"),
)
def run_detail(request: HttpRequest, run_id: Id) -> Any:
    return _out(get_visible_or_404(_runs(request), request.auth, pk=run_id), request)


@router.get(
    "/insight/runs/{run_id}/report.xlsx",
    summary=gettext_lazy("An analysis's Excel report"),
    response={200: None},
)
def run_report(request: HttpRequest, run_id: Id) -> HttpResponse:
    run = get_visible_or_404(_runs(request), request.auth, pk=run_id)
    if run.status != AnalysisRun.Status.DONE:
        raise ApiError(409, "not_finished", _("The analysis has not finished."))
    report = AnalysisRun.objects.values_list("report", flat=True).get(pk=run.pk)
    response = HttpResponse(
        bytes(report),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = f'attachment; filename="manyi-index-{run.pk}.xlsx"'
    return response


@router.get(
    "/insight/questionnaires",
    response=list[IndexQuestionnaireOut],
    summary=gettext_lazy("Questionnaires to analyse, with their rating questions"),
)
def questionnaires(request: HttpRequest) -> Any:
    require_permission(request.auth, "insight.run")
    from django.utils.translation import get_language

    language = get_language() or "zh-hans"
    catalogue = survey_catalogue()
    return [
        {
            "code": q.code,
            "title": q.title,
            "responses": q.responses,
            "versions": q.versions,
            "campaigns": [{"id": pk, "name": name} for pk, name in q.campaigns],
            "items": [
                {
                    "name": item.name,
                    "label": item.label(language),
                    "scale": list(item.scale),
                    "dont_know": list(item.dont_know),
                    "reverse": item.reverse,
                }
                for item in q.items
            ],
        }
        for q in catalogue.questionnaires(request.auth)
    ]


class LatestIndexOut(Schema):
    programme: int
    name: str
    latent: str = Field(..., description="the target construct (latent variable)")
    label: str
    wave: str
    previous_wave: str | None
    n: int
    index: float = Field(..., description="0-100")
    low: float | None = Field(None, description="95% bootstrap interval")
    high: float | None = None
    change: float | None = Field(None, description="points since the previous wave")
    p: float | None = Field(None, description="two-sided p of the change")
    significant: bool
    run: int
    url: str


@router.get(
    "/insight/index/latest",
    response=list[LatestIndexOut],
    summary=gettext_lazy("The latest satisfaction index of each programme, with its change"),
)
def latest_index(request: HttpRequest) -> Any:
    require_permission(request.auth, "insight.view")
    return [{**row, "latent": row["construct"]} for row in reading.latest_index(request.auth)]


class IndexTrendRowOut(Schema):
    latent: str = Field(..., description="the construct (latent variable)")
    wave: str
    n: int
    index: float
    se: float | None
    low: float | None
    high: float | None
    change: float | None
    p: float | None
    significant: bool


class IndexTrendOut(Schema):
    programme: int
    name: str
    target: str | None
    labels: dict[str, str]
    waves: list[str]
    rows: list[IndexTrendRowOut]
    groups: dict[str, dict[str, float]] = Field(
        ..., description="branch or region -> wave -> the target's index"
    )


@router.get(
    "/insight/programmes/{programme_id}/trend",
    response=IndexTrendOut,
    summary=gettext_lazy("A programme's index per wave, with intervals and changes"),
)
def programme_trend(request: HttpRequest, programme_id: Id) -> Any:
    require_permission(request.auth, "insight.view")
    programme = get_visible_or_404(Programme, request.auth, pk=programme_id)
    data = reading.trend(programme)
    return {
        "programme": programme.pk,
        "name": programme.name,
        "target": data["target"],
        "labels": data["labels"],
        "waves": [wave.label for wave in data["waves"]],
        "rows": [{**row, "latent": row["construct"]} for row in data["rows"]],
        "groups": data["groups"],
    }
