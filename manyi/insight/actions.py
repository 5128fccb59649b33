"""Every change in the insight app goes through these functions: permission and scope,
transaction, audit entry."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import logging
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from manyi.analytics.analysis import analyse
from manyi.analytics.mga import compare_groups
from manyi.analytics.modelfile import load_model
from manyi.analytics.pls import SCHEMES, PLSError
from manyi.analytics.report import write_xlsx
from manyi.analytics.survey import MISSING_TREATMENTS, read_bytes
from manyi.core.tasks import enqueue
from manyi.org import audit
from manyi.org.actions import SYSTEM
from manyi.org.actors import ANALYSIS_WORKER
from manyi.org.models import Branch
from manyi.org.permissions import require_permission
from manyi.org.scoping import get_visible_or_404, require_branch

from .auditing import AuditAction
from .data import load_frame
from .models import AnalysisRun, Dataset
from .words import report_words

log = logging.getLogger(__name__)

MAX_UPLOAD_BYTES = 100 * 1024 * 1024
MAX_BOOTSTRAP = 10_000
# Runs up to this many respondent-resamples finish in a second or two: done in the request.
INLINE_WORK = 2_000_000
INLINE_ROWS = 20_000
# More than this would not finish within the workers' time limit (10 minutes).
MAX_WORK = 500_000_000
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
) -> AnalysisRun:
    if actor != SYSTEM:
        dataset = get_visible_or_404(Dataset, actor, pk=dataset.pk)
    _check(actor, "insight.run", dataset.branch_id)
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
    run = AnalysisRun(
        dataset=dataset,
        title=(title or f"{model.name or _('Model')} · {dataset.name}")[:200],
        model_yaml=model_yaml,
        options=cleaned,
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    with transaction.atomic():
        run.save()
        audit.record(
            actor,
            AuditAction.RUN_START,
            run,
            after={"title": run.title, "dataset": dataset.pk, **cleaned},
        )
    if work <= INLINE_WORK and dataset.rows <= INLINE_ROWS:
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
    options = {k: v for k, v in run.options.items() if k != "language"}
    return start_run(
        actor,
        dataset=run.dataset,
        model_yaml=run.model_yaml,
        options=options,
        title=run.title,
    )


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
            comparison = compare_groups(
                frame,
                model,
                options["group"],
                samples=group_samples(options.get("bootstrap") or 0),
                seed=options.get("seed") or 0,
                scheme=options.get("scheme"),
                missing=options.get("missing"),
            )
            result["groups"] = comparison.to_dict()
        result = json.loads(json.dumps(result, allow_nan=False))  # strict JSON for every DB
        buffer = io.BytesIO()
        write_xlsx(analysis, buffer, words=report_words(language))
        run.result = result
        run.report = buffer.getvalue()
        run.status = AnalysisRun.Status.DONE
        run.finished_at = timezone.now()
        run.save(update_fields=["result", "report", "status", "finished_at"])
    except PLSError as error:
        _fail(run, str(error), error.zh)
        return
    except Exception as error:  # keep the run honest: failed, with the reason, never stuck
        log.exception("analysis run %s failed", run_id)
        _fail(run, f"Unexpected error: {error}", f"意外错误：{error}")
        return
    audit.record(ANALYSIS_WORKER, AuditAction.RUN_DONE, run, after={"n_used": result["n_used"]})


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
