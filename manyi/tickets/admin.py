"""Configuration an administrator edits: reason codes, SLA targets, approval limits.

Tickets themselves change only through tickets.actions (audit, timeline, events), so they
are not editable here."""

from django.contrib import admin

from .models import (
    ApprovalRule,
    AssignmentRule,
    CannedReply,
    ReasonCode,
    Settings,
    SLAPolicy,
)


@admin.register(ReasonCode)
class ReasonCodeAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "parent", "active"]
    list_filter = ["active"]
    search_fields = ["code", "name"]


@admin.register(SLAPolicy)
class SLAPolicyAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "ticket_type",
        "priority",
        "first_response_minutes",
        "same_day_reply",
        "resolution_minutes",
    ]


@admin.register(ApprovalRule)
class ApprovalRuleAdmin(admin.ModelAdmin):
    list_display = ["role", "rank", "max_amount", "max_severity", "two_step"]


@admin.register(Settings)
class SettingsAdmin(admin.ModelAdmin):
    list_display = ["repeat_window_days", "follow_up_after_minutes"]


@admin.register(CannedReply)
class CannedReplyAdmin(admin.ModelAdmin):
    list_display = ["title", "ticket_type", "active"]
    list_filter = ["ticket_type", "active"]


@admin.register(AssignmentRule)
class AssignmentRuleAdmin(admin.ModelAdmin):
    list_display = ["name", "branch", "reason", "strategy", "active"]
    filter_horizontal = ["pool"]
