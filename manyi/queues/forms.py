"""Forms of the queue pages: everything a person posts (and the figures typed into the
analysis pages) is checked here, so a bad entry comes back on the page in the reader's
language with what was typed kept, and only clean values reach the actions (which check
again what only they can: the state of the line, the permission, a clash).

Durations are typed and shown in minutes (2.5 is two and a half minutes) and handed on in
the seconds the rules are kept in.
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext

from manyi.analytics.text import normalise_phone, phone_kind
from manyi.core.versioning import EditConflict, VersionedForm
from manyi.org.models import Branch

from .actions import PREFIX_RE
from .models import Priority, QueueSettings, ServiceType

STALE = gettext_lazy("This page is out of date: reload it and try again.")
WHOLE_FROM_1 = gettext_lazy("Give the numbers as whole numbers from 1.")
CHOOSE_BUSINESS = gettext_lazy("Choose a business.")
PREFIX_SHAPE = gettext_lazy("The number prefix is one or two letters, such as A or VA.")


def _all(message: Any, *codes: str) -> dict[str, Any]:
    """The same message for each of a field's ways of going wrong."""
    return dict.fromkeys(codes, message)


def error_text(form: forms.BaseForm, *, labels: bool = True) -> str:
    """The form's errors as one line for a message or a page's notice: a field's under its
    label (so the person knows which entry to mend), the form's own as they are."""
    parts = []
    separator = pgettext("label separator", ": ")
    for name, errors in form.errors.items():
        for message in errors:
            if labels and name != NON_FIELD_ERRORS and name in form.fields:
                parts.append(f"{form.fields[name].label}{separator}{message}")
            else:
                parts.append(str(message))
    return " ".join(parts)


# -- minutes ------------------------------------------------------------------------------------
def seconds_of(minutes: Decimal) -> int:
    """2.5 minutes → 150 seconds (to the nearest second)."""
    return int((minutes * 60).to_integral_value(rounding=ROUND_HALF_UP))


def minutes_text(seconds: float | int | None) -> str:
    """600 → "10", 150 → "2.5", 100 → "1.67": seconds as the minutes a person types."""
    if seconds is None:
        return ""
    text = f"{(Decimal(seconds) / 60).quantize(Decimal('0.01'), rounding=ROUND_HALF_UP):f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


class MinutesField(forms.DecimalField):
    """A duration typed in minutes, to the hundredth (2.5 is allowed: the rule is kept in
    seconds); it cleans to whole seconds."""

    def __init__(self, *, max_minutes: int = 24 * 60, **kwargs: Any) -> None:
        messages = {
            **_all(
                gettext_lazy("Give the minutes as a number, such as 10 or 2.5."),
                "invalid",
                "required",
                "max_digits",
                "max_whole_digits",
            ),
            "max_decimal_places": gettext_lazy(
                "Give the minutes with at most two decimals, such as 2.5."
            ),
            "min_value": gettext_lazy("The minutes cannot be negative."),
            "max_value": gettext_lazy("At most %(limit_value)s minutes."),
            **kwargs.pop("error_messages", {}),
        }
        super().__init__(
            min_value=0,
            max_value=max_minutes,
            max_digits=7,
            decimal_places=2,
            error_messages=messages,
            **kwargs,
        )

    def clean(self, value: Any) -> int | None:  # type: ignore[override]
        minutes = super().clean(value)
        return None if minutes is None else seconds_of(minutes)


class MobileField(forms.CharField):
    """A mobile number as people type it (+86 138-1234-5678, full-width digits), cleaned to
    its eleven digits: the form a customer's contacts are kept in."""

    default_error_messages = {
        "invalid": gettext_lazy("Give a mobile number of 11 digits, such as 13812345678.")
    }

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(max_length=32, **kwargs)
        self.error_messages["max_length"] = self.error_messages["invalid"]

    def to_python(self, value: Any) -> str:
        text = super().to_python(value)
        if text in self.empty_values:
            return ""
        number = normalise_phone(text)
        if phone_kind(number) != "mobile":
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        return number


