"""Editing a questionnaire in the product: a questionnaire with answers gets a new version
(the answers keep theirs), one without is changed in place, a broken edit stores nothing,
and the editing page round-trips the form it shows."""

from __future__ import annotations

import copy
import json
from html.parser import HTMLParser
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from manyi.analytics.tests.test_xlsform import workbook
from manyi.analytics.xlsform import read_xlsform
from manyi.customers import actions as customer_actions
from manyi.org.actions import SYSTEM
from manyi.org.models import AuditEntry
from manyi.surveys import actions
from manyi.surveys.models import Questionnaire, QuestionnaireVersion, Response

pytestmark = pytest.mark.django_db

EDIT = "/surveys/after_sales/edit/"


@pytest.fixture
def questionnaire(org, tmp_path) -> Questionnaire:
    path = workbook(tmp_path / "after_sales.xlsx")
    version, _unsupported = actions.import_xlsform(
        SYSTEM, content=path.read_bytes(), file_name=path.name
    )
    return version.questionnaire


def _answer(org, questionnaire: Questionnaire, answers: dict[str, str], key: str) -> Response:
    customer = customer_actions.create_customer(SYSTEM, branch=org.a1, name="陈静")
    _link, token = actions.create_link(SYSTEM, questionnaire, customer=customer)
    response, _created = actions.submit(token, answers, submission_key=key)
    return response


def _definition(questionnaire: Questionnaire) -> dict[str, Any]:
    return copy.deepcopy(questionnaire.current_version().definition)


def _question(definition: dict[str, Any], name: str) -> dict[str, Any]:
    return next(q for q in definition["questions"] if q["name"] == name)


def _stored(questionnaire: Questionnaire) -> list[tuple[int, Any]]:
    return list(questionnaire.versions.order_by("number").values_list("number", "definition"))


# -- the action ------------------------------------------------------------------------------
def test_editing_an_answered_questionnaire_makes_version_2(org, questionnaire):
    response = _answer(org, questionnaire, {"visited": "yes", "sat": "4"}, "edit-0001")
    first = questionnaire.current_version()
    before = copy.deepcopy(first.definition)
    definition = _definition(questionnaire)
    sat = _question(definition, "sat")
    sat["labels"]["zh"] = "总体满意度（1-5 分）"
    _question(definition, "nps")["rule"]["required"] = "yes"

    version = actions.edit_questionnaire(org.manager, questionnaire, definition, note="改题干")

    assert version.number == 2 and version.pk != first.pk
    assert _question(version.definition, "sat")["labels"]["zh"] == "总体满意度（1-5 分）"
    response.refresh_from_db()
    first.refresh_from_db()
    assert response.version_id == first.pk and first.definition == before  # untouched
    assert response.values == {"visited": "yes", "sat": "4", "score": "80"}
    entry = AuditEntry.objects.filter(action="surveys.edit").get()
    assert entry.after["version"] == 2 and entry.after["new_version"] is True
    assert entry.after["changed"] == ["nps", "sat"] and entry.note == "改题干"


def test_editing_one_without_answers_changes_version_1_in_place(org, questionnaire):
    first = questionnaire.current_version()
    definition = _definition(questionnaire)
    _question(definition, "comment")["labels"]["en"] = "Anything else?"

    version = actions.edit_questionnaire(org.analyst, questionnaire, definition)

    assert (version.pk, version.number) == (first.pk, 1)
    assert questionnaire.versions.count() == 1
    first.refresh_from_db()
    assert _question(first.definition, "comment")["labels"]["en"] == "Anything else?"


def test_an_edit_that_changes_nothing_stores_nothing(org, questionnaire):
    _answer(org, questionnaire, {"visited": "no", "why_not": "远"}, "edit-0002")
    stored = _stored(questionnaire)
    version = actions.edit_questionnaire(org.manager, questionnaire, _definition(questionnaire))
    assert version.number == 1 and _stored(questionnaire) == stored
    assert not AuditEntry.objects.filter(action="surveys.edit").exists()


def _rename(definition: dict[str, Any], old: str, new: str) -> None:
    question = _question(definition, old)
    question["name"] = new
    question["rule"]["name"] = new


def _break(how: str, definition: dict[str, Any]) -> None:
    if how == "syntax":
        _question(definition, "sat")["rule"]["constraint"] = ". >= 1 and"
    elif how == "unknown reference":
        _question(definition, "comment")["rule"]["relevant"] = "${nowhere} = 'yes'"
    elif how == "duplicate name":
        _rename(definition, "comment", "sat")
    elif how == "invalid name":
        _rename(definition, "comment", "1 comment")
    elif how == "no options":
        _question(definition, "visited")["choices"] = []
    elif how == "circular":
        _question(definition, "score")["rule"]["calculation"] = "${nps} + 1"
        _question(definition, "nps")["rule"]["calculation"] = "${score} * 2"
    elif how == "unknown kind":
        _question(definition, "comment")["kind"] = "signature"
    elif how == "no text":
        _question(definition, "comment")["labels"] = {"zh": " "}


