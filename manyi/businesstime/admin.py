from django.contrib import admin

from .models import Closure, OfficialDay, OfficialYear, OpeningHours


@admin.register(OpeningHours)
class OpeningHoursAdmin(admin.ModelAdmin):
    list_display = ["branch", "weekday", "opens", "closes"]
    list_filter = ["branch"]


class OfficialDayInline(admin.TabularInline):
    model = OfficialDay
    extra = 0


@admin.register(OfficialYear)
class OfficialYearAdmin(admin.ModelAdmin):
    list_display = ["year", "source", "entered_by", "entered_at"]
    inlines = [OfficialDayInline]


@admin.register(Closure)
class ClosureAdmin(admin.ModelAdmin):
    list_display = ["reason", "branch", "starts_at", "ends_at"]
