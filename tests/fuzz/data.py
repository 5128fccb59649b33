"""A little of everything for the fuzzer to find: customers, a ticket, a questionnaire
with answers, a branch's queue."""

from __future__ import annotations

from typing import Any


def plant(org: Any) -> None:
    from manyi.customers import actions as customers
    from manyi.org.actions import SYSTEM

    for n in range(3):
        customers.create_customer(
            SYSTEM,
            branch=org.a1,
            name=f"客户{n}",
            contacts=[("phone", f"1380013800{n}")],
            external_key=f"F{n}",
        )
