"""The insight app as analysts and managers use it: upload, run, read, export, reproduce."""

from __future__ import annotations

import io
import json
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import CommandError, call_command
from django.http import Http404

from manyi.analytics.modelfile import template_text
from manyi.insight import actions
from manyi.insight.models import AnalysisRun, Dataset
from manyi.org.models import AuditEntry

DATA = Path(__file__).resolve().parents[2] / "analytics" / "tests" / "data" / "ecsi_mobi.csv"
ECSI_YAML = template_text("ecsi")


@pytest.fixture
def mobi_bytes() -> bytes:
    return DATA.read_bytes()


def upload(user, content: bytes, *, branch=None, filename="mobi.csv"):
    return actions.upload_dataset(
        user, name="ECSI", filename=filename, content=content, branch=branch
    )


@pytest.mark.django_db
def test_upload_run_read_and_export(org, login, mobi_bytes):
    client = login(org.analyst)
    response = client.post(
        "/insight/new/",
        {
            "file": _file("mobi.csv", mobi_bytes),
            "name": "手机满意度",
            "model_yaml": ECSI_YAML,
            "scheme": "path",
            "bootstrap": 200,
            "seed": 7,
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    run = AnalysisRun.objects.get()
    assert run.status == "done" and run.dataset.rows == 250
    assert run.result["paths"]["Quality"]["Satisfaction"] == pytest.approx(0.51202394, abs=1e-6)
    page = client.get(response["Location"]).content.decode()
    # Validity first, then the index, the strategy matrix and the ranking.
    order = [page.index(f'id="{s}"') for s in ("validity", "index", "strategy-matrix", "priority")]
    assert order == sorted(order)
    assert "<svg" in page and "劣势区" in page
    assert page.count('class="driver"') == 4 + 17  # drivers, then their items
    assert "顾客满意度" in page  # the template's Chinese labels
    assert AuditEntry.objects.filter(action="insight.run.start").exists()

    xlsx = client.get(f"/insight/runs/{run.pk}/report.xlsx")
    book = openpyxl.load_workbook(
        io.BytesIO(b"".join(xlsx.streaming_content) if xlsx.streaming else xlsx.content)
    )
    assert "战略矩阵" in book.sheetnames and "改进排序" in book.sheetnames
    assert book["战略矩阵"]._charts  # the strategy matrix as an Excel chart
    pdf = client.get(f"/insight/runs/{run.pk}/report.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    body = json.loads(client.get(f"/insight/runs/{run.pk}/result.json").content)
    assert body["result"]["n_used"] == 250
    assert client.get(f"/insight/runs/{run.pk}/model.yaml").content.decode() == ECSI_YAML


@pytest.mark.django_db
def test_a_rerun_reproduces_the_result(org, mobi_bytes):
    dataset = upload(org.analyst, mobi_bytes)
    first = actions.start_run(
        org.analyst, dataset=dataset, model_yaml=ECSI_YAML, options={"bootstrap": 100, "seed": 3}
    )
    again = actions.rerun(org.analyst, first)
    assert again.pk != first.pk
    assert again.result["bootstrap"] == first.result["bootstrap"]
    assert again.result["index"] == first.result["index"]


@pytest.mark.django_db
def test_large_runs_go_to_a_worker(
    org, mobi_bytes, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(actions, "INLINE_WORK", 0)
    dataset = upload(org.analyst, mobi_bytes)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        run = actions.start_run(org.analyst, dataset=dataset, model_yaml=ECSI_YAML, options={})
    assert run.status == "queued" and callbacks
    for callback in callbacks:
        callback()  # the task queue runs synchronously in tests
    run.refresh_from_db()
    assert run.status == "done" and run.finished_at
    actions.execute_run(run.pk)  # a second delivery of the task changes nothing
    run.refresh_from_db()
    assert run.status == "done"


@pytest.mark.django_db
def test_mistakes_are_explained_and_store_nothing(org, login, mobi_bytes):
    client = login(org.analyst)
    dataset = upload(org.analyst, mobi_bytes)
    broken = client.post(
        "/insight/new/",
        {
            "dataset": dataset.pk,
            "model_yaml": "blocks: [oops",
            "scheme": "path",
            "bootstrap": 0,
            "seed": 1,
        },
    )
    assert broken.status_code == 200 and "不是有效的 YAML" in broken.content.decode()
    wrong_columns = client.post(
        "/insight/new/",
        {
            "dataset": dataset.pk,
            "model_yaml": ECSI_YAML.replace("IMAG1", "形象1"),
            "scheme": "path",
            "bootstrap": 0,
            "seed": 1,
        },
    )
    assert "形象1" in wrong_columns.content.decode()
    assert not AnalysisRun.objects.exists()
    with pytest.raises(ValidationError):
        upload(org.analyst, b"")
    with pytest.raises(ValidationError, match=r"无法读取|cannot be read"):
        upload(org.analyst, b"garbage", filename="x.xlsx")
    assert Dataset.objects.count() == 1


@pytest.mark.django_db
def test_bad_answers_fail_the_run_with_a_reason(org, login, mobi_bytes):
    frame = pd.read_csv(io.BytesIO(mobi_bytes))
    frame.loc[5, "CUSA2"] = 14  # outside the 1-10 scale
    dataset = upload(org.analyst, frame.to_csv(index=False).encode())
    run = actions.start_run(org.analyst, dataset=dataset, model_yaml=ECSI_YAML, options={})
    assert run.status == "failed"
    assert "CUSA2" in run.error and "第 7 行" in run.error_zh
    page = login(org.analyst).get(f"/insight/runs/{run.pk}/").content.decode()
    assert "第 7 行" in page


@pytest.mark.django_db
def test_permissions_and_branch_scope(org, login, mobi_bytes):
    with pytest.raises(PermissionDenied):
        upload(org.agent_a1, mobi_bytes, branch=org.a1)
    with pytest.raises(PermissionDenied):
        upload(org.regional_a, mobi_bytes)  # company-wide data needs company-wide staff
    hangzhou = upload(org.regional_a, mobi_bytes, branch=org.a2)
    beijing = upload(org.manager, mobi_bytes, branch=org.b1)
    run = actions.start_run(org.manager, dataset=beijing, model_yaml=ECSI_YAML, options={})
    with pytest.raises(Http404):
        actions.start_run(org.regional_a, dataset=beijing, model_yaml=ECSI_YAML, options={})
    assert login(org.regional_a).get(f"/insight/runs/{run.pk}/").status_code == 404
    assert login(org.manager).get(f"/insight/runs/{run.pk}/").status_code == 200
    assert login(org.agent_a1).get("/insight/").status_code == 403
    supervisor = login(org.supervisor_a1)
    assert supervisor.get("/insight/").status_code == 200
    assert supervisor.get("/insight/new/").status_code == 403
    assert hangzhou.pk in [d.pk for d in Dataset.objects.visible_to(org.regional_a)]


@pytest.mark.django_db
def test_group_comparison_in_the_web_app(org, mobi_bytes):
    frame = pd.read_csv(io.BytesIO(mobi_bytes))
    frame["波次"] = ["第一期" if i % 2 else "第二期" for i in range(len(frame))]
    dataset = upload(org.analyst, frame.to_csv(index=False).encode("gb18030"))
    run = actions.start_run(
        org.analyst, dataset=dataset, model_yaml=ECSI_YAML, options={"group": "波次", "seed": 1}
    )
    assert run.status == "done"
    assert set(run.result["groups"]["groups"]) == {"第一期", "第二期"}
    with pytest.raises(ValidationError, match="网点"):
        actions.start_run(
            org.analyst, dataset=dataset, model_yaml=ECSI_YAML, options={"group": "网点"}
        )


def test_command_line_fit_and_compare(tmp_path):
    model = tmp_path / "model.yaml"
    model.write_text(
        "blocks:\n"
        "  Quality: {items: [PERQ1, PERQ2, PERQ3], mode: A, scale: [1, 10]}\n"
        "  Satisfaction: {items: [CUSA1, CUSA2, CUSA3], scale: [1, 10]}\n"
        "paths:\n  - [Quality, Satisfaction]\ntarget: Satisfaction\n",
        encoding="utf-8",
    )
    out, report = tmp_path / "out.json", tmp_path / "report.xlsx"
    stdout = io.StringIO()
    call_command(
        "index",
        "fit",
        "--data",
        str(DATA),
        "--model",
        str(model),
        "--bootstrap",
        "50",
        "--seed",
        "2",
        "--json",
        str(out),
        "--xlsx",
        str(report),
        stdout=stdout,
    )
    result = json.loads(out.read_text(encoding="utf-8"))
    for key in (
        "paths",
        "total_effects",
        "r2",
        "outer_weights",
        "loadings",
        "reliability",
        "htmt",
        "index",
        "impacts",
        "ipma",
        "priority",
        "n_used",
        "iterations",
    ):
        assert key in result
    assert set(result["reliability"]["Quality"]) >= {"alpha", "rho_c", "rho_a", "ave"}
    assert result["n_used"] == 250 and 0 < result["index"]["Satisfaction"] < 100
    assert result["priority"][0]["rank"] == 1
    assert "index (0-100)" in stdout.getvalue()
    assert openpyxl.load_workbook(report).sheetnames[0] == "概览"
    wrong = tmp_path / "wrong.yaml"
    wrong.write_text(model.read_text(encoding="utf-8").replace("PERQ1", "质量1"), encoding="utf-8")
    english = ["--language", "en"]
    with pytest.raises(CommandError, match="not in the data: 质量1"):
        call_command("index", "fit", "--data", str(DATA), "--model", str(wrong), *english)
    with pytest.raises(CommandError, match="file not found"):
        none = str(tmp_path / "none.yaml")
        call_command("index", "fit", "--data", str(DATA), "--model", none, *english)
    # Chinese by default: every message the analyst can cause
    with pytest.raises(CommandError, match="找不到文件"):
        call_command("index", "fit", "--data", str(DATA), "--model", str(tmp_path / "none.yaml"))
    with pytest.raises(CommandError, match="质量1") as refused:
        call_command("index", "fit", "--data", str(DATA), "--model", str(wrong))
    assert "not in the data" not in str(refused.value)
    constant = tmp_path / "constant.csv"
    flat = pd.read_csv(DATA)
    flat["PERQ1"] = 7
    flat.to_csv(constant, index=False)
    with pytest.raises(CommandError, match="方差为零"):
        call_command("index", "fit", "--data", str(constant), "--model", str(model))
    nested = tmp_path / "nested.yaml"
    nested.write_text("[" * 3000 + "]" * 3000, encoding="utf-8")
    with pytest.raises(CommandError, match="嵌套"):
        call_command("index", "fit", "--data", str(DATA), "--model", str(nested))
    grouped = tmp_path / "grouped.csv"
    frame = pd.read_csv(DATA)
    frame["wave"] = ["w1" if i < 125 else "w2" for i in range(250)]
    frame.to_csv(grouped, index=False)
    compare = io.StringIO()
    call_command(
        "index",
        "compare",
        "--data",
        str(grouped),
        "--model",
        str(model),
        "--group",
        "wave",
        "--bootstrap",
        "100",
        stdout=compare,
    )
    assert "w1 vs w2" in compare.getvalue()


def _file(name: str, content: bytes):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, content, content_type="text/csv")


@pytest.mark.django_db
def test_a_refused_analysis_keeps_no_upload(org, login, mobi_bytes):
    """A new file with a model or options that are refused leaves no data set behind."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    client = login(org.analyst)
    refusals = [
        {"model_yaml": "blocks: [oops"},
        {"model_yaml": ECSI_YAML.replace("IMAG1", "形象1")},
        {"model_yaml": "a: &a [x,x]\nb: [*a,*a]\n"},
        {"model_yaml": "[" * 3000 + "]" * 3000},
        {"model_yaml": ECSI_YAML, "group": "no_such_column"},
    ]
    for refused in refusals:
        fields = {"scheme": "path", "bootstrap": 0, "seed": 1, **refused}
        fields["file"] = SimpleUploadedFile("mobi.csv", mobi_bytes, content_type="text/csv")
        answer = client.post("/insight/new/", fields)
        assert answer.status_code == 200, refused
        assert 'class="errorlist' in answer.content.decode() or "error" in answer.content.decode()
    assert not Dataset.objects.exists() and not AnalysisRun.objects.exists()
    assert not AuditEntry.objects.filter(action="insight.dataset.upload").exists()
