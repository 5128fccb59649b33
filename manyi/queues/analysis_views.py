"""The queue's figures for managers and analysts: waits and service times with the peak
hours to publish, the Excel export, the staffing plan from the branch's own arrivals, and
the comparison of queue designs by simulation."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from manyi.analytics import spreadsheet
from manyi.analytics.queue_stats import QueueStats, summarise
from manyi.core import clock
from manyi.org.models import Branch
from manyi.org.permissions import require_permission

from .config import settings_for
from .forms import PeriodForm, SimulateForm, StaffingForm, error_text
from .models import Priority, QueueTicket
from .views import _branch

OUTCOMES = {"done": "served", "no_show": "no_show", "abandoned": "abandoned"}
# The export's column headings and coded cells, in the reader's language (the statistics
# engine works with the codes).
EXPORT_COLUMNS = {
    "ticket": gettext_lazy("Number"),
    "service": gettext_lazy("Business"),
    "priority": gettext_lazy("Priority"),
    "staff": gettext_lazy("Served by"),
    "issued_at": gettext_lazy("Number taken at"),
    "called_at": gettext_lazy("Called at"),
    "started_at": gettext_lazy("Service started at"),
    "finished_at": gettext_lazy("Finished at"),
    "outcome": gettext_lazy("Outcome"),
    "estimate_s": gettext_lazy("Wait told (seconds)"),
    "estimate_low_s": gettext_lazy("Wait told, from (seconds)"),
    "estimate_high_s": gettext_lazy("Wait told, to (seconds)"),
    "hour": gettext_lazy("Hour"),
    "weekday": gettext_lazy("Weekday"),
    "index": gettext_lazy("Weekday"),
    "tickets": gettext_lazy("Numbers taken"),
    "served": gettext_lazy("Served"),
    "wait_mean_s": gettext_lazy("Mean wait (seconds)"),
    "wait_median_s": gettext_lazy("Median wait (seconds)"),
    "wait_p90_s": gettext_lazy("90th percentile of the wait (seconds)"),
    "within_target": gettext_lazy("Share served within the target wait"),
    "service_mean_s": gettext_lazy("Mean service time (seconds)"),
    "service_median_s": gettext_lazy("Median service time (seconds)"),
    "service_p90_s": gettext_lazy("90th percentile of the service time (seconds)"),
    "abandoned_rate": gettext_lazy("Share who left"),
    "no_show_rate": gettext_lazy("Share who did not come"),
}
EXPORT_OUTCOMES = {
    "served": gettext_lazy("Served"),
    "no_show": gettext_lazy("Did not come"),
    "abandoned": gettext_lazy("Left"),
}


def _period(request: HttpRequest) -> tuple[dt.date, dt.date, str]:
    """The period asked for (the last thirty days by default) and what was wrong with it."""
    form = PeriodForm(request.GET)
    start, end = form.period(timezone.localdate(clock.now()))
    return start, end, error_text(form)


def ticket_frame(branch: Branch, start: dt.date, end: dt.date) -> pd.DataFrame:
    """The branch's closed tickets of the period, one row each (local times)."""
    rows = (
        QueueTicket.objects.filter(
            branch=branch, day__gte=start, day__lte=end, status__in=list(OUTCOMES)
        )
        .order_by("issued_at")
        .values_list(
            "number",
            "service__prefix",
            "service__name",
            "priority",
            "staff__name",
            "issued_at",
            "called_at",
            "started_at",
            "finished_at",
            "status",
            "estimate_s",
            "estimate_low_s",
            "estimate_high_s",
        )
    )
    tz = timezone.get_current_timezone()

    def local(value: dt.datetime | None) -> dt.datetime | None:
        return value.astimezone(tz).replace(tzinfo=None) if value else None

    records = [
        {
            "ticket": number,
            "service": f"{prefix} {name}",
            "priority": priority,
            "staff": staff or "",
            "issued_at": local(issued),
            "called_at": local(called),
            "started_at": local(started),
            "finished_at": local(finished),
            "outcome": OUTCOMES[status],
            "estimate_s": told,
            "estimate_low_s": low,
            "estimate_high_s": high,
        }
        for (
            number,
            prefix,
            name,
            priority,
            staff,
            issued,
            called,
            started,
            finished,
            status,
            told,
            low,
            high,
        ) in rows.iterator(chunk_size=5000)
    ]
    return pd.DataFrame(
        records,
        columns=[
            "ticket",
            "service",
            "priority",
            "staff",
            "issued_at",
            "called_at",
            "started_at",
            "finished_at",
            "outcome",
            "estimate_s",
            "estimate_low_s",
            "estimate_high_s",
        ],
    )


def _weekday_names() -> list[str]:
    return [_("Mon"), _("Tue"), _("Wed"), _("Thu"), _("Fri"), _("Sat"), _("Sun")]


def _stats(branch: Branch, start: dt.date, end: dt.date) -> QueueStats:
    target = settings_for(branch).target_wait_minutes * 60
    return summarise(ticket_frame(branch, start, end), target_s=float(target))


