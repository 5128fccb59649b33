from __future__ import annotations

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
