"""A respondent answers on a phone: sections one at a time, questions appearing and
disappearing with the answers, constraints checked while typing, the server's verdict."""

from __future__ import annotations

import pytest

from manyi.analytics.tests.test_formlogic import CASES
from manyi.analytics.tests.test_xlsform import workbook

pytestmark = pytest.mark.django_db(transaction=True)


def _link(org, tmp_path, single_use=True):
    from manyi.customers import actions as customer_actions
    from manyi.org.actions import SYSTEM
    from manyi.surveys import actions

    path = workbook(tmp_path / "after_sales.xlsx")
    version, _unsupported = actions.import_xlsform(
        SYSTEM, content=path.read_bytes(), file_name=path.name
    )
    customer = customer_actions.create_customer(SYSTEM, branch=org.a1, name="周杰")
    _link, token = actions.create_link(
        SYSTEM, version.questionnaire, customer=customer, single_use=single_use
    )
    return token


def test_answering_on_a_phone_with_skip_logic(org, live_server, browser_page, tmp_path):
    from manyi.surveys.models import Response

    token = _link(org, tmp_path)
    page = browser_page
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_server.url}/s/{token}/")
    sat = page.locator("[data-question='sat']")
    assert sat.is_hidden()  # shown only to those who visited
    page.check("input[name=visited][value=yes]")
    assert sat.is_visible()
    page.fill("input[name=sat]", "7")
    assert "1-5" in sat.locator(".error").inner_text()  # checked while typing
    page.fill("input[name=sat]", "2")
    assert sat.locator(".error").inner_text() == ""
    page.check("input[name=items][value=other]")
    page.fill("input[name=items_other]", "上门安装")
    page.click("#survey-next")
    comment = page.locator("[data-question='comment']")
    assert comment.is_visible()  # score 40: asked why
    page.click("#survey-next")  # empty and required: stays, says so
    assert comment.locator(".error").inner_text() != ""
    page.fill("textarea[name=comment]", "维修等了两周")
    page.click("#survey-back")  # back to the first section, answers kept
    assert page.locator("input[name=sat]").input_value() == "2"
    page.click("#survey-next")
    page.click("#survey-next")
    assert page.locator("[data-question='why_not']").count() == 1
    assert page.locator("[data-question='why_not']").is_hidden()  # skipped section
    page.click("#survey-next")  # the last section: submit
    page.wait_for_selector("#survey-done")
    response = Response.objects.get()
    assert response.values["sat"] == "2" and response.values["score"] == "40"
    assert response.values["items"] == "other" and response.values["items_other"] == "上门安装"
    assert "why_not" not in response.values
    page.goto(f"{live_server.url}/s/{token}/")  # a single-use link, once used
    assert page.locator("#survey-unusable").is_visible()


def test_a_respondent_opts_out_from_the_page(org, live_server, browser_page, tmp_path):
    from manyi.surveys.models import OptOut

    token = _link(org, tmp_path)
    page = browser_page
    page.goto(f"{live_server.url}/s/{token}/")
    page.click("#survey-opt-out")
    page.wait_for_function("!document.querySelector('#survey-opt-out')")
    assert OptOut.objects.count() == 1


def test_the_page_gives_the_same_verdicts_as_the_server(org, live_server, browser_page, tmp_path):
    token = _link(org, tmp_path, single_use=False)
    page = browser_page
    page.goto(f"{live_server.url}/s/{token}/")
    answers = {
        "age": "42",
        "income": "1500.5",
        "zero": "0",
        "blank": "",
        "consent": "yes",
        "services": "water power",
        "name": "Ana Silva",
        "phone": "13812345678",
    }
    results = page.evaluate(
        """([cases, answers]) => cases.map(([e]) => {
             const L = ManyiFormLogic;
             try { return L.toString(L.evaluate(e, answers, {today: "2026-11-23"})); }
             catch (error) { return "error: " + error.message; } })""",
        [CASES, answers],
    )
    mismatches = [
        (expression, expected, got)
        for (expression, expected), got in zip(CASES, results, strict=True)
        if got != expected
    ]
    assert mismatches == []


def test_an_interviewer_completes_a_phone_interview(org, live_server, browser_page, tmp_path):
    from manyi.customers.models import Segment
    from manyi.org.actions import SYSTEM
    from manyi.surveys import actions
    from manyi.surveys.models import CallCase, Response

    _link(org, tmp_path)  # the questionnaire and one customer with a phone
    from manyi.customers import actions as customer_actions

    for n, name in enumerate(("吴敏", "郑浩")):
        customer_actions.create_customer(
            SYSTEM, branch=org.a1, name=name, contacts=[("mobile", f"1360000000{n}")]
        )
    call_list = actions.draw_call_list(
        SYSTEM,
        name="售后电话回访",
        questionnaire=__import__(
            "manyi.surveys.models", fromlist=["Questionnaire"]
        ).Questionnaire.objects.get(code="after_sales"),
        segment=Segment.objects.create(name="全部", rules=[]),
        size=2,
        seed=3,
    )
    page = browser_page
    from tests.browser.test_tickets import login

    login(page, live_server.url, "agent_a1")
    page.goto(f"{live_server.url}/surveys/calls/{call_list.pk}/")
    first = page.locator("#case").get_attribute("data-case")
    page.select_option("#call-outcome select[name=outcome]", "busy")
    page.click("#call-outcome button[type=submit]")
    page.wait_for_load_state()
    second = page.locator("#case").get_attribute("data-case")
    assert second != first  # the busy one waits; the next customer comes up
    page.check("input[name=visited][value=no]")
    page.click("#survey-next")  # to the next section with the skip logic applied
    page.fill("input[name=why_not]", "工作太忙")
    while page.locator("#survey-next").inner_text() not in ("提交", "Submit"):
        page.click("#survey-next")
    page.click("#survey-next")
    page.wait_for_selector("#progress")
    page.wait_for_function(f"!document.querySelector('[data-case=\"{second}\"]')")
    case = CallCase.objects.get(pk=int(second))
    assert case.state == "completed"
    response = Response.objects.get(pk=case.response_id)
    assert response.channel == "phone" and response.values["why_not"] == "工作太忙"
    assert CallCase.objects.get(pk=int(first)).state == "to_call"


def test_the_feedback_widget_on_another_site(org, live_server, browser_page):
    from manyi.surveys.models import Feedback

    page = browser_page
    page.set_content(
        f'<html><body><h1>和信银行</h1><script src="{live_server.url}/static/surveys/widget.js"'
        ' data-branch="A1"></script></body></html>'
    )
    page.click("#manyi-feedback-open")
    page.fill("#manyi-feedback textarea[name=text]", "网上银行转账页面打不开")
    page.click("#manyi-feedback button[type=submit]")
    page.wait_for_function(
        "document.querySelector('#manyi-feedback .status').textContent.length > 0"
    )
    feedback = Feedback.objects.get()
    assert feedback.source == "widget" and feedback.branch == org.a1
