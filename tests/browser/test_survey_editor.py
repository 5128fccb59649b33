"""A manager edits an answered questionnaire in the browser: a new label, a question made
required, an option added; saving makes version 2 and the earlier answer keeps version 1."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db(transaction=True)


def _answered(org, tmp_path):
    from manyi.analytics.tests.test_xlsform import workbook
    from manyi.customers import actions as customer_actions
    from manyi.org.actions import SYSTEM
    from manyi.surveys import actions

    path = workbook(tmp_path / "after_sales.xlsx")
    version, _unsupported = actions.import_xlsform(
        SYSTEM, content=path.read_bytes(), file_name=path.name
    )
    customer = customer_actions.create_customer(SYSTEM, branch=org.a1, name="周杰")
    _link, token = actions.create_link(SYSTEM, version.questionnaire, customer=customer)
    response, _created = actions.submit(
        token, {"visited": "yes", "sat": "4"}, submission_key="browser-edit-1"
    )
    return version.questionnaire, response


def test_a_manager_edits_a_questionnaire(org, live_server, browser_page, tmp_path):
    from tests.browser.test_tickets import login

    questionnaire, response = _answered(org, tmp_path)
    page = browser_page
    login(page, live_server.url, "boss")
    page.goto(f"{live_server.url}/surveys/after_sales/edit/")
    assert "保存后将生成第 2 版" in page.locator("#version-notice").inner_text()

    sat = page.locator("fieldset[data-question='sat']")
    sat.locator("textarea[name$='-label-zh']").fill("您对这次服务满意吗（1-5 分）")
    nps = page.locator("fieldset[data-question='nps']")
    nps.locator("input[type=checkbox][name$='-required']").check()

    # The options show only for choice questions, as the type changes.
    comment = page.locator("fieldset[data-question='comment']")
    assert comment.locator(".choices").is_hidden()
    comment.locator("select[data-kind]").select_option("select_one")
    assert comment.locator(".choices").is_visible()
    comment.locator("select[data-kind]").select_option("text")

    visited = page.locator("fieldset[data-question='visited']")
    with page.expect_navigation():
        visited.locator("button[data-op='add-choice']").click()
    visited = page.locator("fieldset[data-question='visited']")
    assert "moved" in (visited.get_attribute("class") or "")  # brought into view
    row = visited.locator("tbody tr").last
    row.locator("input[name$='-name']").fill("unsure")
    row.locator("input[name$='-zh']").fill("记不清了")
    row.locator("input[name$='-en']").fill("Not sure")
    # The draft kept what was typed before the option was added.
    assert (
        page.locator("fieldset[data-question='sat'] textarea[name$='-label-zh']").input_value()
        == "您对这次服务满意吗（1-5 分）"
    )
    page.fill("input[name=note]", "改题干，加选项")
    with page.expect_navigation():
        page.click("#editor-save")

    assert page.url.endswith("/surveys/after_sales/")
    assert "已保存为第 2 版" in page.locator(".messages").inner_text()
    assert "v2" in page.locator("#versions").inner_text()
    version = questionnaire.current_version()
    assert version.number == 2
    questions = {q["name"]: q for q in version.definition["questions"]}
    assert questions["sat"]["labels"]["zh"] == "您对这次服务满意吗（1-5 分）"
    assert questions["nps"]["rule"]["required"] == "yes"
    assert [c["name"] for c in questions["visited"]["choices"]] == ["yes", "no", "unsure"]
    response.refresh_from_db()
    assert response.version.number == 1 and response.values["sat"] == "4"
