"""Permission checks shared by actions, views and the API."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _

from .roles import Role, roles_with
from .scoping import staff_of


def role_of(user: Any) -> Role | None:
    staff = staff_of(user)
    return Role(staff.role) if staff is not None else None


def has_permission(user: Any, permission: str) -> bool:
    allowed = roles_with(permission)  # raises for an unknown permission name
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if user.is_superuser:
        return True
    role = role_of(user)
    return role is not None and role in allowed


def require_permission(user: Any, permission: str) -> None:
    if not has_permission(user, permission):
        raise PermissionDenied(_("You do not have permission to do this."))
