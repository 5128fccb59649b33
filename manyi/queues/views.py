"""Queue pages for staff."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from manyi.org.permissions import require_permission


@login_required
def home(request: HttpRequest) -> HttpResponse:
    require_permission(request.user, "queues.serve")
    return render(request, "queues/home.html", {})