@login_required
def stats(request: HttpRequest) -> HttpResponse:
    require_permission(request.user, "queues.analyse")
    branch = _branch(request)
    start, end, problem = _period(request)
    context: dict[str, Any] = {"branch": branch, "start": start, "end": end, "problem": problem}
    if branch is not None:
        figures = _stats(branch, start, end)
        names = _weekday_names()
        heat = figures.arrivals
        top = float(heat.to_numpy().max()) or 1.0
        hours = [h for h in range(24) if heat[h].sum() > 0] or list(range(8, 18))
        context.update(
            figures=figures,
            target_minutes=settings_for(branch).target_wait_minutes,
            tables=[
                (_("By business"), "service", figures.by_service.to_dict("records")),
                (_("By hour"), "hour", figures.by_hour.to_dict("records")),
                (
                    _("By weekday"),
                    "weekday",
                    [
                        {**row, "weekday": names[int(row["weekday"])]}
                        for row in figures.by_weekday.to_dict("records")
                    ],
                ),
                (_("By member of staff"), "staff", figures.by_staff.to_dict("records")),
            ],
            hours=hours,
            heat_rows=[
                (
                    names[w],
                    [(round(float(heat.loc[w, h]), 1), float(heat.loc[w, h]) / top) for h in hours],
                )
                for w in range(7)
                if heat.loc[w].sum() > 0
            ],
            peaks=[(names[w], h) for w, h in figures.peak_hours],
        )
    return render(request, "queues/stats.html", context)


