"""Writing the audit trail. Actions call `record`; nothing else writes audit entries."""

from __future__ import annotations

import datetime as dt
import decimal
import re
import uuid
from collections.abc import Iterable
from typing import Any

from django.db import models

from manyi.core import clock
from manyi.core.masking import mask

from .models import AuditEntry
from .scoping import AllBranches, staff_of, visible_branch_ids


def _plain(value: Any) -> Any:
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal | uuid.UUID):
        return str(value)
    if isinstance(value, list | tuple | set | frozenset):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    return value


def snapshot(obj: models.Model, fields: Iterable[str] | None = None) -> dict[str, Any]:
    """The audited state of a record: concrete fields (foreign keys as ids) and m2m id lists."""
    opts = obj._meta
    names = (
        list(fields)
        if fields is not None
        else [f.name for f in opts.concrete_fields if f.name not in {"password"}]
    )
    state: dict[str, Any] = {}
    for name in names:
        field = opts.get_field(name)
        if field.many_to_many:
            related = getattr(obj, name).values_list("pk", flat=True) if obj.pk else []
            state[name] = sorted(related)
        elif field.is_relation:
            state[name] = getattr(obj, field.attname)
        else:
            state[name] = _plain(getattr(obj, name))
    return state


_PHONE_OR_ID = re.compile(r"(?<!\d)(1[3-9]\d{9}|\d{17}[\dXx]|\d{15})(?!\d)")


def masked_repr(obj: models.Model) -> str:
    """What the entry calls the object, with its personal fields masked (an entry is read by
    supervisors who may not see them): the model's `PERSONAL_FIELDS`, and any mobile or ID
    number left in the text (typed into a name) as a safety net."""
    text = str(obj)
    for field, kind in (getattr(type(obj), "PERSONAL_FIELDS", None) or {}).items():
        value = getattr(obj, field, None)
        if value:
            text = text.replace(str(value), mask(kind, str(value)))
    return _PHONE_OR_ID.sub(
        lambda m: mask("phone" if len(m.group()) == 11 else "id_number", m.group()), text
    )


def branch_of(obj: models.Model) -> int | None:
    """The branch an entry concerns: the object's own, or its customer's or ticket's (a
    contact, a reply), so the branch's supervisor finds it in the audit search."""
    branch_id = getattr(obj, "branch_id", None)
    if branch_id is not None:
        return branch_id
    for parent in ("customer", "ticket", "questionnaire"):
        related = getattr(obj, parent, None) if hasattr(obj, f"{parent}_id") else None
        if related is not None and getattr(related, "branch_id", None) is not None:
            return related.branch_id
    return None


def changed(before: dict[str, Any], after: dict[str, Any]) -> tuple[dict, dict]:
    """Only the keys whose values differ, so an entry says what actually changed."""
    keys = [k for k in after if before.get(k) != after.get(k)]
    return {k: before.get(k) for k in keys}, {k: after[k] for k in keys}


def record(
    actor: Any,
    action: str,
    obj: models.Model | None = None,
    *,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    branch_id: int | None = None,
    note: str = "",
) -> AuditEntry:
    actor_user = actor if getattr(actor, "is_authenticated", False) else None
    actor_name = ""
    if actor_user is not None:
        staff = staff_of(actor_user)
        username = actor_user.get_username()
        actor_name = f"{staff.name} ({username})" if staff else username
    elif isinstance(actor, str):
        actor_name = actor  # a system actor such as "system:demo"
    if branch_id is None and obj is not None:
        branch_id = branch_of(obj)
    return AuditEntry.objects.create(
        at=clock.now(),
        actor=actor_user,
        actor_name=actor_name[:150],
        action=action,
        object_type=obj._meta.label_lower if obj is not None else "",
        object_id=str(obj.pk) if obj is not None else "",
        object_repr=masked_repr(obj)[:300] if obj is not None else "",
        branch_id=branch_id,
        before=_plain(before) if before is not None else None,
        after=_plain(after) if after is not None else None,
        note=note[:500],
    )


def search(
    user: Any,
    *,
    object_type: str | None = None,
    object_id: str | None = None,
    actor: str | None = None,
    action: str | None = None,
    since: dt.date | None = None,
    until: dt.date | None = None,
) -> Any:
    """The audit entries a person may read, filtered; shared by the page and the API."""
    queryset = AuditEntry.objects.all()
    ids = visible_branch_ids(user)
    if not isinstance(ids, AllBranches):
        queryset = queryset.filter(branch_id__in=ids)
    if object_type:
        queryset = queryset.filter(object_type=object_type)
    if object_id:
        queryset = queryset.filter(object_id=object_id)
    if actor:
        queryset = queryset.filter(actor_name__icontains=actor)
    if action:
        queryset = queryset.filter(action__startswith=action)
    if since:
        queryset = queryset.filter(at__date__gte=since)
    if until:
        queryset = queryset.filter(at__date__lte=until)
    return queryset.order_by("-at", "-id")


def entries_for(obj: models.Model, actions: Iterable[str]) -> Any:
    """One object's entries of the given actions, oldest first, with who made them: the
    history a page shows beside the object (the caller has checked it may see the object)."""
    return (
        AuditEntry.objects.filter(
            object_type=obj._meta.label_lower, object_id=str(obj.pk), action__in=list(actions)
        )
        .select_related("actor__staff")
        .order_by("at", "id")
    )