@pytest.mark.parametrize(
    ("how", "zh", "en"),
    [
        ("syntax", "题目 sat 的 constraint", "sat, constraint"),
        ("unknown reference", "${nowhere} 不是本问卷中的题目", "${nowhere} is not a question"),
        ("duplicate name", "有两道题目都叫 sat", "two questions are named sat"),
        ("invalid name", "题目名称“1 comment”无效", "“1 comment” is not valid"),
        ("no options", "题目 visited 是选择题，至少需要一个选项", "visited: a choice question"),
        ("circular", "计算字段之间存在循环依赖", "in a circle"),
        ("unknown kind", "题目 comment 的题型“signature”", "“signature” is not known"),
        ("no text", "题目 comment 缺少题干", "comment: the question has no text"),
    ],
)
def test_a_broken_edit_is_refused_in_the_users_language(org, questionnaire, how, zh, en):
    _answer(org, questionnaire, {"visited": "no", "why_not": "远"}, "edit-0003")
    stored = _stored(questionnaire)
    definition = _definition(questionnaire)
    _break(how, definition)
    with pytest.raises(ValidationError) as refused:
        actions.edit_questionnaire(org.manager, questionnaire, definition)
    assert zh in refused.value.messages[0]
    with translation.override("en"), pytest.raises(ValidationError) as refused:
        actions.edit_questionnaire(org.manager, questionnaire, definition)
    assert en in refused.value.messages[0]
    assert _stored(questionnaire) == stored
    assert not AuditEntry.objects.filter(action="surveys.edit").exists()


def test_removing_a_question_others_refer_to_is_refused(org, questionnaire):
    definition = _definition(questionnaire)
    definition["questions"] = [q for q in definition["questions"] if q["name"] != "sat"]
    with pytest.raises(ValidationError, match=r"题目 score 的 calculation：\$\{sat\}"):
        actions.edit_questionnaire(org.manager, questionnaire, definition)


def test_only_designers_edit(org, questionnaire):
    with pytest.raises(Exception) as refused:
        actions.edit_questionnaire(org.agent_a1, questionnaire, _definition(questionnaire))
    assert type(refused.value).__name__ == "PermissionDenied"


def test_answers_after_the_edit_meet_the_new_versions_rules(org, questionnaire):
    _answer(org, questionnaire, {"visited": "no", "why_not": "远"}, "edit-0004")
    definition = _definition(questionnaire)
    _question(definition, "nps")["rule"]["required"] = "yes"  # newly required
    actions.edit_questionnaire(org.manager, questionnaire, definition)

    customer = customer_actions.create_customer(SYSTEM, branch=org.a1, name="周杰")
    _link, token = actions.create_link(SYSTEM, questionnaire, customer=customer)
    with pytest.raises(actions.SubmissionRefused) as refused:
        actions.submit(token, {"visited": "no", "why_not": "忙"}, submission_key="edit-0005")
    assert [(p["question"], p["code"]) for p in refused.value.problems] == [("nps", "required")]
    response, _created = actions.submit(
        token, {"visited": "no", "why_not": "忙", "nps": "9"}, submission_key="edit-0006"
    )
    assert response.version.number == 2


# -- the page ------------------------------------------------------------------------------
class _Fields(HTMLParser):
    """The fields the editor's form would post, as a browser collects them."""

    def __init__(self) -> None:
        super().__init__()
        self.fields: dict[str, str] = {}
        self._textarea: str | None = None
        self._select: str | None = None
        self._first_option: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "input" and a.get("name"):
            if a.get("type") == "checkbox":
                if "checked" in a:
                    self.fields[a["name"]] = a.get("value") or "on"
            else:
                self.fields[a["name"]] = a.get("value", "")
        elif tag == "textarea":
            self._textarea = a["name"]
            self.fields[a["name"]] = ""
        elif tag == "select":
            self._select, self._first_option = a["name"], None
        elif tag == "option" and self._select:
            if self._first_option is None:
                self._first_option = a["value"]
                self.fields.setdefault(self._select, a["value"])
            if "selected" in a:
                self.fields[self._select] = a["value"]

    def handle_endtag(self, tag: str) -> None:
        if tag == "textarea":
            self._textarea = None
        elif tag == "select":
            self._select = None

    def handle_data(self, data: str) -> None:
        if self._textarea:
            self.fields[self._textarea] += data


