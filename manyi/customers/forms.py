from __future__ import annotations

import datetime as dt
import hashlib
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django import forms
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.forms.widgets import ChoiceWidget
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from manyi.core.masking import MASK, mask
from manyi.core.versioning import VersionedForm
from manyi.org.models import Branch, Staff
from manyi.org.roles import Role
from manyi.org.scoping import AllBranches, visible_branch_ids

from . import segments
from .contacts import parse_contact
from .models import AUTO_REFERENCE_PREFIX, Contact, Customer, Segment, Tag, Transaction


class SearchForm(forms.Form):
    q = forms.CharField(
        label=_("Search"),
        required=False,
        max_length=100,
        widget=forms.TextInput(
            attrs={
                "placeholder": _("Name, pinyin initials, phone or last 4 digits"),
                "autofocus": True,
                "type": "search",
            }
        ),
    )
    tag = forms.CharField(label=_("Tag"), required=False, max_length=50)
    branch = forms.CharField(label=_("Branch code"), required=False, max_length=32)


class TimelinePageForm(forms.Form):
    """The customer page's "older" link: entries before this time (Beijing time when it
    carries no time zone); anything unreadable shows the newest entries."""

    before = forms.DateTimeField(required=False)


class ImportForm(forms.Form):
    file = forms.FileField(label=_("File (.xlsx, .xls or .csv)"))
    branch = forms.ModelChoiceField(
        label=_("Branch for rows without one"), queryset=Branch.objects.none(), required=False
    )
    atomic = forms.BooleanField(
        label=_("All or nothing: import nothing if any row is bad"), required=False
    )
    confirm = forms.BooleanField(label=_("Import now (otherwise only a preview)"), required=False)

    def __init__(self, *args, user=None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["branch"].queryset = Branch.objects.visible_to(user)


class SegmentForm(forms.Form):
    """A segment's name and words; its conditions come from the `ConditionFormSet` beside it."""

    name = forms.CharField(label=pgettext_lazy("of a thing", "Name"), max_length=100)
    description = forms.CharField(label=_("Description"), max_length=300, required=False)
    strategy = forms.CharField(
        label=_("Strategy for this segment"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )

    def __init__(self, *args: Any, segment: Segment | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.segment = segment

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip()
        taken = Segment.objects.filter(name=name)
        if self.segment is not None:
            taken = taken.exclude(pk=self.segment.pk)
        if taken.exists():
            raise ValidationError(
                _("A segment called “%(name)s” already exists.") % {"name": name}, code="unique"
            )
        return name


# ---- The rule builder ---------------------------------------------------------------------
# One row per condition: an attribute of the customer, a comparison in words, and a value
# picked the way the attribute needs (a list of choices, a number, yes or no, free text).
# The rows are a formset, so the page works without JavaScript; segments.js only swaps the
# value picker when the attribute changes and adds rows in place.

SEPARATORS = re.compile(r"[、,，;；\n]+")
SUGGESTIONS = 200  # values offered for a free-text attribute (a datalist: typing others is fine)
SUGGESTION_SECONDS = 600


class RuleCatalogue:
    """What the builder offers one person: for each attribute, the values to pick from (the
    fixed choices, the tags, the branches they may see) and, for free text, the values in use
    among their customers. Values the segment already uses stay on offer, so editing a
    segment someone else built never drops a condition."""

    def __init__(self, user: Any, rules: Any = None) -> None:
        self.user = user
        self.rules = rules if isinstance(rules, list) else []
        self._tags: list[tuple[str, str]] | None = None
        self._branches: list[tuple[str, str]] | None = None

    def _in_use(self, field: str) -> list[str]:
        used: list[str] = []
        for rule in self.rules:
            if isinstance(rule, dict) and rule.get("field") == field:
                used += [segments.value_text(v) for v in segments.values_of(rule.get("value"))]
        return used

    def choices(self, field: str) -> list[tuple[str, str]]:
        """(value, label) pairs a person picks from; empty for numbers and free text."""
        kind = segments.picker(field)
        if kind == segments.PICKER_TAG:
            if self._tags is None:
                names = list(Tag.objects.order_by("name").values_list("name", flat=True))
                names += [name for name in self._in_use("tag") if name not in names]
                self._tags = [(name, name) for name in names]
            return self._tags
        if kind == segments.PICKER_BRANCH:
            if self._branches is None:
                branches = Branch.objects.visible_to(self.user).filter(is_active=True)
                self._branches = [(b.code, str(b)) for b in branches.order_by("code")]
                known = {code for code, _label in self._branches}
                missing = [code for code in self._in_use("branch") if code not in known]
                names = segments.branch_names([[{"field": "branch", "value": missing}]])
                self._branches += [(code, names.get(code, code)) for code in missing]
            return self._branches
        return segments.fixed_choices(field)

    def suggestions(self, field: str) -> list[str]:
        """Values of a free-text attribute among the person's customers (cached a while:
        a distinct over a million rows is not free)."""
        scope = visible_branch_ids(self.user)
        key = "all" if isinstance(scope, AllBranches) else ",".join(map(str, sorted(scope)))
        key = hashlib.sha1(key.encode(), usedforsecurity=False).hexdigest()[:16]
        path = segments.FIELDS[field][0]

        def compute() -> list[str]:
            values = (
                Customer.objects.visible_to(self.user)
                .filter(merged_into__isnull=True)
                .exclude(**{path: ""})
                .order_by(path)
                .values_list(path, flat=True)
                .distinct()[:SUGGESTIONS]
            )
            return list(values)

        return cache.get_or_set(f"segments:values:{field}:{key}", compute, SUGGESTION_SECONDS)

    def datalists(self) -> list[tuple[str, list[str]]]:
        return [
            (field, self.suggestions(field))
            for field in segments.FIELDS
            if segments.picker(field) == segments.PICKER_TEXT
        ]

    def widget(self, field: str, *, many: bool) -> forms.Widget:
        kind = segments.picker(field) if field else segments.PICKER_TEXT
        if kind == segments.PICKER_NUMBER:
            if many:
                return forms.TextInput(
                    attrs={"placeholder": _("Several numbers, e.g. 4、5"), "inputmode": "numeric"}
                )
            attrs: dict[str, Any] = {"step": 1}
            if field in segments.NUMBER_RANGES:
                attrs["min"], attrs["max"] = segments.NUMBER_RANGES[field]
            return forms.NumberInput(attrs=attrs)
        if kind == segments.PICKER_TEXT:
            text_attrs = {"list": f"segment-values-{field}"} if field else {}
            if many:
                text_attrs["placeholder"] = _("Several values separated by 、, e.g. 北京市、上海市")
            return forms.TextInput(attrs=text_attrs)
        options = self.choices(field)
        if many:
            return forms.CheckboxSelectMultiple(choices=options, attrs={"class": "choices"})
        return forms.Select(choices=options)


class ValueField(forms.Field):
    """A condition's value as sent: one string, or several (ticked boxes)."""

    def to_python(self, value: Any) -> list[str]:
        if value is None or value == "":
            return []
        if isinstance(value, list | tuple):
            return [str(v) for v in value]
        return [str(value)]

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, list | tuple) and not isinstance(self.widget, ChoiceWidget):
            return "、".join(str(v) for v in value)
        return value


def _attribute_choices() -> list[tuple[str, Any]]:
    choices = [("", pgettext_lazy("segment rule", "Choose an attribute"))]
    return choices + [(field, label) for field, (_path, _kind, label) in segments.FIELDS.items()]


class ConditionForm(forms.Form):
    """One condition of a segment: attribute, comparison, value -> one rule of the engine."""

    field = forms.ChoiceField(
        label=pgettext_lazy("segment rule", "Attribute"), choices=_attribute_choices, required=False
    )
    op = forms.ChoiceField(
        label=pgettext_lazy("segment rule", "Comparison"),
        choices=list(segments.COMPARISONS.items()),
        initial="eq",
    )
    value = ValueField(label=_("Value"), required=False)

    def __init__(self, *args: Any, catalogue: RuleCatalogue, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.catalogue = catalogue
        field, op = self._chosen("field"), self._chosen("op")
        self.attribute = field if field in segments.FIELDS else ""
        self.many = op == "in"
        # Offer only the comparisons that fit the attribute, in its words; any may be sent
        # (the attribute may have changed without JavaScript), clean() says which fit.
        ops = segments.OPERATORS_FOR[segments.picker(self.attribute)] if self.attribute else ()
        self.fields["op"].widget.choices = [
            (o, segments.comparison_label(self.attribute, o)) for o in (ops or segments.COMPARISONS)
        ]
        self.fields["value"].widget = catalogue.widget(self.attribute, many=self.many)
        if not self.is_bound and self.attribute and isinstance(self.initial.get("value"), list):
            # rows sent back unchecked ("add a condition"): a typed 大客户 shows as picked
            choices = catalogue.choices(self.attribute)
            if choices:
                picked = [_matching(choices, text) or text for text in self.initial["value"]]
                self.initial = {**self.initial, "value": picked}
        # Which picker this row shows; sent back so clean() knows what the value came from.
        self.shown_for = f"{self.attribute}:{'many' if self.many else 'one'}"

    def _chosen(self, name: str) -> str:
        if self.is_bound:
            return str(self.data.get(self.add_prefix(name), ""))
        value = self.initial.get(name, self.fields[name].initial)
        return "" if value is None else str(value)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        field, op = data.get("field") or "", data.get("op")
        name = self.add_prefix("value")
        raw = self.data.getlist(name) if hasattr(self.data, "getlist") else data.get("value", [])
        raw = [str(v) for v in raw]
        if not field:
            if any(v.strip() for v in raw):
                self.add_error("field", _("Choose the attribute this value is for."))
            return data  # an empty row: no condition
        if op is None:
            return data
        label = segments.field_label(field)
        kind = segments.picker(field)
        if op not in segments.OPERATORS_FOR[kind]:
            self.add_error(
                "op",
                _("%(field)s cannot be compared with “%(comparison)s”; choose another comparison.")
                % {"field": label, "comparison": segments.comparison_label(field, op)},
            )
            return data
        shown = f"{field}:{'many' if op == 'in' else 'one'}"
        matches = self.data.get(self.add_prefix("shown")) == shown
        picked = kind not in (segments.PICKER_NUMBER, segments.PICKER_TEXT) and matches
        try:
            data["rule"] = {
                "field": field,
                "op": op,
                "value": self._value(field, op, raw, picked=picked),
            }
        except ValidationError as exc:
            self.add_error("value", exc)
        return data

    def _value(self, field: str, op: str, raw: list[str], *, picked: bool) -> Any:
        """The typed value of the rule from what was sent. `picked`: it came from this
        attribute's own list, so every entry is one value (the empty one too: 性别 未知)."""
        label = segments.field_label(field)
        if picked:
            texts = raw
        elif op == "in":
            texts = [t.strip() for text in raw for t in SEPARATORS.split(text) if t.strip()]
        else:
            texts = [text.strip() for text in raw if text.strip()]
        if not texts:
            raise ValidationError(
                _("Choose or type a value for %(field)s.") % {"field": label}, code="required"
            )
        if op != "in" and len(texts) > 1:
            raise ValidationError(
                _("Only one value can follow “%(comparison)s”; for several, choose “%(one_of)s”.")
                % {
                    "comparison": segments.comparison_label(field, op),
                    "one_of": segments.comparison_label(field, "in"),
                },
                code="one",
            )
        values, errors = [], []
        for text in texts:
            try:
                values.append(self._one(field, text))
            except ValidationError as exc:
                errors.append(exc)
        if errors:
            raise ValidationError(errors)
        values = list(dict.fromkeys(values))  # the same value twice (VIP, vip) is once
        return values if op == "in" else values[0]

    def _one(self, field: str, text: str) -> Any:
        label = segments.field_label(field)
        kind = segments.picker(field)
        if kind == segments.PICKER_TEXT:
            return text
        if kind == segments.PICKER_NUMBER:
            plain = unicodedata.normalize("NFKC", text).strip()
            try:
                number = int(plain)
            except ValueError:
                raise ValidationError(
                    _("%(field)s needs a whole number, not “%(value)s”.")
                    % {"field": label, "value": text},
                    code="number",
                ) from None
            low, high = segments.NUMBER_RANGES.get(field, (None, None))
            if low is not None and high is not None and not low <= number <= high:
                raise ValidationError(
                    _("%(field)s runs from %(low)s to %(high)s.")
                    % {"field": label, "low": low, "high": high},
                    code="range",
                )
            return number
        code = _matching(self.catalogue.choices(field), text)
        if code is None:
            raise ValidationError(
                _("“%(value)s” is not one of the choices for %(field)s.")
                % {"value": text, "field": label},
                code="choice",
            )
        if kind == segments.PICKER_BOOL:
            return code == "true"
        return code


def _matching(choices: list[tuple[str, str]], text: str) -> str | None:
    """The value a person meant: its code, or its label as shown (VIP, 大客户, 上海一支行)."""
    for code, _label in choices:
        if code == text:
            return code
    wanted = text.strip().casefold()
    for code, label in choices:
        names = {code.casefold(), str(label).casefold()}
        if " (" in str(label):  # a branch: "上海一支行 (A1)" is also just 上海一支行
            names.add(str(label).rsplit(" (", 1)[0].casefold())
        if wanted in names:
            return code
    return None


class BaseConditionFormSet(forms.BaseFormSet):
    default_error_messages = {
        "too_many_forms": _("A segment can have at most %(num)d conditions."),
    }

    def __init__(self, *args: Any, catalogue: RuleCatalogue, **kwargs: Any) -> None:
        self.catalogue = catalogue
        super().__init__(*args, **kwargs)

    def get_form_kwargs(self, index: int | None) -> dict[str, Any]:
        return {**super().get_form_kwargs(index), "catalogue": self.catalogue}

    def add_fields(self, form: forms.Form, index: int | None) -> None:
        super().add_fields(form, index)
        if "DELETE" in form.fields:
            form.fields["DELETE"].label = _("Remove this condition")

    def clean(self) -> None:
        if any(self.errors):
            return
        rules = self.rules()
        if not rules:
            raise ValidationError(_("Add at least one condition."), code="empty")
        segments.validate_rules(rules)  # the engine's own check, should a row slip through

    def rules(self) -> list[dict[str, Any]]:
        """The rules of the rows, in order, without the removed and the empty ones."""
        return [
            form.cleaned_data["rule"]
            for form in self.forms
            if form.cleaned_data.get("rule") and not self._should_delete_form(form)
        ]

    def prototypes(self) -> list[tuple[str, ConditionForm, ConditionForm]]:
        """Per attribute, a row showing its comparisons and its value picker for one value
        and for several: what segments.js puts in a row when the attribute changes."""
        return [
            (field, self._prototype(field, "eq"), self._prototype(field, "in"))
            for field in ["", *segments.FIELDS]
        ]

    def _prototype(self, field: str, op: str) -> ConditionForm:
        return self.form(
            prefix=self.add_prefix("__prefix__"),
            auto_id=self.auto_id,
            initial={"field": field, "op": op},
            catalogue=self.catalogue,
            use_required_attribute=False,
            renderer=self.renderer,
        )


ConditionFormSet = forms.formset_factory(
    ConditionForm,
    formset=BaseConditionFormSet,
    extra=0,
    can_delete=True,
    max_num=20,
    validate_max=True,
    absolute_max=50,
)


def rule_initial(rule: Mapping[str, Any]) -> dict[str, Any]:
    """A stored rule as a row of the builder holds it."""
    return {
        "field": rule.get("field", ""),
        "op": rule.get("op", "eq"),
        "value": [segments.value_text(v) for v in segments.values_of(rule.get("value"))],
    }


def condition_formset(
    user: Any, data: Any = None, *, rules: Any = None, initial: list[dict] | None = None
) -> BaseConditionFormSet:
    """The builder's rows: bound to what was sent, or showing `rules` (or `initial` rows),
    with one empty row to start from when there is nothing yet."""
    catalogue = RuleCatalogue(user, rules)
    if data is not None:
        return ConditionFormSet(data, prefix="condition", catalogue=catalogue)
    if initial is None and isinstance(rules, list):
        initial = [rule_initial(rule) for rule in rules if isinstance(rule, dict)]
    formset = ConditionFormSet(initial=initial or None, prefix="condition", catalogue=catalogue)
    formset.extra = 0 if initial else 1
    return formset


def rows_sent(data: Any, *, more: int = 1) -> list[dict[str, Any]]:
    """The rows as sent, not checked, plus `more` empty ones: the page again after "add a
    condition" without JavaScript, keeping everything typed and dropping removed rows."""
    try:
        total = min(int(data.get("condition-TOTAL_FORMS", 0)), ConditionFormSet.absolute_max)
    except (TypeError, ValueError):
        total = 0
    rows = []
    for i in range(total):
        prefix = f"condition-{i}-"
        if data.get(prefix + "DELETE"):
            continue
        rows.append(
            {
                "field": data.get(prefix + "field", ""),
                "op": data.get(prefix + "op", "eq"),
                "value": data.getlist(prefix + "value"),
            }
        )
    return rows + [{} for _ in range(more)]


# ---- A customer's page: profile, contacts, purchases --------------------------------------

TAG_SEPARATORS = re.compile(r"[、,，;；/\s]+")


def shown_contact(contact: Contact) -> str:
    """A contact as anyone may read it: its kind and its value masked (as on the card)."""
    kind = "phone" if contact.kind in (Contact.Kind.MOBILE, Contact.Kind.LANDLINE) else "email"
    return f"{contact.get_kind_display()} {mask(kind, contact.value)}"


class MaskedContactChoice(forms.ModelMultipleChoiceField):
    """The customer's contacts to tick for removal, each shown masked."""

    def label_from_instance(self, obj: Contact) -> str:
        return shown_contact(obj)


@dataclass(frozen=True)
class FieldRow:
    """One input of the customer's page, with the masked stored value beside a personal
    field and the box that removes it."""

    field: forms.BoundField
    masked: str = ""
    clear: forms.BoundField | None = None


CUSTOMER_GROUPS: list[tuple[Any, list[str]]] = [
    (
        _("Basic information"),
        ["external_key", "kind", "name", "company_name", "gender", "birth_year", "id_number"],
    ),
    (_("Family and work"), ["family", "income_band", "occupation", "education"]),
    (_("Address and region"), ["province", "city", "district", "town", "address", "region"]),
    (
        _("Calls and consent"),
        ["preferred_channel", "callback_consent", "callback_from", "callback_until"],
    ),
    (
        _("Our relationship"),
        ["tier", "lifecycle", "relationship", "tags", "account_manager", "branch"],
    ),
]


class CustomerForm(VersionedForm, forms.ModelForm):
    """A customer on one page, new or changed. Editing, it sends only what the person changed,
    from the version the page showed, so a colleague's change to another field is kept. The
    personal fields (ID number, address) are never put in the page: beside each, its masked
    form; left empty the stored value stays, a new value replaces it, "remove" clears it."""

    tags = forms.CharField(
        label=_("Tags"),
        required=False,
        max_length=500,
        help_text=_("Separate tags with 、 or a comma, e.g. 老客户、理财偏好."),
    )
    never_refilled = frozenset(Customer.PERSONAL_FIELDS)

    class Meta:
        model = Customer
        fields = [
            "external_key",
            "kind",
            "name",
            "company_name",
            "gender",
            "birth_year",
            "id_number",
            "family",
            "income_band",
            "occupation",
            "education",
            "province",
            "city",
            "district",
            "town",
            "address",
            "region",
            "preferred_channel",
            "callback_consent",
            "callback_from",
            "callback_until",
            "tier",
            "lifecycle",
            "relationship",
            "account_manager",
            "branch",
        ]
        widgets = {
            "kind": forms.RadioSelect(attrs={"class": "choices"}),
            "relationship": forms.RadioSelect(attrs={"class": "grades"}),
            "birth_year": forms.NumberInput(attrs={"min": 1900, "step": 1}),
            "callback_from": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
            "callback_until": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        }
        help_texts = {
            "external_key": _("Leave empty and a number is given; imports find the customer by it.")
        }

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        record = self.instance
        self.editing = record.pk is not None
        self.masked: dict[str, str] = {}  # personal field -> its stored value, masked
        fields = self.fields
        fields["birth_year"].widget.attrs["max"] = dt.date.today().year
        fields["relationship"].choices = [("", _("Not graded yet")), *Customer.Relationship.choices]
        fields["preferred_channel"].choices = [("", "—"), *Customer.Channel.choices]
        branches = Branch.objects.visible_to(user).filter(is_active=True)
        managers = Staff.objects.visible_to(user).filter(
            role=Role.ACCOUNT_MANAGER, user__is_active=True
        )
        if self.editing:
            branches = Branch.objects.filter(Q(pk__in=branches) | Q(pk=record.branch_id))
            managers = Staff.objects.filter(Q(pk__in=managers) | Q(pk=record.account_manager_id))
        fields["branch"].queryset = branches.order_by("code")
        fields["branch"].empty_label = None if self.editing else "—"
        fields["account_manager"].queryset = managers.order_by("name")
        fields["account_manager"].empty_label = "—"
        if self.editing:
            del fields["external_key"]
            self.initial["tags"] = "、".join(sorted(t.name for t in record.tags.all()))
            fields["remove_contacts"] = MaskedContactChoice(
                label=_("Remove these contacts"),
                queryset=record.contacts.order_by("pk"),
                widget=forms.CheckboxSelectMultiple(attrs={"class": "choices"}),
                required=False,
            )
            self._mask_personal_fields(record)
        else:
            fields["external_key"].required = False
            staff = getattr(user, "staff", None)
            first = staff.branches.filter(pk__in=branches).first() if staff else None
            if first is not None and "branch" not in self.initial:
                self.initial["branch"] = first.pk

    def _mask_personal_fields(self, record: Customer) -> None:
        """The stored personal values stay on the server: the inputs start empty, the hidden
        "value shown" is left out, and the masked form is what the page shows beside them."""
        for name, kind in Customer.PERSONAL_FIELDS.items():
            field = self.fields[name]
            field.show_hidden_initial = False
            self.initial[name] = ""
            stored = getattr(record, name) or ""
            if not stored:
                continue
            self.masked[name] = mask(kind, stored)
            field.widget.attrs["placeholder"] = _("Leave empty to keep it")
            self.fields[f"clear_{name}"] = forms.BooleanField(label=_("Remove it"), required=False)

    def groups(self) -> list[tuple[Any, list[FieldRow]]]:
        """The page's inputs in the order a person fills them, under their headings."""
        return [
            (
                legend,
                [
                    FieldRow(
                        self[name],
                        self.masked.get(name, ""),
                        self[f"clear_{name}"] if f"clear_{name}" in self.fields else None,
                    )
                    for name in names
                    if name in self.fields
                ],
            )
            for legend, names in CUSTOMER_GROUPS
        ]

    def current_contacts(self) -> list[tuple[Contact, Any]]:
        """The stored contacts (shown masked), each with its "remove" box."""
        if "remove_contacts" not in self.fields:
            return []
        field = self.fields["remove_contacts"]
        boxes = {str(box.data["value"]): box for box in self["remove_contacts"]}
        return [(contact, boxes.get(str(contact.pk))) for contact in field.queryset]

    def clean_tags(self) -> list[str]:
        text = self.cleaned_data.get("tags") or ""
        names = [name.strip()[:50] for name in TAG_SEPARATORS.split(text) if name.strip()]
        return list(dict.fromkeys(names))

    def clean_birth_year(self) -> int | None:
        year = self.cleaned_data.get("birth_year")
        if year is not None and not 1900 <= year <= dt.date.today().year:
            raise ValidationError(
                _("The birth year runs from 1900 to this year."), code="birth_year"
            )
        return year

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        for name in Customer.PERSONAL_FIELDS:
            value = data.get(name) or ""
            if MASK in value:
                self.add_error(
                    name,
                    _(
                        "This is the masked value: type the whole new value, or leave it "
                        "empty to keep the stored one."
                    ),
                )
            elif value and data.get(f"clear_{name}"):
                self.add_error(name, _("Type a new value or remove it, not both."))
        start, end = data.get("callback_from"), data.get("callback_until")
        if (start is None) != (end is None):
            self.add_error(
                "callback_until" if end is None else "callback_from",
                _("Give both ends of the call-back time, or neither."),
            )
        elif start is not None and end is not None and start >= end:
            self.add_error("callback_until", _("The call-back time must end after it starts."))
        return data

    def changes(self) -> dict[str, Any]:
        """What the person changed: an empty personal field keeps the stored value, its
        "remove" box clears it; the contacts to remove are not a profile field."""
        changes = super().changes()
        changes.pop("remove_contacts", None)
        for name in Customer.PERSONAL_FIELDS:
            clear = bool(changes.pop(f"clear_{name}", False))
            if not changes.get(name):
                changes.pop(name, None)
            if clear:
                changes[name] = ""
        return changes

    def profile(self) -> dict[str, Any]:
        """A new customer's fields, as `actions.create_customer` takes them."""
        data = dict(self.cleaned_data)
        for name in ("version", "name", "branch", "tags", "external_key"):
            data.pop(name, None)
        return data

    def rebase(self, fresh: models.Model, conflict: Any) -> None:
        """As every versioned form, and the tags too (not a column of the customer)."""
        mine = set(self.changed_data)
        super().rebase(fresh, conflict)
        tags = "、".join(sorted(t.name for t in fresh.tags.all()))
        self.data[self.add_initial_prefix("tags")] = tags
        if "tags" not in mine:
            self.data[self.add_prefix("tags")] = tags
        self.__dict__.pop("changed_data", None)


class NewContactForm(forms.Form):
    """One contact to add: a phone (mobile or landline, told apart by the number), an e-mail
    address or a WeChat id; an empty row adds nothing."""

    kind = forms.ChoiceField(
        label=_("Kind of contact"), choices=Contact.Kind.choices, initial=Contact.Kind.MOBILE
    )
    value = forms.CharField(
        label=_("Number, e-mail address or WeChat id"), max_length=200, required=False
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        value = (data.get("value") or "").strip()
        if value and data.get("kind"):
            try:
                data["parsed"] = parse_contact(data["kind"], value)
            except ValidationError as exc:
                self.add_error("value", exc)
        return data


class BaseNewContactFormSet(forms.BaseFormSet):
    def contacts(self) -> list[tuple[str, str]]:
        """(kind, value) of the rows filled in, as the actions take them."""
        return [
            (form.cleaned_data["kind"], form.cleaned_data["value"])
            for form in self.forms
            if form.cleaned_data.get("parsed")
        ]


NewContactFormSet = forms.formset_factory(
    NewContactForm, formset=BaseNewContactFormSet, extra=2, max_num=10, absolute_max=20
)


class PurchaseForm(forms.ModelForm):
    """A purchase entered by hand: the amount in yuan, exact to the fen."""

    class Meta:
        model = Transaction
        fields = [
            "product",
            "category",
            "amount",
            "occurred_at",
            "quantity",
            "area",
            "promotion",
            "channel",
            "branch",
            "external_ref",
        ]
        widgets = {
            "amount": forms.NumberInput(attrs={"step": "0.01", "min": "0", "inputmode": "decimal"}),
            "quantity": forms.NumberInput(attrs={"step": "0.01", "min": "0.01"}),
            "area": forms.NumberInput(attrs={"step": "0.01", "min": "0"}),
            "occurred_at": forms.DateTimeInput(
                attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"
            ),
        }
        help_texts = {"external_ref": _("The order or contract number, if there is one.")}

    def __init__(self, *args: Any, customer: Customer, user: Any, **kwargs: Any) -> None:
        kwargs["instance"] = Transaction(customer=customer, branch=customer.branch)
        super().__init__(*args, **kwargs)
        self.customer = customer
        branches = Branch.objects.visible_to(user).filter(is_active=True)
        self.fields["branch"].queryset = Branch.objects.filter(
            Q(pk__in=branches) | Q(pk=customer.branch_id)
        ).order_by("code")
        self.fields["branch"].empty_label = None
        self.fields["branch"].label = _("Branch")  # the model field has no words of its own
        self.fields["channel"].choices = [("", "—"), *Transaction.Channel.choices]
        if not self.initial.get("occurred_at"):  # now, to the minute, as the input shows it
            self.initial["occurred_at"] = timezone.localtime().replace(second=0, microsecond=0)

    def clean_amount(self) -> Decimal:
        amount = self.cleaned_data["amount"]
        if amount is not None and amount < 0:
            raise ValidationError(_("The amount may not be negative."), code="negative")
        return amount

    def clean_quantity(self) -> Decimal:
        quantity = self.cleaned_data["quantity"]
        if quantity is not None and quantity <= 0:
            raise ValidationError(_("The quantity must be above zero."), code="quantity")
        return quantity

    def clean_occurred_at(self) -> dt.datetime:
        when = self.cleaned_data["occurred_at"]
        if when is not None and when > timezone.now() + dt.timedelta(minutes=5):
            raise ValidationError(_("A purchase cannot be in the future."), code="future")
        return when

    def clean_external_ref(self) -> str:
        reference = (self.cleaned_data.get("external_ref") or "").strip()
        if reference.startswith(AUTO_REFERENCE_PREFIX):
            raise ValidationError(
                _("A reference may not start with “%(prefix)s”.")
                % {"prefix": AUTO_REFERENCE_PREFIX},
                code="reserved",
            )
        if reference and self.customer.transactions.filter(external_ref=reference).exists():
            raise ValidationError(
                _("A purchase with the reference “%(reference)s” is already recorded.")
                % {"reference": reference},
                code="duplicate",
            )
        return reference


class PurchaseImportForm(ImportForm):
    """The purchase file, with the customer import's options."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["branch"].label = _("Branch for rows without one (else the customer's own)")
