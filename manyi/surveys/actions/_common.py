"""Small helpers the survey actions share (who acts, in which language)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import get_language

from manyi.org.actions import SYSTEM
from manyi.org.scoping import staff_of


def staff(actor: Any) -> Any:
    """The staff member behind a person, recorded as author; none for the system."""
    return None if actor == SYSTEM else staff_of(actor)


def language_of(language: str) -> str:
    """A response's language as stored: Chinese unless the page said otherwise."""
    return "zh" if not language or language.lower().startswith("zh") else "en"


def is_chinese() -> bool:
    """Whether messages of the form engine go out in Chinese (its errors carry both)."""
    return (get_language() or "zh-hans").lower().startswith("zh")
