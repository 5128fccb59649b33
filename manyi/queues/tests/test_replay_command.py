"""`manyi queue replay`: predictions written, MAE and coverage printed, bad files explained
in the user's language."""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import subprocess
import sys

import pandas as pd
import pytest
from django.core.management import CommandError, call_command
from django.utils import translation

from manyi.analytics import queue_synth as qs


@pytest.fixture(scope="module")
def day_files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("replay")
    day = qs.branch_day(seed=1, date=dt.date(2026, 3, 3))
    day.write_csv(folder / "EVENTS.csv", folder / "COUNTERS.csv")
    return folder, day


def _replay(folder, *extra, events="EVENTS.csv"):
    out = io.StringIO()
    call_command(
        "queue",
        "replay",
        "--events",
        str(folder / events),
        "--counters",
        str(folder / "COUNTERS.csv"),
        "--out",
        str(folder / "PRED.csv"),
        *extra,
        stdout=out,
    )
    return out.getvalue()


def test_replay_writes_every_ticket_and_prints_both_methods(day_files):
    folder, day = day_files
    text = _replay(folder, "--draws", "24", "--language", "en")
    predictions = pd.read_csv(folder / "PRED.csv")
    assert list(predictions.columns[:7]) == [
        "ticket",
        "predicted_wait_s",
        "low_s",
        "high_s",
        "baseline_wait_s",
        "baseline_low_s",
        "baseline_high_s",
    ]
    assert set(predictions["ticket"]) == set(day.events["ticket"])
    assert "Our estimate: MAE" in text and "80% interval coverage" in text
    assert "Usual formula (k+1) x AHT / s: MAE" in text
    assert "abandoned left out" in text


def test_the_summary_as_json(day_files, tmp_path):
    folder, _day = day_files
    _replay(folder, "--draws", "24", "--json", str(tmp_path / "summary.json"))
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["ours"]["mae_s"] < summary["baseline"]["mae_s"]
    assert 0 < summary["ours"]["coverage"] <= 1


@pytest.mark.parametrize(
    ("change", "english", "chinese"),
    [
        (lambda t: t.replace(",outcome,", ",result,"), "missing column(s): outcome", "缺少列"),
        (lambda t: t.replace(",served,", ",done,", 1), "unknown outcome 'done'", "无法识别的结果"),
        (
            lambda t: t.replace("T09:", "at nine ", 1),
            "is not a time",
            "不是时间",
        ),
    ],
)
def test_a_bad_file_is_explained_in_chinese_by_default_and_in_english_on_request(
    day_files, change, english, chinese
):
    folder, _day = day_files
    bad = folder / "BAD.csv"
    bad.write_text(change((folder / "EVENTS.csv").read_text()), encoding="utf-8")
    with pytest.raises(CommandError) as error:
        _replay(folder, events="BAD.csv")
    assert chinese in str(error.value)
    with translation.override("en"), pytest.raises(CommandError) as error:
        _replay(folder, events="BAD.csv")
    assert english in str(error.value)
    with pytest.raises(CommandError) as error:
        _replay(folder, "--language", "en", events="BAD.csv")
    assert english in str(error.value)


def test_a_missing_file_and_too_few_draws(day_files):
    folder, _day = day_files
    with pytest.raises(CommandError, match="找不到文件"):
        _replay(folder, events="NOPE.csv")
    with pytest.raises(CommandError, match="--draws"):
        _replay(folder, "--draws", "3")


@pytest.mark.slow
def test_the_manyi_command_line(day_files):
    folder, _day = day_files
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "manyi.cli",
            "queue",
            "replay",
            "--events",
            str(folder / "EVENTS.csv"),
            "--counters",
            str(folder / "COUNTERS.csv"),
            "--out",
            str(folder / "CLI.csv"),
            "--draws",
            "24",
            "--language",
            "en",
        ],
        capture_output=True,
        text=True,
        env={**os.environ},
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert "Our estimate: MAE" in result.stdout
    assert len(pd.read_csv(folder / "CLI.csv")) > 100
