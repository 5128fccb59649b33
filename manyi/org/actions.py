"""Every change to the organisation goes through these functions: permission, transaction,
audit entry and domain event in one place."""

from __future__ import annotations

import copy
import secrets
import time
from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from manyi.core.configcache import ConfigCache
from manyi.core.events import emit
from manyi.core.masking import mask
from manyi.core.versioning import apply_changes

from . import accounts, audit
from .actors import SYSTEM, Actor
from .auditing import AuditAction
from .events import (
    ApiTokenCreated,
    ApiTokenRevoked,
    OrganisationChanged,
    StaffCreated,
    StaffUpdated,
)
from .models import ApiToken, Branch, Company, Department, Region, Staff
from .permissions import has_permission, require_permission
from .roles import Role, Scope
from .scoping import forget_scope, get_visible_or_404, require_branch

STAFF_AUDIT_FIELDS = [
    "employee_no",
    "name",
    "role",
    "scope",
    "department",
    "branches",
    "regions",
    "phone",
]
PERSONAL_FIELDS = {"phone": "phone", "id_number": "id_number"}


def _require(actor: Any, permission: str) -> None:
    if actor != SYSTEM:
        require_permission(actor, permission)


def _only(changes: dict[str, Any], allowed: set[str] | list[str]) -> None:
    """Refuse a change naming a field this action does not change."""
    unknown = set(changes) - set(allowed)
    if unknown:
        raise ValidationError(
            _("These fields cannot be changed here: %(fields)s")
            % {"fields": ", ".join(sorted(unknown))}
        )


def _locked_staff(actor: Actor, staff: Staff) -> Staff:
    """The staff row locked for a change, with its login; outside the actor's view, a 404."""
    locked = Staff.objects.select_for_update().select_related("user")
    if actor == SYSTEM:
        return locked.get(pk=staff.pk)
    return get_visible_or_404(locked, actor, pk=staff.pk)


def create_staff(
    actor: Any,
    *,
    username: str,
    name: str,
    role: Role | str,
    branches: Sequence[Branch] = (),
    regions: Sequence[Region] = (),
    scope: Scope | str | None = None,
    company: Company | None = None,
    department: Department | None = None,
    phone: str = "",
    id_number: str = "",
    password: str | None = None,
    password_hash: str | None = None,
    employee_no: str | None = None,
) -> Staff:
    """Create a login and its staff record. Without a password the account cannot log in
    until one is set (API tokens still work)."""
    _require(actor, "org.manage_staff")
    role = Role(role)
    if scope is None:
        scope = Scope.REGION if regions else Scope.BRANCH
    scope = Scope(scope)
    if role == Role.ADMIN and scope == Scope.BRANCH and not branches:
        scope = Scope.COMPANY
    if scope == Scope.BRANCH and not branches:
        raise ValidationError(_("A staff member with branch scope needs at least one branch."))
    if scope == Scope.REGION and not regions:
        raise ValidationError(_("A staff member with region scope needs at least one region."))
    if actor != SYSTEM:
        for branch in branches:
            require_branch(actor, branch.pk)
    if company is None:
        source = branches[0].region if branches else (regions[0] if regions else None)
        company = source.company if source is not None else Company.objects.first()
    if company is None:
        raise ValidationError(_("Create the company first (manyi demo loads one)."))
    User = get_user_model()
    if User.objects.filter(username=username).exists():
        raise ValidationError(
            _("The user name %(username)s is already taken.") % {"username": username}
        )
    user = User(username=username)
    if password is not None:
        validate_password(password, user)
        user.set_password(password)
    elif password_hash is not None:
        user.password = password_hash
    else:
        user.set_unusable_password()
    user.is_staff = role == Role.ADMIN  # administrators may open the Django admin
    with transaction.atomic():
        user.save()
        staff = Staff.objects.create(
            user=user,
            company=company,
            name=name,
            role=role,
            scope=scope,
            department=department,
            phone=phone,
            id_number=id_number,
            employee_no=employee_no or f"E{user.pk:05d}",
        )
        staff.branches.set(branches)
        staff.regions.set(regions)
        after = audit.snapshot(staff, STAFF_AUDIT_FIELDS)
        after["phone"] = mask("phone", phone)
        audit.record(
            actor,
            AuditAction.STAFF_CREATE,
            staff,
            after=after,
            branch_id=branches[0].pk if branches else None,
        )
        emit(
            StaffCreated(staff_id=staff.pk, role=role.value, branch_ids=[b.pk for b in branches]),
            actor=actor,
        )
    return staff


