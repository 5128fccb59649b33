"""Data and inputs as they really arrive, and runs whose worker disappears."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import pandas as pd
import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from manyi.analytics.modelfile import load_model, template_text
from manyi.analytics.pls import PLSError
from manyi.analytics.survey import read_bytes
from manyi.insight import actions
from manyi.insight.models import AnalysisRun
from manyi.insight.pdf import run_pdf

DATA = Path(__file__).resolve().parents[2] / "analytics" / "tests" / "data" / "ecsi_mobi.csv"
ECSI_YAML = template_text("ecsi")


def upload(user, frame: pd.DataFrame, name: str = "mobi.csv", **kwargs):
    return actions.upload_dataset(
        user, name=name, filename="mobi.csv", content=frame.to_csv(index=False).encode(), **kwargs
    )


@pytest.mark.django_db
def test_identical_columns_give_a_result_not_a_stuck_run(org):
    frame = pd.read_csv(DATA)
    frame["PERQ2"] = frame["PERQ1"]  # the same question exported twice
    run = actions.start_run(
        org.analyst, dataset=upload(org.analyst, frame), model_yaml=ECSI_YAML, options={}
    )
    assert run.status == "done"
    assert any("PERQ1" in w and "PERQ2" in w for w in run.result["warnings"])
    assert run.result["outer_vif"]["Quality"]["PERQ1"] is None  # infinite: no JSON number


@pytest.mark.django_db
def test_markup_in_names_is_printed_not_interpreted(org):
    frame = pd.read_csv(DATA)
    dataset = upload(org.analyst, frame, name='满意度 </b><img src="http://127.0.0.1:9/x.png"/>')
    run = actions.start_run(org.analyst, dataset=dataset, model_yaml=ECSI_YAML, options={})
    assert run_pdf(run, "zh-hans").startswith(b"%PDF")


@pytest.mark.django_db
def test_a_run_left_running_by_a_dead_worker_is_taken_again_or_failed(org):
    dataset = upload(org.analyst, pd.read_csv(DATA))
    run = AnalysisRun.objects.create(
        dataset=dataset,
        title="t",
        model_yaml=ECSI_YAML,
        options={"scheme": "path"},
        status="running",
        started_at=timezone.now() - dt.timedelta(hours=1),
    )
    actions.execute_run(run.pk)  # the task's retry
    run.refresh_from_db()
    assert run.status == "done"
    fresh = AnalysisRun.objects.create(
        dataset=dataset,
        title="t",
        model_yaml=ECSI_YAML,
        options={},
        status="running",
        started_at=timezone.now(),
    )
    actions.execute_run(fresh.pk)  # still being computed elsewhere: left alone
    fresh.refresh_from_db()
    assert fresh.status == "running"
    AnalysisRun.objects.filter(pk=fresh.pk).update(
        started_at=timezone.now() - dt.timedelta(hours=2)
    )
    assert actions.fail_stale_runs() == 1
    fresh.refresh_from_db()
    assert fresh.status == "failed" and "后台" in fresh.error_zh


def test_headers_and_blank_rows_as_excel_leaves_them():
    frame = pd.DataFrame({1: [5, 6, None], " 满意\u3000总体 ": [7, 8, None]})
    buffer = io.BytesIO()
    frame.to_excel(buffer, index=False)
    read = read_bytes(buffer.getvalue(), "x.xlsx")
    assert list(read.columns) == ["1", "满意 总体"]
    assert len(read) == 2  # the blank row is gone
    with pytest.raises(PLSError, match="more than once"):
        read_bytes(b"q1,q1\n1,2\n", "dup.csv")


def test_model_file_typos_are_refused():
    with pytest.raises(PLSError, match="reverse names Q3"):
        load_model("blocks: {A: {items: [q1, q3], reverse: [Q3]}, B: [q2]}\npaths: [[A, B]]")
    label = load_model(
        "blocks: {A: {items: [{name: q1, label: {zh: 总体, en: Overall}}, q3]}, B: [q2]}\n"
        "paths: [[A, B]]"
    )
    assert label.item_label("q1") == "总体"


@pytest.mark.django_db
def test_options_and_sizes_are_checked_before_anything_runs(org, login, monkeypatch):
    dataset = upload(org.analyst, pd.read_csv(DATA))
    with pytest.raises(ValidationError, match=r"seed|种子"):
        actions.start_run(org.analyst, dataset=dataset, model_yaml=ECSI_YAML, options={"seed": -1})
    monkeypatch.setattr(actions, "MAX_WORK", 1000)
    with pytest.raises(ValidationError, match=r"in time|完成"):
        actions.start_run(
            org.analyst, dataset=dataset, model_yaml=ECSI_YAML, options={"bootstrap": 500}
        )
    assert not AnalysisRun.objects.exists()
    assert actions.run_work(1000, {"bootstrap": 0, "group": "wave"}) == 1000 * 201
    # A regional manager who leaves the branch empty gets a form error, not a bare 403.
    response = login(org.regional_a).post(
        "/insight/new/",
        {
            "file": _file(DATA.read_bytes()),
            "model_yaml": ECSI_YAML,
            "scheme": "path",
            "bootstrap": 0,
            "seed": 1,
        },
    )
    assert response.status_code == 200 and "网点" in response.content.decode()


def _file(content: bytes):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile("mobi.csv", content, content_type="text/csv")
