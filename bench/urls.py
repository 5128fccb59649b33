"""Manyi's URLs plus bare Django views that serve as the floor in comparisons."""

import itertools
import json
import uuid

from django.http import HttpRequest, JsonResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt

from manyi.org.models import Staff
from manyi.tickets.models import Ticket
from manyi.urls import urlpatterns as manyi_urlpatterns

_bare_numbers = itertools.count(1)
_bare_prefix = uuid.uuid4().hex[:6]


def bare_staff_view(request: HttpRequest, pk: int) -> JsonResponse:
    """The floor: one query, one JSON object, no authentication, no scoping, no schema."""
    row = Staff.objects.filter(pk=pk).values("id", "name", "role", "employee_no").first()
    return JsonResponse(row or {})


@csrf_exempt
def bare_ticket_insert(request: HttpRequest) -> JsonResponse:
    """The floor for registering a ticket: parse the JSON body and insert one row with the
    ORM. No authentication, scope, validation, number series, due times, search words,
    audit, timeline or event (the database's own full-text trigger still fires)."""
    data = json.loads(request.body)
    ticket = Ticket.objects.create(
        number=f"B{_bare_prefix}{next(_bare_numbers)}",
        branch_id=1,
        customer_id=data["customer_id"],
        channel=data["channel"],
        ticket_type=data["ticket_type"],
        subject=data["subject"],
        description=data["description"],
    )
    return JsonResponse({"id": ticket.pk, "number": ticket.number}, status=201)


@csrf_exempt
def bare_queue_insert(request: HttpRequest) -> JsonResponse:
    """The floor for taking a number: parse the JSON body and insert one queue ticket row.
    No authentication, opening hours, number series, fairness rule, estimate, event or
    audit."""
    from django.utils import timezone

    from manyi.queues.models import QueueTicket

    data = json.loads(request.body)
    now = timezone.now()
    ticket = QueueTicket.objects.create(
        branch_id=data["branch_id"],
        service_id=data["service_id"],
        number=f"Z{next(_bare_numbers)}"[:8],
        day=now.date(),
        issued_at=now,
        queued_at=now,
        status="done",  # not in anyone's line: the other benchmarks' hall stays as it is
        digest=uuid.uuid4().hex,
    )
    return JsonResponse({"id": ticket.pk, "number": ticket.number}, status=201)


urlpatterns = [
    path("bench/bare/staff/<int:pk>", bare_staff_view),
    path("bench/bare/tickets", bare_ticket_insert),
    path("bench/bare/queue", bare_queue_insert),
    *manyi_urlpatterns,
]
