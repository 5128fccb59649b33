"""`manyi staffing`: how many agents one interval needs (Erlang C, or Erlang A with patience).

    manyi staffing --calls 100 --interval 30m --aht 180s --target 0.8 --within 20s \\
        --shrinkage 0.3 [--max-occupancy 0.85] [--patience 5m] --json plan.json

Durations take 20s, 30m, 1h, 1h30m, 1h30m15s or plain seconds (180, 12.5). Needs no
database: it computes, prints a summary and writes the JSON.

The JSON (times in seconds, probabilities as fractions 0-1):

    model                "erlang_c", or "erlang_a" when --patience is given
    inputs               calls, interval_s, aht_s, target, within_s, shrinkage,
                         max_occupancy (null if not given), patience_s (null: Erlang C)
    load_erlangs         offered load, calls x AHT / interval
    raw_positions        the fewest agents meeting the target (and the occupancy cap)
    rostered_positions   ceil(raw_positions / (1 - shrinkage)), the agents to schedule
    service_level        at raw_positions: Erlang C P(wait <= within); Erlang A
                         P(answered and wait <= within), hang-ups count as misses
    occupancy            share of the agents' time on calls, at raw_positions
    prob_wait            probability that a caller has to wait, at raw_positions
    asa_s                average speed of answer (Erlang A: mean time in queue of all
                         callers, answered or hanging up), at raw_positions
    prob_abandon         probability of hanging up (Erlang A; null under Erlang C)
    by_agents            the same figures (agents, service_level, occupancy, prob_wait,
                         asa_s, prob_abandon) for a few agent counts around raw_positions;
                         asa_s is null where Erlang C is unstable (agents <= load)
"""

from __future__ import annotations

import argparse
import json
import math
import re
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from manyi.analytics.staffing import (
    Performance,
    StaffingError,
    erlang_a,
    erlang_c,
    required_agents,
)

_DURATION = re.compile(
    r"^(?:(?P<h>\d+(?:\.\d+)?)h)?(?:(?P<m>\d+(?:\.\d+)?)m)?(?:(?P<s>\d+(?:\.\d+)?)s)?$"
)


def parse_duration(text: str) -> float:
    """Seconds from "20s", "30m", "1h", "1h30m", "1h30m15s" or a plain "180" / "12.5"."""
    value = text.strip().lower()
    try:
        seconds = float(value)
    except ValueError:
        match = _DURATION.match(value)
        if not value or match is None:
            raise ValueError(
                f"{text!r} is not a duration: use e.g. 20s, 30m, 1h, 1h30m or seconds"
            ) from None
        seconds = sum(
            float(match[unit]) * size
            for unit, size in (("h", 3600), ("m", 60), ("s", 1))
            if match[unit] is not None
        )
    if not math.isfinite(seconds) or seconds < 0:
        raise ValueError(f"{text!r} is not a duration of zero or more seconds")
    return seconds


