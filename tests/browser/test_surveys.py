"""A respondent answers on a phone: sections one at a time, questions appearing and
disappearing with the answers, constraints checked while typing, the server's verdict."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

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
    expect(page.locator("#survey-opt-out")).to_have_count(0)
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
    expect(page.locator(f'[data-case="{second}"]')).to_have_count(0)
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
    expect(page.locator("#manyi-feedback .status")).not_to_be_empty()
    feedback = Feedback.objects.get()
    assert feedback.source == "widget" and feedback.branch == org.a1


# -- grids, rankings and shuffled choices ---------------------------------------------------
COLUMNS = [
    "type",
    "name",
    "label::Chinese (zh)",
    "label::English (en)",
    "required",
    "relevant",
    "constraint",
    "constraint_message::Chinese (zh)",
    "appearance",
    "parameters",
]


def _row(kind: str, name: str = "", zh: str = "", en: str = "", **columns: str) -> list[str]:
    cells = {"type": kind, "name": name, "label::Chinese (zh)": zh, "label::English (en)": en}
    cells |= {"constraint_message::Chinese (zh)": columns.pop("message", "")} | columns
    return [cells.get(column, "") for column in COLUMNS]


def _questionnaire(tmp_path, name: str, survey: list[list[str]], choices: list[list[str]]):
    from manyi.org.actions import SYSTEM
    from manyi.surveys import actions

    path = workbook(tmp_path / f"{name}.xlsx", survey, choices)
    version, unsupported = actions.import_xlsform(
        SYSTEM, content=path.read_bytes(), file_name=path.name
    )
    assert unsupported == []
    return version.questionnaire


def _personal_link(org, questionnaire, name: str) -> str:
    from manyi.customers import actions as customer_actions
    from manyi.org.actions import SYSTEM
    from manyi.surveys import actions

    customer = customer_actions.create_customer(SYSTEM, branch=org.a1, name=name)
    _link, token = actions.create_link(SYSTEM, questionnaire, customer=customer)
    return token


AFTER_SALES_GRID = [
    COLUMNS,
    _row(
        "select_one yn", "repaired", "这次有没有更换配件？", "Were parts replaced?", required="yes"
    ),
    _row(
        "begin_group", "service", "请为以下服务打分", "Rate each service", appearance="table-list"
    ),
    _row(
        "select_one five",
        "s_attitude",
        "服务人员态度",
        "Attitude",
        required="yes",
        constraint=". != 'na'",
        message="您接触过服务人员，请打分",
    ),
    _row("select_one five", "s_skill", "维修技术水平", "Skill", required="yes"),
    _row(
        "select_one five",
        "s_parts",
        "配件供应",
        "Parts",
        required="yes",
        relevant="${repaired} = 'yes'",
    ),
    _row("end_group"),
    _row("rank improve", "priority", "哪些方面最需要改进？请排序", "Rank", required="yes"),
]
AFTER_SALES_CHOICES = [
    ["list_name", "name", "label::Chinese (zh)", "label::English (en)"],
    ["yn", "yes", "是", "Yes"],
    ["yn", "no", "否", "No"],
    *[
        ["five", code, zh, en]
        for code, zh, en in [
            ("1", "很不满意", "Very dissatisfied"),
            ("2", "不满意", "Dissatisfied"),
            ("3", "一般", "Neutral"),
            ("4", "满意", "Satisfied"),
            ("5", "很满意", "Very satisfied"),
            ("na", "不适用", "Not applicable"),
        ]
    ],
    ["improve", "price", "收费合理性", "Price"],
    ["improve", "speed", "维修及时性", "Speed"],
    ["improve", "staff", "服务态度", "Staff"],
    ["improve", "booking", "预约便利性", "Booking"],
]


def _fits_the_phone(page, selector: str) -> None:
    """Nothing scrolls sideways, and every target is inside the screen and finger-sized."""
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    boxes = [
        page.locator(selector).nth(i).bounding_box() for i in range(page.locator(selector).count())
    ]
    assert boxes, selector
    for box in boxes:
        assert box["x"] >= 0 and box["x"] + box["width"] <= 390, (selector, box)
        assert box["width"] >= 44 and box["height"] >= 44, (selector, box)


def test_a_rating_grid_and_a_ranking_on_a_phone(org, live_server, browser_page, tmp_path):
    from manyi.surveys.models import Response

    questionnaire = _questionnaire(tmp_path, "grid", AFTER_SALES_GRID, AFTER_SALES_CHOICES)
    token = _personal_link(org, questionnaire, "周杰")
    page = browser_page
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_server.url}/s/{token}/")
    page.check("input[name=repaired][value=no]")
    page.click("#survey-next")

    grid = page.locator("[data-grid=service]")
    assert grid.is_visible()
    rows = grid.locator(".grid-row")
    assert rows.count() == 3  # one row per service item, in one block
    attitude, skill, parts = (
        page.locator(f"[data-question={n}]") for n in ("s_attitude", "s_skill", "s_parts")
    )
    assert parts.is_hidden()  # relevance, per row
    # on a phone each row is a compact scale whose buttons carry the choice labels
    assert attitude.locator(".grid-cell").nth(3).inner_text() == "满意"
    assert attitude.locator(".grid-choice").nth(5).is_visible()
    _fits_the_phone(page, "[data-question=s_attitude] .grid-cell")

    page.click("#survey-next")  # nothing rated: each required row says so
    assert attitude.locator(".error").inner_text() != ""
    assert skill.locator(".error").inner_text() != ""
    attitude.locator(".grid-cell:has(input[value=na])").click()  # a tap on the cell
    assert attitude.locator(".error").inner_text() == "您接触过服务人员，请打分"
    attitude.locator(".grid-cell:has(input[value='4'])").click()
    assert attitude.locator(".error").inner_text() == ""
    skill.locator(".grid-cell:has(input[value='2'])").click()
    assert skill.locator(".error").inner_text() == ""

    page.click("#survey-back")  # parts were replaced after all: the third row appears
    page.check("input[name=repaired][value=yes]")
    page.click("#survey-next")
    assert parts.is_visible() and attitude.locator("input[value='4']").is_checked()
    page.click("#survey-next")
    assert parts.locator(".error").inner_text() != ""
    parts.locator(".grid-cell:has(input[value='3'])").click()
    page.click("#survey-next")

    rank = page.locator("[data-question=priority]")
    order = lambda: rank.locator(".rank-item").evaluate_all("l => l.map(i => i.dataset.value)")  # noqa: E731
    assert order() == ["price", "speed", "staff", "booking"]
    _fits_the_phone(page, "[data-question=priority] .rank-item button")
    page.click("#survey-next")  # the order shown is not an answer until confirmed or moved
    assert "确认当前顺序" in rank.locator(".error").inner_text()
    # by keyboard: the focus stays on the item moved, moving to "down" at the top
    page.get_by_role("button", name="上移“预约便利性”").focus()
    for _ in range(3):
        page.keyboard.press("Enter")
    assert order() == ["booking", "price", "speed", "staff"]
    assert page.evaluate("document.activeElement.getAttribute('aria-label')") == "下移“预约便利性”"
    assert rank.locator(".error").inner_text() == ""  # moved: answered
    page.get_by_role("button", name="上移“维修及时性”").click()  # by touch
    assert order() == ["booking", "speed", "price", "staff"]
    assert "第 2 位" in rank.locator("[aria-live]").inner_text()  # announced
    assert rank.locator(".rank-confirm").get_attribute("aria-pressed") == "true"
    page.click("#survey-next")
    page.wait_for_selector("#survey-done")

    values = Response.objects.get().values
    assert {k: values[k] for k in ("repaired", "s_attitude", "s_skill", "s_parts")} == {
        "repaired": "yes",
        "s_attitude": "4",
        "s_skill": "2",
        "s_parts": "3",
    }
    assert values["priority"] == "booking speed price staff"


SHUFFLED = [
    COLUMNS,
    _row(
        "select_one banks or_other",
        "bank",
        "您主要在哪家银行办理业务？",
        "Your bank",
        parameters="randomize=true",
    ),
    _row(
        "select_one banks", "fixed", "同一顺序", "Fixed order", parameters="randomize=true seed=7"
    ),
    _row("rank steps", "steps", "请给以下环节排序", "Rank the steps", parameters="randomize=true"),
]
BANKS = [f"b{n:02d}" for n in range(1, 11)]
SHUFFLED_CHOICES = [
    ["list_name", "name", "label::Chinese (zh)", "label::English (en)"],
    *[["banks", code, f"银行{code}", f"Bank {code}"] for code in BANKS],
    ["banks", "98", "不知道", "Don't know"],
    *[["steps", f"s{n}", f"环节{n}", f"Step {n}"] for n in range(1, 7)],
]


def _orders(page) -> dict[str, list[str]]:
    return page.evaluate(
        """() => ({
          bank: [...document.querySelectorAll("[data-question=bank] input")].map(i => i.value),
          fixed: [...document.querySelectorAll("[data-question=fixed] input")].map(i => i.value),
          steps: [...document.querySelectorAll("[data-question=steps] .rank-item")]
                   .map(i => i.dataset.value),
        })"""
    )


def test_shuffled_choices_keep_one_order_per_respondent(org, live_server, browser_page, tmp_path):
    from manyi.org.actions import SYSTEM
    from manyi.surveys import actions

    questionnaire = _questionnaire(tmp_path, "shuffled", SHUFFLED, SHUFFLED_CHOICES)
    first, second = (_personal_link(org, questionnaire, n) for n in ("周杰", "吴敏"))
    _shared, shared = actions.create_link(SYSTEM, questionnaire, single_use=False)  # a QR code
    page = browser_page
    page.goto(f"{live_server.url}/s/{first}/")
    seen = _orders(page)
    # ten banks in 10! orders: the same one twice by chance is about one in 3.6 million
    assert seen["bank"][:10] != BANKS and sorted(seen["bank"][:10]) == BANKS
    assert seen["bank"][10:] == ["98", "other"]  # don't know and other stay last
    # a fixed seed: the same order for everyone (pinned: a change would reshuffle drafts)
    assert seen["fixed"] == [
        *("b05", "b08", "b09", "b01", "b03", "b10", "b07", "b06", "b04", "b02"),
        *("98", "other"),
    ]
    assert sorted(seen["steps"]) == [f"s{n}" for n in range(1, 7)]

    page.check(f"input[name=bank][value={seen['bank'][0]}]")
    expect(page.locator("#survey-status")).not_to_be_empty()
    page.reload()  # saved and resumed: the same order, the answer kept
    assert _orders(page) == seen
    assert page.locator(f"input[name=bank][value={seen['bank'][0]}]").is_checked()

    page.goto(f"{live_server.url}/s/{second}/")  # another respondent, another order
    other = _orders(page)
    assert other["bank"] != seen["bank"] and other["bank"][10:] == ["98", "other"]
    assert other["fixed"] == seen["fixed"]

    page.goto(f"{live_server.url}/s/{shared}/")  # a shared link: one order per visit
    visit = _orders(page)
    page.reload()
    assert _orders(page) == visit
    elsewhere = page.context.browser.new_context(locale="zh-CN").new_page()
    elsewhere.goto(f"{live_server.url}/s/{shared}/")
    assert _orders(elsewhere)["bank"] != visit["bank"]
    elsewhere.context.close()


def test_the_page_judges_rankings_as_the_server_does(org, live_server, browser_page, tmp_path):
    import dataclasses

    from manyi.analytics.formlogic import run_form
    from manyi.analytics.tests.test_formlogic import RANK_CASES, RANK_FORM

    token = _link(org, tmp_path, single_use=False)
    page = browser_page
    page.goto(f"{live_server.url}/s/{token}/")
    rules = [dataclasses.asdict(rule) for rule in RANK_FORM]
    answers = [case[0] for case in RANK_CASES]
    got = page.evaluate(
        """([rules, cases]) => cases.map((answers) => {
             const state = ManyiFormLogic.runForm(rules, answers, "2026-11-23");
             return {values: state.values, problems: state.problems.map(p => [p.name, p.code])};
           })""",
        [rules, answers],
    )
    for (answer, problems, _top), page_state in zip(RANK_CASES, got, strict=True):
        server = run_form(RANK_FORM, answer)
        assert (
            page_state["problems"]
            == [[p.name, p.code] for p in server.problems]
            == [list(p) for p in problems]
        ), answer
        assert page_state["values"] == server.values, answer


def test_a_field_list_of_ratings_is_one_grid(org, live_server, browser_page, tmp_path):
    """ODK's hand-made grid: a field-list whose first select has appearance "label" (the
    header) and the rest "list-nolabel"; the header is nobody's question."""
    from manyi.surveys.models import Response

    survey = [
        COLUMNS,
        _row("begin_group", "items", "请为以下项目打分", "Rate", appearance="field-list"),
        _row("select_one five", "head", "项目", "Item", appearance="label"),
        *[
            _row("select_one five", name, zh, name, required="yes", appearance="list-nolabel")
            for name, zh in (("s_booking", "预约便利性"), ("s_speed", "维修及时性"))
        ],
        _row("end_group"),
    ]
    questionnaire = _questionnaire(tmp_path, "field_list", survey, AFTER_SALES_CHOICES)
    token = _personal_link(org, questionnaire, "周杰")
    page = browser_page
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_server.url}/s/{token}/")
    grid = page.locator("[data-grid=items]")
    assert grid.locator(".grid-row").evaluate_all("l => l.map(r => r.dataset.question)") == [
        "s_booking",
        "s_speed",
    ]
    assert page.locator("[data-question=head]").count() == 0
    _fits_the_phone(page, "[data-grid=items] .grid-cell")
    page.locator("[data-question=s_booking] .grid-cell:has(input[value='5'])").click()
    page.locator("[data-question=s_speed] .grid-cell:has(input[value='1'])").click()
    assert page.locator("#survey-progress").get_attribute("value") == "100"
    page.click("#survey-next")
    page.wait_for_selector("#survey-done")
    values = Response.objects.get().values
    assert values == {"s_booking": "5", "s_speed": "1"}


def test_a_shared_qr_link_keeps_unfinished_answers_on_the_device_only(
    org, live_server, browser_page, tmp_path
):
    from manyi.surveys.models import SurveyLink

    token = _link(org, tmp_path, single_use=False)
    page = browser_page
    page.goto(f"{live_server.url}/s/{token}/")
    page.check("input[name=visited][value=yes]")
    page.fill("input[name=sat]", "4")
    page.wait_for_timeout(1800)  # the page saves after a pause
    page.reload()
    assert page.locator("input[name=sat]").input_value() == "4"  # resumed on this phone
    assert SurveyLink.objects.get().draft == {}  # nothing on the server
    someone_else = page.context.browser.new_context(locale="zh-CN").new_page()
    someone_else.goto(f"{live_server.url}/s/{token}/")
    assert not someone_else.locator("input[name=visited][value=yes]").is_checked()
    someone_else.context.close()
