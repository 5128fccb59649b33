"""Taking numbers and working a counter: priorities within their bounds, transfers that
keep the place, recalls and no-shows, parking, and every step audited and on the feed."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from manyi.core.models import EventRecord
from manyi.customers import actions as customer_actions
from manyi.org.actions import SYSTEM
from manyi.org.models import AuditEntry
from manyi.queues import actions, config
from manyi.queues.models import QueueEvent, QueueTicket

pytestmark = pytest.mark.django_db


def _take(hall, org, service=None, **kwargs):
    ticket, _token = actions.take_number("kiosk:test", org.a1, service or hall.personal, **kwargs)
    return ticket


def test_numbers_run_per_service_and_day(org, hall, at_ten):
    first = _take(hall, org)
    second = _take(hall, org)
    business = _take(hall, org, hall.business)
    assert [first.number, second.number, business.number] == ["A001", "A002", "B001"]
    assert QueueEvent.objects.filter(kind="issued").count() == 3
    assert AuditEntry.objects.filter(action="queues.ticket.issue").count() == 3


def test_a_closed_branch_gives_no_numbers(org, hall, at_ten):
    at_ten(60 * 12)  # 22:00
    with pytest.raises(actions.QueueRefused, match=r"营业|opens"):
        _take(hall, org)


def test_call_in_order_of_preference_and_virtual_time(org, hall, at_ten):
    a1 = _take(hall, org)
    at_ten(1)
    b1 = _take(hall, org, hall.business)
    at_ten(2)
    elderly = _take(hall, org, priority="elderly")  # 5 minutes' head start: ahead of a1
    actions.open_counter(org.agent_a1, hall.counters[1])
    assert actions.call_next(org.agent_a1, hall.counters[1]) == elderly
    with pytest.raises(actions.QueueRefused):
        actions.call_next(org.agent_a1, hall.counters[1])  # finish the current one first
    actions.finish(org.agent_a1, hall.counters[1])
    assert actions.call_next(org.agent_a1, hall.counters[1]) == a1  # A before B here
    actions.open_counter(org.supervisor_a1, hall.counters[2])
    assert actions.call_next(org.supervisor_a1, hall.counters[2]) == b1  # B first there


def test_a_vip_needs_a_vip_card_at_the_kiosk_but_not_from_staff(org, hall, at_ten):
    ordinary = customer_actions.create_customer(SYSTEM, branch=org.a1, name="张三")
    with pytest.raises(ValidationError):
        _take(hall, org, priority="vip", customer=ordinary)
    ordinary.tier = "vip"
    ordinary.save(update_fields=["tier"])
    vip = _take(hall, org, priority="vip", customer=ordinary)
    assert (vip.issued_at - vip.queued_at).total_seconds() == 600
    by_staff, _ = actions.take_number(
        org.agent_a1, org.a1, hall.personal, channel="staff", priority="vip"
    )
    assert by_staff.priority == "vip"
    with pytest.raises(PermissionDenied):
        actions.take_number(org.agent_b1, org.a1, hall.personal, channel="staff")


def test_transfer_keeps_the_place(org, hall, at_ten):
    first = _take(hall, org)
    at_ten(5)
    later_b = _take(hall, org, hall.business)
    counter = hall.counters[3]  # serves A only
    actions.open_counter(org.agent_a1, counter)
    assert actions.call_next(org.agent_a1, counter) == first
    actions.start(org.agent_a1, counter)
    at_ten(10)
    moved = actions.transfer(org.agent_a1, counter, hall.business)
    assert moved.status == "waiting" and moved.service == hall.business
    assert moved.transferred_from == hall.personal
    actions.open_counter(org.supervisor_a1, hall.counters[2])
    # issued at 10:00, before the B ticket of 10:05: called first at the B counter
    assert actions.call_next(org.supervisor_a1, hall.counters[2]) == moved
    assert later_b.status == "waiting"


def test_recall_then_no_show_and_park_then_resume(org, hall, at_ten):
    gone = _take(hall, org)
    back = _take(hall, org)
    counter = hall.counters[3]
    actions.open_counter(org.agent_a1, counter)
    assert actions.call_next(org.agent_a1, counter) == gone
    assert actions.recall(org.agent_a1, counter).calls == 2
    assert actions.recall(org.agent_a1, counter).calls == 3
    with pytest.raises(actions.QueueRefused, match="3"):
        actions.recall(org.agent_a1, counter)  # the branch's limit: three calls
    assert actions.no_show(org.agent_a1, counter).status == "no_show"
    assert actions.call_next(org.agent_a1, counter) == back
    parked = actions.park(org.agent_a1, counter, note="回去拿身份证")
    assert parked.status == "parked" and config.current_ticket(counter) is None
    third = _take(hall, org)
    actions.resume(org.agent_a1, parked)
    assert actions.call_next(org.agent_a1, counter) == parked  # its place, ahead of A003
    assert third.status == "waiting"
    kinds = list(QueueEvent.objects.filter(ticket=gone).values_list("kind", flat=True))
    assert kinds == ["issued", "called", "recalled", "recalled", "no_show"]
    audited = set(AuditEntry.objects.values_list("action", flat=True))
    assert {
        "queues.ticket.call",
        "queues.ticket.recalled",
        "queues.ticket.no_show",
        "queues.ticket.parked",
        "queues.ticket.resumed",
    } <= audited


def test_finishing_serves_emits_the_event_and_writes_the_timeline(org, hall, at_ten):
    customer = customer_actions.create_customer(SYSTEM, branch=org.a1, name="李四")
    _take(hall, org, customer=customer)
    counter = hall.counters[1]
    actions.open_counter(org.agent_a1, counter)
    at_ten(7)
    actions.call_next(org.agent_a1, counter)
    actions.start(org.agent_a1, counter)
    at_ten(12)
    done = actions.finish(org.agent_a1, counter)
    assert done.status == "done" and done.staff == org.agent_a1.staff
    event = EventRecord.objects.get(name="queue.served")
    assert event.payload["waited_s"] == 420 and event.payload["served_s"] == 300
    lines = customer.timeline.filter(kind="queue").values_list("title", flat=True)
    assert any("1" in line and "7" in line for line in lines)


def test_two_counters_never_call_the_same_number(org, hall, at_ten):
    only = _take(hall, org)
    actions.open_counter(org.agent_a1, hall.counters[1])
    actions.open_counter(org.supervisor_a1, hall.counters[3])
    # the second counter read the line before the first claimed the ticket
    line = config.line_for(hall.counters[3])
    assert line == [only]
    assert actions.call_next(org.agent_a1, hall.counters[1]) == only
    assert actions.call_next(org.supervisor_a1, hall.counters[3]) is None


def test_staff_of_another_branch_cannot_work_this_counter(org, hall, at_ten):
    with pytest.raises(PermissionDenied):
        actions.open_counter(org.agent_b1, hall.counters[1])
    actions.open_counter(org.agent_a1, hall.counters[1])
    with pytest.raises(actions.QueueRefused):
        actions.open_counter(org.supervisor_a1, hall.counters[1])  # someone is there
    with pytest.raises(actions.QueueRefused):
        actions.call_next(org.supervisor_a1, hall.counters[2])  # not signed in there


def test_appointments_check_in_and_go_first_within_their_window(org, hall, at_ten):
    import datetime as dt

    walk_in = _take(hall, org)
    at_ten(1)
    appointment = actions.book_appointment(
        org.agent_a1,
        org.a1,
        hall.personal,
        actions.clock.now() + dt.timedelta(minutes=10),
        name="王五",
        phone="13900000000",
    )
    ticket, _token = actions.check_in("kiosk:test", org.a1, appointment.code)
    assert ticket.priority == "appointment"
    appointment.refresh_from_db()
    assert appointment.state == "checked_in"
    with pytest.raises(actions.QueueRefused):
        actions.check_in("kiosk:test", org.a1, appointment.code)  # once
    actions.open_counter(org.agent_a1, hall.counters[3])
    assert actions.call_next(org.agent_a1, hall.counters[3]) == ticket
    assert walk_in.status == "waiting"


def test_the_day_closes_open_numbers_and_missed_appointments(org, hall, at_ten):
    import datetime as dt

    ticket = _take(hall, org)
    missed = actions.book_appointment(
        org.agent_a1, org.a1, hall.personal, actions.clock.now() + dt.timedelta(minutes=30)
    )
    tomorrow = at_ten(60 * 24)
    assert actions.close_the_day(tomorrow) == 1
    ticket.refresh_from_db()
    missed.refresh_from_db()
    assert ticket.status == "abandoned" and missed.state == "no_show"
    assert QueueTicket.objects.filter(status__in=QueueTicket.OPEN).count() == 0


def test_a_served_number_sends_the_survey_trigger(
    org, hall, at_ten, tmp_path, django_capture_on_commit_callbacks
):
    from manyi.analytics.tests.test_xlsform import workbook
    from manyi.surveys import actions as survey_actions
    from manyi.surveys.models import SurveyTrigger, TriggeredInvitation

    path = workbook(tmp_path / "after_visit.xlsx")
    version, _ = survey_actions.import_xlsform(
        SYSTEM, content=path.read_bytes(), file_name=path.name
    )
    SurveyTrigger.objects.create(
        name="网点服务评价",
        event="queue.served",
        questionnaire=version.questionnaire,
        channel="sms",
        message="{客户}您好，请评价刚才的服务：{链接}",
        delay_minutes=30,
    )
    customer = customer_actions.create_customer(
        SYSTEM, branch=org.a1, name="赵六", contacts=[("mobile", "13800000001")]
    )
    _take(hall, org, customer=customer)
    _take(hall, org)  # an anonymous walk-in: nobody to ask
    counter = hall.counters[1]
    actions.open_counter(org.agent_a1, counter)
    for _ in range(2):
        with django_capture_on_commit_callbacks(execute=True):
            actions.call_next(org.agent_a1, counter)
            actions.finish(org.agent_a1, counter)
    pending = TriggeredInvitation.objects.get()
    assert pending.customer == customer and pending.agent == org.agent_a1.staff


def test_each_number_is_told_an_estimate_that_is_kept(org, hall, at_ten):
    first = _take(hall, org)
    assert first.estimate_s is None  # no counter open: no wait is guessed
    actions.open_counter(org.agent_a1, hall.counters[3])
    second, third = _take(hall, org), _take(hall, org)
    second.refresh_from_db()
    third.refresh_from_db()
    assert second.estimate_low_s <= second.estimate_s <= second.estimate_high_s
    assert third.estimate_s > second.estimate_s  # one more ahead
    assert len(third.estimate_grid) > 10  # kept to calibrate the day's later estimates


def test_the_estimate_reads_the_days_times_to_the_microsecond(org, hall, at_ten):
    """The branch's state is read as seconds since 1970 straight from the database (SQLite
    keeps text, PostgreSQL timestamps): the same instants as the stored datetimes."""
    import datetime as dt

    from manyi.queues import estimates

    first, second = _take(hall, org), _take(hall, org)
    odd = first.issued_at + dt.timedelta(seconds=7, microseconds=123456)
    edge = first.issued_at + dt.timedelta(seconds=7, microseconds=999700)  # rounds up to .000
    QueueTicket.objects.filter(pk=first.pk).update(issued_at=odd, called_at=odd)
    QueueTicket.objects.filter(pk=second.pk).update(issued_at=edge)
    rows, _sessions, _due = estimates._read_branch(org.a1.pk, at_ten(1))
    assert [row.issued_at for row in rows] == [odd.timestamp(), edge.timestamp()]
    assert rows[0].called_at == odd.timestamp() and rows[0].finished_at is None


def test_a_counter_set_up_by_another_process_is_seen_by_the_estimate(org, hall, at_ten):
    """The counters' profiles are kept per process; one this process has not heard of
    (made elsewhere, no signal here) is read afresh as soon as it opens."""
    from manyi.queues import estimates
    from manyi.queues.models import Counter, CounterService, StaffSession

    _take(hall, org)
    assert estimates.branch_state(org.a1, at_ten(1)).counters == []  # profiles now kept
    (late,) = Counter.objects.bulk_create([Counter(branch=org.a1, number=9)])
    CounterService.objects.bulk_create([CounterService(counter=late, service=hall.personal)])
    StaffSession.objects.bulk_create(
        [StaffSession(counter=late, staff=org.agent_a1.staff, started_at=at_ten(2))]
    )
    (counter,) = estimates.branch_state(org.a1, at_ten(3)).counters
    assert counter.counter == "9" and counter.services == ("A",)


def test_the_estimate_sees_the_line_the_open_counters_and_the_appointments_due(org, hall, at_ten):
    """The branch's state is read in one statement; each of its three parts lands where
    the estimate looks for it."""
    import datetime as dt

    from manyi.queues import estimates

    walk_in = _take(hall, org, service=hall.business)
    later = actions.book_appointment(
        org.agent_a1, org.a1, hall.personal, at_ten(0) + dt.timedelta(minutes=40)
    )
    soon = actions.book_appointment(
        org.agent_a1, org.a1, hall.business, at_ten(0) + dt.timedelta(minutes=5)
    )
    checked_in, _token = actions.check_in("kiosk:test", org.a1, soon.code)
    actions.book_appointment(  # not due yet: beyond the next ninety minutes
        org.agent_a1, org.a1, hall.personal, at_ten(0) + dt.timedelta(hours=3)
    )
    actions.open_counter(org.agent_a1, hall.counters[2])
    state = estimates.branch_state(org.a1, at_ten(1))
    assert [(w.ticket, w.service, w.priority) for w in state.waiting] == [
        (str(walk_in.pk), "B", "ordinary"),
        (str(checked_in.pk), "B", "appointment"),
    ]
    assert state.waiting[1].appointment_at == soon.scheduled_at.timestamp()
    assert state.appointments_due == [("A", later.scheduled_at.timestamp())]
    (counter,) = state.counters
    assert counter.counter == "2" and counter.services == ("B", "A")
    assert counter.staff == str(org.agent_a1.staff.pk) and counter.busy_since is None


def test_a_business_set_up_by_another_process_takes_numbers_at_once(org, hall, at_ten):
    """Nothing is refused for a business and counter this process has not heard of (made
    elsewhere, no signal here): the kept set-up is read afresh before saying no."""
    from manyi.queues.models import Counter, CounterService, ServiceType

    assert config.service_by_prefix(org.a1, "C") is None  # the set-up is now kept
    _take(hall, org)
    (foreign,) = ServiceType.objects.bulk_create(
        [ServiceType(branch=org.a1, prefix="C", name="外汇")]
    )
    (counter,) = Counter.objects.bulk_create([Counter(branch=org.a1, number=9)])
    CounterService.objects.bulk_create([CounterService(counter=counter, service=foreign)])
    found = config.service_by_prefix(org.a1, "C")
    assert found == foreign
    ticket, _token = actions.take_number("kiosk:A1", org.a1, found)
    assert ticket.number == "C001"


def test_a_business_retired_by_another_process_gives_no_more_numbers(org, hall, at_ten):
    """The kept set-up may be a moment old; the number series itself checks the business
    is still offered."""
    from manyi.queues.models import ServiceType

    _take(hall, org)  # the set-up is now kept in this process
    ServiceType.objects.filter(pk=hall.personal.pk).update(active=False)  # no signal here
    with pytest.raises(ValidationError):
        actions.take_number("kiosk:A1", org.a1, hall.personal)
    assert QueueTicket.objects.count() == 1


def test_what_a_number_was_told_is_kept_once_it_is_written(
    org, hall, at_ten, django_capture_on_commit_callbacks, django_assert_num_queries
):
    """The next estimates calibrate on it without reading its grid back."""
    from manyi.queues import estimates

    actions.open_counter(org.agent_a1, hall.counters[3])
    with django_capture_on_commit_callbacks(execute=True):
        ticket = _take(hall, org)
    with django_assert_num_queries(0):
        told = estimates.told_at_issue([ticket.pk])[ticket.pk]
    assert told.grid == tuple(ticket.estimate_grid) and told.low_s == ticket.estimate_low_s
