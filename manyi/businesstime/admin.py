from django.contrib import admin

from manyi.core.admin import ReadOnlyAdmin, ReadOnlyInline

from .models import Closure, OfficialDay, OfficialYear, OpeningHours


@admin.register(OpeningHours)
class OpeningHoursAdmin(ReadOnlyAdmin):
    list_display = ["branch", "weekday", "opens", "closes"]
    list_filter = ["branch"]


class OfficialDayInline(ReadOnlyInline):
    model = OfficialDay


@admin.register(OfficialYear)
class OfficialYearAdmin(ReadOnlyAdmin):
    list_display = ["year", "source", "entered_by", "entered_at"]
    inlines = [OfficialDayInline]


@admin.register(Closure)
class ClosureAdmin(ReadOnlyAdmin):
    list_display = ["reason", "branch", "starts_at", "ends_at"]