# -- the line's rules ---------------------------------------------------------------------------
class QueueRulesForm(VersionedForm, forms.ModelForm):
    """The branch's line rules: it sends only what the manager changed, from the version
    the page showed, so two managers changing different rules both keep theirs. The head
    starts and the appointments' window are typed in minutes."""

    vip_head_start = MinutesField(label=gettext_lazy("VIP head start (minutes)"))
    elderly_head_start = MinutesField(
        label=gettext_lazy("Elderly or disabled head start (minutes)")
    )
    appointment_early = MinutesField(
        label=gettext_lazy("Appointments served first from (minutes before their time)")
    )
    appointment_late = MinutesField(
        label=gettext_lazy("Appointments served first until (minutes after their time)")
    )

    # the form's field in minutes -> the settings' column in seconds
    SECONDS = {
        "vip_head_start": "vip_head_start_s",
        "elderly_head_start": "elderly_head_start_s",
        "appointment_early": "appointment_early_s",
        "appointment_late": "appointment_late_s",
    }

    class Meta:
        model = QueueSettings
        fields = [
            "vip_head_start",
            "elderly_head_start",
            "appointment_early",
            "appointment_late",
            "recall_limit",
            "target_wait_minutes",
            "by_preference",
            "remote_check_in",
            "running_text",
        ]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name, column in self.SECONDS.items():
            self.initial[name] = minutes_text(getattr(self.instance, column))
        for name in ("recall_limit", "target_wait_minutes"):  # (0 calls or 0 minutes: no rule)
            self.fields[name].validators.append(MinValueValidator(1))
            self.fields[name].widget.attrs["min"] = 1

    def changes(self) -> dict[str, Any]:
        """The rules the manager changed, by the settings' column (durations in seconds)."""
        return {self.SECONDS.get(name, name): value for name, value in super().changes().items()}

    def rebase(self, fresh: models.Model, conflict: EditConflict) -> None:
        """As `VersionedForm.rebase`, with the durations shown in minutes, in the conflict's
        message too."""
        typed = set(self.changed_data)
        super().rebase(fresh, conflict)
        for name, column in self.SECONDS.items():
            shown = minutes_text(getattr(fresh, column))
            self.data[self.add_initial_prefix(name)] = shown
            if name not in typed:
                self.data[self.add_prefix(name)] = shown
        self.__dict__.pop("changed_data", None)
        label = {column: self.fields[name].label for name, column in self.SECONDS.items()}
        fields = "、".join(str(label.get(name, text)) for name, text in conflict.labelled())
        self._errors[NON_FIELD_ERRORS] = self.error_class(
            [
                _(
                    "While you were editing, someone else changed %(fields)s (it is now "
                    "version %(version)d). Your changes were not saved: look at the new "
                    "values and save again to keep yours."
                )
                % {"fields": fields, "version": conflict.version}
            ],
            error_class="nonfield",
            renderer=self.renderer,
        )


