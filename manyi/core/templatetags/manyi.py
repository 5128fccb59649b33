from __future__ import annotations

from typing import Any

from django import template

from manyi.core.masking import mask

register = template.Library()


@register.filter
def masked(value: str | None, kind: str) -> str:
    """{{ staff.phone|masked:"phone" }}: personal data is masked in every template."""
    return mask(kind, value)


@register.filter
def heat_step(share: float | None) -> int:
    """{{ share|heat_step }}: a 0-1 share as one of eleven shades (CSS classes heat-0 ...
    heat-10), since the Content-Security-Policy allows no style attributes."""
    try:
        return max(0, min(10, round(float(share or 0) * 10)))
    except (TypeError, ValueError):
        return 0


@register.filter
def may(user: Any, permission: str) -> bool:
    """{% if user|may:"queues.analyse" %}: a link or button is shown only to those who may
    open or press it (the views check the same permission)."""
    from manyi.org.permissions import has_permission

    return has_permission(user, permission)


@register.filter
def duration(seconds: float | int | None) -> str:
    """{{ settings.vip_head_start_s|duration }} → "10 分钟": no page shows a bare count of
    seconds."""
    from manyi.core.formats import duration as words

    return words(seconds)


@register.filter
def minutes(value: float | int | None) -> str:
    """{{ policy.resolution_minutes|minutes }} → "2 小时 30 分钟"."""
    from manyi.core.formats import duration as words

    return words(None if value is None else float(value) * 60, seconds_under_a_minute=False)


@register.filter
def money(value: Any) -> str:
    """{{ figure.value|money }} → "¥3,990,800.00"."""
    from manyi.core.formats import money as words

    return words(value)


@register.simple_tag
def colon() -> str:
    """{% translate "Status" %}{% colon %}: the separator after a label in the reader's
    language (a full-width "：" in Chinese, ": " in English)."""
    from django.utils.translation import pgettext

    return pgettext("label separator", ": ")


@register.filter
def thousands(value: Any) -> str:
    """{{ 20000|thousands }} → "20,000" (humanize's intcomma leaves it bare in Chinese)."""
    try:
        return f"{int(value):,}"
    except (TypeError, ValueError):
        return "" if value is None else str(value)
