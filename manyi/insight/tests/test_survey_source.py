"""From a questionnaire's responses to the satisfaction index in one step: the survey data
set, items mapped to questions by name or by hand, scales, don't-know codes and reverse
coding from the questionnaire, groups by wave, branch, region, tier and segment, scope and
masking."""

from __future__ import annotations

import datetime as dt

import pytest
import yaml
from django.core.exceptions import PermissionDenied, ValidationError

from manyi.customers import actions as customer_actions
from manyi.insight import actions
from manyi.insight.data import load_frame
from manyi.insight.models import AnalysisRun, Dataset
from manyi.org.actions import SYSTEM, create_staff
from manyi.org.roles import Role
from manyi.surveys import export
from manyi.surveys.models import Response

from .survey_data import MODEL, answered

pytestmark = pytest.mark.django_db
MAPPED = {"换行意向": "loy2"}


@pytest.fixture
def survey(org):
    return answered(org)


def _run(dataset, *, mapping=MAPPED, **options) -> AnalysisRun:
    return actions.start_run(
        SYSTEM,
        dataset=dataset,
        model_yaml=MODEL,
        options={"bootstrap": 0, "seed": 3, "mapping": mapping, **options},
    )


def test_a_survey_source_gives_the_same_result_as_its_export_uploaded(org, survey):
    dataset = actions.survey_dataset(SYSTEM, questionnaire="branch_service")
    assert dataset.rows == 120 and dataset.source == Dataset.Source.SURVEY
    run = _run(dataset, bootstrap=40)
    assert run.status == AnalysisRun.Status.DONE, run.error
    csv = "".join(
        export.csv_lines(survey.questionnaire, Response.objects.filter(pk__lte=10**9))
    ).encode("utf-8")
    upload = actions.upload_dataset(SYSTEM, name="导出", filename="export.csv", content=csv)
    again = actions.start_run(
        SYSTEM,
        dataset=upload,
        model_yaml=run.model_yaml,  # the bound model names the questions
        options={"bootstrap": 40, "seed": 3},
    )
    assert again.status == AnalysisRun.Status.DONE, again.error
    for key in ("index", "paths", "r2", "reliability", "impacts", "n_used", "bootstrap"):
        assert run.result[key] == again.result[key], key


def test_items_map_by_name_by_hand_and_unmappable_items_are_named(org, survey):
    dataset = actions.survey_dataset(SYSTEM, questionnaire="branch_service")
    with pytest.raises(ValidationError) as refused:
        _run(dataset, mapping={})
    assert "换行意向" in str(refused.value)
    from manyi.analytics.modelfile import load_model

    mapping, questions = actions.propose_mapping(dataset, load_model(MODEL))
    assert mapping.unmapped == ["换行意向"]
    assert mapping.automatic == {"qual1", "qual2", "qual3", "sat1", "sat2", "loy1"}
    assert {q.name for q in questions} == set(survey_labels := export_names(survey))
    assert "comment" not in survey_labels
    with pytest.raises(ValidationError) as wrong:
        _run(dataset, mapping={"换行意向": "comment"})
    assert "comment" in str(wrong.value)  # not a rating question
    run = _run(dataset)
    assert run.status == AnalysisRun.Status.DONE, run.error
    assert run.options["mapping"]["换行意向"] == "loy2"
    assert run.options["mapping"]["qual1"] == "qual1"
    # the question texts are the item labels, without the scale hint
    labels = run.result["item_labels"]
    assert labels["qual1"] == "等候时间" and labels["loy2"] == "我打算换一家银行"
    assert {row["label"] for row in run.result["priority"]} >= {"等候时间", "柜员态度"}


def export_names(survey) -> list[str]:
    from manyi.analytics.survey_items import rating_items

    return [item.name for item in rating_items(export.questions_of(survey.questionnaire))]


