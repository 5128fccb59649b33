"""`manyi staffing`: the published example from the command line, and its refusals."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import CommandError, call_command

from manyi.queues.management.commands.staffing import parse_duration


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("staffing", *args, stdout=out)
    return out.getvalue()


def test_the_published_example_erlang_c(tmp_path) -> None:
    target = tmp_path / "plan.json"
    text = run(
        "--calls", "100", "--interval", "30m", "--aht", "180s", "--target", "0.8",
        "--within", "20s", "--shrinkage", "0.3", "--json", str(target),
    )  # fmt: skip
    assert "raw positions 14, rostered positions 20" in text
    assert "service level      0.888" in text and "occupancy          0.714" in text
    assert "probability wait   0.174" in text
    assert "abandonment" not in text
    result = json.loads(target.read_text(encoding="utf-8"))
    assert result["model"] == "erlang_c"
    assert result["inputs"] == {
        "calls": 100.0,
        "interval_s": 1800.0,
        "aht_s": 180.0,
        "target": 0.8,
        "within_s": 20.0,
        "shrinkage": 0.3,
        "max_occupancy": None,
        "patience_s": None,
    }
    assert result["load_erlangs"] == pytest.approx(10.0)
    assert (result["raw_positions"], result["rostered_positions"]) == (14, 20)
    assert result["service_level"] == pytest.approx(0.888, abs=5e-4)
    assert result["occupancy"] == pytest.approx(0.714, abs=5e-4)
    assert result["prob_wait"] == pytest.approx(0.174, abs=5e-4)
    assert result["asa_s"] == pytest.approx(7.836, abs=5e-3)
    assert result["prob_abandon"] is None
    assert [row["agents"] for row in result["by_agents"]] == [12, 13, 14, 15, 16]
    assert result["by_agents"][1]["service_level"] < 0.8 <= result["by_agents"][2]["service_level"]


def test_the_published_example_erlang_a(tmp_path) -> None:
    target = tmp_path / "plan.json"
    text = run(
        "--calls", "100", "--interval", "1800", "--aht", "3m", "--within", "20",
        "--shrinkage", "0.3", "--patience", "5m", "--json", str(target),
    )  # fmt: skip
    assert "Erlang A" in text and "abandonment" in text
    result = json.loads(target.read_text(encoding="utf-8"))
    assert result["model"] == "erlang_a" and result["inputs"]["patience_s"] == 300.0
    assert (result["raw_positions"], result["rostered_positions"]) == (13, 19)
    fourteen = next(row for row in result["by_agents"] if row["agents"] == 14)
    assert fourteen["prob_wait"] == pytest.approx(0.14526, abs=5e-6)
    assert fourteen["prob_abandon"] == pytest.approx(0.013984, abs=5e-7)
    assert fourteen["asa_s"] / 60 == pytest.approx(0.069919, abs=5e-7)
    assert fourteen["service_level"] == pytest.approx(0.916792, abs=5e-7)


def test_occupancy_cap_and_json_on_stdout() -> None:
    text = run("--calls", "100", "--aht", "180", "--max-occupancy", "0.7", "--json", "-")
    result = json.loads(text)
    assert result["raw_positions"] == 15 and result["inputs"]["max_occupancy"] == 0.7
    assert result["occupancy"] <= 0.7


def test_durations() -> None:
    assert parse_duration("20s") == 20
    assert parse_duration("30m") == 1800
    assert parse_duration("1h") == 3600
    assert parse_duration("1h30m") == 5400
    assert parse_duration("1h30m15s") == 5415
    assert parse_duration("1.5m") == 90
    assert parse_duration("180") == 180
    assert parse_duration(" 12.5 ") == 12.5
    for bad in ("", "m", "20x", "-5", "1m1h", "inf", "nan"):
        with pytest.raises(ValueError):
            parse_duration(bad)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--calls", "-5", "--aht", "180s"], "calls cannot be negative"),
        (["--calls", "100", "--aht", "0s"], "AHT must be greater than zero"),
        (["--calls", "100", "--aht", "3 minutes"], "not a duration"),
        (["--calls", "many", "--aht", "180s"], "not a number"),
        (["--calls", "100", "--aht", "180s", "--target", "80"], "between 0 and 1"),
        (["--calls", "100", "--aht", "180s", "--shrinkage", "1"], "shrinkage"),
        (["--calls", "100", "--aht", "180s", "--max-occupancy", "1.5"], "maximum occupancy"),
        (["--calls", "100", "--aht", "180s", "--patience", "0s"], "patience"),
        (["--calls", "100", "--aht", "180s", "--interval", "0"], "interval"),
        (["--aht", "180s"], "--calls"),
    ],
)
def test_bad_arguments_are_clear_errors(args, message) -> None:
    with pytest.raises(CommandError, match=message):
        run(*args)


def test_an_unwritable_json_path(tmp_path) -> None:
    with pytest.raises(CommandError, match="cannot write"):
        run("--calls", "10", "--aht", "60", "--json", str(tmp_path / "missing" / "plan.json"))
