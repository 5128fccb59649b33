from django.contrib import admin

from .models import EventDelivery, EventRecord


class EventDeliveryInline(admin.TabularInline):
    model = EventDelivery
    extra = 0
    can_delete = False
    readonly_fields = ["subscriber", "status", "attempts", "due_at", "delivered_at", "last_error"]


@admin.register(EventRecord)
class EventRecordAdmin(admin.ModelAdmin):
    list_display = ["occurred_at", "name", "actor_id"]
    list_filter = ["name"]
    readonly_fields = ["name", "payload", "actor_id", "occurred_at"]
    inlines = [EventDeliveryInline]

    def has_add_permission(self, request) -> bool:
        return False
