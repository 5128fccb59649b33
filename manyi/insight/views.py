"""Satisfaction-index pages: start an analysis, follow it, read it, export it."""

from __future__ import annotations

import json
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from manyi.analytics.charts import Point, strategy_matrix_svg
from manyi.analytics.ipma import QUADRANTS
from manyi.analytics.modelfile import load_model, template_names, template_text
from manyi.analytics.pls import PLSError
from manyi.analytics.trend_chart import Point as TrendPoint
from manyi.analytics.trend_chart import Series, trend_svg
from manyi.org.permissions import has_permission, require_permission
from manyi.org.scoping import get_visible_or_404

from . import actions, reading
from .forms import (
    MISSING_TREATMENTS,
    SCHEMES,
    TEMPLATE_TITLES,
    AnalysisForm,
    CostsForm,
    MappingForm,
    ProgrammeForm,
)
from .models import AnalysisRun, Dataset, Programme
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
        elif form.questionnaires:
            form.initial["questionnaire"] = _best_questionnaire(form.questionnaires, text)
    return render(request, "insight/new.html", {"form": form})


def _best_questionnaire(questionnaires: list[Any], model_yaml: str) -> str:
    """The questionnaire whose rating questions answer most of the model's items by name
    (the demo's bank survey for the China-style template), the most answered on a tie."""
    from manyi.analytics.survey_items import map_items

    items = load_model(model_yaml).path_model.items

    def score(q: Any) -> tuple[int, int]:
        return len(map_items(items, q.items).mapped), q.responses

    return max(questionnaires, key=score).code


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


def _in_language(text: str, language: str) -> str:
    """The engine's warnings read "English / 中文": the reader's half."""
    english, slash, chinese = text.rpartition(" / ")
    if not slash or not any("\u4e00" <= c <= "\u9fff" for c in chinese):
        return text
    return chinese if language.startswith("zh") else english