@login_required
def stats_export(request: HttpRequest) -> HttpResponse:
    require_permission(request.user, "queues.analyse")
    branch = _branch(request)
    start, end, _problem = _period(request)  # (a workbook asked for wrongly: the default)
    book = spreadsheet.workbook(write_only=True)
    if branch is not None:
        frame = ticket_frame(branch, start, end)
        figures = _stats(branch, start, end)
        names = _weekday_names()
        sheets = [
            (_("Tickets"), frame),
            (_("By business"), figures.by_service),
            (_("By hour"), figures.by_hour),
            (
                _("By weekday"),
                figures.by_weekday.assign(
                    weekday=[names[int(w)] for w in figures.by_weekday.get("weekday", [])]
                )
                if len(figures.by_weekday)
                else figures.by_weekday,
            ),
            (_("By member of staff"), figures.by_staff),
            (
                _("Arrivals by weekday and hour"),
                figures.arrivals.set_axis(names, axis=0).reset_index(),
            ),
        ]
        priorities = dict(Priority.choices)
        words = {"outcome": EXPORT_OUTCOMES, "priority": priorities}
        for title, table in sheets:
            sheet = book.create_sheet(title)
            sheet.append([str(EXPORT_COLUMNS.get(c, c)) for c in table.columns])
            coded = [words.get(c) for c in table.columns]
            for row in table.itertuples(index=False):
                sheet.append(
                    [
                        None if pd.isna(v) else str(code[v]) if code and v in code else v
                        for v, code in zip(row, coded, strict=True)
                    ]
                )
    else:
        book.create_sheet("-")
    response = HttpResponse(
        book.to_bytes(),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    code = branch.code if branch else "none"
    response["Content-Disposition"] = f'attachment; filename="queue-{code}-{start}-{end}.xlsx"'
    return response


WEEKDAY_CHOICES = range(7)
COLOURS = {"shared": "#1f6feb", "per_counter": "#d97706", "take_a_number": "#059669"}


def _chart(result: dict[str, Any], pattern_start: dt.time, width: int = 720, height: int = 260):
    """Polylines of the mean wait by time of day, one per design (inline SVG, no library)."""
    designs = result["designs"]
    peak = (
        max([v for d in designs for v in d["curve"]["mean"] if v is not None] or [1.0]) / 60.0
        or 1.0
    )
    steps = max(len(result["interval_starts"]) - 1, 1)
    left, bottom = 40, height - 24
    lines = []
    for design in designs:
        points = [
            f"{left + (width - left - 10) * i / steps:.1f},"
            f"{bottom - (bottom - 10) * (v / 60.0) / peak:.1f}"
            for i, v in enumerate(design["curve"]["mean"])
            if v is not None
        ]
        lines.append(
            {
                "design": design,
                "points": " ".join(points),
                "colour": COLOURS.get(design["design"], "#555"),
            }
        )
    base = dt.datetime.combine(dt.date.today(), pattern_start)
    ticks = [
        {
            "x": left + (width - left - 10) * i / steps,
            "label": (base + dt.timedelta(seconds=start)).strftime("%H:%M"),
        }
        for i, start in enumerate(result["interval_starts"])
        if i % 4 == 0
    ]
    return {
        "width": width,
        "height": height,
        "left": left,
        "bottom": bottom,
        "lines": lines,
        "ticks": ticks,
        "peak": round(peak),
    }


@login_required
def simulate(request: HttpRequest) -> HttpResponse:
    """Which way to queue: the branch's own typical day run through one shared line, a
    line per counter and take-a-number, with 95% intervals over simulated days."""
    from manyi.analytics.queue_sim import SimulationInputError
    from manyi.analytics.queue_sim import simulate as run

    from .history import busiest_weekday, scenario_for

    require_permission(request.user, "queues.analyse")
    branch = _branch(request)
    context: dict[str, Any] = {"branch": branch, "weekdays": list(enumerate(_weekday_names()))}
    if branch is not None:
        form = SimulateForm(request.GET)
        valid = form.is_valid()
        shown = form.shown({"extra": 0, "replications": 20})
        if shown["weekday"] is None:
            shown["weekday"] = busiest_weekday(branch)
        context.update(shown)
        if not valid:
            context["problem"] = error_text(form)
            return render(request, "queues/simulate.html", context)
        weekday, extra, replications = shown["weekday"], shown["extra"], shown["replications"]
        scenario, pattern = scenario_for(branch, weekday, extra_counters=extra)
        context["pattern_days"] = pattern.days
        if pattern.days == 0:
            context["problem"] = _("There is no queue history for this weekday yet.")
        else:
            try:
                result = run(scenario, replications=replications, seed=2026).to_dict()
            except SimulationInputError as exc:
                context["problem"] = exc.zh if _chinese() else str(exc)
            else:
                context["result"] = result
                context["chart"] = _chart(result, pattern.start)
                context["arrivals"] = round(sum(pattern.total))
    return render(request, "queues/simulate.html", context)


def _chinese() -> bool:
    from django.utils.translation import get_language

    return (get_language() or "zh").startswith("zh")


def staffing_plan(
    branch: Branch,
    weekday: int,
    *,
    target: float,
    within_s: float,
    shrinkage: float,
    max_occupancy: float | None,
    with_patience: bool,
) -> dict[str, Any]:
    """An hourly plan for the branch's typical `weekday`: its arrivals per hour and mean
    service time from the history, Erlang C (or Erlang A with the customers' patience)."""
    from manyi.analytics.staffing import plan

    from .history import INTERVAL_S, day_pattern, patience_and_no_shows, service_seconds

    pattern = day_pattern(branch, weekday)
    per_hour: dict[int, float] = {}
    base = dt.datetime.combine(dt.date.today(), pattern.start)
    for index, value in enumerate(pattern.total):
        hour = (base + dt.timedelta(seconds=index * INTERVAL_S)).hour
        per_hour[hour] = per_hour.get(hour, 0.0) + value
    hours = [h for h, n in sorted(per_hour.items()) if n > 0]
    samples = [v for values in service_seconds(branch).values() for v in values]
    aht = sum(samples) / len(samples) if samples else 300.0
    patience, _no_shows = patience_and_no_shows(branch)
    if not hours:
        return {"pattern": pattern, "rows": [], "aht": aht, "patience": patience}
    result = plan(
        [per_hour[h] for h in hours],
        interval=3600.0,
        aht=aht,
        target=target,
        within=within_s,
        shrinkage=shrinkage,
        max_occupancy=max_occupancy,
        patience=patience if (with_patience and patience) else None,
    )
    columns = result.as_dict()
    rows = [
        {"hour": hour, **{name: columns[name][i] for name in columns if name != "model"}}
        for i, hour in enumerate(hours)
    ]
    return {
        "pattern": pattern,
        "rows": rows,
        "aht": aht,
        "patience": patience,
        "model": result.model,
    }


@login_required
def staffing(request: HttpRequest) -> HttpResponse:
    """How many counters to staff each hour to serve the target share within the target
    wait, from the branch's own arrivals (Erlang C, or Erlang A with abandonment)."""
    from manyi.analytics.staffing import StaffingError

    from .history import busiest_weekday

    require_permission(request.user, "queues.analyse")
    branch = _branch(request)
    context: dict[str, Any] = {"branch": branch, "weekdays": list(enumerate(_weekday_names()))}
    if branch is not None:
        form = StaffingForm(request.GET)
        valid = form.is_valid()
        shown = form.shown(
            {
                "target": 0.8,
                "within": settings_for(branch).target_wait_minutes,
                "shrinkage": 0.2,
                "max_occupancy": "",
                "model": "erlang_a",
            }
        )
        if shown["weekday"] is None:
            shown["weekday"] = busiest_weekday(branch)
        context.update(shown)
        if not valid:
            context["problem"] = error_text(form)
            return render(request, "queues/staffing.html", context)
        within = float(shown["within"])
        try:
            context["plan"] = staffing_plan(
                branch,
                shown["weekday"],
                target=shown["target"],
                within_s=within * 60,
                shrinkage=shown["shrinkage"],
                max_occupancy=shown["max_occupancy"] or None,
                with_patience=shown["model"] == "erlang_a",
            )
        except StaffingError as exc:
            context["problem"] = exc.zh if _chinese() else str(exc)
    return render(request, "queues/staffing.html", context)
