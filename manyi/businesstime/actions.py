"""Changes to the business calendar: official holiday years, closures, opening hours."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from manyi.core.events import emit
from manyi.org import audit
from manyi.org.models import Branch
from manyi.org.permissions import require_permission
from manyi.org.scoping import require_branch

from .auditing import AuditAction
from .engine import Span
from .events import ClosureAdded, OfficialYearDeclared, OpeningHoursChanged
from .models import Closure, OfficialDay, OfficialYear, OpeningHours
from .services import forget_calendars


def declare_official_year(
    actor: Any,
    year: int,
    *,
    holidays: Iterable[tuple[dt.date, str]],
    workdays: Iterable[dt.date],
    source: str = "",
) -> OfficialYear:
    """Enter a year's statutory holidays and make-up working days as published. Replaces what
    was entered for that year before; the package's data for the year is no longer used."""
    require_permission(actor, "calendar.manage")
    holidays = sorted(set(holidays))
    workdays = sorted(set(workdays))
    errors = []
    for day in [d for d, _name in holidays] + workdays:
        if day.year != year:
            errors.append(_("%(day)s is not in %(year)s.") % {"day": day, "year": year})
    overlap = {d for d, _name in holidays} & set(workdays)
    if overlap:
        errors.append(
            _("A day cannot be both a holiday and a working day: %(days)s")
            % {"days": ", ".join(str(d) for d in sorted(overlap))}
        )
    for day in workdays:
        if day.weekday() < 5:
            errors.append(
                _("%(day)s is a weekday; a make-up working day falls on a weekend.") % {"day": day}
            )
    if not holidays:
        errors.append(_("Enter at least one statutory holiday."))
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        entry, _created = OfficialYear.objects.get_or_create(year=year)
        before = {
            "holidays": [
                str(d) for d in entry.days.filter(kind="holiday").values_list("date", flat=True)
            ],
            "workdays": [
                str(d) for d in entry.days.filter(kind="workday").values_list("date", flat=True)
            ],
        }
        entry.days.all().delete()
        entry.source = source
        entry.entered_by = actor if getattr(actor, "is_authenticated", False) else None
        entry.save()
        forget_calendars()
        OfficialDay.objects.bulk_create(
            [OfficialDay(year=entry, date=d, kind="holiday", name=name) for d, name in holidays]
            + [OfficialDay(year=entry, date=d, kind="workday") for d in workdays]
        )
        audit.record(
            actor,
            AuditAction.YEAR_DECLARE,
            entry,
            before=before,
            after={
                "holidays": [str(d) for d, _n in holidays],
                "workdays": [str(d) for d in workdays],
                "source": source,
            },
        )
        emit(
            OfficialYearDeclared(year=year, holidays=len(holidays), workdays=len(workdays)),
            actor=actor,
        )
    return entry


def add_closure(
    actor: Any, *, branch: Branch | None, starts_at: dt.datetime, ends_at: dt.datetime, reason: str
) -> Closure:
    require_permission(actor, "calendar.manage")
    if branch is None:
        require_branch(actor, None)  # company-wide closures need company scope
    else:
        require_branch(actor, branch.pk)
    if starts_at >= ends_at:
        raise ValidationError(_("The closure must end after it starts."))
    if not reason.strip():
        raise ValidationError(_("Give a reason for the closure."))
    with transaction.atomic():
        closure = Closure.objects.create(
            branch=branch, starts_at=starts_at, ends_at=ends_at, reason=reason.strip()
        )
        audit.record(
            actor,
            AuditAction.CLOSURE_ADD,
            closure,
            after=audit.snapshot(closure),
            branch_id=branch.pk if branch else None,
        )
        emit(
            ClosureAdded(closure_id=closure.pk, branch_id=branch.pk if branch else None),
            actor=actor,
        )
    return closure


def set_opening_hours(
    actor: Any, branch: Branch, weekly: Mapping[int, Iterable[Span]]
) -> list[OpeningHours]:
    """Replace the branch's weekly opening hours."""
    require_permission(actor, "calendar.manage")
    require_branch(actor, branch.pk)
    rows = []
    for weekday, spans in sorted(weekly.items()):
        for opens, closes in spans:
            if opens >= closes:
                raise ValidationError(_("Opening time must be before closing time."))
            rows.append(OpeningHours(branch=branch, weekday=weekday, opens=opens, closes=closes))
    with transaction.atomic():
        before = [str(r) for r in OpeningHours.objects.filter(branch=branch)]
        OpeningHours.objects.filter(branch=branch).delete()
        created = OpeningHours.objects.bulk_create(rows)
        forget_calendars()
        audit.record(
            actor,
            AuditAction.HOURS_SET,
            branch,
            before={"hours": before},
            after={"hours": [str(r) for r in rows]},
            branch_id=branch.pk,
        )
        emit(OpeningHoursChanged(branch_id=branch.pk), actor=actor)
    return created
