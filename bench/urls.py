"""Manyi's URLs plus bare Django views that serve as the floor in comparisons."""

from django.http import HttpRequest, JsonResponse
from django.urls import path

from manyi.org.models import Staff
from manyi.urls import urlpatterns as manyi_urlpatterns


def bare_staff_view(request: HttpRequest, pk: int) -> JsonResponse:
    """The floor: one query, one JSON object, no authentication, no scoping, no schema."""
    row = Staff.objects.filter(pk=pk).values("id", "name", "role", "employee_no").first()
    return JsonResponse(row or {})


urlpatterns = [path("bench/bare/staff/<int:pk>", bare_staff_view), *manyi_urlpatterns]