def test_scales_dont_know_and_reverse_coding_come_from_the_questionnaire(org, survey):
    dataset = actions.survey_dataset(SYSTEM, questionnaire="branch_service")
    run = _run(dataset)
    bound = yaml.safe_load(run.model_yaml)
    items = {entry["name"]: entry for block in bound["blocks"].values() for entry in block["items"]}
    assert items["sat2"]["scale"] == [1, 5] and items["sat2"]["dont_know"] == ["9"]
    assert items["qual1"]["scale"] == [1, 10] and "dont_know" not in items["qual1"]
    assert items["loy2"]["reverse"] is True and not items["loy1"].get("reverse")
    # 不知道 answers are missing values (dropped casewise), not 9 points on a 1-5 scale
    dont_know = sum(1 for r in Response.objects.all() if r.values.get("sat2") == "9")
    assert dont_know > 0 and run.result["n_used"] == 120 - dont_know
    # reverse-coded: the negatively worded question loads positively on loyalty
    loadings = run.result["loadings"]["忠诚"] if "loadings" in run.result else None
    if loadings is not None:
        assert loadings["loy2"] > 0.5


def test_groups_by_wave_branch_region_tier_and_segment(org, survey):
    customer_actions.save_segment(
        org.manager, name="贵宾", rules=[{"field": "tier", "op": "eq", "value": "vip"}]
    )
    dataset = actions.survey_dataset(SYSTEM, questionnaire="branch_service")
    frame = load_frame(dataset)
    assert sorted(frame["wave"].unique()) == ["2026年第2季度", "2026年第3季度"]
    assert set(frame["branch"]) == {"上海一支行", "杭州支行", "北京支行"}
    assert set(frame["region"]) == {"华东区", "华北区"}
    assert set(frame["tier"]) == {"贵宾", "普通"} or len(set(frame["tier"])) == 2
    members = frame[frame["segment:贵宾"] == "属于"]["response"]
    assert set(members) == survey.vip
    assert "segment:贵宾" in dataset.columns
    for group in ("wave", "branch", "region", "segment:贵宾"):
        run = _run(dataset, group=group, bootstrap=20)
        assert run.status == AnalysisRun.Status.DONE, (group, run.error)
        names = set(run.result["groups"]["groups"])
        assert len(names) == frame[group].nunique(), group
    with pytest.raises(ValidationError):  # refused before anything runs
        _run(dataset, group="nonsense")


def test_the_period_campaign_and_version_narrow_the_selection(org, survey):
    second = actions.survey_dataset(
        SYSTEM,
        questionnaire="branch_service",
        since=dt.date(2026, 7, 1),
        until=dt.date(2026, 9, 30),
    )
    assert second.rows == 60
    with pytest.raises(ValidationError):
        actions.survey_dataset(
            SYSTEM,
            questionnaire="branch_service",
            since=dt.date(2026, 9, 1),
            until=dt.date(2026, 1, 1),
        )
    with pytest.raises(ValidationError):  # nothing answered then
        actions.survey_dataset(SYSTEM, questionnaire="branch_service", since=dt.date(2027, 1, 1))
    with pytest.raises(ValidationError):
        actions.survey_dataset(SYSTEM, questionnaire="nope")
    # answers after the data set was made are not part of it: a rerun reads the same rows
    dataset = actions.survey_dataset(SYSTEM, questionnaire="branch_service")
    first = _run(dataset)
    from manyi.surveys import actions as survey_actions

    _link, token = survey_actions.create_link(SYSTEM, survey.questionnaire, branch=org.a1)
    later = {name: "5" for name in ("qual1", "qual2", "qual3", "loy1", "loy2")}
    survey_actions.submit(token, {**later, "sat1": "3", "sat2": "3"}, submission_key="later-0001")
    again = actions.rerun(SYSTEM, first)
    assert again.result["n_used"] == first.result["n_used"]
    assert again.result["index"] == first.result["index"]