def update_staff(actor: Any, staff: Staff, *, seen: int | None = None, **changes: Any) -> Staff:
    """Change a staff member's name, role, scope, department, phone, branches or regions:
    only those given; one someone else changed after version `seen` is refused."""
    _require(actor, "org.manage_staff")
    allowed = {"name", "role", "scope", "department", "phone", "branches", "regions"}
    _only(changes, allowed)
    with transaction.atomic():
        locked = Staff.objects.select_for_update()
        if actor != SYSTEM:
            staff = get_visible_or_404(locked, actor, pk=staff.pk)
            for branch in changes.get("branches", []):
                require_branch(actor, branch.pk)
        else:
            staff = locked.get(pk=staff.pk)
        before = audit.snapshot(staff, STAFF_AUDIT_FIELDS)
        sets = {}
        for field in ("branches", "regions"):
            if field in changes:
                wanted = list(changes.pop(field))
                if sorted(x.pk for x in wanted) != sorted(
                    getattr(staff, field).values_list("pk", flat=True)
                ):
                    sets[field] = wanted
        if "role" in changes:
            changes["role"] = Role(changes["role"])
        fields = apply_changes(staff, changes, seen=seen, also=sorted(sets))
        for field, wanted in sets.items():
            getattr(staff, field).set(wanted)
        staff.full_clean(exclude=["user", "company"])
        if fields:
            staff.save(update_fields=fields)
        if "role" in fields and staff.user.is_staff != (staff.role == Role.ADMIN):
            staff.user.is_staff = staff.role == Role.ADMIN  # the Django admin follows the role
            staff.user.save(update_fields=["is_staff"])
        after = audit.snapshot(staff, STAFF_AUDIT_FIELDS)
        before["phone"], after["phone"] = mask("phone", before["phone"]), mask("phone", staff.phone)
        old, new = audit.changed(before, after)
        if old or new:
            audit.record(
                actor,
                AuditAction.STAFF_UPDATE,
                staff,
                before=old,
                after=new,
                branch_id=staff.branches.values_list("pk", flat=True).first(),
            )
            emit(StaffUpdated(staff_id=staff.pk, changed=sorted(new)), actor=actor)
    forget_scope(staff.user)
    return staff


def reveal_personal_data(actor: Any, obj: Any, field: str, *, reason: str = "") -> str:
    """Return one unmasked personal field; requires `pii.unmask` and leaves an audit entry.

    Works for any model that lists its personal fields in `PERSONAL_FIELDS` (field -> kind)."""
    require_permission(actor, "pii.unmask")
    personal = getattr(type(obj), "PERSONAL_FIELDS", None) or (
        PERSONAL_FIELDS if isinstance(obj, Staff) else {}
    )
    if field not in personal:
        raise ValidationError(_("%(field)s is not a personal data field.") % {"field": field})
    value = getattr(obj, field) or ""
    branch_id = audit.branch_of(obj)
    if isinstance(obj, Staff):
        branch_id = obj.branches.values_list("pk", flat=True).first()
    with transaction.atomic():
        audit.record(
            actor,
            AuditAction.PII_REVEAL,
            obj,
            after={"field": field},
            branch_id=branch_id,
            note=reason,
        )
    return value


def may_reveal(user: Any) -> bool:
    return has_permission(user, "pii.unmask")


def create_api_token(actor: Any, user: Any, *, name: str = "") -> tuple[ApiToken, str]:
    """Issue a token; the raw value is returned once and never stored."""
    if actor != SYSTEM and actor != user:
        require_permission(actor, "org.manage_tokens")
    raw = settings.MANYI_API_TOKEN_PREFIX + secrets.token_urlsafe(32)
    with transaction.atomic():
        token = ApiToken.objects.create(
            user=user, name=name, prefix=raw[:10], digest=ApiToken.digest_of(raw)
        )
        audit.record(actor, AuditAction.TOKEN_CREATE, token, after={"user": user.pk, "name": name})
        emit(ApiTokenCreated(token_id=token.pk, user_id=user.pk), actor=actor)
    return token, raw


def revoke_api_token(actor: Any, token: ApiToken) -> None:
    if actor != SYSTEM and actor != token.user:
        require_permission(actor, "org.manage_tokens")
    with transaction.atomic():
        ApiToken.objects.filter(pk=token.pk).update(revoked_at=timezone.now())
        _TOKENS.clear()
        transaction.on_commit(_TOKENS.clear)
        audit.record(actor, AuditAction.TOKEN_REVOKE, token)
        emit(ApiTokenRevoked(token_id=token.pk, user_id=token.user_id), actor=actor)


_TOKENS: ConfigCache[tuple[int, Any] | None] = ConfigCache(
    "api-tokens",
    depends_on=["org.ApiToken", "auth.User", "org.Staff"],
    ttl=10.0,
    keep_none=False,  # unknown tokens are not remembered: anyone can send random ones
)
_TOKEN_TOUCHED: dict[str, float] = {}  # by digest: a new token never inherits a mark


