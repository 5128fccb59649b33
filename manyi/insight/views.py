"""Satisfaction-index pages: start an analysis, follow it, read it, export it."""

from __future__ import annotations

import json
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.safestring import mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from manyi.analytics.charts import Point, strategy_matrix_svg
from manyi.analytics.ipma import QUADRANTS
from manyi.analytics.modelfile import load_model, template_names, template_text
from manyi.analytics.pls import PLSError
from manyi.org.permissions import has_permission, require_permission
from manyi.org.scoping import get_visible_or_404

from . import actions
from .forms import MISSING_TREATMENTS, SCHEMES, TEMPLATE_TITLES, AnalysisForm, MappingForm
from .models import AnalysisRun, Dataset
from .pdf import run_pdf
from .words import check_word, place

DEFAULT_TEMPLATE = "china"


def _language() -> str:
    return get_language() or "zh-hans"


@login_required
def run_list(request: HttpRequest) -> HttpResponse:
    require_permission(request.user, "insight.view")
    runs = AnalysisRun.objects.visible_to(request.user).select_related("dataset", "created_by")
    datasets = Dataset.objects.visible_to(request.user).defer("content")
    return render(
        request,
        "insight/list.html",
        {
            "runs": runs[:100],
            "datasets": datasets[:50],
            "templates": _templates(),
            "may_run": has_permission(request.user, "insight.run"),
        },
    )


def _templates() -> list[dict[str, str]]:
    """The built-in model files, the best known first, each with its title."""
    names = template_names()
    ordered = [n for n in TEMPLATE_TITLES if n in names] + [
        n for n in names if n not in TEMPLATE_TITLES
    ]
    return [{"name": n, "title": str(TEMPLATE_TITLES.get(n, n))} for n in ordered]


OPTION_FIELDS = ("scheme", "missing", "bootstrap", "seed", "target", "group")


@login_required
def run_new(request: HttpRequest) -> HttpResponse:
    require_permission(request.user, "insight.run")
    if request.method == "POST" and "mapping" in request.POST:
        return _run_mapped(request)
    if request.method == "POST":
        form = AnalysisForm(request.POST, request.FILES, user=request.user)
        if form.is_valid():
            try:
                return _start(request, form)
            except ValidationError as error:
                form.add_error(None, error)
            except PermissionDenied:
                form.add_error(
                    "branch", _("Choose a branch of yours: company-wide data is for company staff.")
                )
    else:
        chosen = request.GET.get("template") or DEFAULT_TEMPLATE
        try:
            text = template_text(chosen)
        except PLSError:
            chosen, text = DEFAULT_TEMPLATE, template_text(DEFAULT_TEMPLATE)
        initial: dict[str, Any] = {"template": chosen, "model_yaml": text}
        if request.GET.get("dataset"):
            initial["dataset"] = request.GET["dataset"]
            initial["source"] = "dataset"
        form = AnalysisForm(initial=initial, user=request.user)
        if not form.questionnaires and "source" not in initial:
            form.initial["source"] = "upload"
    return render(request, "insight/new.html", {"form": form})


def _start(request: HttpRequest, form: AnalysisForm) -> HttpResponse:
    data = form.cleaned_data
    options = {k: data[k] for k in OPTION_FIELDS}
    if data["source"] == "upload":
        upload = data["file"]
        run = actions.start_run_on_upload(
            request.user,
            name=data["name"] or upload.name,
            filename=upload.name,
            content=upload.read(),
            branch=data["branch"],
            model_yaml=data["model_yaml"],
            options=options,
        )
        return redirect("insight:run", pk=run.pk)
    if data["source"] == "survey":
        options["group"] = data["survey_group"] or ""
        dataset = actions.survey_dataset(
            request.user,
            questionnaire=data["questionnaire"],
            version=data["version"],
            since=data["since"],
            until=data["until"],
            campaigns=data["campaigns"],
            branch=data["branch"],
            region=data["region"],
            wave_by=data["wave_by"] or "quarter",
            name=data["name"],
        )
    else:
        dataset = data["dataset"]
    if dataset.source == Dataset.Source.SURVEY:
        try:
            model = load_model(data["model_yaml"])
        except PLSError as error:
            raise ValidationError(error.message(_language())) from None
        mapping, questions = actions.propose_mapping(dataset, model)
        if not mapping.complete or data["check_mapping"]:
            return _mapping_page(request, dataset, data["model_yaml"], options, mapping, questions)
    run = actions.start_run(
        request.user, dataset=dataset, model_yaml=data["model_yaml"], options=options
    )
    return redirect("insight:run", pk=run.pk)


