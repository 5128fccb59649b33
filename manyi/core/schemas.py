"""Types for API schemas: personal data masked on the way out, bounded inputs on the way in."""

from __future__ import annotations

import datetime as dt
import math
import re
from decimal import Decimal
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from django.utils.translation import gettext as _
from pydantic import AfterValidator, BeforeValidator, Field, PlainSerializer, WithJsonSchema

from .masking import mask_address, mask_email, mask_id_number, mask_name, mask_phone

MaskedPhone = Annotated[str, PlainSerializer(mask_phone, return_type=str)]
MaskedIdNumber = Annotated[str, PlainSerializer(mask_id_number, return_type=str)]
MaskedAddress = Annotated[str, PlainSerializer(mask_address, return_type=str)]
MaskedName = Annotated[str, PlainSerializer(mask_name, return_type=str)]
MaskedEmail = Annotated[str, PlainSerializer(mask_email, return_type=str)]


# -- inputs ----------------------------------------------------------------------------------
# Identifiers and counts the API reads are 64-bit, as the database stores them: a bigger
# number is refused with 422 (documented), instead of overflowing SQLite's integers.
INT64_MAX = 2**63 - 1
Id = Annotated[int, Field(ge=1, le=INT64_MAX)]
Int64 = Annotated[int, Field(ge=0, le=INT64_MAX)]


def _iso_date(value: Any) -> Any:
    """Only ISO dates (2026-01-31): pydantic would also take 0 or 0.5 as Unix times."""
    if isinstance(value, str) and not _ISO_DATE.fullmatch(value):
        raise ValueError("a date as YYYY-MM-DD")
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        raise ValueError("a date as YYYY-MM-DD")
    return value


def _iso_datetime(value: Any) -> Any:
    """Only ISO date-times; one without a time zone is Beijing time, as people mean it."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        raise ValueError("a date and time in ISO 8601, e.g. 2026-01-31T09:30:00+08:00")
    if isinstance(value, str) and not _ISO_DATETIME.fullmatch(value.strip()):
        raise ValueError("a date and time in ISO 8601, e.g. 2026-01-31T09:30:00+08:00")
    return value


def _aware(value: dt.datetime) -> dt.datetime:
    if not FIRST_YEAR <= value.year <= LAST_YEAR:
        raise ValueError(f"a year from {FIRST_YEAR} to {LAST_YEAR}")
    if value.tzinfo is None:
        return value.replace(tzinfo=SHANGHAI)
    return value


def _in_years(value: dt.date) -> dt.date:
    if not FIRST_YEAR <= value.year <= LAST_YEAR:
        raise ValueError(f"a year from {FIRST_YEAR} to {LAST_YEAR}")
    return value


def _local_time(value: Any) -> Any:
    """A call-back window is Beijing wall-clock time: an offset would be ambiguous (and
    SQLite cannot store one)."""
    if isinstance(value, str) and not _LOCAL_TIME.fullmatch(value.strip()):
        raise ValueError("a time such as 09:30, Beijing time, without an offset")
    if isinstance(value, dt.time) and value.tzinfo is not None:
        raise ValueError("a time such as 09:30, Beijing time, without an offset")
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        raise ValueError("a time such as 09:30, Beijing time, without an offset")
    return value


# Dates before 1900 would come back with Shanghai's historical local-mean-time offset
# (+08:05:43), which is no valid RFC 3339 offset; nobody files a complaint from then.
FIRST_YEAR, LAST_YEAR = 1900, 2200
_LOCAL_TIME = re.compile(r"([01]\d|2[0-3]):[0-5]\d(:[0-5]\d(\.\d{1,6})?)?")


_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_ISO_DATETIME = re.compile(
    r"\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?)?(Z|[+-]\d{2}:?\d{2})?"
)
SHANGHAI = ZoneInfo("Asia/Shanghai")
_YEARS = "^(19\\d\\d|2[01]\\d\\d|2200)-"
IsoDate = Annotated[
    dt.date,
    BeforeValidator(_iso_date),
    AfterValidator(_in_years),
    WithJsonSchema({"type": "string", "format": "date", "pattern": _YEARS}),
]
LocalTime = Annotated[
    dt.time,
    BeforeValidator(_local_time),
    WithJsonSchema(
        {
            "type": "string",
            "pattern": "^" + _LOCAL_TIME.pattern + "$",
            "description": "Beijing time, without an offset",
        }
    ),
]
IsoDateTime = Annotated[
    dt.datetime,
    BeforeValidator(_iso_datetime),
    AfterValidator(_aware),
    WithJsonSchema(
        {
            "type": "string",
            "format": "date-time",
            "pattern": _YEARS,
            "description": "ISO 8601; without an offset it is Beijing time",
        }
    ),
]

_DECIMAL_TEXT = r"^\s*[+-]?(\d+(\.\d*)?|\.\d+)\s*$"


def _decimal_text(value: Any) -> Any:
    if isinstance(value, str) and not re.match(_DECIMAL_TEXT, value):
        raise ValueError("a number such as 12.50")
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError("a finite number")
    return value


# A decimal (money, quantities) as a JSON number or a string of digits: "12.50", never "".
DecimalIn = Annotated[
    Decimal,
    BeforeValidator(_decimal_text),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "number"},
                {"type": "string", "pattern": _DECIMAL_TEXT},
            ]
        }
    ),
]


def if_match_header() -> Any:
    """The `If-Match` header of an edit: the ETag of the version it was made from."""
    from ninja import Header

    return Header(
        None,
        alias="If-Match",
        max_length=40,
        description='The ETag of the version you edited, such as "7" (from GET).',
    )


def _field(location: tuple[Any, ...] | list[Any]) -> str:
    parts = [str(p) for p in location if p not in ("body", "payload", "query", "path")]
    return ".".join(parts) or "?"


def describe_errors(errors: list[dict[str, Any]]) -> list[str]:
    """Pydantic's errors as sentences in the request's language, each naming its field."""
    messages = []
    for error in errors:
        field, kind, context = (
            _field(error.get("loc", ())),
            error.get("type", ""),
            error.get("ctx") or {},
        )
        if kind == "extra_forbidden":
            text = _("Unknown field %(field)s.")
        elif kind == "missing":
            text = _("%(field)s is required.")
        elif kind in ("enum", "literal_error"):
            text = _("%(field)s must be one of: %(choices)s.")
        elif kind.startswith("int_") or kind.startswith("decimal_") or kind.startswith("float_"):
            text = _("%(field)s must be a number.")
        elif kind in ("greater_than_equal", "greater_than", "less_than_equal", "less_than"):
            text = _("%(field)s is out of range.")
        elif kind == "string_too_long":
            text = _("%(field)s is too long.")
        elif kind in ("string_too_short", "too_short"):
            text = _("%(field)s must not be empty.")
        elif kind == "too_long":
            text = _("%(field)s has too many entries.")
        elif kind.startswith("bool_"):
            text = _("%(field)s must be true or false.")
        elif kind.startswith(("datetime_", "date_", "time_")):
            text = _("%(field)s must be an ISO date and time, such as 2026-12-01T09:30:00+08:00.")
        else:
            text = _("%(field)s is not valid.")
        choices = str(context.get("expected", "")).replace("'", "")
        messages.append(text % {"field": field, "choices": choices})
    return messages
