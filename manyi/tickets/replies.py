"""Canned replies with variables filled in from the ticket."""

from __future__ import annotations

import re
from typing import Any

from django.utils import timezone

from .models import CannedReply, Ticket

_VARIABLE = re.compile(r"\{([^{}]+)\}")


def _values(ticket: Ticket) -> dict[str, str]:
    def when(value: Any) -> str:
        return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else ""

    values = {
        "customer": ticket.customer.name,
        "number": ticket.number,
        "branch": ticket.branch.name,
        "agent": ticket.assignee.name if ticket.assignee_id else "",
        "reply_due": when(ticket.reply_due),
        "resolution_due": when(ticket.resolution_due),
    }
    chinese = {
        "客户": "customer",
        "工单编号": "number",
        "网点": "branch",
        "处理人": "agent",
        "答复期限": "reply_due",
        "解决期限": "resolution_due",
    }
    values.update({zh: values[en] for zh, en in chinese.items()})
    return values


VARIABLES = (
    "customer", "number", "branch", "agent", "reply_due", "resolution_due",
    "客户", "工单编号", "网点", "处理人", "答复期限", "解决期限",
)  # fmt: skip


def unknown_variables(body: str) -> list[str]:
    return sorted({name.strip() for name in _VARIABLE.findall(body)} - set(VARIABLES))


def render(reply: CannedReply, ticket: Ticket) -> str:
    values = _values(ticket)
    return _VARIABLE.sub(lambda m: values.get(m.group(1).strip(), m.group(0)), reply.body)


def replies_for(ticket: Ticket) -> list[tuple[CannedReply, str]]:
    chosen = CannedReply.objects.filter(active=True).filter(
        ticket_type__in=["", ticket.ticket_type]
    )
    return [(reply, render(reply, ticket)) for reply in chosen]
