"""Waits and service times of a branch's queue tickets, the way a branch manager reads
them: mean, median, 90th percentile and the share within the branch's target, by service,
hour, weekday and member of staff; abandonment and no-show rates; arrivals by weekday and
hour (to publish the peak hours, seed 002 "在显著位置公布高峰时间").

Input: one row per ticket with `service`, `staff`, `issued_at`, `called_at`, `started_at`,
`finished_at` (local times) and `outcome` (served, no_show, abandoned). No Django here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


@dataclass(frozen=True)
class QueueStats:
    overall: dict[str, Any]
    by_service: pd.DataFrame
    by_hour: pd.DataFrame
    by_weekday: pd.DataFrame
    by_staff: pd.DataFrame
    arrivals: pd.DataFrame  # weekday x hour: mean arrivals per opening day
    peak_hours: list[tuple[int, int]]  # (weekday 0-6, hour) busiest first


def _prepare(tickets: pd.DataFrame) -> pd.DataFrame:
    frame = tickets.copy()
    for column in ("issued_at", "called_at", "started_at", "finished_at"):
        frame[column] = pd.to_datetime(frame[column])
    frame["wait_s"] = (frame["called_at"] - frame["issued_at"]).dt.total_seconds()
    frame["service_s"] = (frame["finished_at"] - frame["started_at"]).dt.total_seconds()
    frame.loc[frame["outcome"] != "served", "service_s"] = np.nan
    frame.loc[frame["outcome"] == "abandoned", "wait_s"] = np.nan
    frame["hour"] = frame["issued_at"].dt.hour
    frame["weekday"] = frame["issued_at"].dt.weekday
    frame["day"] = frame["issued_at"].dt.date
    return frame


def _figures(group: pd.DataFrame, target_s: float) -> dict[str, Any]:
    waits = group["wait_s"].dropna()
    service = group["service_s"].dropna()
    n = len(group)
    return {
        "tickets": n,
        "served": int((group["outcome"] == "served").sum()),
        "wait_mean_s": float(waits.mean()) if len(waits) else None,
        "wait_median_s": float(waits.median()) if len(waits) else None,
        "wait_p90_s": float(waits.quantile(0.9)) if len(waits) else None,
        "within_target": float((waits <= target_s).mean()) if len(waits) else None,
        "service_mean_s": float(service.mean()) if len(service) else None,
        "service_median_s": float(service.median()) if len(service) else None,
        "service_p90_s": float(service.quantile(0.9)) if len(service) else None,
        "abandoned_rate": float((group["outcome"] == "abandoned").mean()) if n else None,
        "no_show_rate": float((group["outcome"] == "no_show").mean()) if n else None,
    }


def _table(frame: pd.DataFrame, key: str, target_s: float) -> pd.DataFrame:
    rows = [
        {key: value, **_figures(group, target_s)}
        for value, group in frame.groupby(key, sort=True, dropna=True)
    ]
    return pd.DataFrame(rows)


def honesty(frame: pd.DataFrame) -> dict[str, Any]:
    """How the waits told at issue compare with the waits that followed: the share inside
    the range told, and the mean error of the estimate (optional columns `estimate_s`,
    `estimate_low_s`, `estimate_high_s`)."""
    if "estimate_s" not in frame or not len(frame):
        return {"told": 0, "within_range": None, "mean_error_s": None}
    told = frame[frame["estimate_s"].notna() & frame["wait_s"].notna()]
    if not len(told):
        return {"told": 0, "within_range": None, "mean_error_s": None}
    inside = (told["wait_s"] >= told["estimate_low_s"]) & (
        told["wait_s"] <= told["estimate_high_s"]
    )
    return {
        "told": len(told),
        "within_range": float(inside.mean()),
        "mean_error_s": float((told["wait_s"] - told["estimate_s"]).abs().mean()),
    }


def summarise(tickets: pd.DataFrame, *, target_s: float = 900.0) -> QueueStats:
    frame = _prepare(tickets) if len(tickets) else _prepare(_empty())
    arrivals = pd.DataFrame(0.0, index=range(7), columns=range(24))
    if len(frame):
        days_open = frame.groupby("weekday")["day"].nunique()
        counts = frame.groupby(["weekday", "hour"]).size().unstack(fill_value=0)
        for weekday in counts.index:
            arrivals.loc[weekday, counts.columns] = counts.loc[weekday] / days_open[weekday]
    stacked = arrivals.stack()
    peaks = [
        (int(w), int(h)) for (w, h), v in stacked.sort_values(ascending=False).items() if v > 0
    ]
    return QueueStats(
        overall={**_figures(frame, target_s), "estimates": honesty(frame)},
        by_service=_table(frame, "service", target_s),
        by_hour=_table(frame, "hour", target_s),
        by_weekday=_table(frame, "weekday", target_s),
        by_staff=_table(frame[frame["staff"].notna() & (frame["staff"] != "")], "staff", target_s),
        arrivals=arrivals,
        peak_hours=peaks[:5],
    )


def _empty() -> pd.DataFrame:
    return pd.DataFrame(
        columns=[
            "service",
            "staff",
            "issued_at",
            "called_at",
            "started_at",
            "finished_at",
            "outcome",
        ]
    )