def fields(html: str) -> dict[str, str]:
    form = html[html.index('<form method="post" id="editor"') :]
    parser = _Fields()
    parser.feed(form[: form.index("</form>")])
    return parser.fields


def _index(data: dict[str, str], name: str) -> int:
    """The position of question `name` among the page's fields."""
    keys = [k for k, v in data.items() if v == name and k.endswith("-name") and "-c" not in k]
    return next(int(k[1:].split("-")[0]) for k in keys if k.startswith("q"))


def test_the_page_shows_the_form_and_saving_it_unchanged_stores_nothing(login, org, questionnaire):
    _answer(org, questionnaire, {"visited": "yes", "sat": "5"}, "edit-0007")
    client = login(org.manager)
    page = client.get(EDIT)
    html = page.content.decode()
    assert page.status_code == 200
    assert "此问卷第 1 版已有 1 份回答：保存后将生成第 2 版；之前的回答仍属于第 1 版。" in html
    assert "满意度（1-5）" in html and "Satisfaction (1-5)" in html and "请填 1-5" in html
    assert "服务评价" in html  # the section
    stored = _stored(questionnaire)
    saved = client.post(EDIT, {**fields(html), "op": "save"}, follow=True)
    assert "没有任何改动，未保存。" in saved.content.decode()
    assert _stored(questionnaire) == stored


def test_editing_on_the_page_makes_version_2(login, org, questionnaire):
    response = _answer(org, questionnaire, {"visited": "yes", "sat": "5"}, "edit-0008")
    client = login(org.manager)
    data = fields(client.get(EDIT).content.decode())
    sat = _index(data, "sat")
    data[f"q{sat}-label-zh"] = "您对本次服务满意吗（1-5）"
    nps = _index(data, "nps")
    data[f"q{nps}-required"] = "yes"
    added = client.post(EDIT, {**data, "op": f"add_choice:{_index(data, 'visited')}"})
    data = fields(added.content.decode())
    visited = _index(data, "visited")
    assert data[f"q{visited}-choices"] == "3" and data[f"q{visited}-c2-name"] == "3"
    data[f"q{visited}-c2-name"] = "unsure"
    data[f"q{visited}-c2-zh"] = "不记得"
    assert data[f"q{sat}-label-zh"] == "您对本次服务满意吗（1-5）"  # the draft survives

    done = client.post(EDIT, {**data, "op": "save", "note": "加选项"}, follow=True)

    assert "已保存为第 2 版；之前的回答仍属于第 1 版。" in done.content.decode()
    version = questionnaire.current_version()
    assert version.number == 2 and version.source_name == "加选项"
    definition = version.definition
    assert _question(definition, "sat")["labels"]["zh"] == "您对本次服务满意吗（1-5）"
    assert _question(definition, "nps")["rule"]["required"] == "yes"
    assert [c["name"] for c in _question(definition, "visited")["choices"]] == [
        "yes",
        "no",
        "unsure",
    ]
    assert _question(definition, "visited")["rule"]["choices"] == ["yes", "no", "unsure"]
    response.refresh_from_db()
    assert response.version.number == 1


def test_a_refused_save_on_the_page_says_why_and_keeps_the_draft(login, org, questionnaire):
    client = login(org.manager)
    data = fields(client.get(EDIT).content.decode())
    stored = _stored(questionnaire)
    comment = _index(data, "comment")
    data[f"q{comment}-relevant"] = "${score} <= "
    data[f"q{_index(data, 'sat')}-label-zh"] = "改过的题干"
    refused = client.post(EDIT, {**data, "op": "save"})
    html = refused.content.decode()
    assert refused.status_code == 200 and 'id="editor-error"' in html
    assert "题目“意见”的 relevant" in html  # the question by its text, not its code
    assert "改过的题干" in html  # nothing typed is lost
    assert _stored(questionnaire) == stored


def test_removing_on_the_page(login, org, questionnaire):
    client = login(org.manager)
    data = fields(client.get(EDIT).content.decode())
    refused = client.post(EDIT, {**data, "op": f"remove:{_index(data, 'visited')}"})
    html = refused.content.decode()
    assert "不能删除 “您去过网点吗？”：“满意度（1-5）”（显示条件）、题组 “补充”（显示条件）" in html
    assert 'data-question="visited"' in html  # still there
    removed = client.post(EDIT, {**data, "op": f"remove:{_index(data, 'nps')}"})
    data = fields(removed.content.decode())
    assert "nps" not in data.values()
    client.post(EDIT, {**data, "op": "save"})
    names = [q["name"] for q in questionnaire.current_version().definition["questions"]]
    assert "nps" not in names and questionnaire.versions.count() == 1  # no answers: in place