def _context(run: AnalysisRun) -> dict[str, Any]:
    result = run.result or {}
    labels = result.get("labels", {})
    language = _language()
    scheme = result.get("scheme", "")
    treatment = (result.get("data") or {}).get("missing_treatment", "")
    context: dict[str, Any] = {
        "result": result,
        "warnings": [_in_language(w, language) for w in result.get("warnings", [])],
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
    failed = result.get("groups_error")
    if failed:
        context["groups_error"] = failed["zh" if language.startswith("zh") else "en"]
    groups = result.get("groups")
    if groups:
        context["group_rows"] = [
            {**d, "name_label": labels.get(d["name"], d["name"])}
            for d in groups["differences"]
            if d["kind"] in ("index", "path")
        ]
        if run.options.get("group") == "wave":
            context.update(_wave_changes(groups, labels, result.get("target")))
    return context


def _wave_changes(
    groups: dict[str, Any], labels: dict[str, str], target: str | None
) -> dict[str, Any]:
    """Waves compared: each construct's index per wave and its change from the wave
    before, with the comparison's p (wave names sort in time: 2026年第2季度 < 第3季度)."""
    names = sorted(groups["groups"])
    tests = {
        (frozenset((d["group_a"], d["group_b"])), d["name"]): d
        for d in groups["differences"]
        if d["kind"] == "index"
    }
    rows = []
    for construct in next(iter(groups["groups"].values()))["index"]:
        cells = []
        for position, name in enumerate(names):
            value = groups["groups"][name]["index"].get(construct)
            cell: dict[str, Any] = {"value": value, "change": None, "p": None}
            if position and value is not None:
                before = groups["groups"][names[position - 1]]["index"].get(construct)
                test = tests.get((frozenset((names[position - 1], name)), construct))
                if before is not None:
                    cell["change"] = value - before
                if test:
                    cell["p"], cell["significant"] = test["p"], test["significant"]
            cells.append(cell)
        rows.append(
            {
                "label": labels.get(construct, construct),
                "is_target": construct == target,
                "cells": cells,
            }
        )
    rows.sort(key=lambda row: not row["is_target"])
    return {"wave_names": names, "wave_rows": rows}


@login_required
def run_detail(request: HttpRequest, pk: int) -> HttpResponse:
    run = _run(request, pk)
    context = {"run": run, "may_run": has_permission(request.user, "insight.run")}
    if run.status == AnalysisRun.Status.DONE:
        context.update(_context(run))
        context.update(_costs_context(run))
    elif run.status == AnalysisRun.Status.FAILED:
        context["error"] = run.error_for(_language())
    return render(request, "insight/run.html", context)


def _costs_context(run: AnalysisRun, form: CostsForm | None = None) -> dict[str, Any]:
    """The cost and feasibility form under the ranking, and the adjusted order once entered."""
    priority = (run.result or {}).get("priority") or []
    if not priority:
        return {}
    items = [(p["item"], p["label"]) for p in priority]
    if form is None:
        stored = run.costs or {}
        initial: dict[str, Any] = {
            "cost_scale": stored.get("cost_scale", "rating"),
            "feasibility_scale": stored.get("feasibility_scale", "share"),
        }
        for number, (item, _label) in enumerate(items):
            entry = (stored.get("items") or {}).get(item, {})
            initial[f"cost_{number}"] = entry.get("cost")
            initial[f"feasibility_{number}"] = entry.get("feasibility")
        form = CostsForm(initial=initial, items=items)
    context: dict[str, Any] = {"costs_form": form}
    if run.costs:
        from manyi.analytics.priority import UNITS

        table = actions.adjusted_priority(
            priority,
            run.costs["items"],
            run.costs["cost_scale"],
            run.costs["feasibility_scale"],
        )
        unit = table.attrs.get("adjustment", {}).get("unit", "points")
        language = "zh" if _language().startswith("zh") else "en"
        context["adjusted_unit"] = UNITS.get(unit, UNITS["points"])[language]
        context["adjusted_rows"] = table.to_dict(orient="records")
    return context


@login_required
@require_POST
def run_costs(request: HttpRequest, pk: int) -> HttpResponse:
    run = _run(request, pk)
    priority = (run.result or {}).get("priority") or []
    form = CostsForm(request.POST, items=[(p["item"], p["label"]) for p in priority])
    if form.is_valid():
        try:
            actions.set_item_costs(
                request.user,
                run,
                costs=form.costs(),
                cost_scale=form.cleaned_data["cost_scale"],
                feasibility_scale=form.cleaned_data["feasibility_scale"],
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("The ranking is adjusted for the costs entered."))
            return redirect(f"{reverse('insight:run', args=[run.pk])}#adjusted")
    context = {"run": run, "may_run": True, **_context(run), **_costs_context(run, form)}
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


# -- programmes: the index over time -------------------------------------------------------
@login_required
def programme_list(request: HttpRequest) -> HttpResponse:
    require_permission(request.user, "insight.view")
    latest = {row["programme"]: row for row in reading.latest_index(request.user)}
    programmes = Programme.objects.visible_to(request.user).select_related("branch", "region")
    return render(
        request,
        "insight/programmes.html",
        {
            "rows": [{"programme": p, "latest": latest.get(p.pk)} for p in programmes],
            "may_run": has_permission(request.user, "insight.run"),
        },
    )


@login_required
def programme_new(request: HttpRequest) -> HttpResponse:
    require_permission(request.user, "insight.run")
    if request.method == "POST":
        form = ProgrammeForm(request.POST, user=request.user)
        if form.is_valid():
            data = form.cleaned_data
            try:
                programme = actions.create_programme(
                    request.user,
                    name=data["name"],
                    questionnaire=data["questionnaire"],
                    model_yaml=data["model_yaml"],
                    mapping=data["mapping"],
                    wave_by=data["wave_by"],
                    starts_on=data["starts_on"],
                    compare_by=data["compare_by"] or "",
                    bootstrap=data["bootstrap"],
                    branch=data["branch"],
                    region=data["region"],
                )
            except ValidationError as error:
                form.add_error(None, error)
            except PermissionDenied as error:
                form.add_error(None, str(error))
            else:
                started = actions.run_due_waves(request.user, programme)
                messages.success(
                    request,
                    _("Programme created; %(n)d ended waves are being computed.")
                    % {"n": len(started)},
                )
                return redirect("insight:programme", pk=programme.pk)
    else:
        form = ProgrammeForm(
            initial={"model_yaml": template_text(DEFAULT_TEMPLATE), "template": DEFAULT_TEMPLATE},
            user=request.user,
        )
    return render(request, "insight/programme_form.html", {"form": form})


def _programme(request: HttpRequest, pk: int) -> Programme:
    require_permission(request.user, "insight.view")
    return get_visible_or_404(Programme, request.user, pk=pk)


@login_required
def programme_detail(request: HttpRequest, pk: int) -> HttpResponse:
    programme = _programme(request, pk)
    data = reading.trend(programme)
    labels, target = data["labels"], data["target"]
    wave_names = [wave.label for wave in data["waves"]]
    by_construct: dict[str, dict[str, dict[str, Any]]] = {}
    for row in data["rows"]:
        by_construct.setdefault(row["construct"], {})[row["wave"]] = row
    constructs = sorted(
        by_construct, key=lambda c: (c != target, list(labels).index(c) if c in labels else 99)
    )
    series = [
        Series(
            label=labels.get(c, c),
            points=[
                TrendPoint(
                    by_construct[c][w]["index"],
                    by_construct[c][w]["low"],
                    by_construct[c][w]["high"],
                    by_construct[c][w]["significant"],
                )
                if w in by_construct[c]
                else TrendPoint(None)
                for w in wave_names
            ],
            emphasis=c == target,
        )
        for c in constructs
    ]
    table = [
        {
            "construct": c,
            "label": labels.get(c, c),
            "is_target": c == target,
            "cells": [by_construct[c].get(w) for w in wave_names],
        }
        for c in constructs
    ]
    return render(
        request,
        "insight/programme.html",
        {
            "programme": programme,
            "waves": wave_names,
            "runs": data["runs"],
            "table": table,
            "chart": mark_safe(  # built from escaped text in trend_chart.py
                trend_svg(wave_names, series, title=programme.name)
            )
            if wave_names
            else "",
            "groups": [
                {"name": name, "cells": [values.get(w) for w in wave_names]}
                for name, values in data["groups"].items()
            ],
            "target_label": labels.get(target, target) if target else "",
            "may_run": has_permission(request.user, "insight.run"),
        },
    )


@login_required
@require_POST
def programme_run(request: HttpRequest, pk: int) -> HttpResponse:
    """Compute the ended waves without a run, or (with `current`) this wave to date."""
    programme = _programme(request, pk)
    try:
        if request.POST.get("current"):
            actions.run_wave(request.user, programme, timezone.localdate())
            messages.success(request, _("This wave is being computed with its answers so far."))
        else:
            started = actions.run_due_waves(request.user, programme)
            messages.success(
                request, _("%(n)d ended waves are being computed.") % {"n": len(started)}
            )
    except ValidationError as error:
        messages.error(request, "; ".join(error.messages))
    return redirect("insight:programme", pk=programme.pk)


CAUTIONS = {
    "few_points": gettext_lazy("Fewer than 20 branch-waves: read the interval, not the point."),
    "one_wave": gettext_lazy("One wave only: the within-branch estimate needs two or more."),
    "interval_spans_zero": gettext_lazy(
        "The interval includes zero: no relation can be claimed from these data."
    ),
}


@login_required
def programme_outcomes(request: HttpRequest, pk: int) -> HttpResponse:
    """What a point of satisfaction is worth: the index beside the business outcomes."""
    programme = _programme(request, pk)
    data = reading.outcomes(programme) if programme.compare_by else None
    relations = []
    if data:
        for entry in data["relations"]:
            found = entry["relation"]
            relations.append(
                {
                    "outcome": entry["outcome"],
                    "pooled": found.pooled,
                    "within": found.within,
                    "cautions": [CAUTIONS[c] for c in found.caution],
                }
            )
    return render(
        request,
        "insight/outcomes.html",
        {"programme": programme, "data": data, "relations": relations},
    )
