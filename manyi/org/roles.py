"""Roles and what each may do.

Permissions are named capabilities checked by actions, views and the API alike. They live in
code, next to the roles, so a reviewer can read the whole policy on one screen.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    AGENT = "agent", _("Agent")
    ACCOUNT_MANAGER = "account_manager", _("Account manager")
    SUPERVISOR = "supervisor", _("Supervisor")
    DEPARTMENT_HEAD = "department_head", _("Department head")
    MANAGER = "manager", _("Manager")
    ANALYST = "analyst", _("Analyst")
    ADMIN = "admin", _("Administrator")


class Scope(models.TextChoices):
    """How far a person's view reaches in the organisation tree."""

    BRANCH = "branch", _("Own branches")
    REGION = "region", _("Own regions")
    COMPANY = "company", _("Whole company")


ALL_ROLES = frozenset(Role)
_SENIOR = frozenset({Role.SUPERVISOR, Role.DEPARTMENT_HEAD, Role.MANAGER, Role.ADMIN})

PERMISSIONS: dict[str, frozenset[Role]] = {
    # Reading personal data without the mask; every reveal is written to the audit trail.
    "pii.unmask": frozenset(_SENIOR | {Role.ACCOUNT_MANAGER}),
    "audit.view": frozenset({Role.SUPERVISOR, Role.DEPARTMENT_HEAD, Role.MANAGER, Role.ADMIN}),
    "org.view": ALL_ROLES,
    "org.manage_staff": frozenset({Role.ADMIN}),
    "org.manage_tokens": frozenset({Role.ADMIN}),
    "org.manage_structure": frozenset({Role.ADMIN}),  # regions, branches, departments
    "calendar.view": ALL_ROLES,
    "calendar.manage": frozenset({Role.ADMIN, Role.MANAGER}),
    "tasks.view": frozenset({Role.ADMIN, Role.MANAGER}),
    "customers.view": ALL_ROLES,
    "customers.change": frozenset(ALL_ROLES - {Role.ANALYST}),
    "customers.merge": _SENIOR,
    "customers.import": frozenset(_SENIOR | {Role.ACCOUNT_MANAGER}),
    "customers.export": frozenset(_SENIOR | {Role.ANALYST, Role.ACCOUNT_MANAGER}),
    "customers.segments": frozenset(_SENIOR | {Role.ANALYST}),
    # Complaints and contacts: everyone but analysts registers and works tickets; the
    # approval of remedies follows the limits in tickets.policy, on top of this permission.
    "tickets.view": ALL_ROLES,
    "tickets.create": frozenset(ALL_ROLES - {Role.ANALYST}),
    "tickets.work": frozenset(ALL_ROLES - {Role.ANALYST}),
    "tickets.assign": _SENIOR,
    "tickets.approve": frozenset(_SENIOR | {Role.AGENT, Role.ACCOUNT_MANAGER}),
    "tickets.configure": frozenset({Role.ADMIN, Role.MANAGER}),
    # Surveys: managers and analysts design questionnaires; front-line staff send links.
    "surveys.view": ALL_ROLES,
    "surveys.design": frozenset({Role.ANALYST, Role.MANAGER, Role.ADMIN, Role.DEPARTMENT_HEAD}),
    "surveys.distribute": ALL_ROLES,
    "surveys.export": frozenset(_SENIOR | {Role.ANALYST}),
    # Branch queues: counter staff call and serve; supervisors set the rules and counters;
    # the statistics, staffing plans and simulations are for managers and analysts.
    "queues.serve": frozenset(ALL_ROLES - {Role.ANALYST}),
    "queues.manage": _SENIOR,
    "queues.analyse": frozenset(_SENIOR | {Role.ANALYST}),
    # Satisfaction-index analyses: results are read by managers; analysts run them.
    "insight.view": frozenset(_SENIOR | {Role.ANALYST}),
    "insight.run": frozenset({Role.ANALYST, Role.DEPARTMENT_HEAD, Role.MANAGER, Role.ADMIN}),
}


def roles_with(permission: str) -> frozenset[Role]:
    try:
        return PERMISSIONS[permission]
    except KeyError as exc:  # a typo must fail loudly, never silently deny or allow
        raise KeyError(f"unknown permission {permission!r}") from exc
