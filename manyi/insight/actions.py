"""Every change in the insight app goes through these functions: permission and scope,
transaction, audit entry."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import logging
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from manyi.analytics.analysis import analyse
from manyi.analytics.mga import compare_groups
from manyi.analytics.modelfile import IndexModel, dump_model, load_model
from manyi.analytics.pls import SCHEMES, PLSError
from manyi.analytics.report import write_xlsx
from manyi.analytics.survey import MISSING_TREATMENTS, read_bytes
from manyi.analytics.survey_items import ItemMapping, bind_model, map_items
from manyi.core.tasks import enqueue
from manyi.org import audit
from manyi.org.actions import SYSTEM
from manyi.org.actors import ANALYSIS_WORKER
from manyi.org.models import Branch, Region
from manyi.org.permissions import require_permission
from manyi.org.scoping import can_see_branch, get_visible_or_404, require_branch

from . import waves
from .auditing import AuditAction
from .data import load_frame, survey_catalogue
from .models import AnalysisRun, Dataset, Programme
from .words import report_words

log = logging.getLogger(__name__)

MAX_UPLOAD_BYTES = 100 * 1024 * 1024
MAX_BOOTSTRAP = 10_000
# Runs up to this many respondent-resamples finish in a second or two: done in the request.
INLINE_WORK = 2_000_000
INLINE_ROWS = 20_000
# More than this would not finish within the workers' time limit (10 minutes): a million
# respondents with 1,000 resamples takes about 4 minutes resampled row by row, seconds when
# the answers are ratings (see bootstrap.answer_patterns).
MAX_WORK = 2_000_000_000
# A run "running" for longer than this lost its worker: it may be taken again, or failed.
STALE_AFTER = dt.timedelta(minutes=15)


def _error(error: PLSError) -> ValidationError:
    return ValidationError(error.message(get_language() or "zh-hans"))


def _check(actor: Any, permission: str, branch_id: int | None) -> None:
    if actor == SYSTEM:
        return
    require_permission(actor, permission)
    require_branch(actor, branch_id)


def upload_dataset(
    actor: Any,
    *,
    name: str,
    filename: str,
    content: bytes,
    branch: Branch | None = None,
    source: str = Dataset.Source.UPLOAD,
) -> Dataset:
    _check(actor, "insight.run", branch.pk if branch else None)
    if len(content) > MAX_UPLOAD_BYTES:
        raise ValidationError(
            _("The file is larger than %(mb)d MB; split it or sample it first.")
            % {"mb": MAX_UPLOAD_BYTES // (1024 * 1024)}
        )
    if not content:
        raise ValidationError(_("The file is empty."))
    try:
        frame = read_bytes(content, filename)
    except PLSError as error:
        raise _error(error) from None
    if frame.empty or frame.shape[1] < 2:
        raise ValidationError(_("The file has no data rows or fewer than two columns."))
    dataset = Dataset(
        name=(name or filename).strip()[:200],
        source=source,
        branch=branch,
        filename=filename[:255],
        content=content,
        sha256=hashlib.sha256(content).hexdigest(),
        rows=len(frame),
        columns=[str(c) for c in frame.columns],
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    with transaction.atomic():
        dataset.save()
        audit.record(
            actor,
            AuditAction.DATASET_UPLOAD,
            dataset,
            after={"name": dataset.name, "rows": dataset.rows, "sha256": dataset.sha256},
        )
    return dataset


WAVE_CUTS = ("quarter", "half", "month", "year", "campaign")
MAX_MAPPING = 500


def survey_dataset(
    actor: Any,
    *,
    questionnaire: str,
    version: int | None = None,
    since: dt.date | None = None,
    until: dt.date | None = None,
    campaigns: list[int] | None = None,
    branch: Branch | None = None,
    region: Region | None = None,
    wave_by: str = "quarter",
    name: str = "",
) -> Dataset:
    """A questionnaire's responses as a data set: the selection is kept with the newest
    response it held, so every run on it reads the same rows. A branch or region narrows
    it (and scopes it: a regional analyst's data set is their region's answers)."""
    _scope(actor, branch, region)
    if region is not None:
        branch_ids: list[int] | None = list(region.branches.values_list("pk", flat=True))
    else:
        branch_ids = [branch.pk] if branch else None
    if wave_by not in WAVE_CUTS:
        raise ValidationError(_("Unknown way of cutting waves: %(w)s.") % {"w": wave_by})
    if since and until and since > until:
        raise ValidationError(_("The period ends before it begins."))
    selection: dict[str, Any] = {
        "questionnaire": questionnaire,
        "version": version or None,
        "since": since.isoformat() if since else None,
        "until": until.isoformat() if until else None,
        "campaigns": sorted(int(c) for c in campaigns or []),
        "branches": branch_ids,
        "wave_by": wave_by,
    }
    try:
        catalogue = survey_catalogue()
        if not catalogue.items(selection):
            raise ValidationError(_("This questionnaire has no rating questions to analyse."))
        snapshot = catalogue.snapshot(selection)
    except PLSError as error:
        raise _error(error) from None
    if not snapshot.rows:
        raise ValidationError(_("No responses of this questionnaire match the selection."))
    selection["upto"] = snapshot.upto
    dataset = Dataset(
        name=(name or f"{snapshot.title} · {_period_words(selection)}").strip()[:200],
        source=Dataset.Source.SURVEY,
        source_ref=questionnaire[:200],
        branch=branch,
        region=region,
        selection=selection,
        rows=snapshot.rows,
        columns=snapshot.columns,
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    with transaction.atomic():
        dataset.save()
        audit.record(
            actor,
            AuditAction.DATASET_SURVEY,
            dataset,
            after={"name": dataset.name, "rows": dataset.rows, **selection},
        )
    return dataset


def _period_words(selection: dict[str, Any]) -> str:
    since, until = selection.get("since"), selection.get("until")
    if since and until:
        return _("%(since)s to %(until)s") % {"since": since, "until": until}
    if since:
        return _("from %(since)s") % {"since": since}
    if until:
        return _("until %(until)s") % {"until": until}
    if selection.get("campaigns"):
        return _("chosen campaigns")
    return _("all responses")


def propose_mapping(
    dataset: Dataset, model: IndexModel, manual: dict[str, str] | None = None
) -> tuple[ItemMapping, list[Any]]:
    """How the model's items meet a survey data set's rating questions (by name unless the
    analyst chose), and the questions to choose from."""
    try:
        questions = survey_catalogue().items(dataset.selection)
        return map_items(model.path_model.items, questions, manual), questions
    except PLSError as error:
        raise _error(error) from None


def _bind(dataset: Dataset, model_yaml: str, options: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """A survey data set's model reads the questionnaire: its items renamed to the mapped
    questions, with their labels, scales, don't-know codes and reverse coding. Returns the
    bound model file and what the run keeps to redo it (the mapping, the model as given)."""
    try:
        model = load_model(model_yaml)
    except PLSError as error:
        raise _error(error) from None
    manual = options.get("mapping") or {}
    if not isinstance(manual, dict) or len(manual) > MAX_MAPPING:
        raise ValidationError(_("The mapping must pair items with questions."))
    mapping, questions = propose_mapping(
        dataset, model, {str(k): str(v) for k, v in manual.items()}
    )
    if not mapping.complete:
        raise ValidationError(
            _("No question of the questionnaire answers the items %(items)s: map them by hand.")
            % {"items": "、".join(mapping.unmapped)}
        )
    bound = bind_model(model, questions, mapping, language=get_language() or "zh-hans")
    return dump_model(bound), {"mapping": mapping.mapped, "unbound_model": model_yaml}


def clean_options(options: dict[str, Any], columns: list[str]) -> dict[str, Any]:
    """Options a run accepts, checked before anything is queued."""
    scheme = options.get("scheme") or "path"
    if scheme not in SCHEMES:
        raise ValidationError(_("Unknown weighting scheme %(s)s.") % {"s": scheme})
    missing = options.get("missing") or ""
    if missing and missing not in MISSING_TREATMENTS:
        raise ValidationError(_("Unknown missing-value treatment %(m)s.") % {"m": missing})
    try:
        bootstrap = int(options.get("bootstrap") or 0)
        seed = int(options.get("seed") or 0)
    except (TypeError, ValueError):
        raise ValidationError(_("Bootstrap samples and seed must be whole numbers.")) from None
    if seed < 0:
        raise ValidationError(_("The random seed must not be negative."))
    if bootstrap and not 10 <= bootstrap <= MAX_BOOTSTRAP:
        raise ValidationError(
            _("Bootstrap samples must lie between 10 and %(max)d (or 0 for none).")
            % {"max": MAX_BOOTSTRAP}
        )
    group = (options.get("group") or "").strip()
    if group and group not in columns:
        raise ValidationError(
            _("The data has no column %(c)s to compare groups by.") % {"c": group}
        )
    return {
        "scheme": scheme,
        "missing": missing or None,
        "bootstrap": bootstrap,
        "seed": seed,
        "target": (options.get("target") or "").strip() or None,
        "group": group or None,
    }


def start_run(
    actor: Any,
    *,
    dataset: Dataset,
    model_yaml: str,
    options: dict[str, Any],
    title: str = "",
    inline: bool = False,
    programme: Programme | None = None,
    wave: str = "",
    wave_start: dt.date | None = None,
) -> AnalysisRun:
    """Check and keep a run; compute it here when it is small (or `inline`, for the
    command line), else on a worker."""
    if actor != SYSTEM:
        dataset = get_visible_or_404(Dataset, actor, pk=dataset.pk)
        require_permission(actor, "insight.run")
    if dataset.region_id is None:
        _check(actor, "insight.run", dataset.branch_id)
    binding: dict[str, Any] = {}
    if dataset.source == Dataset.Source.SURVEY:
        model_yaml, binding = _bind(dataset, model_yaml, options)
    try:
        model = load_model(model_yaml)
    except PLSError as error:
        raise _error(error) from None
    absent = [item for item in model.path_model.items if item not in dataset.columns]
    if absent:
        raise ValidationError(
            _("The data has no columns %(columns)s that the model needs.")
            % {"columns": "、".join(absent)}
        )
    cleaned = clean_options(options, dataset.columns)
    if cleaned["target"] and cleaned["target"] not in model.path_model.blocks:
        raise ValidationError(
            _("The target %(t)s is not a construct of the model.") % {"t": cleaned["target"]}
        )
    work = run_work(dataset.rows, cleaned)
    if work > MAX_WORK:
        raise ValidationError(
            _(
                "%(rows)s respondents with %(boot)s bootstrap samples would not finish in time; "
                "use fewer samples or a random subsample of the data."
            )
            % {"rows": dataset.rows, "boot": cleaned["bootstrap"]}
        )
    cleaned["language"] = (get_language() or "zh-hans")[:7]
    cleaned.update(binding)
    run = AnalysisRun(
        dataset=dataset,
        title=(title or f"{model.name or _('Model')} · {dataset.name}")[:200],
        model_yaml=model_yaml,
        options=cleaned,
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
        programme=programme,
        wave=wave[:60],
        wave_start=wave_start,
    )
    with transaction.atomic():
        run.save()
        audit.record(
            actor,
            AuditAction.RUN_START,
            run,
            after={
                "title": run.title,
                "dataset": dataset.pk,
                **{k: v for k, v in cleaned.items() if k != "unbound_model"},
            },
        )
    if inline or (work <= INLINE_WORK and dataset.rows <= INLINE_ROWS):
        execute_run(run.pk)
        run.refresh_from_db()
    else:
        transaction.on_commit(lambda: enqueue(execute_run, run.pk))
    return run


def start_run_on_upload(
    actor: Any,
    *,
    name: str,
    filename: str,
    content: bytes,
    branch: Branch | None,
    model_yaml: str,
    options: dict[str, Any],
    title: str = "",
) -> AnalysisRun:
    """Store an uploaded file and start a run on it, as one change: when the model or the
    options are refused, the upload is not kept either."""
    with transaction.atomic():
        dataset = upload_dataset(
            actor, name=name, filename=filename, content=content, branch=branch
        )
        return start_run(
            actor, dataset=dataset, model_yaml=model_yaml, options=options, title=title
        )


def group_samples(bootstrap: int) -> int:
    return min(max(bootstrap, 200), 1000)


def run_work(rows: int, options: dict[str, Any]) -> int:
    """Respondent-resamples a run costs: the fit, the bootstrap and the group comparison."""
    work = rows * (1 + options.get("bootstrap", 0))
    if options.get("group"):
        work += rows * group_samples(options.get("bootstrap", 0))
    return work


def rerun(actor: Any, run: AnalysisRun) -> AnalysisRun:
    """The same data, model and options again: the reproducibility check a board may ask for."""
    options = {k: v for k, v in run.options.items() if k not in ("language", "unbound_model")}
    return start_run(
        actor,
        dataset=run.dataset,
        model_yaml=run.options.get("unbound_model") or run.model_yaml,
        options=options,
        title=run.title,
        programme=run.programme,
        wave=run.wave,
        wave_start=run.wave_start,
    )


# -- the ranking adjusted for cost and capability (seed 000's rule in full) ----------------
def set_item_costs(
    actor: Any,
    run: AnalysisRun,
    *,
    costs: dict[str, dict[str, Any]],
    cost_scale: str = "rating",
    feasibility_scale: str = "share",
) -> AnalysisRun:
    """Keep the analyst's cost and feasibility per item with the run; the run page then
    shows the ideal order and the order adjusted for them. Nothing entered clears them."""
    if actor != SYSTEM:
        run = get_visible_or_404(AnalysisRun.objects.defer("report"), actor, pk=run.pk)
        require_permission(actor, "insight.run")
    priority = (run.result or {}).get("priority")
    if not priority:
        raise ValidationError(_("This analysis has no improvement ranking to adjust."))
    entered = {
        item: {k: v for k, v in entry.items() if v not in (None, "")}
        for item, entry in costs.items()
        if any(v not in (None, "") for v in entry.values())
    }
    if entered:
        try:
            adjusted_priority(priority, entered, cost_scale, feasibility_scale)
        except PLSError as error:
            raise _error(error) from None
        stored: dict[str, Any] | None = {
            "cost_scale": cost_scale,
            "feasibility_scale": feasibility_scale,
            "items": {k: {f: float(v) for f, v in e.items()} for k, e in entered.items()},
        }
    else:
        stored = None
    with transaction.atomic():
        before = run.costs
        run.costs = stored
        run.save(update_fields=["costs"])
        audit.record(actor, AuditAction.COSTS_SET, run, before=before, after=stored)
    return run


def adjusted_priority(
    priority: list[dict[str, Any]],
    costs: dict[str, dict[str, Any]],
    cost_scale: str,
    feasibility_scale: str,
) -> Any:
    """The stored ranking adjusted for the entered costs (`manyi.analytics.priority`)."""
    import pandas as pd

    from manyi.analytics.priority import adjust_priority

    return adjust_priority(
        pd.DataFrame(priority),
        costs,
        cost_scale=cost_scale,  # type: ignore[arg-type]
        feasibility_scale=feasibility_scale,  # type: ignore[arg-type]
    )


# -- programmes: the index wave after wave ---------------------------------------------------
def _scope(actor: Any, branch: Branch | None, region: Region | None) -> None:
    if branch is not None and region is not None:
        raise ValidationError(_("Choose a branch or a region, not both."))
    if actor == SYSTEM:
        return
    require_permission(actor, "insight.run")
    if region is not None:
        if not all(
            can_see_branch(actor, pk) for pk in region.branches.values_list("pk", flat=True)
        ):
            raise PermissionDenied(_("This region is outside your area of responsibility."))
    else:
        require_branch(actor, branch.pk if branch else None)


def create_programme(
    actor: Any,
    *,
    name: str,
    questionnaire: str,
    model_yaml: str,
    starts_on: dt.date,
    wave_by: str = Programme.WaveCut.QUARTER,
    mapping: dict[str, str] | None = None,
    compare_by: str = "",
    bootstrap: int = 500,
    seed: int = 2026,
    branch: Branch | None = None,
    region: Region | None = None,
) -> Programme:
    """A programme of waves. Its model must read the questionnaire completely (every item
    mapped to a rating question) before any wave is run."""
    _scope(actor, branch, region)
    if wave_by not in Programme.WaveCut.values:
        raise ValidationError(_("Unknown way of cutting waves: %(w)s.") % {"w": wave_by})
    if compare_by not in Programme.CompareBy.values:
        raise ValidationError(_("Waves compare branches or regions, or nothing."))
    if not 0 <= bootstrap <= MAX_BOOTSTRAP or 0 < bootstrap < 10:
        raise ValidationError(
            _("Bootstrap samples must lie between 10 and %(max)d (or 0 for none).")
            % {"max": MAX_BOOTSTRAP}
        )
    try:
        model = load_model(model_yaml)
        questions = survey_catalogue().items({"questionnaire": questionnaire})
        found = map_items(model.path_model.items, questions, mapping or {})
    except PLSError as error:
        raise _error(error) from None
    if not questions:
        raise ValidationError(_("This questionnaire has no rating questions to analyse."))
    if not found.complete:
        raise ValidationError(
            _("No question of the questionnaire answers the items %(items)s: map them by hand.")
            % {"items": "、".join(found.unmapped)}
        )
    programme = Programme(
        name=name.strip()[:200] or questionnaire,
        questionnaire=questionnaire,
        model_yaml=model_yaml,
        mapping={k: v for k, v in (mapping or {}).items() if v},
        wave_by=wave_by,
        starts_on=waves.period_of(starts_on, wave_by)[0],
        compare_by=compare_by,
        bootstrap=bootstrap,
        seed=seed,
        branch=branch,
        region=region,
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    with transaction.atomic():
        programme.full_clean()
        programme.save()
        audit.record(
            actor,
            AuditAction.PROGRAMME_CREATE,
            programme,
            after={
                "name": programme.name,
                "questionnaire": questionnaire,
                "wave_by": wave_by,
                "since": programme.starts_on.isoformat(),
                "group": compare_by,
                "bootstrap": bootstrap,
                "mapping": programme.mapping,
            },
        )
    return programme


def run_wave(
    actor: Any, programme: Programme, start: dt.date, *, inline: bool = False
) -> AnalysisRun:
    """The programme's run for the wave beginning `start` (to date, while it lasts)."""
    if actor != SYSTEM:
        programme = get_visible_or_404(Programme, actor, pk=programme.pk)
    first, last = waves.period_of(start, programme.wave_by)
    today = timezone.localdate()
    if first > today:
        raise ValidationError(_("This wave has not begun."))
    label = waves.label(first, programme.wave_by)
    dataset = survey_dataset(
        actor,
        questionnaire=programme.questionnaire,
        since=first,
        until=min(last, today),
        branch=programme.branch,
        region=programme.region,
        wave_by=programme.wave_by,
        name=f"{programme.name} · {label}",
    )
    return start_run(
        actor,
        dataset=dataset,
        model_yaml=programme.model_yaml,
        options={
            "bootstrap": programme.bootstrap,
            "seed": programme.seed,
            "group": programme.compare_by,
            "mapping": programme.mapping,
        },
        title=f"{programme.name} · {label}",
        inline=inline,
        programme=programme,
        wave=label,
        wave_start=first,
    )


