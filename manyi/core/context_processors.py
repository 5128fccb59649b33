from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from .registry import nav_for


def shell(request: HttpRequest) -> dict[str, Any]:
    """Navigation for the page shell; empty for anonymous visitors."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"manyi_nav": []}
    from manyi.org.scoping import staff_of

    return {"manyi_nav": nav_for(user), "manyi_staff": staff_of(user)}
