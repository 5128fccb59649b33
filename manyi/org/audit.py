"""Writing the audit trail. Actions call `record`; nothing else writes audit entries."""

from __future__ import annotations

import datetime as dt
import decimal
import re
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.apps import apps as django_apps
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext

from manyi.core import clock
from manyi.core.masking import mask
from manyi.core.registry import (
    FIELD_NAME,
    VERBATIM,
    audit_action_label,
    audit_detail_label,
    is_audit_action,
)

from .actors import Actor, is_non_person
from .actors import describe as describe_actor
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
    actor: Actor,
    action: models.TextChoices,
    obj: models.Model | None = None,
    *,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    branch_id: int | None = None,
    note: str = "",
) -> AuditEntry:
    if not is_audit_action(action):
        raise ValueError(f"{action!r} is not an audit action an app declared (auditing.py)")
    actor_user = actor if getattr(actor, "is_authenticated", False) else None
    if actor_user is not None:
        staff = staff_of(actor_user)
        username = actor_user.get_username()
        actor_name = f"{staff.name} ({username})" if staff else username
    elif is_non_person(actor):
        actor_name = actor.key
    else:
        raise TypeError(f"{actor!r} is not an actor: a user, a SystemActor or a DeviceActor")
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
    return queryset.select_related("actor__staff").order_by("-at", "-id")


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


# --- Reading the trail in words ---------------------------------------------------------


@dataclass
class ReadableDetail:
    label: str
    before: str | None  # None: the entry records no earlier value
    after: str | None
    verbatim: bool = False  # a file name or a code someone chose: shown as it is


@dataclass
class ReadableEntry:
    entry: AuditEntry
    action: str
    actor: str
    object_kind: str
    details: list[ReadableDetail]


_ISO_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")


def readable(entries: Iterable[AuditEntry]) -> list[ReadableEntry]:
    """Entries as a person reads them, in their language: the action, who (a person's name,
    or the job or device), what kind of object, and each detail by the field's own label with
    choices by their labels and related records by their names. Related records are read in
    one query per model for the whole page."""
    entries = list(entries)
    wanted: dict[type[models.Model], set[Any]] = {}
    plans = [_plan(entry, wanted) for entry in entries]
    names = {
        model: {pk: masked_repr(obj) for pk, obj in model._default_manager.in_bulk(ids).items()}
        for model, ids in wanted.items()
    }
    rows = []
    for entry, (model, keys) in zip(entries, plans, strict=True):
        before = entry.before if isinstance(entry.before, dict) else {}
        after = entry.after if isinstance(entry.after, dict) else {}
        details = []
        for key in keys:
            label, render = _detail_words(entry.action, model, key, names)
            details.append(
                ReadableDetail(
                    str(label),
                    render(before[key]) if key in before else None,
                    render(after[key]) if key in after else None,
                    verbatim=_verbatim(entry.action, key),
                )
            )
        staff = getattr(entry.actor, "staff", None) if entry.actor_id else None
        rows.append(
            ReadableEntry(
                entry=entry,
                action=str(audit_action_label(entry.action) or entry.action),
                actor=staff.name if staff is not None else describe_actor(entry.actor_name),
                object_kind=str(model._meta.verbose_name) if model is not None else "",
                details=details,
            )
        )
    return rows


def _verbatim(action: str, key: str) -> bool:
    declared = audit_detail_label(action, key)
    return isinstance(declared, tuple) and declared[1] == VERBATIM


def _model_of(entry: AuditEntry) -> type[models.Model] | None:
    if not entry.object_type:
        return None
    try:
        return django_apps.get_model(entry.object_type)
    except (LookupError, ValueError):
        return None


def _field(model: type[models.Model] | None, key: str) -> Any:
    if model is None:
        return None
    try:
        field = model._meta.get_field(key)
    except FieldDoesNotExist:
        return None
    # A reverse relation shares its name with a detail ("orders": how many were sent).
    return None if isinstance(field, models.ForeignObjectRel) else field


def _plan(
    entry: AuditEntry, wanted: dict[type[models.Model], set[Any]]
) -> tuple[type[models.Model] | None, list[str]]:
    """The entry's detail keys in order, noting the related records to read by name."""
    model = _model_of(entry)
    keys: list[str] = []
    for side in (entry.before, entry.after):
        if isinstance(side, dict):
            keys += [k for k in side if k not in keys]
    for key in keys:
        field = None if audit_detail_label(entry.action, key) is not None else _field(model, key)
        if field is not None and field.is_relation and field.related_model is not None:
            for side in (entry.before, entry.after):
                value = side.get(key) if isinstance(side, dict) else None
                ids = value if isinstance(value, list) else [value]
                wanted.setdefault(field.related_model, set()).update(
                    v for v in ids if isinstance(v, int) or (isinstance(v, str) and v.isdigit())
                )
    return model, keys


def _detail_words(
    action: str,
    model: type[models.Model] | None,
    key: str,
    names: dict[type[models.Model], dict[Any, str]],
) -> tuple[Any, Callable[[Any], str]]:
    """The label of one detail and how to word its values: the words the app declared for
    it (which win, since a detail may share a field's name but hold a code or a number), else
    the audited model's field."""
    declared = audit_detail_label(action, key)
    if _verbatim(action, key):
        return declared[0], _word
    if isinstance(declared, tuple) and declared[1] == FIELD_NAME:
        return declared[0], lambda v: _word(
            [str(getattr(_field(model, n), "verbose_name", n)) for n in v]
            if isinstance(v, list)
            else str(getattr(_field(model, str(v)), "verbose_name", v))
        )
    if isinstance(declared, tuple):
        label, choices = declared
        mapping = dict(choices.choices) if hasattr(choices, "choices") else dict(choices)
        return label, lambda v: _word(v, choices=mapping, split=True)
    if declared is not None:
        return declared, _word
    field = _field(model, key)
    if field is not None:
        if field.is_relation and field.related_model is not None:
            related = names.get(field.related_model, {})
            return field.verbose_name, lambda v: _word(v, lookup=lambda pk: related.get(_pk(pk)))
        if field.choices:
            return field.verbose_name, lambda v: _word(v, choices=dict(field.flatchoices))
        return field.verbose_name, _word
    return key, _word


def _pk(value: Any) -> Any:
    return int(value) if isinstance(value, str) and value.isdigit() else value


def _word(
    value: Any,
    *,
    choices: dict[Any, Any] | None = None,
    lookup: Callable[[Any], str | None] | None = None,
    split: bool = False,
) -> str:
    if isinstance(value, list):
        return "、".join(_word(v, choices=choices, lookup=lookup) for v in value) or "—"
    if isinstance(value, dict):
        return "；".join(f"{k}：{_word(v)}" for k, v in value.items())
    if value is None or value == "":
        return "—"
    if isinstance(value, bool) or value in ("True", "False"):
        return str(gettext("yes") if value in (True, "True") else gettext("no"))
    if choices is not None:
        if split and isinstance(value, str) and "," in value:
            return "、".join(str(choices.get(v, v)) for v in value.split(","))
        return str(choices.get(value, value))
    if lookup is not None:
        return lookup(value) or f"#{value}"
    if isinstance(value, str) and _ISO_DATETIME.match(value):
        try:
            moment = dt.datetime.fromisoformat(value)
        except ValueError:
            return value
        if moment.tzinfo is not None:
            moment = timezone.localtime(moment)
        return f"{moment:%Y-%m-%d %H:%M}"
    return str(value)