def run_due_waves(actor: Any, programme: Programme, *, inline: bool = False) -> list[AnalysisRun]:
    """Run every wave that has ended and has no run yet (a wave without answers is
    skipped): what the daily job does, and the programme page's button."""
    today = timezone.localdate()
    taken = set(
        programme.runs.exclude(status=AnalysisRun.Status.FAILED).values_list(
            "wave_start", flat=True
        )
    )
    started = []
    for first, last in waves.periods(programme.starts_on, today, programme.wave_by):
        if last >= today or first in taken:
            continue
        try:
            started.append(run_wave(actor, programme, first, inline=inline))
        except ValidationError:
            continue  # no answers in that wave
    return started


def run_all_due_waves() -> int:
    """The daily job: every active programme's ended waves."""
    count = 0
    for programme in Programme.objects.filter(active=True):
        count += len(run_due_waves(SYSTEM, programme))
    return count


def execute_run(run_id: int) -> None:
    """Compute a run (in the request for small data, on a worker for large)."""
    now = timezone.now()
    claimable = Q(status=AnalysisRun.Status.QUEUED) | Q(
        status=AnalysisRun.Status.RUNNING, started_at__lt=now - STALE_AFTER
    )  # a worker that died or timed out leaves its run "running": the retry takes it
    updated = AnalysisRun.objects.filter(claimable, pk=run_id).update(
        status=AnalysisRun.Status.RUNNING, started_at=now
    )
    if not updated:
        return  # already taken by another worker, or finished
    run = AnalysisRun.objects.select_related("dataset").defer("report").get(pk=run_id)
    options = run.options
    language = options.get("language", "zh-hans")
    try:
        with translation.override(language):  # group names (waves, channels) in its words
            frame = load_frame(run.dataset)
        model = load_model(run.model_yaml)
        analysis = analyse(
            frame,
            model,
            scheme=options.get("scheme"),
            target=options.get("target"),
            bootstrap=options.get("bootstrap") or 0,
            seed=options.get("seed") or 0,
            missing=options.get("missing"),
            language=language,
        )
        result = analysis.to_dict()
        if options.get("group"):
            try:
                comparison = compare_groups(
                    frame,
                    model,
                    options["group"],
                    samples=group_samples(options.get("bootstrap") or 0),
                    seed=options.get("seed") or 0,
                    scheme=options.get("scheme"),
                    missing=options.get("missing"),
                    leave_out_small=True,
                )
                result["groups"] = comparison.to_dict()
            except PLSError as error:  # the index stands; the comparison says why not
                result["groups_error"] = {"en": str(error), "zh": error.zh or str(error)}
        result = json.loads(json.dumps(result, allow_nan=False))  # strict JSON for every DB
        buffer = io.BytesIO()
        write_xlsx(analysis, buffer, words=report_words(language))
        run.result = result
        run.summary = summarise(result)
        run.report = buffer.getvalue()
        run.status = AnalysisRun.Status.DONE
        run.finished_at = timezone.now()
        run.save(update_fields=["result", "summary", "report", "status", "finished_at"])
    except PLSError as error:
        _fail(run, str(error), error.zh)
        return
    except Exception as error:  # keep the run honest: failed, with the reason, never stuck
        log.exception("analysis run %s failed", run_id)
        _fail(run, f"Unexpected error: {error}", f"意外错误：{error}")
        return
    audit.record(ANALYSIS_WORKER, AuditAction.RUN_DONE, run, after={"n_used": result["n_used"]})


