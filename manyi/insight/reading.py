"""What the trend page, the API and the dashboards read about programmes and their waves,
without changing anything: the latest run of each wave, the index per wave with its
interval and the change from the wave before, and the latest index for the home page."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils import timezone

from manyi.analytics.trend import Wave, changes, group_table, wave_from_result

from . import waves
from .models import AnalysisRun, Programme


def wave_runs(programme: Programme) -> list[dict[str, Any]]:
    """The newest finished run of each wave, oldest wave first (one query)."""
    rows = (
        AnalysisRun.objects.filter(programme=programme, status=AnalysisRun.Status.DONE)
        .order_by("wave_start", "-finished_at", "-pk")
        .values("pk", "wave", "wave_start", "summary", "finished_at")
    )
    latest: dict[Any, dict[str, Any]] = {}
    for row in rows:
        latest.setdefault(row["wave_start"], row)
    return list(latest.values())


def trend(programme: Programme) -> dict[str, Any]:
    """The programme's waves and, per construct, the index per wave with its interval and
    the significance of each change."""
    runs = wave_runs(programme)
    waves: list[Wave] = [wave_from_result(run["wave"], run["summary"] or {}) for run in runs]
    labels: dict[str, str] = {}
    target = None
    for run in runs:
        labels.update((run["summary"] or {}).get("labels") or {})
        target = (run["summary"] or {}).get("target") or target
    rows = changes(waves)
    return {
        "runs": runs,
        "waves": waves,
        "rows": rows,
        "labels": labels,
        "target": target,
        "groups": group_table(waves, target) if target else {},
    }


def latest_index(user: Any) -> list[dict[str, Any]]:
    """For each programme the person may see: the latest wave's index of the target, its
    change since the wave before and whether that change is significant (the dashboards'
    tile reads this)."""
    found = []
    for programme in Programme.objects.visible_to(user).filter(active=True):
        data = trend(programme)
        target = data["target"]
        rows = [r for r in data["rows"] if r["construct"] == target]
        if not rows:
            continue
        last = rows[-1]
        found.append(
            {
                "programme": programme.pk,
                "name": programme.name,
                "construct": target,
                "label": data["labels"].get(target, target),
                "wave": last["wave"],
                "n": last["n"],
                "index": last["index"],
                "low": last["low"],
                "high": last["high"],
                "change": last["change"],
                "p": last["p"],
                "significant": last["significant"],
                "previous_wave": rows[-2]["wave"] if len(rows) > 1 else None,
                "run": data["runs"][-1]["pk"],
                "url": reverse("insight:programme", args=[programme.pk]),
            }
        )
    return found


def outcomes(programme: Programme) -> dict[str, Any]:
    """Each branch's (or region's) index in each wave beside the business outcomes the apps
    register for the same branches and period, and per outcome what a point of the target's
    index is worth (`manyi.analytics.outcomes.relation`)."""
    from manyi.analytics.outcomes import Point, relation
    from manyi.core.registry import business_outcomes
    from manyi.org.models import Branch

    data = trend(programme)
    target = data["target"]
    members: dict[str, list[int]] = {}
    for pk, name, region in Branch.objects.values_list("pk", "name", "region__name"):
        members.setdefault(name if programme.compare_by == "branch" else region or "", []).append(
            pk
        )
    starts = {run["wave"]: run["wave_start"] for run in data["runs"]}
    registered = business_outcomes()
    today = timezone.localdate()
    rows = []
    unfinished: set[str] = set()
    for group, by_wave in data["groups"].items():
        branch_ids = members.get(group)
        if not branch_ids:
            continue
        for wave, index in by_wave.items():
            first, last = waves.period_of(starts[wave], programme.wave_by)
            if last >= today:  # a wave still running has part of its results only
                unfinished.add(wave)
                continue
            values = {o.key: o.compute(branch_ids, first, last) for o in registered}
            rows.append(
                {
                    "group": group,
                    "wave": wave,
                    "index": index,
                    "values": values,
                    "cells": [values[o.key] for o in registered],
                }
            )
    relations = []
    for outcome in registered:
        points = [
            Point(row["group"], row["wave"], row["index"], row["values"][outcome.key])
            for row in rows
            if row["values"][outcome.key] is not None
        ]
        relations.append({"outcome": outcome, "relation": relation(points)})
    return {
        "target": target,
        "label": data["labels"].get(target, target) if target else "",
        "outcomes": registered,
        "rows": rows,
        "relations": relations,
        "unfinished": sorted(unfinished),
    }
