"""Branch scoping: the one mechanism that decides which records a person may see or change.

Every model whose rows belong to a branch uses `ScopedQuerySet` and names the path to its
branch in `scope_field` (for example ``"branch"`` or ``"ticket__branch"``). Views, the API
and actions all go through `visible_to(user)` or `get_visible_or_404`, so the rule is written
once: agents see their own branches, regional staff their regions, company staff everything.
"""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied
from django.db import models
from django.http import Http404
from django.utils.translation import gettext as _

from manyi.core.configcache import ConfigCache

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

    AnyUser = AbstractBaseUser | AnonymousUser

_CACHE_ATTR = "_manyi_visible_branch_ids"


class AllBranches:
    """Sentinel: the person sees the whole company."""

    def __contains__(self, item: object) -> bool:
        return True

    def __repr__(self) -> str:
        return "AllBranches"


ALL_BRANCHES = AllBranches()


def staff_of(user: Any):
    """The Staff row of a user, or None (anonymous users, bare superusers)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    try:
        return user.staff
    except Exception:  # RelatedObjectDoesNotExist
        return None


_SCOPES: ConfigCache[frozenset[int] | AllBranches] = ConfigCache(
    "scopes",
    depends_on=["auth.User", "org.Staff", "org.Staff.branches", "org.Staff.regions", "org.Branch"],
)


def visible_branch_ids(user: Any) -> frozenset[int] | AllBranches:
    """The ids of the branches whose records `user` may see, cached on the user object and
    between requests (dropped when a person, their branches or regions change)."""
    cached = getattr(user, _CACHE_ATTR, None)
    if cached is not None:
        return cached
    if user is None or not getattr(user, "is_authenticated", False):
        return frozenset()
    result = _SCOPES.get(
        (user.pk, user.is_active, user.is_superuser),
        lambda: _compute_visible_branch_ids(user),
    )
    setattr(user, _CACHE_ATTR, result)
    return result


def _compute_visible_branch_ids(user: Any) -> frozenset[int] | AllBranches:
    from .models import Branch
    from .roles import Scope

    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return frozenset()
    if user.is_superuser:
        return ALL_BRANCHES
    staff = staff_of(user)
    if staff is None:
        return frozenset()
    if staff.scope == Scope.COMPANY:
        return ALL_BRANCHES
    ids = set(staff.branches.values_list("id", flat=True))
    if staff.scope == Scope.REGION:
        ids |= set(
            Branch.objects.filter(region__in=staff.regions.all()).values_list("id", flat=True)
        )
    return frozenset(ids)


def forget_scope(user: Any) -> None:
    """Drop the cached scope, after the person's branches or regions changed."""
    if hasattr(user, _CACHE_ATTR):
        delattr(user, _CACHE_ATTR)
    _SCOPES.clear()


def staff_reaching(branch: Any) -> Any:
    """The active staff whose view reaches a branch: its own people, those of its region
    and the company-wide ones (who may act on it, who to tell about it)."""
    from .models import Staff
    from .roles import Scope

    return (
        Staff.objects.filter(user__is_active=True)
        .filter(
            models.Q(scope=Scope.COMPANY)
            | models.Q(branches=branch.pk)
            | models.Q(scope=Scope.REGION, regions=branch.region_id)
        )
        .distinct()
    )


def can_see_branch(user: Any, branch_id: int | None) -> bool:
    if branch_id is None:
        return isinstance(visible_branch_ids(user), AllBranches)
    return branch_id in visible_branch_ids(user)


def require_branch(user: Any, branch_id: int | None) -> None:
    """Refuse a change to a branch outside the person's scope."""
    if not can_see_branch(user, branch_id):
        raise PermissionDenied(_("This branch is outside your area of responsibility."))


class ScopedQuerySet(models.QuerySet):
    """A queryset that knows how to narrow itself to what a person may see."""

    def visible_to(self, user: Any) -> ScopedQuerySet:
        ids = visible_branch_ids(user)
        if isinstance(ids, AllBranches):
            return self
        field = getattr(self.model, "scope_field", "branch")
        if field == "pk":
            return self.filter(pk__in=ids)
        narrowed = self.filter(**{f"{field}__in": ids})
        if _crosses_many(self.model, field):
            narrowed = narrowed.distinct()
        return narrowed


def _crosses_many(model: type[models.Model], path: str) -> bool:
    current = model
    for part in path.split("__"):
        field = current._meta.get_field(part)
        if field.many_to_many or field.one_to_many:
            return True
        if field.related_model is None:
            return False
        current = field.related_model
    return False


def get_visible_or_404(
    source: type[models.Model] | models.QuerySet, user: Any, **lookups: Any
) -> Any:
    """Fetch one record the person may see; anything else is 'not found', never 'forbidden',
    so the existence of another branch's records is not revealed."""
    queryset = source._default_manager.all() if isinstance(source, type) else source
    try:
        return queryset.visible_to(user).get(**lookups)
    except (queryset.model.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404(_("Not found.")) from exc


_BRANCHES: ConfigCache[dict[str, Any]] = ConfigCache("branches-by-code", depends_on=["org.Branch"])


def visible_branch_by_code(user: Any, code: str) -> Any:
    """A branch the person may see, by its code (the API's way of naming branches); the
    branch list is cached between requests."""
    from .models import Branch

    branches = _BRANCHES.get("all", lambda: {b.code: b for b in Branch.objects.all()}, copied=False)
    branch = branches.get(code)
    if branch is None or not can_see_branch(user, branch.pk):
        raise Http404(_("Not found."))
    return copy.copy(branch)