# -- the hall: numbers given by staff, appointments, the counter --------------------------------
class _BranchServiceForm(forms.Form):
    """A branch the person sees (by code) and one of its businesses (by prefix)."""

    branch = forms.ModelChoiceField(
        queryset=Branch.objects.none(), to_field_name="code", widget=forms.HiddenInput
    )
    service = forms.CharField(
        label=gettext_lazy("Business"),
        max_length=2,
        error_messages=_all(CHOOSE_BUSINESS, "required", "max_length"),
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["branch"].queryset = Branch.objects.visible_to(user)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        branch, prefix = data.get("branch"), data.get("service")
        if branch is not None and prefix:
            service = ServiceType.objects.filter(branch=branch, prefix=prefix).first()
            if service is None:
                self.add_error("service", CHOOSE_BUSINESS)
            else:
                data["service"] = service
        return data


class IssueForm(_BranchServiceForm):
    """A number given by staff (a customer at the desk, by phone): any priority but an
    appointment's, which is checked in with its code."""

    priority = forms.ChoiceField(
        label=gettext_lazy("Priority"),
        choices=[(value, label) for value, label in Priority.choices if value != "appointment"],
        required=False,
    )
    phone = MobileField(label=gettext_lazy("Mobile number"), required=False)

    def clean_priority(self) -> str:
        return self.cleaned_data.get("priority") or Priority.ORDINARY


class BookForm(_BranchServiceForm):
    """An appointment booked by staff: a business, a time, perhaps a name and a phone."""

    at = forms.DateTimeField(
        label=gettext_lazy("Time"),
        error_messages=_all(
            gettext_lazy("Give the appointment's date and time."), "required", "invalid"
        ),
    )
    name = forms.CharField(label=gettext_lazy("Name"), max_length=100, required=False)
    phone = MobileField(label=gettext_lazy("Mobile number"), required=False)


class CounterStepForm(forms.Form):
    """What a counter's step may carry: the business to transfer to, a note."""

    to = forms.CharField(
        max_length=2,
        required=False,
        error_messages={"max_length": gettext_lazy("Choose the business to transfer to.")},
    )
    note = forms.CharField(
        label=gettext_lazy("why (optional)"),
        max_length=200,
        required=False,
        error_messages={
            "max_length": gettext_lazy("Keep the note to %(limit_value)d characters or fewer.")
        },
    )


class ResumeForm(forms.Form):
    """Where to go back to after a number set aside is back in line: a page of this site
    only (an address elsewhere is ignored)."""

    next = forms.CharField(required=False, max_length=2000)

    def __init__(self, *args: Any, host: str, secure: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.host, self.secure = host, secure

    def clean_next(self) -> str:
        target = self.cleaned_data.get("next") or ""
        if target and url_has_allowed_host_and_scheme(
            target, allowed_hosts={self.host}, require_https=self.secure
        ):
            return target
        return ""


# -- the branch's set-up ------------------------------------------------------------------------
class SetupRowForm(forms.Form):
    """Which row of the set-up table a post saves: a business or a counter, a new one
    (no id) or the one with this id."""

    kind = forms.ChoiceField(
        choices=[("service", "service"), ("counter", "counter")],
        error_messages=_all(STALE, "required", "invalid_choice"),
    )
    pk = forms.IntegerField(
        required=False,
        min_value=1,
        max_value=2**62,
        error_messages=_all(STALE, "invalid", "min_value", "max_value"),
    )


class _SetupRow(forms.Form):
    """What every row of the set-up table posts besides its own fields."""

    version = forms.IntegerField(
        required=False,
        min_value=1,
        max_value=2**62,
        error_messages=_all(STALE, "invalid", "min_value", "max_value"),
    )
    active = forms.BooleanField(label=gettext_lazy("active"), required=False)

    @property
    def seen(self) -> int | None:
        """The version of the row the page showed (None for a new row)."""
        return self.cleaned_data.get("version")


class ServiceTypeForm(_SetupRow):
    """A business with its own number series."""

    prefix = forms.CharField(
        label=gettext_lazy("number prefix"),
        max_length=2,
        error_messages=_all(PREFIX_SHAPE, "required", "max_length"),
    )
    name = forms.CharField(
        label=gettext_lazy("name"),
        max_length=100,
        error_messages={"required": gettext_lazy("Give the business a name.")},
    )
    name_en = forms.CharField(label=gettext_lazy("English name"), max_length=100, required=False)
    description = forms.CharField(label=gettext_lazy("description"), max_length=300, required=False)
    position = forms.IntegerField(
        label=gettext_lazy("order on the kiosk"),
        required=False,
        min_value=0,
        max_value=32767,
        error_messages=_all(
            gettext_lazy("Give the order on the kiosk as a whole number from 0."),
            "invalid",
            "min_value",
            "max_value",
        ),
    )

    def clean_prefix(self) -> str:
        prefix = self.cleaned_data["prefix"].upper()
        if not PREFIX_RE.match(prefix):
            raise ValidationError(PREFIX_SHAPE, code="invalid")
        return prefix

    def clean_position(self) -> int:
        return self.cleaned_data.get("position") or 0


class CounterForm(_SetupRow):
    """A counter and its order of preference: a rank typed beside each business it
    serves (1 first), the others left empty."""

    number = forms.IntegerField(
        label=gettext_lazy("counter number"),
        min_value=1,
        max_value=32767,
        error_messages=_all(WHOLE_FROM_1, "required", "invalid", "min_value", "max_value"),
    )
    name = forms.CharField(label=gettext_lazy("name"), max_length=100, required=False)

    def __init__(self, *args: Any, services: list[ServiceType], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.services = services
        for service in services:
            self.fields[f"pref_{service.pk}"] = forms.IntegerField(
                label=f"{service.prefix} {service.name}",
                required=False,
                min_value=1,
                max_value=32767,
                error_messages=_all(WHOLE_FROM_1, "invalid", "min_value", "max_value"),
            )

    def clean(self) -> dict[str, Any]:
        """`services`: the businesses ranked, in the order of the ranks (ties by the
        kiosk's order)."""
        data = super().clean()
        chosen = [
            (data[f"pref_{s.pk}"], s.position, s.prefix, s)
            for s in self.services
            if data.get(f"pref_{s.pk}") is not None
        ]
        data["services"] = [s for *_key, s in sorted(chosen, key=lambda c: c[:3])]
        return data


# -- the public pages ---------------------------------------------------------------------------
class TakeNumberForm(forms.Form):
    """The kiosk's and the phone page's form: a business (perhaps with priority and the
    phone on a VIP card), or the code of an appointment to check in."""

    service = forms.CharField(
        max_length=2, required=False, error_messages={"max_length": CHOOSE_BUSINESS}
    )
    appointment = forms.CharField(
        max_length=8,
        required=False,
        error_messages={"max_length": gettext_lazy("An appointment code has six digits.")},
    )
    phone = MobileField(required=False)
    vip = forms.BooleanField(required=False)
    elderly = forms.BooleanField(required=False)

    def __init__(
        self, *args: Any, branch: Branch, phone_required: bool = False, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.branch = branch
        if phone_required:  # a number taken from afar: the phone says who took it
            self.fields["phone"].required = True
            self.fields["phone"].error_messages["required"] = gettext_lazy(
                "Give your mobile number to take a number remotely."
            )

    def clean(self) -> dict[str, Any]:
        """`service`: the business (an active one of the branch), unless an appointment
        is checked in."""
        data = super().clean()
        if data.get("appointment") or {"appointment", "service"} & set(self.errors):
            return data
        service = None
        if data.get("service"):
            service = ServiceType.objects.filter(
                branch=self.branch, prefix=data["service"], active=True
            ).first()
        if service is None:
            self.add_error("service", CHOOSE_BUSINESS)
        data["service"] = service
        return data

    @property
    def priority(self) -> str:
        if self.cleaned_data.get("vip"):
            return Priority.VIP
        if self.cleaned_data.get("elderly"):
            return Priority.ELDERLY
        return Priority.ORDINARY


# -- the analysis pages (GET) -------------------------------------------------------------------
class _FiguresForm(forms.Form):
    """Figures typed into an analysis page's filter: every field may be left out (the page
    takes its default); `shown` gives what the page shows in each input."""

    def shown(self, defaults: dict[str, Any]) -> dict[str, Any]:
        """Each field's clean value, the default where it was left out, and what was typed
        where it is wrong (kept in the input to mend)."""
        values = {}
        for name in self.fields:
            if name in self.errors:
                values[name] = self.data.get(name, "")
            elif self.cleaned_data.get(name) is not None and self.cleaned_data.get(name) != "":
                values[name] = self.cleaned_data[name]
            else:
                values[name] = defaults.get(name)
        return values


WEEKDAYS = [(n, str(n)) for n in range(7)]


def _weekday() -> forms.TypedChoiceField:
    return forms.TypedChoiceField(
        label=gettext_lazy("Weekday"),
        choices=WEEKDAYS,
        coerce=int,
        required=False,
        empty_value=None,
    )


class PeriodForm(_FiguresForm):
    """The statistics' period: the last thirty days unless told otherwise."""

    start = forms.DateField(label=gettext_lazy("From"), required=False)
    end = forms.DateField(label=gettext_lazy("To"), required=False)

    def period(self, today: dt.date) -> tuple[dt.date, dt.date]:
        """The days asked for (a period typed backwards is turned round)."""
        self.is_valid()
        end = self.cleaned_data.get("end") or today
        start = self.cleaned_data.get("start") or end - dt.timedelta(days=29)
        return (start, end) if start <= end else (end, start)


class SimulateForm(_FiguresForm):
    weekday = _weekday()
    extra = forms.IntegerField(
        label=gettext_lazy("Extra counters serving everything"),
        min_value=0,
        max_value=5,
        required=False,
    )
    replications = forms.IntegerField(
        label=gettext_lazy("Simulated days"), min_value=5, max_value=100, required=False
    )


class StaffingForm(_FiguresForm):
    """The staffing plan's targets; the wait is typed in minutes."""

    weekday = _weekday()
    target = forms.FloatField(
        label=gettext_lazy("Target share"), min_value=0.01, max_value=0.99, required=False
    )
    within = forms.FloatField(
        label=gettext_lazy("within (minutes)"), min_value=0, max_value=24 * 60, required=False
    )
    shrinkage = forms.FloatField(
        label=gettext_lazy("Shrinkage (breaks, training, leave)"),
        min_value=0,
        max_value=0.9,
        required=False,
    )
    max_occupancy = forms.FloatField(
        label=gettext_lazy("Highest occupancy (optional)"),
        min_value=0.1,
        max_value=1,
        required=False,
    )
    model = forms.ChoiceField(
        label=gettext_lazy("Model"),
        choices=[("erlang_a", "erlang_a"), ("erlang_c", "erlang_c")],
        required=False,
    )
