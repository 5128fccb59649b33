"""Every button as every role: each POST form a page shows, pressed with what the page put
in it, must not refuse the person it was shown to, fail, or answer in English (issue 17,
item 2: "links and buttons only for what the person may do")."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest

from tests.crawl.crawler import crawl, press_buttons, read_forms
from tests.crawl.test_language import ROLES, _skip, _staff_user, _xlsform

pytestmark = pytest.mark.django_db


@pytest.fixture
def refusals(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """Every PermissionDenied raised while a button is handled, also one a view catches
    and shows as a message (the ticket steps do): `refusals()` lists the messages since
    the last call."""
    from django.core.exceptions import PermissionDenied

    raised: list[str] = []
    original = PermissionDenied.__init__

    def record(self: PermissionDenied, *args: Any, **kwargs: Any) -> None:
        raised.append(str(args[0]) if args else "PermissionDenied")
        original(self, *args, **kwargs)

    monkeypatch.setattr(PermissionDenied, "__init__", record)

    def since_last() -> list[str]:
        seen = list(raised)
        raised.clear()
        return seen

    yield since_last


def _tickets_along_the_way(user: Any) -> None:
    """A ticket of the person's first branch in each later stage (the small demo's year
    of tickets is closed but for one): registered, waiting for approval, agreed and being
    executed, waiting for the follow-up, and waiting for the customer, so their steps'
    buttons are pressed too (each role's test is rolled back). An agent of the branch
    takes the steps."""
    from manyi.customers.models import Customer
    from manyi.org.models import Branch, Department, Staff
    from manyi.tickets import actions

    branch = user.staff.branches.order_by("code").first() or Branch.objects.get(code="SH01")
    agents = Staff.objects.filter(role="agent", branches=branch, user__is_active=True)
    agent = agents.order_by("id").first().user
    customer = Customer.objects.filter(branch=branch).order_by("id").first()
    department = Department.objects.filter(branch=branch).order_by("id").first()
    order = {"department": department.pk} if department is not None else {}

    def ticket(subject: str) -> Any:
        made = actions.create_ticket(
            agent, branch=branch, customer=customer, channel="phone", subject=subject
        )
        actions.investigate(agent, made, cause="网点设备故障", severity=2, company_fault="yes")
        return made

    def proposed(subject: str, amount: int) -> Any:
        made = ticket(subject)
        actions.propose(agent, made, remedies=[{"kind": "refund", "amount": amount, **order}])
        return made

    actions.create_ticket(agent, branch=branch, customer=customer, channel="phone", subject="新")
    proposed("等审批", 1500)
    executing = proposed("执行中", 50)
    actions.agree(agent, executing, method="in_person")
    following = proposed("回访", 50)
    actions.agree(agent, following, method="in_person")
    for each in following.orders.all():
        actions.complete_order(agent, following, order_id=each.pk)
    actions.pause(agent, ticket("等客户"), note="等发票")


def _ticket_pages(user: Any) -> list[str]:
    """One ticket the person sees in each state of the procedure (theirs first), and one
    waiting for the customer: the crawl opens two ticket pages, which show a few steps."""
    from manyi.org.scoping import staff_of
    from manyi.tickets.models import Status, Ticket

    visible = Ticket.objects.visible_to(user).order_by("-pk")
    me = staff_of(user)
    pages = []
    for status in Status:
        of_state = visible.filter(status=status, paused_at__isnull=True)
        ticket = of_state.filter(assignee=me).first() or of_state.first()
        if ticket is not None:
            pages.append(f"/tickets/{ticket.pk}/")
    paused = visible.filter(paused_at__isnull=False).first()
    return pages + ([f"/tickets/{paused.pk}/"] if paused else []) + ["/tickets/approvals/"]


@pytest.mark.parametrize("role", ROLES)
def test_every_button_shown_may_be_pressed(demo_site, client, refusals, role):
    user = _staff_user(role)
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    _tickets_along_the_way(user)
    pages = crawl(client.get, ["/"], skip=_skip, file_format=_xlsform, check_text=False)
    began = time.monotonic()
    result = press_buttons(
        client.get,
        client.post,
        pages.visited + _ticket_pages(user),
        skip=_skip,
        refusals=refusals,
    )
    took = time.monotonic() - began
    report = "\n".join(str(f) for f in result.findings)
    print(f"{role}: {result.pages} buttons pressed in {took:.1f} s")
    assert result.pages > 3, pages.visited
    assert not result.findings, f"{len(result.findings)} findings as {role}:\n{report}"


PAGE = """
<form action="/i18n/setlang/" method="post"><button name="language" value="en">En</button></form>
<form method="get" action="/tickets/"><input name="q"><button>找</button></form>
<form method="post" id="f1">
  <input type="hidden" name="csrfmiddlewaretoken" value="tok">
  <input name="title" value="标题"><input name="empty">
  <input type="checkbox" name="vip" checked><input type="checkbox" name="off" value="1">
  <input type="radio" name="r" value="a"><input type="radio" name="r" value="b" checked>
  <input type="radio" name="grade" value="" checked><input type="radio" name="grade" value="A">
  <select name="level"><option value="" disabled>—</option><option value="2">二</option>
    <option value="3">三</option></select>
  <select name="kind"><option>甲</option><option selected>乙</option></select>
  <select name="many" multiple><option value="x" selected>X</option><option value="y">Y</option>
    <option value="z" selected>Z</option></select>
  <textarea name="note">写的</textarea><input name="gone" disabled value="no">
  <input type="file" name="file">
  <button type="submit" name="op" value="save">存</button><button name="op" value="drop">删</button>
</form>
<input form="f1" name="outside" value="yes">
<template><form method="post" action="/hidden/"></form></template>
<form method="post" action="/tickets/7/actions/close/"><button>关</button></form>
"""


def test_the_forms_are_read_as_a_click_sends_them():
    forms = read_forms(PAGE, "/tickets/5/?tab=mine")
    assert [f.action for f in forms] == [
        "/i18n/setlang/",
        "/tickets/5/?tab=mine",
        "/tickets/7/actions/close/",
    ]
    assert forms[1].data() == {
        "csrfmiddlewaretoken": ["tok"],
        "title": ["标题"],
        "empty": [""],
        "vip": ["on"],
        "r": ["b"],
        "grade": [""],
        "note": ["写的"],
        "outside": ["yes"],
        "level": ["2"],
        "kind": ["乙"],
        "many": ["x", "z"],
        "op": ["save"],
    }
    assert forms[1].key == "/tickets/N/?tab#op"
    assert forms[2].key == "/tickets/N/actions/close/"


class _Answer:
    """What the test client answers, as far as the button check reads it."""

    def __init__(self, status: int, html: str = "", location: str = "") -> None:
        self.status_code = status
        self.content = html.encode()
        self._headers = {"Content-Type": "text/html; charset=utf-8", "Location": location}

    def get(self, name: str, default: str = "") -> str:
        return self._headers.get(name, default)

    def __getitem__(self, name: str) -> str:
        return self._headers[name]


READ = '<form method="post" action="/notifications/read/"><button>读</button></form>'
GONE = '<form method="post" action="/gone/"><button>删</button></form>'
NOTE = '<form method="post" action="/tickets/3/step/note/"><button>记</button></form>'


def test_a_button_that_answers_403_is_a_finding():
    """The check catches a button shown to someone it refuses, whether the view answers 403
    or shows the refusal as a message, a button that fails, and an answer that names a
    field by its code; it presses each shape once, leaves the language switch alone and
    does not press a button the page no longer shows."""
    pages = {
        "/tickets/1/": PAGE.replace("/tickets/7/", "/tickets/1/"),
        "/tickets/2/": PAGE.replace("/tickets/7/", "/tickets/2/"),
        "/notifications/": READ + GONE + NOTE,
        "/tickets/3/": "<ul><li>remedies 不能为空。</li></ul>",
    }
    posted: list[str] = []
    told: list[str] = []

    def get(url: str) -> _Answer:
        if posted and url == "/notifications/":  # pressing "read" took "gone" away
            return _Answer(200, READ + NOTE)
        return _Answer(200, pages[url])

    def post(url: str, data: dict[str, list[str]]) -> _Answer:
        posted.append(url)
        if url.endswith("/actions/close/"):
            return _Answer(403)
        if url == "/notifications/read/":
            told.append("您无权执行此操作。")
        if url == "/tickets/3/step/note/":
            return _Answer(302, location="/tickets/3/")
        if url == "/tickets/1/":
            raise ZeroDivisionError("boom")
        return _Answer(302, location="/notifications/")

    def refusals() -> list[str]:
        seen = list(told)
        told.clear()
        return seen

    result = press_buttons(get, post, list(pages), skip=_skip, refusals=refusals)
    assert posted == [
        "/tickets/1/",
        "/tickets/1/actions/close/",
        "/notifications/read/",
        "/tickets/3/step/note/",
    ]
    assert [(f.url, f.problem) for f in result.findings] == [
        ("/tickets/1/", "raises ZeroDivisionError('boom')"),
        ("/tickets/1/actions/close/", "answers 403"),
        ("/notifications/read/", "refused: 您无权执行此操作。"),
        ("/tickets/3/step/note/", "answers with remedies"),
    ]
