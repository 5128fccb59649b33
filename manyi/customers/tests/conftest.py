from __future__ import annotations

import datetime as dt

import pytest

from manyi.org.actions import SYSTEM


@pytest.fixture
def people(org):
    """A handful of customers in branches A1, A2 and B1, with purchases."""
    from manyi.customers import actions
    from manyi.customers.models import Tag

    Tag.objects.get_or_create(name="老客户")
    zhang = actions.create_customer(
        SYSTEM,
        branch=org.a1,
        name="张伟",
        contacts=[("phone", "+86 138-0013-8000")],
        tags=["老客户"],
        address="上海市浦东新区陆家嘴环路1000号",
        tier="key",
        external_key="C001",
    )
    zhao = actions.create_customer(
        SYSTEM,
        branch=org.a1,
        name="赵文",
        contacts=[("phone", "13900008000")],
        company_name="申江贸易有限公司",
        kind="organisation",
        external_key="C002",
    )
    wang = actions.create_customer(
        SYSTEM, branch=org.b1, name="王芳", contacts=[("phone", "13700007777")], external_key="C003"
    )
    base = dt.datetime(2025, 3, 1, 10, tzinfo=dt.UTC)
    actions.record_transaction(
        SYSTEM, zhang, product="稳盈理财90天", amount="50000.00", occurred_at=base, category="理财"
    )
    actions.record_transaction(
        SYSTEM,
        zhang,
        product="大额存单",
        amount="200000",
        occurred_at=base + dt.timedelta(days=200),
        category="存款",
    )
    actions.record_transaction(
        SYSTEM, wang, product="基金定投", amount="3000", occurred_at=base, category="基金"
    )
    return {"zhang": zhang, "zhao": zhao, "wang": wang}
