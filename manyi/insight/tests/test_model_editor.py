"""The model editor's reads: the items a questionnaire or a data set offers, and a model
checked (in the page's language) and written as YAML that the analysis reads back."""

from __future__ import annotations

import json
from typing import Any

import pytest

from manyi.analytics.modelfile import load_model, template, template_text
from manyi.insight import actions
from manyi.insight.tests.survey_data import LABELS, answered
from manyi.org.actions import SYSTEM
from manyi.org.models import AuditEntry

COLUMNS = "/insight/models/columns/"
CHECK = "/insight/models/check/"
CSV = "q1,q2,q3,s1,s2,weight\n7,8,7,8,9,1\n5,6,6,6,7,1\n9,9,8,9,9,2\n"


def editor_model(**changes: Any) -> dict[str, Any]:
    """A two-block model as the editor sends it."""
    model: dict[str, Any] = {
        "name": "两块模型",
        "blocks": [
            {
                "name": "质量",
                "labels": {"zh": "服务质量", "en": "Service quality"},
                "mode": "A",
                "scale": [1, 10],
                "items": [{"name": "q1"}, {"name": "q2"}, {"name": "q3", "reverse": True}],
            },
            {
                "name": "满意",
                "labels": {"zh": "满意度"},
                "mode": "B",
                "scale": [1, 10],
                "items": [{"name": "s1"}, {"name": "s2", "label": "与预期相比"}],
            },
        ],
        "paths": [["质量", "满意"]],
        "target": "满意",
    }
    model.update(changes)
    return model


def check(client, body: dict[str, Any], language: str = "zh-hans"):
    return client.post(
        CHECK, json.dumps(body), content_type="application/json", HTTP_ACCEPT_LANGUAGE=language
    )


def messages(answer: dict[str, Any]) -> list[str]:
    return [e["message"] for e in answer["errors"]]


@pytest.fixture
def dataset(org):
    return actions.upload_dataset(SYSTEM, name="小样本", filename="small.csv", content=CSV.encode())


@pytest.mark.django_db
def test_an_analyst_gets_a_data_sets_columns(org, login, dataset):
    response = login(org.analyst).get(COLUMNS, {"dataset": dataset.pk})
    assert response.status_code == 200
    assert [c["name"] for c in response.json()["columns"]] == [
        "q1",
        "q2",
        "q3",
        "s1",
        "s2",
        "weight",
    ]


@pytest.mark.django_db
def test_the_questionnaires_rating_questions_are_the_items(org, login):
    survey = answered(org, per_quarter=6)
    response = login(org.analyst).get(COLUMNS, {"questionnaire": survey.questionnaire.code})
    assert response.status_code == 200
    found = {c["name"]: c for c in response.json()["columns"]}
    assert set(found) == set(LABELS)  # the comment is no rating question
    assert found["qual1"]["label"] == "等候时间"  # the question's text, without its scale hint
    assert found["qual1"]["scale"] == [1, 10]
    assert found["sat1"]["scale"] == [1, 5]


@pytest.mark.django_db
def test_a_questionnaires_data_set_offers_its_questions_not_its_grouping_columns(org, login):
    survey = answered(org, per_quarter=6)
    dataset = actions.survey_dataset(SYSTEM, questionnaire=survey.questionnaire.code)
    assert "branch" in dataset.columns  # a comparison column, no item
    response = login(org.analyst).get(COLUMNS, {"dataset": dataset.pk})
    found = {c["name"]: c["label"] for c in response.json()["columns"]}
    assert set(found) == set(LABELS)
    assert found["sat2"] == "与预期相比"


@pytest.mark.django_db
def test_a_data_set_out_of_sight_is_not_offered(org, login):
    theirs = actions.upload_dataset(
        SYSTEM, name="北京", filename="b.csv", content=CSV.encode(), branch=org.b1
    )
    response = login(org.regional_a).get(COLUMNS, {"dataset": theirs.pk})
    assert response.status_code == 400
    assert "columns" not in response.json()


@pytest.mark.django_db
def test_an_agent_is_refused(org, login, dataset):
    client = login(org.agent_a1)
    assert client.get(COLUMNS, {"dataset": dataset.pk}).status_code == 403
    response = check(client, {"model": editor_model()})
    assert response.status_code == 403
    assert response.json()["ok"] is False


@pytest.mark.django_db
def test_someone_logged_out_is_sent_to_log_in(client):
    assert client.get(COLUMNS, {"dataset": 1}).status_code == 302
    assert check(client, {"yaml": "blocks: {}"}).status_code == 302


@pytest.mark.django_db
def test_unreadable_requests_are_refused(org, login, dataset):
    client = login(org.analyst)
    assert client.get(COLUMNS).status_code == 400  # neither a questionnaire nor a data set
    assert client.get(COLUMNS, {"dataset": 999_999}).status_code == 400
    assert client.get(COLUMNS, {"questionnaire": "nope"}).status_code == 400
    response = client.post(CHECK, "not json", content_type="application/json")
    assert response.status_code == 400 and response.json()["ok"] is False
    assert check(client, {}).status_code == 400  # neither a model nor a text
    assert check(client, {"model": {"blocks": [{"nam": "x"}]}}).status_code == 400
    assert check(client, {"model": editor_model(), "yaml": "blocks: {}"}).status_code == 400
    assert client.get(CHECK).status_code == 405  # a check is posted


