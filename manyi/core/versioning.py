"""Edits of shared records without lost updates.

A record several people edit (a customer, a ticket's analysis, a configuration row) is a
`manyi.core.models.Versioned`: it counts a version up on every change and remembers, for
each field, the version that last changed it. An edit says which version it was made from
(a hidden field on the page, `If-Match` on the API) and carries only the fields the person
changed. Under the row's lock, `apply_changes` writes those fields alone, and refuses the
edit (`EditConflict`, 409 on the API) only when one of them was changed by someone else
after that version, so two people changing different fields both keep their change and
two changing the same field are told instead of one silently losing.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from django import forms
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db import models
from django.forms.models import model_to_dict
from django.utils.translation import gettext as _

VERSION_FIELDS = ["version", "field_versions"]
_ETAG = re.compile(r'^\s*(?:W/)?"?(\d{1,18})"?\s*$')


class EditConflict(ValidationError):
    """Someone else changed a field of this edit after the version it was made from."""

    def __init__(self, instance: models.Model, fields: Sequence[str]) -> None:
        self.fields = list(fields)
        self.version = int(getattr(instance, "version", 0))
        self._labels = [label_of(instance, name) for name in self.fields]
        labels = "、".join(str(label) for label in self._labels)
        super().__init__(
            _(
                "While you were editing, someone else changed %(fields)s (it is now version "
                "%(version)d). Your changes were not saved: look at the new values and save "
                "again to keep yours."
            )
            % {"fields": labels, "version": self.version},
            code="edit_conflict",
        )

    def labelled(self) -> list[tuple[str, Any]]:
        return list(zip(self.fields, self._labels, strict=True))


def label_of(instance: models.Model, name: str) -> Any:
    """The field's name as people read it (its verbose name), for messages."""
    try:
        return instance._meta.get_field(name).verbose_name
    except FieldDoesNotExist:
        return name


def parse_version(text: str | None) -> int | None:
    """The version an API edit was made from: an `If-Match` ETag such as `"7"` (or
    `W/"7"`); None when there is none or it is `*` (the client asks for no check)."""
    if text is None or not text.strip() or text.strip() == "*":
        return None
    match = _ETAG.match(text)
    if match is None:
        raise ValidationError(
            _('If-Match must be the ETag of a version of this record, such as "7".'),
            code="bad_version",
        )
    return int(match.group(1))


def etag(instance: models.Model) -> str:
    return f'"{instance.version}"'


def _stored(instance: models.Model, name: str) -> Any:
    field = instance._meta.get_field(name)
    if field.is_relation and not field.many_to_many:
        return getattr(instance, field.attname)
    return getattr(instance, name)


def _wanted(instance: models.Model, name: str, value: Any) -> Any:
    """The value as the column holds it (a number sent as text compares as the number)."""
    field = instance._meta.get_field(name)
    if field.is_relation:
        return value.pk if isinstance(value, models.Model) else value
    if value is None:
        return None
    try:
        return field.to_python(value)
    except ValidationError as exc:
        raise ValidationError(
            f"{field.verbose_name}: {' '.join(exc.messages)}", code="invalid"
        ) from None


def refuse_stale(instance: models.Model, names: Iterable[str], seen: int | None) -> None:
    """Refuse the change of `names` when the edit was made from version `seen` and one of
    them changed since. `seen` None means no check (an API client that sent no If-Match)."""
    if seen is None:
        return
    current = int(instance.version)
    if not 1 <= seen <= current:
        raise ValidationError(
            _("This record never had version %(seen)d (it is at version %(version)d).")
            % {"seen": seen, "version": current},
            code="bad_version",
        )
    versions = instance.field_versions or {}
    stale = [name for name in names if int(versions.get(name, 0)) > seen]
    if stale:
        raise EditConflict(instance, stale)


def mark_changed(instance: models.Model, names: Iterable[str]) -> list[str]:
    """Count the version up and note it against each changed name; the names of the
    bookkeeping fields to add to `save(update_fields=...)` (none when nothing changed)."""
    names = list(names)
    if not names:
        return []
    instance.version = int(instance.version) + 1
    versions = dict(instance.field_versions or {})
    for name in names:
        versions[name] = instance.version
    instance.field_versions = versions
    return list(VERSION_FIELDS)


def apply_changes(
    instance: models.Model,
    changes: Mapping[str, Any],
    *,
    seen: int | None,
    also: Sequence[str] = (),
) -> list[str]:
    """Set the fields whose value the edit changes on a freshly locked row, after refusing
    a stale one; the fields to save (the changed ones and the version's). `also` names
    what else the edit changes that is not a column (a many-to-many set, checked and
    versioned alike; the caller writes it)."""
    wanted = {name: _wanted(instance, name, value) for name, value in changes.items()}
    changed = [name for name, value in wanted.items() if _stored(instance, name) != value]
    refuse_stale(instance, [*changed, *also], seen)
    for name in changed:
        field = instance._meta.get_field(name)
        if field.is_relation and not isinstance(changes[name], models.Model):
            setattr(instance, field.attname, wanted[name])  # an id
        else:
            setattr(instance, name, changes[name] if field.is_relation else wanted[name])
    return changed + mark_changed(instance, [*changed, *also])


def _as_text(value: Any) -> str:
    if value is None:
        return ""
    return str(value)


class VersionedForm(forms.Form):
    """A page's edit form that sends the version it was opened at and, beside every field,
    the value it showed (Django's `show_hidden_initial`), so the save carries only what the
    person changed. Mix it in before `forms.ModelForm`."""

    version = forms.IntegerField(
        widget=forms.HiddenInput, required=False, min_value=1, max_value=2**62
    )
    # Fields whose stored value the page never carries (personal data shown masked):
    # after a conflict neither they nor their shown value are filled with the stored one.
    never_refilled: frozenset[str] = frozenset()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
            if name != "version":
                field.show_hidden_initial = True
        record = getattr(self, "instance", None)
        if record is not None and record.pk is not None:
            self.fields["version"].initial = record.version

    @property
    def seen(self) -> int | None:
        """The version the page was opened at (None for a new record)."""
        return self.cleaned_data.get("version")

    def changes(self) -> dict[str, Any]:
        """The fields the person changed, with their new values."""
        return {
            name: self.cleaned_data[name]
            for name in self.changed_data
            if name != "version" and name in self.cleaned_data
        }

    def rebase(self, fresh: models.Model, conflict: EditConflict) -> None:
        """After a conflict: keep what the person typed, but as an edit of the record as it
        is now, so a second save knowingly keeps theirs."""
        typed = set(self.changed_data)
        data = self.data.copy()
        data[self.add_prefix("version")] = str(fresh.version)
        values = model_to_dict(fresh)
        for name, field in self.fields.items():
            if name == "version" or name not in values or name in self.never_refilled:
                continue
            shown = field.prepare_value(values[name])
            # What the person typed stays; a field they did not touch shows the colleague's
            # value, or the second save would put the old one back over it.
            keys = [self.add_initial_prefix(name)]
            if name not in typed:
                keys.append(self.add_prefix(name))
            for key in keys:
                if isinstance(shown, (list, tuple)):
                    data.setlist(key, [_as_text(item) for item in shown])
                else:
                    data[key] = _as_text(shown)
        self.data = data
        self.__dict__.pop("changed_data", None)
        self.add_error(None, conflict)
