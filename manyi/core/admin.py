from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from .models import EventDelivery, EventRecord


class _RefusesChanges:
    """Django's admin reads; every change goes through the app's actions and pages, which
    check the permission, audit the change and emit its event (an edit here would not)."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ReadOnlyAdmin(_RefusesChanges, admin.ModelAdmin):
    pass


class ReadOnlyInline(_RefusesChanges, admin.TabularInline):
    extra = 0


class EventDeliveryInline(ReadOnlyInline):
    model = EventDelivery
    readonly_fields = ["subscriber", "status", "attempts", "due_at", "delivered_at", "last_error"]


@admin.register(EventRecord)
class EventRecordAdmin(ReadOnlyAdmin):
    list_display = ["occurred_at", "name", "actor_id"]
    list_filter = ["name"]
    readonly_fields = ["name", "payload", "actor_id", "occurred_at"]
    inlines = [EventDeliveryInline]
