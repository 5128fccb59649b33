"""Customers: records, search, the tracking card and timeline, merge, segments, RFM, API."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from manyi.customers import actions, segments, timeline
from manyi.customers.duplicates import find_duplicates
from manyi.customers.models import Contact, Customer, Segment, TimelineEntry, Transaction
from manyi.customers.search import search_customers
from manyi.customers.tasks import recompute_rfm
from manyi.org.actions import SYSTEM
from manyi.org.models import AuditEntry


def names(queryset) -> set[str]:
    return {c.name for c in queryset}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("张伟", {"张伟"}),
        ("张", {"张伟"}),
        ("zw", {"张伟", "赵文"}),
        ("zhangw", {"张伟"}),
        ("ZW", {"张伟", "赵文"}),
        ("8000", {"张伟", "赵文"}),
        ("13800138000", {"张伟"}),
        ("138-0013", {"张伟"}),
        ("+86 138 0013 8000", {"张伟"}),
        ("申江", {"赵文"}),
        ("C002", {"赵文"}),
        ("王芳", {"王芳"}),
        ("7777", {"王芳"}),
        ("李", set()),
    ],
)
def test_search_as_a_manager(org, people, query, expected):
    assert names(search_customers(org.manager, query)) == expected


def test_search_is_scoped_to_the_branch(org, people):
    assert names(search_customers(org.agent_a1, "")) == {"张伟", "赵文"}
    assert names(search_customers(org.agent_a1, "王芳")) == set()
    assert names(search_customers(org.agent_b1, "7777")) == {"王芳"}
    assert names(search_customers(org.manager, "", tag="老客户")) == {"张伟"}


def test_create_validates_and_audits(org):
    with pytest.raises(ValidationError, match=r"不是有效|not a valid"):
        actions.create_customer(
            org.agent_a1, branch=org.a1, name="李雷", contacts=[("phone", "12345")]
        )
    assert not Customer.objects.exists()
    customer = actions.create_customer(
        org.agent_a1,
        branch=org.a1,
        name="李雷",
        contacts=[("phone", "13512345678")],
        id_number="110101199003071234",
    )
    entry = AuditEntry.objects.get(action="customers.customer.create")
    assert entry.actor == org.agent_a1 and entry.branch_id == org.a1.pk
    assert entry.after["id_number"] == "110***********1234"  # masked even in the trail
    assert customer.name_initials == "ll"
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        actions.create_customer(org.agent_a1, branch=org.b1, name="越界")


def test_update_records_before_and_after(org, people, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        actions.update_customer(org.supervisor_a1, people["zhang"], tier="vip", tags=["理财偏好"])
    entry = AuditEntry.objects.get(action="customers.customer.update")
    assert entry.before == {"tier": "key", "tags": ["老客户"]}
    assert entry.after == {"tier": "vip", "tags": ["理财偏好"]}
    items = timeline.timeline_for(people["zhang"])
    assert items[0].kind == "customer.updated"


def test_timeline_is_newest_first_and_extensible(org, people):
    zhang = people["zhang"]
    kinds = [item.kind for item in timeline.timeline_for(zhang)]
    assert kinds[:2] == ["customer.created", "purchase"]  # created today, purchases in 2025
    at = dt.datetime(2025, 6, 1, tzinfo=dt.UTC)
    timeline.record(
        zhang.pk, at, "ticket.closed", "TS-20250601-0001 已结案", source="tickets.ticket:1"
    )
    timeline.record(
        zhang.pk, at, "ticket.closed", "TS-20250601-0001 已结案", source="tickets.ticket:1"
    )  # a redelivered event: no second line
    assert TimelineEntry.objects.filter(kind="ticket.closed").count() == 1

    @timeline.timeline_source("visits")
    def visits(customer, before, limit):
        return [
            timeline.TimelineItem(dt.datetime(2025, 7, 1, tzinfo=dt.UTC), "visit.done", "上门回访")
        ]

    try:
        items = timeline.timeline_for(zhang)
    finally:
        timeline._SOURCES.pop("visits")
    ats = [item.at for item in items]
    assert ats == sorted(ats, reverse=True)
    assert [i.kind for i in items if i.at.year == 2025] == [
        "purchase",
        "visit.done",
        "ticket.closed",
        "purchase",
    ]
    older = timeline.timeline_for(zhang, before=dt.datetime(2025, 6, 15, tzinfo=dt.UTC))
    assert [i.kind for i in older] == ["ticket.closed", "purchase"]


def test_the_tracking_card(org, people, login):
    page = login(org.agent_a1).get(f"/customers/{people['zhang'].pk}/").content.decode()
    assert "250,000.00" in page  # lifetime revenue
    assert "大额存单" in page and "稳盈理财90天" in page
    assert "138****8000" in page and "13800138000" not in page
    assert "上海市浦东新区****" in page
    assert login(org.agent_a1).get(f"/customers/{people['wang'].pk}/").status_code == 404


def test_card_reveal_is_audited_and_refused_to_agents(org, people, login):
    contact = people["zhang"].contacts.get()
    url = f"/customers/{people['zhang'].pk}/reveal/contact-{contact.pk}/"
    assert login(org.agent_a1).post(url).status_code == 403
    response = login(org.supervisor_a1).post(url)
    assert response.json()["value"] == "13800138000"
    assert AuditEntry.objects.filter(
        action="pii.reveal", object_type="customers.contact", actor=org.supervisor_a1
    ).exists()


def test_duplicates_and_merge(org, people):
    twin = actions.create_customer(
        SYSTEM,
        branch=org.a1,
        name="张伟",
        contacts=[("phone", "138 0013 8000"), ("email", "zw@example.com")],
    )
    actions.record_transaction(SYSTEM, twin, product="信用卡分期", amount="600")
    groups = find_duplicates(org.supervisor_a1)
    assert any({c.pk for c in g.customers} == {people["zhang"].pk, twin.pk} for g in groups)
    actions.merge_customers(org.supervisor_a1, people["zhang"], [twin])
    zhang = people["zhang"]
    assert Transaction.objects.filter(customer=zhang).count() == 3
    assert set(Contact.objects.filter(customer=zhang).values_list("kind", flat=True)) == {
        "mobile",
        "email",
    }
    assert Customer.objects.get(pk=twin.pk).merged_into == zhang
    entry = AuditEntry.objects.get(action="customers.customer.merge")
    assert entry.after["merged"] == [twin.pk]
    assert names(search_customers(org.manager, "张伟")) == {"张伟"}
    assert len(search_customers(org.manager, "张伟")) == 1
    with pytest.raises(ValidationError):
        actions.merge_customers(org.supervisor_a1, zhang, [Customer.objects.get(pk=twin.pk)])


def test_agents_cannot_merge(org, people):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        actions.merge_customers(org.agent_a1, people["zhang"], [people["zhao"]])


def test_rfm_and_segments(org, people):
    assert recompute_rfm() == 2  # the nightly job
    from manyi.org.models import AuditEntry

    assert AuditEntry.objects.get(action="customers.rfm.rescore").after == {"scored": 2}
    zhang = Customer.objects.get(pk=people["zhang"].pk)
    assert (zhang.f_score, zhang.m_score) == (5, 5)
    assert Customer.objects.get(pk=people["zhao"].pk).r_score is None
    segment = actions.save_segment(
        org.analyst,
        name="高价值",
        rules=[{"field": "m_score", "op": "gte", "value": 4}],
        strategy="专属客户经理，季度上门拜访",
    )
    assert names(segments.members(org.manager, segment)) == {"张伟"}
    summary = segments.summary(org.manager, segment)
    assert summary["size"] == 1 and summary["population"] == 3
    assert summary["revenue"] == Decimal("250000.00")
    assert summary["revenue_share"] == pytest.approx(250000 / 253000)
    scoped = segments.summary(org.agent_b1, segment)
    assert scoped["size"] == 0 and scoped["population"] == 1
    with pytest.raises(ValidationError, match="height"):
        actions.save_segment(
            org.analyst, name="坏规则", rules=[{"field": "height", "op": "gte", "value": 1}]
        )
    tagged = actions.save_segment(
        org.analyst,
        name="老客户",
        rules=[
            {"field": "tag", "op": "eq", "value": "老客户"},
            {"field": "tier", "op": "in", "value": ["key"]},
        ],
    )
    assert names(segments.members(org.manager, tagged)) == {"张伟"}


def test_segment_pages(org, people, login):
    client = login(org.analyst)
    rows = {
        "condition-TOTAL_FORMS": "1",
        "condition-INITIAL_FORMS": "0",
        "condition-0-field": "tier",
        "condition-0-op": "eq",
        "condition-0-shown": "tier:one",
    }
    response = client.post(
        "/customers/segments/new/",
        {
            "name": "大客户",
            **rows,
            "condition-0-value": "key",
            "strategy": "一对一服务",
            "description": "",
        },
    )
    segment = Segment.objects.get(name="大客户")
    assert response.status_code == 302
    assert segment.rules == [{"field": "tier", "op": "eq", "value": "key"}]
    page = client.get(f"/customers/segments/{segment.pk}/").content.decode()
    assert "一对一服务" in page and "张伟" in page
    bad = client.post("/customers/segments/new/", {"name": "x", **rows, "condition-0-value": "金"})
    assert bad.status_code == 200 and bad.context["conditions"].forms[0].errors["value"]
    import io

    from openpyxl import load_workbook

    export = client.get(f"/customers/export.xlsx?segment={segment.pk}")
    rows = list(
        load_workbook(io.BytesIO(b"".join(export.streaming_content))).active.iter_rows(
            values_only=True
        )
    )
    assert [row[1] for row in rows[1:]] == ["张伟"]


def test_api(org, people, api):
    client = api(org.agent_a1)
    found = client.get("/customers?q=zhangw").json()
    assert found["count"] == 1 and found["items"][0]["phone"] == "138****8000"
    assert client.get(f"/customers/{people['wang'].pk}").status_code == 404
    detail = client.get(f"/customers/{people['zhang'].pk}").json()
    assert detail["address"] == "上海市浦东新区****" and detail["tags"] == ["老客户"]
    created = client.post(
        "/customers",
        {"branch": "A1", "name": "刘洋", "phones": ["13611112222"], "tags": ["新客户"]},
    )
    assert created.status_code == 201
    new_id = created.json()["id"]
    assert client.post("/customers", {"branch": "B1", "name": "越界"}).status_code == 404
    assert (
        client.post("/customers", {"branch": "A1", "name": "刘洋", "phones": ["123"]}).json()[
            "code"
        ]
        == "invalid"
    )
    row = client.post(
        f"/customers/{new_id}/transactions", {"product": "积存金", "amount": "1234.50"}
    )
    assert row.status_code == 201 and row.json()["amount"] == "1234.50"
    figures = client.get(f"/customers/{new_id}/figures").json()
    assert figures["lifetime_revenue"] == "1234.50" and figures["purchases"] == 1
    items = client.get(f"/customers/{new_id}/timeline").json()
    assert [i["kind"] for i in items] == ["purchase", "customer.created"]
    patched = client.patch(f"/customers/{new_id}", {"tier": "vip"}).json()
    assert patched["tier"] == "vip"
    assert (
        client.post(
            f"/customers/{new_id}/contacts", {"kind": "email", "value": "ly@example.com"}
        ).status_code
        == 201
    )
    segment = api(org.analyst).post(
        "/segments", {"name": "VIP", "rules": [{"field": "tier", "op": "eq", "value": "vip"}]}
    )
    assert segment.status_code == 201
    summary = client.get(f"/segments/{segment.json()['id']}/summary").json()
    assert summary["size"] == 1  # the agent sees only A1's VIP


def test_duplicate_detection_does_not_query_per_group(org, django_assert_max_num_queries):
    for i in range(5):
        for _copy in range(2):
            actions.create_customer(
                SYSTEM,
                branch=org.a1,
                name=f"重复{i}",
                contacts=[("phone", f"1391111000{i}")],
                address=f"上海市浦东新区{i}号",
            )
    with django_assert_max_num_queries(8):
        groups = find_duplicates(org.manager)
    assert len(groups) == 10  # five by phone, five by name and address
    assert all(len(group.customers) == 2 for group in groups)