@pytest.mark.django_db
def test_a_good_model_comes_back_as_yaml_that_reads_back_the_same(org, login):
    response = check(login(org.analyst), {"model": editor_model()})
    assert response.status_code == 200
    answer = response.json()
    assert answer["ok"] is True and answer["errors"] == []
    model = load_model(answer["yaml"])
    assert model.name == "两块模型"
    assert dict(model.path_model.blocks) == {"质量": ["q1", "q2", "q3"], "满意": ["s1", "s2"]}
    assert model.path_model.mode("质量") == "A" and model.path_model.mode("满意") == "B"
    assert list(model.path_model.paths) == [("质量", "满意")]
    assert model.target == "满意"
    assert model.scales == {name: (1, 10) for name in ("q1", "q2", "q3", "s1", "s2")}
    assert model.items["q3"].reverse and not model.items["q1"].reverse
    assert model.items["s2"].label == "与预期相比"
    assert model.label("质量", "en") == "Service quality"
    assert model.label("满意", "zh") == "满意度"
    # Read into the editor again, the YAML gives the same model.
    again = check(login(org.analyst), {"yaml": answer["yaml"]}).json()
    assert again["ok"] is True
    assert load_model(check(login(org.analyst), {"model": again["model"]}).json()["yaml"]) == model


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["china", "ecsi", "acsi"])
def test_a_template_read_into_the_editor_and_written_again_is_the_same_model(org, login, name):
    client = login(org.analyst)
    read = check(client, {"yaml": template_text(name)}).json()
    assert read["ok"] is True
    assert load_model(read["yaml"]) == template(name)
    written = check(client, {"model": read["model"]}).json()
    assert written["ok"] is True, written["errors"]
    assert load_model(written["yaml"]) == template(name)


@pytest.mark.django_db
def test_each_mistake_is_reported_where_it_is(org, login):
    broken = editor_model(
        paths=[["质量", "满意"], ["质量", ""], ["质量", "别处"], ["满意", "满意"]],
        target="别处",
    )
    broken["blocks"].append({"name": "空块", "items": [], "scale": [10, 1]})
    answer = check(login(org.analyst), {"model": broken}, language="en").json()
    assert answer["ok"] is False
    where: dict[tuple[Any, Any, Any], str] = {}
    for e in answer["errors"]:
        key = (e.get("block"), e.get("path"), e.get("field"))
        where[key] = where.get(key, "") + e["message"]
    assert "“空块” has no items yet" in where[(2, None, None)]
    assert "maximum must be above its minimum" in where[(2, None, None)]
    assert "Choose where this path starts" in where[(None, 1, None)]
    assert "“别处”, which is not a block" in where[(None, 2, None)]
    assert "to itself" in where[(None, 3, None)]
    assert "not a block" in where[(None, None, "target")]
    # The YAML still shows what the editor holds, so the text and the editor stay in step.
    assert "空块" in answer["yaml"] and "别处" in answer["yaml"]


@pytest.mark.django_db
def test_the_analysis_check_speaks_the_pages_language(org, login):
    client = login(org.analyst)
    cycle = editor_model(paths=[["质量", "满意"], ["满意", "质量"]])
    chinese = check(client, {"model": cycle}).json()
    assert chinese["ok"] is False
    assert messages(chinese) == ["路径形成了循环：满意、质量"]
    english = check(client, {"model": cycle}, language="en").json()
    assert messages(english) == ["the paths form a cycle among ['满意', '质量']"]
    bad_yaml = "blocks:\n  质量: {items: [q1, q2]\n"
    assert "不是有效的 YAML" in messages(check(client, {"yaml": bad_yaml}).json())[0]
    assert "not valid YAML" in messages(check(client, {"yaml": bad_yaml}, language="en").json())[0]
    missing_items = check(client, {"yaml": "blocks:\n  质量: {mode: A}\n"}).json()
    assert messages(missing_items) == ["潜变量“质量”需要题项列表"]


@pytest.mark.django_db
def test_two_blocks_of_one_name_leave_the_yaml_as_it_was(org, login):
    twins = editor_model()
    twins["blocks"][1]["name"] = "质量"
    answer = check(login(org.analyst), {"model": twins}, language="en").json()
    assert answer["ok"] is False and answer["yaml"] is None
    assert any("Two blocks are called “质量”" in m for m in messages(answer))


@pytest.mark.django_db
def test_the_checks_write_nothing(org, login, dataset):
    client = login(org.analyst)
    before = AuditEntry.objects.count()
    check(client, {"model": editor_model()})
    client.get(COLUMNS, {"dataset": dataset.pk})
    assert AuditEntry.objects.count() == before