def _token_owner(digest: str) -> tuple[int, Any] | None:
    token = (
        ApiToken.objects.select_related("user", "user__staff")
        .filter(digest=digest, revoked_at__isnull=True)
        .first()
    )
    if token is None or not token.user.is_active:
        return None
    return token.pk, token.user


def authenticate_token(raw: str) -> Any | None:
    """The active user behind a raw bearer token, or None. Known tokens are remembered for
    a few seconds per process (revoking one forgets them at once in this process)."""
    if not raw or not raw.startswith(settings.MANYI_API_TOKEN_PREFIX):
        return None
    digest = ApiToken.digest_of(raw)
    found = _TOKENS.get(digest, lambda: _token_owner(digest))
    if found is None:
        return None
    token_pk, cached_user = found
    # Copies all the way round (user -> staff -> user), so nothing set on the request's
    # user, such as its cached scope, reaches the cached one.
    user = copy.copy(cached_user)
    staff = cached_user._state.fields_cache.get("staff")
    if staff is not None:
        staff = copy.copy(staff)
        staff._state.fields_cache["user"] = user
        user._state.fields_cache["staff"] = staff
    now = time.monotonic()
    if now - _TOKEN_TOUCHED.get(digest, -1e9) > 60:
        ApiToken.objects.filter(pk=token_pk).update(last_used_at=timezone.now())
        _TOKEN_TOUCHED[digest] = now
    return user


# --- accounts: turning a login off and on, passwords, the lock-out ----------------------


def set_staff_active(actor: Actor, staff: Staff, *, active: bool, reason: str = "") -> Staff:
    """Turn a person's login off (they leave, or are suspended) or back on. Nothing of
    theirs is deleted: their tickets, answers and audit entries keep their name. An inactive
    person cannot log in, their open sessions stop working and their API tokens are
    refused."""
    _require(actor, "org.manage_staff")
    if not active and getattr(actor, "pk", None) == staff.user_id:
        raise ValidationError(_("You cannot turn off your own login."))
    with transaction.atomic():
        staff = _locked_staff(actor, staff)
        user = staff.user
        if user.is_active == active:
            return staff
        user.is_active = active
        user.save(update_fields=["is_active"])
        audit.record(
            actor,
            AuditAction.STAFF_REACTIVATE if active else AuditAction.STAFF_DEACTIVATE,
            staff,
            before={"is_active": not active},
            after={"is_active": active},
            branch_id=staff.branches.values_list("pk", flat=True).first(),
            note=reason,
        )
        emit(StaffUpdated(staff_id=staff.pk, changed=["is_active"]), actor=actor)
        _TOKENS.clear()  # this person's tokens stop at once, here and after the commit
        transaction.on_commit(_TOKENS.clear)
    forget_scope(user)
    return staff


def new_password() -> str:
    """A password to read out or hand over: twelve letters and digits, no look-alikes."""
    alphabet = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    while True:
        password = "".join(secrets.choice(alphabet) for _ in range(12))
        if any(c.isdigit() for c in password) and any(c.isalpha() for c in password):
            return password


def reset_password(actor: Actor, staff: Staff, *, password: str | None = None) -> str:
    """Give a person a new password (the one typed, or one made up here) and return it, to
    be shown once. The password itself is never written to the trail. The person's other
    sessions end, and a lock-out on their name is lifted."""
    _require(actor, "org.manage_staff")
    generated = not password
    with transaction.atomic():
        staff = _locked_staff(actor, staff)
        user = staff.user
        password = password or new_password()
        validate_password(password, user)
        user.set_password(password)  # changes the session hash: old sessions end
        user.save(update_fields=["password"])
        cleared = accounts.clear_lockout(user.get_username())
        audit.record(
            actor,
            AuditAction.PASSWORD_RESET,
            staff,
            after={"generated": generated, "attempts": cleared},
            branch_id=staff.branches.values_list("pk", flat=True).first(),
        )
        emit(StaffUpdated(staff_id=staff.pk, changed=["password"]), actor=actor)
    return password


def unlock_login(actor: Actor, staff: Staff) -> int:
    """Lift the lock-out after too many failed logins, before the cool-off ends. Returns
    the number of failure records cleared (0 when the person was not locked out)."""
    _require(actor, "org.manage_staff")
    if actor != SYSTEM:
        staff = get_visible_or_404(Staff.objects.select_related("user"), actor, pk=staff.pk)
    with transaction.atomic():
        cleared = accounts.clear_lockout(staff.user.get_username())
        if cleared:
            audit.record(
                actor,
                AuditAction.LOGIN_UNLOCK,
                staff,
                after={"attempts": cleared},
                branch_id=staff.branches.values_list("pk", flat=True).first(),
            )
    return cleared


