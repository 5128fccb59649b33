"""Read-only views of the ticket configuration for superusers.

It is edited on the complaint desk's own configuration page (/tickets/configuration/),
through tickets.actions, so every change is checked and audited; tickets themselves change
only through the workflow actions."""

from django.contrib import admin

from manyi.core.admin import ReadOnlyAdmin

from .models import (
    ApprovalRule,
    AssignmentRule,
    CannedReply,
    ReasonCode,
    Settings,
    SLAPolicy,
)


@admin.register(ReasonCode)
class ReasonCodeAdmin(ReadOnlyAdmin):
    list_display = ["code", "name", "parent", "active"]
    list_filter = ["active"]
    search_fields = ["code", "name"]


@admin.register(SLAPolicy)
class SLAPolicyAdmin(ReadOnlyAdmin):
    list_display = [
        "name",
        "ticket_type",
        "priority",
        "first_response_minutes",
        "same_day_reply",
        "resolution_minutes",
    ]


@admin.register(ApprovalRule)
class ApprovalRuleAdmin(ReadOnlyAdmin):
    list_display = ["role", "rank", "max_amount", "max_severity", "two_step"]


@admin.register(Settings)
class SettingsAdmin(ReadOnlyAdmin):
    list_display = ["repeat_window_days", "follow_up_after_minutes"]


@admin.register(CannedReply)
class CannedReplyAdmin(ReadOnlyAdmin):
    list_display = ["title", "ticket_type", "active"]
    list_filter = ["ticket_type", "active"]


@admin.register(AssignmentRule)
class AssignmentRuleAdmin(ReadOnlyAdmin):
    list_display = ["name", "branch", "reason", "strategy", "active"]
    filter_horizontal = ["pool"]