def _duration(text: str) -> float:
    try:
        return parse_duration(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def _number(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"{text!r} is not a finite number")
    return value


def _figures(performance: Performance) -> dict[str, Any]:
    return {
        "agents": performance.agents,
        "service_level": performance.service_level,
        "occupancy": performance.occupancy,
        "prob_wait": performance.prob_wait,
        "asa_s": performance.asa if math.isfinite(performance.asa) else None,
        "prob_abandon": performance.prob_abandon if performance.model == "erlang_a" else None,
    }


class Command(BaseCommand):
    help = (
        "Staffing for one interval: the fewest agents meeting a service level (Erlang C, "
        "or Erlang A with --patience), rostered positions after shrinkage; writes JSON "
        "(fields: model, inputs, load_erlangs, raw_positions, rostered_positions, "
        "service_level, occupancy, prob_wait, asa_s, prob_abandon, by_agents; times in "
        "seconds). Durations: 20s, 30m, 1h, 1h30m or plain seconds."
    )
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--calls", type=_number, required=True, help="calls offered in the interval"
        )
        parser.add_argument(
            "--interval", type=_duration, default=1800.0, help="interval length (default 30m)"
        )
        parser.add_argument(
            "--aht", type=_duration, required=True, help="average handling time, e.g. 180s"
        )
        parser.add_argument(
            "--target", type=_number, default=0.8, help="service level target (default 0.8)"
        )
        parser.add_argument(
            "--within", type=_duration, default=20.0, help="answer time target (default 20s)"
        )
        parser.add_argument(
            "--shrinkage", type=_number, default=0.0, help="share of paid time off the phones"
        )
        parser.add_argument(
            "--max-occupancy", type=_number, help="cap on occupancy, e.g. 0.85 (default none)"
        )
        parser.add_argument(
            "--patience",
            type=_duration,
            help="mean patience before callers hang up: Erlang A (default: Erlang C)",
        )
        parser.add_argument("--json", help="write the result as JSON here (- for stdout)")

    def handle(self, *args: Any, **options: Any) -> None:
        inputs = {
            "calls": options["calls"],
            "interval_s": options["interval"],
            "aht_s": options["aht"],
            "target": options["target"],
            "within_s": options["within"],
            "shrinkage": options["shrinkage"],
            "max_occupancy": options["max_occupancy"],
            "patience_s": options["patience"],
        }
        try:
            staffing = required_agents(
                options["calls"],
                interval=options["interval"],
                aht=options["aht"],
                target=options["target"],
                within=options["within"],
                shrinkage=options["shrinkage"],
                max_occupancy=options["max_occupancy"],
                patience=options["patience"],
            )
            around = [self._at(n, staffing.load, options) for n in self._around(staffing.raw)]
        except StaffingError as error:
            raise CommandError(f"{error} ({error.zh})") from None
        result = staffing.performance
        figures = _figures(result)
        payload: dict[str, Any] = {
            "model": result.model,
            "inputs": inputs,
            "load_erlangs": staffing.load,
            "raw_positions": staffing.raw,
            "rostered_positions": staffing.rostered,
            **{key: value for key, value in figures.items() if key != "agents"},
            "by_agents": [_figures(p) for p in around],
        }
        self._write_json(payload, options["json"])
        if options["json"] != "-":
            self._summary(payload, around)

    @staticmethod
    def _around(raw: int) -> list[int]:
        return list(range(max(raw - 2, 0), raw + 3))

    @staticmethod
    def _at(agents: int, load: float, options: dict[str, Any]) -> Performance:
        if options["patience"] is None:
            return erlang_c(agents, load, aht=options["aht"], within=options["within"])
        return erlang_a(
            agents,
            load,
            aht=options["aht"],
            patience=options["patience"],
            within=options["within"],
        )

    def _write_json(self, payload: dict[str, Any], where: str | None) -> None:
        if not where:
            return
        text = json.dumps(payload, ensure_ascii=False, indent=1, allow_nan=False)
        if where == "-":
            self.stdout.write(text)
            return
        try:
            Path(where).write_text(text + "\n", encoding="utf-8")
        except OSError as error:
            raise CommandError(f"cannot write {where}: {error.strerror}") from None

    def _summary(self, payload: dict[str, Any], around: list[Performance]) -> None:
        out = self.stdout
        inputs = payload["inputs"]
        erlang_a_model = payload["model"] == "erlang_a"
        model = (
            f"Erlang A, mean patience {inputs['patience_s']:g} s" if erlang_a_model else "Erlang C"
        )
        out.write(
            f"{inputs['calls']:g} calls in {inputs['interval_s']:g} s, AHT {inputs['aht_s']:g} s: "
            f"load {payload['load_erlangs']:.3f} Erlangs ({model})"
        )
        goal = f"target {inputs['target'] * 100:g}% answered within {inputs['within_s']:g} s"
        if inputs["max_occupancy"] is not None:
            goal += f", occupancy at most {inputs['max_occupancy'] * 100:g}%"
        out.write(goal)
        out.write(
            self.style.SUCCESS(
                f"raw positions {payload['raw_positions']}, rostered positions "
                f"{payload['rostered_positions']} (shrinkage {inputs['shrinkage'] * 100:g}%)"
            )
        )
        out.write(f"  service level      {payload['service_level']:.3f}")
        out.write(f"  occupancy          {payload['occupancy']:.3f}")
        out.write(f"  probability wait   {payload['prob_wait']:.3f}")
        out.write(f"  avg speed answer   {payload['asa_s']:.1f} s")
        if erlang_a_model:
            out.write(f"  abandonment        {payload['prob_abandon']:.4f}")
        out.write(
            "agents  service level  occupancy  P(wait)  ASA (s)" + ("  abandon" * erlang_a_model)
        )
        for p in around:
            asa = f"{p.asa:>8.1f}" if math.isfinite(p.asa) else "       -"
            line = (
                f"{p.agents:>6}  {p.service_level:>13.3f}  {p.occupancy:>9.3f}  "
                f"{p.prob_wait:>7.3f} {asa}"
            )
            if erlang_a_model:
                line += f"  {p.prob_abandon:>7.4f}"
            marker = "  <- raw" if p.agents == payload["raw_positions"] else ""
            out.write(line + marker)