# --- the organisation tree: regions, branches, departments -------------------------------

BRANCH_FIELDS = [
    "region",
    "code",
    "name",
    "city",
    "address",
    "phone",
    "observes_statutory_holidays",
    "is_active",
]
REGION_FIELDS = ["code", "name"]
DEPARTMENT_FIELDS = ["kind", "name", "branch"]


def _the_company() -> Company:
    company = Company.objects.order_by("pk").first()
    if company is None:
        raise ValidationError(_("Create the company first (manyi demo loads one)."))
    return company


CODE_TAKEN = {
    "Region": gettext_lazy("Another region already has this code."),
    "Branch": gettext_lazy("Another branch already has this code."),
}


def _code_free(model: type, code: str, *, exclude: Any = None) -> None:
    """Refuse a code another region (or branch) already has, beside the code field."""
    taken = model.objects.filter(code=code)
    if exclude is not None:
        taken = taken.exclude(pk=exclude.pk)
    if taken.exists():
        raise ValidationError({"code": CODE_TAKEN[model.__name__]})


def _create(actor: Actor, obj: Any, fields: list[str], action: AuditAction) -> Any:
    _require(actor, "org.manage_structure")
    if "code" in fields:
        _code_free(type(obj), obj.code)
    obj.full_clean()
    with transaction.atomic():
        obj.save()
        audit.record(
            actor, action, obj, after=audit.snapshot(obj, fields), branch_id=audit.branch_of(obj)
        )
        emit(OrganisationChanged(model=obj._meta.model_name, object_id=obj.pk), actor=actor)
    return obj


def _update(
    actor: Actor, obj: Any, fields: list[str], action: AuditAction, changes: dict[str, Any]
) -> Any:
    _require(actor, "org.manage_structure")
    _only(changes, fields)
    if "code" in changes:
        _code_free(type(obj), changes["code"], exclude=obj)
    with transaction.atomic():
        obj = type(obj).objects.select_for_update().get(pk=obj.pk)
        before = audit.snapshot(obj, fields)
        for field, value in changes.items():
            setattr(obj, field, value)
        obj.full_clean()
        after = audit.snapshot(obj, fields)
        old, new = audit.changed(before, after)
        if old or new:
            obj.save(update_fields=sorted(new))
            audit.record(actor, action, obj, before=old, after=new, branch_id=audit.branch_of(obj))
            emit(OrganisationChanged(model=obj._meta.model_name, object_id=obj.pk), actor=actor)
    return obj


def create_region(actor: Actor, *, code: str, name: str) -> Region:
    return _create(
        actor,
        Region(company=_the_company(), code=code, name=name),
        REGION_FIELDS,
        AuditAction.REGION_CREATE,
    )


def update_region(actor: Actor, region: Region, **changes: Any) -> Region:
    return _update(actor, region, REGION_FIELDS, AuditAction.REGION_UPDATE, changes)


def create_branch(actor: Actor, *, region: Region, code: str, name: str, **fields: Any) -> Branch:
    """A new branch (or outlet, store, service point). Its queues, opening hours and
    departments are set up from its own pages afterwards."""
    _only(fields, BRANCH_FIELDS)
    return _create(
        actor,
        Branch(region=region, code=code, name=name, **fields),
        BRANCH_FIELDS,
        AuditAction.BRANCH_CREATE,
    )


def update_branch(actor: Actor, branch: Branch, **changes: Any) -> Branch:
    return _update(actor, branch, BRANCH_FIELDS, AuditAction.BRANCH_UPDATE, changes)


def _department_is_new(kind: str, branch: Branch | None, exclude: Any = None) -> None:
    taken = Department.objects.filter(kind=kind, branch=branch)
    if exclude is not None:
        taken = taken.exclude(pk=exclude.pk)
    if taken.exists():
        raise ValidationError(
            {"kind": _("This branch (or the head office) already has a department of this kind.")}
        )


def create_department(
    actor: Actor, *, kind: str, name: str, branch: Branch | None = None
) -> Department:
    """A department orders go to and staff belong to; without a branch it is the head
    office's."""
    _department_is_new(kind, branch)
    return _create(
        actor,
        Department(company=_the_company(), kind=kind, name=name, branch=branch),
        DEPARTMENT_FIELDS,
        AuditAction.DEPARTMENT_CREATE,
    )


def update_department(actor: Actor, department: Department, **changes: Any) -> Department:
    if "kind" in changes or "branch" in changes:
        _department_is_new(
            changes.get("kind", department.kind),
            changes.get("branch", department.branch),
            exclude=department,
        )
    return _update(actor, department, DEPARTMENT_FIELDS, AuditAction.DEPARTMENT_UPDATE, changes)