def summarise(result: dict[str, Any]) -> dict[str, Any]:
    """The part of a result the trend and the dashboards read, in the result's own shape
    (so `manyi.analytics.trend.wave_from_result` reads either)."""
    summary = {k: result[k] for k in ("n_used", "index", "labels", "target") if k in result}
    boot = (result.get("bootstrap") or {}).get("index")
    if boot:
        summary["bootstrap"] = {"index": boot}
    groups = (result.get("groups") or {}).get("groups")
    if groups:
        summary["groups"] = {
            "groups": {
                name: {"n": group.get("n"), "index": group.get("index")}
                for name, group in groups.items()
            }
        }
    return summary


def fail_stale_runs() -> int:
    """Runs whose worker vanished long ago (and no retry took them) end as failed, so no
    page waits for ever."""
    cutoff = timezone.now() - 2 * STALE_AFTER
    stale = AnalysisRun.objects.filter(status=AnalysisRun.Status.RUNNING, started_at__lt=cutoff)
    count = 0
    for run in stale.defer("report"):
        _fail(
            run,
            "The worker computing this run stopped; run it again.",
            "计算这次分析的后台进程已中断，请重新运行。",
        )
        count += 1
    return count


def _fail(run: AnalysisRun, message: str, message_zh: str) -> None:
    run.status = AnalysisRun.Status.FAILED
    run.error = message
    run.error_zh = message_zh
    run.finished_at = timezone.now()
    run.save(update_fields=["status", "error", "error_zh", "finished_at"])
    audit.record(ANALYSIS_WORKER, AuditAction.RUN_FAILED, run, note=message[:500])