def test_a_regional_analyst_sees_only_their_regions_answers(org, survey):
    regional = create_staff(
        SYSTEM,
        username="ra_analyst",
        name="区域分析员",
        role=Role.ANALYST,
        regions=[org.region_a],
        password="Correct-Horse-9",
    ).user
    with pytest.raises(PermissionDenied):
        actions.survey_dataset(regional, questionnaire="branch_service")  # company-wide
    with pytest.raises(PermissionDenied):
        actions.survey_dataset(regional, questionnaire="branch_service", region=org.region_b)
    mine = actions.survey_dataset(regional, questionnaire="branch_service", region=org.region_a)
    assert mine.rows == survey.by_branch["A1"] + survey.by_branch["A2"]
    assert set(load_frame(mine)["region"]) == {"华东区"}
    company = actions.survey_dataset(SYSTEM, questionnaire="branch_service")
    visible = set(Dataset.objects.visible_to(regional))
    assert mine in visible and company not in visible
    assert {mine, company} <= set(Dataset.objects.visible_to(org.analyst))
    run = _run(mine)
    assert run.status == AnalysisRun.Status.DONE, run.error
    assert run in set(AnalysisRun.objects.visible_to(regional))
    assert not AnalysisRun.objects.visible_to(org.agent_b1).exists()


def test_the_data_set_holds_no_personal_data(org, survey):
    frame = load_frame(actions.survey_dataset(SYSTEM, questionnaire="branch_service"))
    assert not {"customer", "agent", "comment", "phone"} & set(frame.columns)
    assert not frame.astype(str).apply(lambda c: c.str.contains("13812345678")).any().any()


def test_making_a_survey_data_set_is_audited(org, survey):
    from manyi.org.models import AuditEntry

    dataset = actions.survey_dataset(
        org.analyst, questionnaire="branch_service", since=dt.date(2026, 1, 1)
    )
    entry = AuditEntry.objects.filter(action="insight.dataset.survey").latest("pk")
    assert entry.after["questionnaire"] == "branch_service" and entry.after["rows"] == 120
    assert entry.after["upto"] == dataset.selection["upto"]


def test_the_page_runs_a_questionnaire_with_the_mapping_completed_by_hand(org, survey, login):
    client = login(org.analyst)
    page = client.get("/insight/new/").content.decode()
    assert "网点服务调查" in page and 'value="survey"' in page
    response = client.post(
        "/insight/new/",
        {
            "source": "survey",
            "questionnaire": "branch_service",
            "wave_by": "quarter",
            "model_yaml": MODEL,
            "scheme": "path",
            "bootstrap": 0,
            "seed": 1,
            "survey_group": "wave",
        },
    )
    assert response.status_code == 200
    text = response.content.decode()
    assert 'id="unmapped"' in text and "换行意向" in text
    assert ">我打算换一家银行<" in text  # the questions by their text
    form = response.context["form"]
    item = form.items.index("换行意向")
    data = {name: form[name].value() for name in form.fields}
    data["options"] = form["options"].value()
    data[f"item_{item}"] = "loy2"
    done = client.post("/insight/new/", {**data, "mapping": "1"})
    assert done.status_code == 302, done.content.decode()[:2000]
    run = AnalysisRun.objects.latest("pk")
    assert run.status == AnalysisRun.Status.DONE and run.options["group"] == "wave"
    assert run.options["mapping"]["换行意向"] == "loy2"
    assert set(run.result["groups"]["groups"]) == {"2026年第2季度", "2026年第3季度"}
    detail = client.get(done["Location"]).content.decode()
    assert "我打算换一家银行" in detail or "等候时间" in detail


def test_the_page_refuses_a_wrong_mapping_and_keeps_the_choices(org, survey, login):
    client = login(org.analyst)
    response = client.post(
        "/insight/new/",
        {
            "source": "survey",
            "questionnaire": "branch_service",
            "wave_by": "quarter",
            "model_yaml": MODEL,
            "scheme": "path",
            "bootstrap": 0,
            "seed": 1,
            "check_mapping": "on",
        },
    )
    form = response.context["form"]
    data = {name: form[name].value() for name in form.fields}
    data["options"] = form["options"].value()
    data[f"item_{form.items.index('换行意向')}"] = "loy1"  # loy1 is already loyalty's item
    again = client.post("/insight/new/", {**data, "mapping": "1"})
    assert again.status_code == 200
    assert "同一道题不能对应两个题项" in again.content.decode()
    assert not AnalysisRun.objects.exists()