def _mapping_page(
    request: HttpRequest,
    dataset: Dataset,
    model_yaml: str,
    options: dict[str, Any],
    mapping: Any,
    questions: list[Any],
    form: MappingForm | None = None,
) -> HttpResponse:
    model = load_model(model_yaml)
    items = model.path_model.items
    if form is None:
        form = MappingForm(
            initial={
                "dataset": dataset.pk,
                "model_yaml": model_yaml,
                "options": {k: v for k, v in options.items() if k != "mapping"},
            },
            user=request.user,
            items=items,
            questions=questions,
            mapping=mapping,
        )
    rows = []
    number = 0
    for construct, block in model.path_model.blocks.items():
        for item in block:
            rows.append(
                {
                    "construct": model.label(construct, _language()),
                    "item": item,
                    "field": form[f"item_{number}"],
                    "automatic": item in mapping.automatic,
                    "unmapped": item in mapping.unmapped,
                }
            )
            number += 1
    return render(
        request,
        "insight/mapping.html",
        {"form": form, "rows": rows, "dataset": dataset, "unmapped": mapping.unmapped},
    )


def _run_mapped(request: HttpRequest) -> HttpResponse:
    """The mapping page's answer: run with the items mapped as the analyst chose."""
    dataset = get_visible_or_404(
        Dataset.objects.defer("content"), request.user, pk=request.POST.get("dataset")
    )
    try:
        model = load_model(request.POST.get("model_yaml", ""))
    except PLSError as error:
        messages.error(request, error.message(_language()))
        return redirect("insight:new")
    mapping, questions = actions.propose_mapping(dataset, model)
    form = MappingForm(
        request.POST,
        user=request.user,
        items=model.path_model.items,
        questions=questions,
        mapping=mapping,
    )
    if form.is_valid():
        options = {**form.cleaned_data["options"], "mapping": form.mapping()}
        try:
            run = actions.start_run(
                request.user,
                dataset=form.cleaned_data["dataset"],
                model_yaml=form.cleaned_data["model_yaml"],
                options=options,
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            return redirect("insight:run", pk=run.pk)
    return _mapping_page(
        request,
        dataset,
        form.data.get("model_yaml", ""),
        form.data.get("options") or {},
        mapping,
        questions,
        form=form,
    )


def _run(request: HttpRequest, pk: int) -> AnalysisRun:
    require_permission(request.user, "insight.view")
    runs = AnalysisRun.objects.select_related("dataset").defer("dataset__content", "report")
    return get_visible_or_404(runs, request.user, pk=pk)


def _rows(mapping: dict[str, Any], labels: dict[str, str]) -> list[dict[str, Any]]:
    return [{"key": k, "label": labels.get(k, k), "value": v} for k, v in mapping.items()]


def _context(run: AnalysisRun) -> dict[str, Any]:
    result = run.result or {}
    labels = result.get("labels", {})
    language = _language()
    scheme = result.get("scheme", "")
    treatment = (result.get("data") or {}).get("missing_treatment", "")
    context: dict[str, Any] = {
        "result": result,
        "scheme_label": SCHEMES.get(scheme, scheme),
        "missing_label": MISSING_TREATMENTS.get(treatment, treatment),
        "index_rows": [
            {
                "key": k,
                "label": labels.get(k, k),
                "value": v,
                "r2": result.get("r2", {}).get(k),
                "is_target": k == result.get("target"),
            }
            for k, v in result.get("index", {}).items()
        ],
        "reliability_rows": [
            {"key": k, "label": labels.get(k, k), **v}
            for k, v in result.get("reliability", {}).items()
        ],
        "path_rows": [
            {
                "source": labels.get(s, s),
                "target": labels.get(t, t),
                "value": v,
                "boot": (result.get("bootstrap", {}).get("path", {}) or {}).get(f"{s} -> {t}"),
            }
            for s, targets in result.get("paths", {}).items()
            for t, v in targets.items()
        ],
        "impact_rows": _rows(result.get("impacts", {}), labels),
        # A flag's check and place in words: the constructs by their labels.
        "flag_rows": [
            {**f, "check_label": check_word(f["check"]), "where": place(f["where"], labels)}
            for f in result.get("flags", [])
        ],
    }
    htmt = result.get("htmt", {})
    names = list(htmt)
    context["htmt_names"] = [labels.get(n, n) for n in names]
    context["htmt_rows"] = [
        {
            "label": labels.get(a, a),
            "cells": [
                {"value": htmt[a].get(b), "high": (htmt[a].get(b) or 0) > 0.85} if b != a else None
                for b in names
            ],
        }
        for a in names
    ]
    ipma = result.get("ipma")
    if ipma:
        area_key = "zh" if language.startswith("zh") else "en"
        points = [
            Point(
                labels.get(p["construct"], p["construct"]),
                p["importance"],
                p["performance"],
                p["quadrant"],
            )
            for p in ipma["constructs"]
        ]
        context["matrix_svg"] = mark_safe(  # built from escaped text in charts.py
            strategy_matrix_svg(
                points,
                importance_cut=ipma["cuts"]["importance"],
                performance_cut=ipma["cuts"]["performance"],
                language=language,
            )
        )
        context["matrix_rows"] = [
            {
                **p,
                "label": labels.get(p["construct"], p["construct"]),
                "area": QUADRANTS[p["quadrant"]][area_key],
            }
            for p in ipma["constructs"]
        ]
        priority = result.get("priority", [])
        context["priority_rows"] = [
            {**p, "area": QUADRANTS[p["quadrant"]][area_key]} for p in priority
        ]
        if priority:  # the same matrix for the items, split at the items' means
            context["item_matrix_svg"] = mark_safe(  # built from escaped text in charts.py
                strategy_matrix_svg(
                    [Point(p["label"], p["impact"], p["score"], p["quadrant"]) for p in priority],
                    importance_cut=ipma["item_cuts"]["importance"],
                    performance_cut=ipma["item_cuts"]["performance"],
                    language=language,
                )
            )
    groups = result.get("groups")
    if groups:
        context["group_rows"] = [
            {**d, "name_label": labels.get(d["name"], d["name"])}
            for d in groups["differences"]
            if d["kind"] in ("index", "path")
        ]
    return context


@login_required
def run_detail(request: HttpRequest, pk: int) -> HttpResponse:
    run = _run(request, pk)
    context = {"run": run, "may_run": has_permission(request.user, "insight.run")}
    if run.status == AnalysisRun.Status.DONE:
        context.update(_context(run))
    elif run.status == AnalysisRun.Status.FAILED:
        context["error"] = run.error_for(_language())
    return render(request, "insight/run.html", context)


@login_required
def run_status(request: HttpRequest, pk: int) -> JsonResponse:
    run = _run(request, pk)
    return JsonResponse({"status": run.status, "label": run.get_status_display()})


@login_required
def run_xlsx(request: HttpRequest, pk: int) -> HttpResponse:
    run = _run(request, pk)
    if run.status != AnalysisRun.Status.DONE:
        messages.error(request, _("The analysis has not finished."))
        return redirect("insight:run", pk=pk)
    report = AnalysisRun.objects.values_list("report", flat=True).get(pk=run.pk)
    response = HttpResponse(
        bytes(report),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = f'attachment; filename="manyi-index-{run.pk}.xlsx"'
    return response


@login_required
def run_pdf_view(request: HttpRequest, pk: int) -> HttpResponse:
    run = _run(request, pk)
    if run.status != AnalysisRun.Status.DONE:
        messages.error(request, _("The analysis has not finished."))
        return redirect("insight:run", pk=pk)
    response = HttpResponse(run_pdf(run, _language()), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="manyi-index-{run.pk}.pdf"'
    return response


@login_required
def run_json(request: HttpRequest, pk: int) -> HttpResponse:
    run = _run(request, pk)
    body = json.dumps(
        {"title": run.title, "options": run.options, "status": run.status, "result": run.result},
        ensure_ascii=False,
        indent=1,
    )
    response = HttpResponse(body, content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="manyi-index-{run.pk}.json"'
    return response


@login_required
def run_model(request: HttpRequest, pk: int) -> HttpResponse:
    run = _run(request, pk)
    response = HttpResponse(run.model_yaml, content_type="text/yaml; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="model-{run.pk}.yaml"'
    return response


@login_required
@require_POST
def run_again(request: HttpRequest, pk: int) -> HttpResponse:
    run = _run(request, pk)
    try:
        again = actions.rerun(request.user, run)
    except ValidationError as error:
        messages.error(request, "; ".join(error.messages))
        return redirect("insight:run", pk=pk)
    return redirect("insight:run", pk=again.pk)


@login_required
def template_download(request: HttpRequest, name: str) -> HttpResponse:
    require_permission(request.user, "insight.view")
    try:
        text = template_text(name)
    except PLSError as error:
        return HttpResponse(
            error.message(_language()), status=404, content_type="text/plain; charset=utf-8"
        )
    response = HttpResponse(text, content_type="text/yaml; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}.yaml"'
    return response
