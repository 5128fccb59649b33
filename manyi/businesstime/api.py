"""Business calendar API: which years are known, and business-time arithmetic per branch."""

import datetime as dt

from django.http import HttpRequest
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from ninja import Field, Query, Router, Schema

from manyi.core.apierrors import ApiError
from manyi.core.schemas import IsoDateTime
from manyi.org.models import Branch
from manyi.org.scoping import get_visible_or_404

from .engine import SHANGHAI
from .services import calendar_for_branch, year_coverage

router = Router(tags=["business calendar"])


class YearOut(Schema):
    year: int
    source: str = Field(..., description="entered | package | fallback (weekly hours only)")


class AddIn(Schema):
    start: IsoDateTime
    hours: float = Field(..., ge=0, le=24 * 366)


class AddOut(Schema):
    start: dt.datetime
    due: dt.datetime
    warnings: list[str]


class BetweenOut(Schema):
    start: dt.datetime
    end: dt.datetime
    business_seconds: float
    warnings: list[str]


class OpenOut(Schema):
    at: dt.datetime
    open: bool
    next_open: dt.datetime
    warnings: list[str]


def _beijing(value: dt.datetime) -> dt.datetime:
    """A time sent without an offset is Beijing time, as the people sending it mean."""
    return value if value.tzinfo is not None else value.replace(tzinfo=SHANGHAI)


def _warnings(calendar) -> list[str]:
    return [
        f"no official holiday data for {year}: weekly hours only"
        for year in sorted(calendar.unknown_years)
    ]


@router.get(
    "/years",
    response=list[YearOut],
    summary=gettext_lazy("Holidays and working weekends by year"),
)
def years(
    request: HttpRequest,
    start: int | None = Query(None, ge=1900, le=2200),
    end: int | None = Query(None, ge=1900, le=2200),
):
    """At most 51 years from `start`."""
    if start is None or end is None:
        return year_coverage()
    return year_coverage(list(range(start, min(end, start + 50) + 1)))


@router.get(
    "/branches/{code}/open",
    response=OpenOut,
    summary=gettext_lazy("Whether a branch is open at a moment, and when it opens next"),
)
def is_open(request: HttpRequest, code: str, at: IsoDateTime | None = None):
    branch = get_visible_or_404(Branch, request.user, code=code)
    calendar = calendar_for_branch(branch)
    at = _beijing(at) if at else dt.datetime.now(dt.UTC)
    result = {"at": at, "open": calendar.is_open(at), "next_open": calendar.next_open(at)}
    return {**result, "warnings": _warnings(calendar)}


@router.post(
    "/branches/{code}/add",
    response=AddOut,
    summary=gettext_lazy("The instant after a number of business hours"),
)
def add_business_hours(request: HttpRequest, code: str, payload: AddIn):
    branch = get_visible_or_404(Branch, request.user, code=code)
    calendar = calendar_for_branch(branch)
    start = _beijing(payload.start)
    due = calendar.add(start, dt.timedelta(hours=payload.hours))
    return {"start": start, "due": due, "warnings": _warnings(calendar)}


MAX_SPAN = dt.timedelta(days=366 * 5)


@router.get(
    "/branches/{code}/between",
    response=BetweenOut,
    summary=gettext_lazy("Business seconds between two instants (at most five years apart)"),
)
def business_between(request: HttpRequest, code: str, start: IsoDateTime, end: IsoDateTime):
    if abs(end - start) > MAX_SPAN:
        raise ApiError(400, "invalid", _("The two times may be at most five years apart."))
    branch = get_visible_or_404(Branch, request.user, code=code)
    calendar = calendar_for_branch(branch)
    start, end = _beijing(start), _beijing(end)
    seconds = calendar.seconds_between(start, end)
    return {
        "start": start,
        "end": end,
        "business_seconds": seconds,
        "warnings": _warnings(calendar),
    }