def test_the_command_line_fits_and_compares_a_questionnaire(org, survey, tmp_path):
    import json

    from django.core.management import call_command
    from django.core.management.base import CommandError

    model = tmp_path / "model.yaml"
    model.write_text(MODEL, encoding="utf-8")
    out = tmp_path / "fit.json"
    xlsx = tmp_path / "fit.xlsx"
    call_command(
        "index", "fit", "--survey", "branch_service", "--model", str(model),
        "--map", "换行意向=loy2", "--since", "2026-07-01", "--bootstrap", "20",
        "--json", str(out), "--xlsx", str(xlsx),
    )  # fmt: skip
    result = json.loads(out.read_text(encoding="utf-8"))
    assert result["n_used"] <= 60 and set(result["index"]) == {"质量", "满意", "忠诚"}
    assert xlsx.read_bytes()[:2] == b"PK"
    assert AnalysisRun.objects.get(pk=result["run"]).options["mapping"]["换行意向"] == "loy2"
    diff = tmp_path / "diff.json"
    call_command(
        "index", "compare", "--survey", "branch_service", "--model", str(model),
        "--map", "换行意向=loy2", "--group", "region", "--bootstrap", "50", "--json", str(diff),
    )  # fmt: skip
    groups = json.loads(diff.read_text(encoding="utf-8"))["groups"]
    assert set(groups["groups"]) == {"华东区", "华北区"}
    with pytest.raises(CommandError, match="换行意向"):
        call_command("index", "fit", "--survey", "branch_service", "--model", str(model))
    with pytest.raises(CommandError):
        call_command(
            "index", "fit", "--survey", "branch_service", "--model", str(model),
            "--campaign", "没有这个活动",
        )  # fmt: skip


def test_the_api_starts_and_reads_a_run_on_survey_responses(org, survey, api):
    client = api(org.analyst)
    listed = client.get("/insight/questionnaires").json()
    mine = next(q for q in listed if q["code"] == "branch_service")
    assert mine["responses"] == 120
    sat2 = next(i for i in mine["items"] if i["name"] == "sat2")
    assert sat2["scale"] == [1.0, 5.0] and sat2["dont_know"] == ["9"]
    refused = client.post(
        "/insight/runs",
        {"survey": {"questionnaire": "branch_service"}, "model": MODEL},
    )
    assert refused.status_code == 400 and "换行意向" in refused.json()["message"]
    misspelt = client.post(
        "/insight/runs",
        {"survey": {"questionnaire": "branch_service", "sinse": "2026-01-01"}, "model": MODEL},
    )
    assert misspelt.status_code == 422
    started = client.post(
        "/insight/runs",
        {
            "survey": {"questionnaire": "branch_service", "region": "ra"},
            "model": MODEL,
            "mapping": {"换行意向": "loy2"},
            "group": "branch",
            "bootstrap": 30,
        },
    )
    assert started.status_code == 201, started.json()
    body = started.json()
    assert body["status"] == "done" and body["rows"] == 80
    assert set(body["result"]["groups"]["groups"]) == {"上海一支行", "杭州支行"}
    detail = client.get(f"/insight/runs/{body['id']}").json()
    assert detail["result"]["index"] == body["result"]["index"]
    assert "unbound_model" not in detail["options"]
    report = client.get(f"/insight/runs/{body['id']}/report.xlsx")
    assert report.status_code == 200 and report.content[:2] == b"PK"
    assert api(org.agent_b1).get(f"/insight/runs/{body['id']}").status_code in (403, 404)


def test_openapi_describes_the_index_operations(org, api):
    schema = api(org.analyst).get("/openapi.json").json()
    runs = schema["paths"]["/api/v1/insight/runs"]["post"]
    assert runs["summary"]
    body = runs["requestBody"]["content"]["application/json"]["schema"]
    assert body
    assert "/api/v1/insight/runs/{run_id}" in schema["paths"]
    assert "/api/v1/insight/runs/upload" in schema["paths"]
