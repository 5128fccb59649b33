"""A manager sets up the branch's businesses and counters; the line follows at once."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from manyi.org.models import AuditEntry
from manyi.queues import actions
from manyi.queues.models import Counter, ServiceType

pytestmark = pytest.mark.django_db


def test_the_setup_page_adds_and_changes_businesses_and_counters(login, org, at_ten):
    client = login(org.manager)
    url = f"/queues/setup/?branch={org.a1.code}"
    assert client.get(url).status_code == 200
    client.post(url, {"kind": "service", "prefix": "a", "name": "个人业务", "active": "on"})
    client.post(url, {"kind": "service", "prefix": "B", "name": "对公业务", "active": "on"})
    a, b = ServiceType.objects.filter(branch=org.a1).order_by("prefix")
    assert (a.prefix, a.name, a.active) == ("A", "个人业务", True)
    response = client.post(
        url,
        {
            "kind": "counter",
            "number": "1",
            "name": "1号窗口",
            "active": "on",
            f"pref_{a.pk}": "2",
            f"pref_{b.pk}": "1",
        },
    )
    assert response.status_code == 302
    counter = Counter.objects.get(branch=org.a1)
    assert [s.prefix for s in counter.services_in_order()] == ["B", "A"]
    # the order changes and a business is dropped, on the same row
    client.post(
        url,
        {
            "kind": "counter",
            "pk": counter.pk,
            "number": "1",
            "name": "1号窗口",
            "active": "on",
            f"pref_{a.pk}": "1",
        },
    )
    assert [s.prefix for s in counter.services_in_order()] == ["A"]
    page = client.get(url).content.decode()
    assert 'value="1号窗口"' in page and "个人业务" in page
    assert AuditEntry.objects.filter(action="queues.counter.save").count() == 2
    assert AuditEntry.objects.filter(action="queues.service.save").count() == 2


def test_bad_setup_is_refused_in_chinese_and_nothing_is_lost(login, org, hall, at_ten):
    client = login(org.manager)
    client.cookies.load({"django_language": "zh-hans"})
    url = f"/queues/setup/?branch={org.a1.code}"
    for data, message in (
        ({"kind": "service", "prefix": "A", "name": "重复"}, "前缀 A 在本网点已被使用"),
        ({"kind": "service", "prefix": "1", "name": "数字"}, "号码前缀为一到两个字母"),
        (
            {"kind": "counter", "number": "1", "active": "on", f"pref_{hall.personal.pk}": "1"},
            "本网点已有 1 号窗口",
        ),
        ({"kind": "counter", "number": "7", "active": "on"}, "请至少选择一项"),
        ({"kind": "counter", "number": "x"}, "请填写从 1 起的整数"),
    ):
        response = client.post(url, data, follow=True)
        assert message in response.content.decode(), data
    assert ServiceType.objects.filter(branch=org.a1).count() == 2
    assert Counter.objects.filter(branch=org.a1).count() == 3


def test_only_managers_set_up_and_only_their_branches(client, login, org, hall):
    assert login(org.agent_a1).get("/queues/setup/").status_code == 403
    with pytest.raises(PermissionDenied):
        actions.save_service_type(org.agent_a1, org.a1, prefix="C", name="外汇")
    with pytest.raises(PermissionDenied):
        actions.save_service_type(org.supervisor_a1, org.b1, prefix="C", name="外汇")


def test_a_business_with_customers_waiting_is_not_retired(org, hall, at_ten):
    actions.take_number("kiosk:A1", org.a1, hall.business)
    with pytest.raises(actions.QueueRefused):
        actions.save_service_type(
            org.manager, org.a1, service=hall.business, prefix="B", name="对公业务", active=False
        )
    assert ServiceType.objects.get(pk=hall.business.pk).active


def test_an_open_counter_is_not_retired(org, hall, at_ten):
    counter = hall.counters[3]
    actions.open_counter(org.agent_a1, counter)
    with pytest.raises(actions.QueueRefused):
        actions.save_counter(
            org.manager, org.a1, counter=counter, number=3, active=False, services=[]
        )
    with pytest.raises(ValidationError):
        actions.save_counter(
            org.manager, org.a1, counter=counter, number=3, services=[hall.personal] * 2
        )


def test_a_new_counter_takes_part_in_the_line_at_once(org, hall, at_ten):
    """Numbers for a business nobody served are refused until a counter serves it; the
    kept counter profiles follow the change in the same process."""
    foreign = actions.save_service_type(org.manager, org.a1, prefix="C", name="外汇")
    with pytest.raises(ValidationError):
        actions.take_number("kiosk:A1", org.a1, foreign)
    counter = actions.save_counter(
        org.manager, org.a1, number=4, name="4号窗口", services=[foreign, hall.personal]
    )
    ticket, _token = actions.take_number("kiosk:A1", org.a1, foreign)
    assert ticket.number == "C001"
    actions.open_counter(org.agent_a1, counter)
    assert actions.call_next(org.agent_a1, counter) == ticket


def test_a_counter_does_not_leave_waiting_customers_without_a_counter(org, hall, at_ten):
    """Counter 2 alone serves B once counter 1 drops it; then counter 2 cannot drop B while
    someone waits for it."""
    actions.take_number("kiosk:A1", org.a1, hall.business)
    first, second = hall.counters[1], hall.counters[2]
    actions.save_counter(org.manager, org.a1, counter=first, number=1, services=[hall.personal])
    with pytest.raises(actions.QueueRefused):
        actions.save_counter(
            org.manager, org.a1, counter=second, number=2, services=[hall.personal]
        )
    with pytest.raises(actions.QueueRefused):  # retiring it would strand them too
        actions.save_counter(
            org.manager, org.a1, counter=second, number=2, active=False, services=[]
        )
    assert [s.prefix for s in second.services_in_order()] == ["B", "A"]


def test_a_row_of_another_branch_is_not_saved_as_a_new_one(login, org, hall, at_ten):
    client = login(org.manager)
    response = client.post(
        f"/queues/setup/?branch={org.b1.code}",
        {"kind": "counter", "pk": hall.counters[1].pk, "number": "1", "active": "on"},
        follow=True,
    )
    assert Counter.objects.filter(branch=org.b1).count() == 0
    assert "这一行不属于" in response.content.decode()


def _row(page: str, marker: str) -> str:
    start = page.index(marker)
    return page[page.rindex("<tr", 0, start) : page.index("</tr>", start)]


def test_a_refused_row_shows_what_was_typed_to_mend_it(login, org, hall, at_ten):
    client = login(org.manager)
    url = f"/queues/setup/?branch={org.a1.code}"
    typed = {"name": "外汇业务", "name_en": "Foreign exchange", "description": "换汇、结汇"}
    page = client.post(
        url, {"kind": "service", "prefix": "A", "position": "5", "active": "on", **typed}
    ).content.decode()
    row = _row(page, 'id="new-service"')
    assert 'class="refused"' in row and 'value="5"' in row
    assert all(f'value="{value}"' in row for value in typed.values())
    # an existing counter moved onto counter 2's number, with a new order of preference
    counter = hall.counters[3]
    page = client.post(
        url,
        {
            "kind": "counter",
            "pk": counter.pk,
            "number": "2",
            "name": "贵宾窗口",
            f"pref_{hall.personal.pk}": "2",
            f"pref_{hall.business.pk}": "1",
        },
    ).content.decode()
    row = _row(page, f'form="counter-{counter.pk}" type="number" min="1" name="number"')
    assert 'class="refused"' in row and 'value="2"' in row and 'value="贵宾窗口"' in row
    assert f'name="pref_{hall.business.pk}" value="1"' in row
    assert 'name="active" checked' not in row  # (the box was left unticked)
    # a new counter keeps its ticks too; nothing of either was stored
    page = client.post(
        url, {"kind": "counter", "number": "1", "name": "新窗口", f"pref_{hall.personal.pk}": "1"}
    ).content.decode()
    row = _row(page, 'id="new-counter"')
    assert 'class="refused"' in row and 'value="新窗口"' in row
    assert f'name="pref_{hall.personal.pk}" value="1"' in row
    counter.refresh_from_db()
    assert counter.number == 3 and counter.active
    assert [s.prefix for s in counter.services_in_order()] == ["A"]
    assert not ServiceType.objects.filter(name="外汇业务").exists()
