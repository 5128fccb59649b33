"""Reads of a person's notifications: the bell's count and the inbox (a read module; the
writing is `actions`)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from manyi.org.scoping import staff_of

from .models import Notification


def mine(user: Any) -> QuerySet[Notification]:
    staff = staff_of(user)
    if staff is None:
        return Notification.objects.none()
    return Notification.objects.filter(recipient=staff)


def unread_count(user: Any) -> int:
    """The bell's figure (one query per page)."""
    staff = staff_of(user)
    if staff is None:
        return 0
    return Notification.objects.filter(recipient=staff, read_at__isnull=True).count()