def test_the_editor_names_questions_by_their_text(login, org, questionnaire):
    from django.utils.translation import gettext, override

    client = login(org.manager)
    stored = _stored(questionnaire)
    data = fields(client.get(EDIT).content.decode())
    data[f"q{_index(data, 'comment')}-relevant"] = "${score} <= "
    english = client.post(EDIT, {**data, "op": "save"}, headers={"accept-language": "en"})
    assert "“Comments”, relevant: " in english.content.decode()
    # Two questions with one text: the code tells them apart.
    data[f"q{_index(data, 'sat')}-label-zh"] = "意见"
    twice = client.post(EDIT, {**data, "op": "save"}).content.decode()
    with override("zh-hans"):
        shown = gettext("“%(label)s” (%(code)s)") % {"label": "意见", "code": "comment"}
    assert f"题目{shown}的 relevant" in twice
    # The preview checks the draft the same way, and names the question the same way.
    data[f"q{_index(data, 'sat')}-label-zh"] = "满意度（1-5）"
    data[f"q{_index(data, 'comment')}-relevant"] = "${nowhere} = 'yes'"
    preview = client.post(EDIT, {**data, "op": "preview"}).content.decode()
    assert "题目“意见”的 relevant：${nowhere} 不是本问卷中的题目" in preview
    assert _stored(questionnaire) == stored  # nothing refused was kept


def test_moving_and_adding_questions_and_sections(login, org, questionnaire):
    client = login(org.manager)
    data = fields(client.get(EDIT).content.decode())
    order = lambda d: [d[f"q{i}-name"] for i in range(int(d["questions"]))]  # noqa: E731
    assert order(data) == [
        "visited",
        "sat",
        "items",
        "items_other",
        "score",
        "comment",
        "why_not",
        "nps",
    ]
    data = fields(client.post(EDIT, {**data, "op": "down:0"}).content.decode())
    assert order(data)[:2] == ["sat", "visited"]
    # The first question of a section moved up leaves it for the one before.
    data = fields(client.post(EDIT, {**data, "op": "up:4"}).content.decode())
    assert order(data)[4] == "score" and data["q4-group"] == "service"
    data = fields(client.post(EDIT, {**data, "op": "add:7"}).content.decode())
    assert order(data)[8] == "q1" and data["q8-group"] == ""
    data["q8-label-zh"] = "还有什么建议？"
    data = fields(client.post(EDIT, {**data, "op": "add_section"}).content.decode())
    assert data["q9-group"] == "section1" and data["q9-name"] == "q2"
    data["q9-label-zh"] = "联系方式"
    data["q9-kind"] = "select_one"
    data = fields(client.post(EDIT, {**data, "op": "add_choice:9"}).content.decode())
    data["q9-c0-zh"] = "电话"
    group = next(k[: -len("-name")] for k, v in data.items() if v == "section1")
    data[f"{group}-label-zh"] = "回访"
    client.post(EDIT, {**data, "op": "save"})
    definition = questionnaire.current_version().definition
    assert [q["name"] for q in definition["questions"]][-2:] == ["q1", "q2"]
    assert [g["name"] for g in definition["groups"]] == ["service", "extra", "section1"]
    assert _question(definition, "score")["group"] == ["service"]
    assert _question(definition, "q2")["choices"] == [{"name": "1", "labels": {"zh": "电话"}}]


def test_someone_saving_meanwhile_is_noticed(login, org, questionnaire):
    client = login(org.manager)
    data = fields(client.get(EDIT).content.decode())
    other = _definition(questionnaire)
    _question(other, "comment")["labels"]["zh"] = "别人改的"
    actions.edit_questionnaire(org.analyst, questionnaire, other)
    data[f"q{_index(data, 'sat')}-label-zh"] = "我改的"
    first = client.post(EDIT, {**data, "op": "save"})
    assert "在您编辑期间" in first.content.decode()
    assert _question(_definition(questionnaire), "sat")["labels"]["zh"] == "满意度（1-5）"
    again = fields(first.content.decode())
    client.post(EDIT, {**again, "op": "save"})
    assert _question(_definition(questionnaire), "sat")["labels"]["zh"] == "我改的"


def test_agents_may_not_edit(login, org, questionnaire):
    client = login(org.agent_a1)
    assert client.get(EDIT).status_code == 403
    assert client.post(EDIT, {"op": "save"}).status_code == 403
    assert client.get(EDIT + "xlsform/").status_code == 403
    assert client.post(EDIT + "preview/", "{}", content_type="application/json").status_code == 403


