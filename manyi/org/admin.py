from django.contrib import admin

from manyi.core.admin import ReadOnlyAdmin

from .models import ApiToken, AuditEntry, Branch, Company, Department, Region, Staff


@admin.register(Company)
class CompanyAdmin(ReadOnlyAdmin):
    list_display = ["code", "name"]


@admin.register(Region)
class RegionAdmin(ReadOnlyAdmin):
    list_display = ["code", "name", "company"]


@admin.register(Branch)
class BranchAdmin(ReadOnlyAdmin):
    list_display = ["code", "name", "region", "city", "is_active"]
    list_filter = ["region"]
    search_fields = ["code", "name"]


@admin.register(Department)
class DepartmentAdmin(ReadOnlyAdmin):
    list_display = ["name", "kind", "branch"]


@admin.register(Staff)
class StaffAdmin(ReadOnlyAdmin):
    """Read-only: staff changes go through the actions, which audit them."""

    list_display = ["employee_no", "name", "role", "scope"]
    list_filter = ["role", "scope"]
    search_fields = ["employee_no", "name", "user__username"]
    exclude = ["phone", "id_number"]


@admin.register(ApiToken)
class ApiTokenAdmin(ReadOnlyAdmin):
    list_display = ["prefix", "user", "name", "created_at", "last_used_at", "revoked_at"]
    readonly_fields = ["prefix", "digest", "user", "created_at", "last_used_at", "revoked_at"]


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin):
    """The audit trail can be read, never written, from the admin."""

    list_display = ["at", "actor_name", "action", "object_type", "object_id", "object_repr"]
    list_filter = ["action", "object_type"]
    search_fields = ["actor_name", "object_repr", "object_id"]
    date_hierarchy = "at"
