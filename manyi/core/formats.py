"""Numbers as a Chinese reader expects them: durations in minutes or hours and minutes
(never a bare count of seconds), money with two decimals and thousands separators.

Used by the templates (the `duration`, `minutes` and `money` filters in the `manyi` tag
library) and by code that words a message, so every page says a time span the same way.
"""

from __future__ import annotations

from decimal import Decimal

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .money import cny


def duration(seconds: float | int | None, *, seconds_under_a_minute: bool = True) -> str:
    """356 → "5 分钟"; 5400 → "1 小时 30 分钟"; 45 → "45 秒" (or "1 分钟" when
    `seconds_under_a_minute` is false, as for business-time deadlines)."""
    if seconds is None:
        return "—"
    seconds = abs(float(seconds))
    if seconds < 60 and seconds_under_a_minute:
        return _("%(s)d s") % {"s": round(seconds)}
    minutes = max(1, int(seconds // 60))  # whole minutes, as a clock shows them
    hours, minutes = divmod(minutes, 60)
    if hours and minutes:
        return _("%(h)d h %(m)d min") % {"h": hours, "m": minutes}
    if hours:
        return _("%(h)d h") % {"h": hours}
    return _("%(m)d min") % {"m": minutes}


def money(value: Decimal | float | int | str | None) -> str:
    """¥3,990,800.00: two decimals, thousands separated."""
    if value is None or value == "":
        return "—"
    return f"¥{cny(value):,.2f}"


# Django's forms end every label with this; in Chinese it is the full-width colon (our
# catalogue comes before Django's own).
FORM_LABEL_SUFFIX = gettext_lazy(":")
