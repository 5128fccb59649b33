from __future__ import annotations

from django import template

from manyi.core.masking import mask

register = template.Library()


@register.filter
def masked(value: str | None, kind: str) -> str:
    """{{ staff.phone|masked:"phone" }}: personal data is masked in every template."""
    return mask(kind, value)