def test_the_page_in_english(login, org, questionnaire):
    client = login(org.manager)
    html = client.get(EDIT, headers={"accept-language": "en"}).content.decode()
    assert "Version 1 has no answers yet: saving changes version 1 in place." in html


def test_download_as_xlsform_reads_back_the_same(login, org, questionnaire, tmp_path):
    definition = _definition(questionnaire)
    _question(definition, "sat")["labels"]["zh"] = "总体满意度"
    actions.edit_questionnaire(org.manager, questionnaire, definition)
    client = login(org.analyst)
    download = client.get(EDIT + "xlsform/")
    assert download.status_code == 200
    assert download["Content-Disposition"] == 'attachment; filename="after_sales-v1.xlsx"'
    path = tmp_path / "down.xlsx"
    path.write_bytes(
        b"".join(download.streaming_content) if download.streaming else download.content
    )
    form = read_xlsform(path)
    assert [q.name for q in form.questions] == [q["name"] for q in definition["questions"]]
    assert form.questions[1].labels["zh"] == "总体满意度"
    assert client.get(EDIT + "xlsform/?version=7").status_code == 404


def test_preview_shows_the_draft_and_checks_answers_without_storing(login, org, questionnaire):
    client = login(org.manager)
    data = fields(client.get(EDIT).content.decode())
    data[f"q{_index(data, 'nps')}-required"] = "yes"
    data[f"q{_index(data, 'sat')}-label-zh"] = "预览中的题干"
    preview = client.post(EDIT, {**data, "op": "preview"})
    html = preview.content.decode()
    assert preview.status_code == 200 and "【预览】售后满意度" in html
    script = html[html.index('id="survey-data"') :]
    survey = json.loads(script[script.index(">") + 1 : script.index("</script>")])
    assert _question(survey["definition"], "sat")["labels"]["zh"] == "预览中的题干"
    check = lambda answers: client.post(  # noqa: E731
        EDIT + "preview/", {"answers": answers, "language": "zh"}, content_type="application/json"
    )
    missing = check({"visited": "no", "why_not": "忙"})
    assert missing.status_code == 422 and missing.json()["problems"][0]["question"] == "nps"
    assert check({"visited": "no", "why_not": "忙", "nps": "8"}).status_code == 200
    assert Response.objects.count() == 0
    assert _question(_definition(questionnaire), "sat")["labels"]["zh"] == "满意度（1-5）"


def test_an_unknown_questionnaire_is_not_found(login, org, questionnaire):
    client = login(org.manager)
    assert client.get("/surveys/nothing/edit/").status_code == 404
    assert QuestionnaireVersion.objects.count() == 1


# -- the checks themselves (no database) -----------------------------------------------------
def test_the_checks_leave_an_imported_form_as_it_is_and_know_who_refers_to_whom(tmp_path):
    from manyi.analytics.formcheck import check_form, normalise, referrers

    form = read_xlsform(workbook(tmp_path / "form.xlsx"))
    assert normalise(form) == form
    check_form(form)
    assert referrers(form, "visited") == [("sat", "relevant"), ("extra", "relevant")]
    assert referrers(form, "nps") == []


@pytest.mark.parametrize(
    ("parameters", "accepted"),
    [
        ({"start": "0", "end": "10", "step": "1"}, True),
        ({"start": "1", "end": "5"}, True),
        ({"start": "0", "end": "10", "step": "0"}, False),  # the page would never finish
        ({"start": "10", "end": "0"}, False),
        ({"start": "0", "end": "1000"}, False),
        ({"end": "ten"}, False),
    ],
)
def test_a_scale_must_be_one_the_page_can_draw(tmp_path, parameters, accepted):
    import dataclasses

    from manyi.analytics.formcheck import check_form
    from manyi.analytics.xlsform import XLSFormError

    form = read_xlsform(workbook(tmp_path / "form.xlsx"))
    nps = next(q for q in form.questions if q.name == "nps")
    changed = dataclasses.replace(
        form,
        questions=[
            dataclasses.replace(q, parameters=parameters) if q is nps else q for q in form.questions
        ],
    )
    if accepted:
        check_form(changed)
    else:
        with pytest.raises(XLSFormError, match="nps"):
            check_form(changed)


def test_a_sections_condition_is_checked_too(org, questionnaire):
    definition = _definition(questionnaire)
    definition["groups"][1]["relevant"] = "${gone} = 'no'"
    with pytest.raises(ValidationError, match=r"题组 extra 的 relevant：\$\{gone\}"):
        actions.edit_questionnaire(org.manager, questionnaire, definition)
