"""The ticket configuration read on every registration (reason codes, SLA policies, the
settings row, assignment rules), cached per process between requests; see
`manyi.core.configcache` for when a change is seen."""

from __future__ import annotations

import copy

from manyi.core.configcache import ConfigCache

from .models import ApprovalRule, AssignmentRule, ReasonCode, Settings, SLAPolicy

_REASONS: ConfigCache[dict[str, ReasonCode]] = ConfigCache(
    "ticket-reasons", depends_on=["tickets.ReasonCode"]
)
_PARENTS: ConfigCache[dict[int, int | None]] = ConfigCache(
    "ticket-reason-parents", depends_on=["tickets.ReasonCode"]
)
_SLA: ConfigCache[list[SLAPolicy]] = ConfigCache("ticket-sla", depends_on=["tickets.SLAPolicy"])
_SETTINGS: ConfigCache[Settings] = ConfigCache("ticket-settings", depends_on=["tickets.Settings"])
_APPROVAL_RULES: ConfigCache[list[ApprovalRule]] = ConfigCache(
    "ticket-approval-rules", depends_on=["tickets.ApprovalRule"]
)
_RULES: ConfigCache[list[AssignmentRule]] = ConfigCache(
    "ticket-assignment-rules", depends_on=["tickets.AssignmentRule"]
)


def active_reason(code: str) -> ReasonCode | None:
    reasons = _REASONS.get(
        "active",
        lambda: {r.code: r for r in ReasonCode.objects.filter(active=True)},
        copied=False,
    )
    reason = reasons.get(code)
    return copy.copy(reason) if reason is not None else None


def reason_chain(reason_id: int | None) -> list[int]:
    """The reason and its ancestors, nearest first."""
    parents = _PARENTS.get("all", lambda: dict(ReasonCode.objects.values_list("pk", "parent_id")))
    chain: list[int] = []
    while reason_id is not None and reason_id not in chain:
        chain.append(reason_id)
        reason_id = parents.get(reason_id)
    return chain


def sla_policies() -> list[SLAPolicy]:
    return _SLA.get("all", lambda: list(SLAPolicy.objects.all()))


def settings() -> Settings:
    return _SETTINGS.get("current", lambda: Settings.objects.first() or Settings())


def active_assignment_rules() -> list[AssignmentRule]:
    return _RULES.get("active", lambda: list(AssignmentRule.objects.filter(active=True)))


def approval_rules() -> list[ApprovalRule]:
    """The configured approval ladder, lowest rank first (empty: the built-in one)."""
    return _APPROVAL_RULES.get("all", lambda: list(ApprovalRule.objects.order_by("rank")))


_CODES: ConfigCache[dict[str, int]] = ConfigCache(
    "ticket-reason-codes", depends_on=["tickets.ReasonCode"]
)


def reason_subtree(code: str) -> list[int]:
    """The reason with this code and every reason below it (a filter on 产品 finds 产品故障)."""
    codes = _CODES.get("all", lambda: dict(ReasonCode.objects.values_list("code", "pk")))
    root = codes.get(code.strip())
    if root is None:
        return []
    parents = _PARENTS.get("all", lambda: dict(ReasonCode.objects.values_list("pk", "parent_id")))
    return [pk for pk in parents if root in reason_chain(pk)]


_TREE: ConfigCache[list[tuple[str, str, int]]] = ConfigCache(
    "ticket-reason-tree", depends_on=["tickets.ReasonCode"]
)


def reason_tree() -> list[tuple[str, str, int]]:
    """Every reason as (code, name, depth), each under its parent: the queue's picker."""
    return _TREE.get("all", _reason_tree)


def _reason_tree() -> list[tuple[str, str, int]]:
    reasons = list(
        ReasonCode.objects.order_by("code").values_list("pk", "code", "name", "parent_id")
    )
    children: dict[int | None, list[tuple[int, str, str]]] = {}
    for pk, code, name, parent in reasons:
        children.setdefault(parent, []).append((pk, code, name))
    tree: list[tuple[str, str, int]] = []

    def walk(parent: int | None, depth: int) -> None:
        for pk, code, name in children.get(parent, []):
            tree.append((code, name, depth))
            if depth < 6:
                walk(pk, depth + 1)

    walk(None, 0)
    return tree
