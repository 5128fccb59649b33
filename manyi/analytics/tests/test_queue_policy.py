"""The fairness rule: priorities go ahead, but never without bound."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from manyi.analytics.queue_policy import Policy, Waiting, next_ticket, order


def test_a_vip_goes_ahead_of_those_who_came_within_its_head_start_only():
    now = 3_000.0
    line = [
        Waiting("A001", "A", "ordinary", issued_at=1_000.0),  # waited 2,000 s
        Waiting("A002", "A", "ordinary", issued_at=2_500.0),  # waited 500 s
        Waiting("V001", "A", "vip", issued_at=2_900.0),  # head start 600 s -> 2,300
    ]
    assert [w.ticket for w in order(line, ["A"], now)] == ["A001", "V001", "A002"]


def test_an_appointment_due_now_goes_first_and_a_late_one_is_a_walk_in():
    now = 36_000.0
    line = [
        Waiting("A001", "A", "ordinary", issued_at=30_000.0),
        Waiting("P001", "A", "appointment", issued_at=35_900.0, appointment_at=36_300.0),
    ]
    assert next_ticket(line, ["A"], now).ticket == "P001"
    late = [
        line[0],
        Waiting("P002", "A", "appointment", issued_at=35_900.0, appointment_at=30_000.0),
    ]
    assert next_ticket(late, ["A"], now).ticket == "A001"


def test_a_counter_takes_its_services_in_order_of_preference_or_by_longest_wait():
    line = [
        Waiting("B001", "B", issued_at=0.0),
        Waiting("A001", "A", issued_at=100.0),
        Waiting("C001", "C", issued_at=0.0),  # not served here
    ]
    assert next_ticket(line, ["A", "B"], 200.0).ticket == "A001"
    oldest = Policy(by_preference=False)
    assert next_ticket(line, ["A", "B"], 200.0, oldest).ticket == "B001"
    assert next_ticket(line, ["D"], 200.0) is None


def test_a_transfer_keeps_the_place():
    # a ticket moved from service A to B keeps its issue time: ahead of later B tickets
    moved = Waiting("A007", "B", "ordinary", issued_at=100.0)
    later = Waiting("B010", "B", "ordinary", issued_at=400.0)
    assert next_ticket([later, moved], ["B"], 500.0).ticket == "A007"


@settings(max_examples=200, deadline=None)
@given(
    vip_gaps=st.lists(st.floats(min_value=1.0, max_value=120.0), min_size=1, max_size=200),
    service=st.floats(min_value=30.0, max_value=600.0),
    arrival=st.floats(min_value=0.0, max_value=3_000.0),
)
def test_a_stream_of_vips_overtakes_an_ordinary_customer_only_within_the_head_start(
    vip_gaps, service, arrival
):
    """One counter, an ordinary customer, and VIPs arriving faster than they are served:
    the customer is called before any VIP who came more than the head start after them."""
    policy = Policy()
    head = policy.head_start_of("vip")
    ordinary = Waiting("A001", "A", "ordinary", issued_at=arrival)
    vips: list[Waiting] = []
    t = 0.0
    for n, gap in enumerate(vip_gaps):
        t += gap
        vips.append(Waiting(f"V{n:03d}", "A", "vip", issued_at=t))
    now, waiting, called = 0.0, [], []
    pending = sorted([ordinary, *vips], key=lambda w: w.issued_at)
    while pending or waiting:
        while pending and pending[0].issued_at <= now:
            waiting.append(pending.pop(0))
        if not waiting:
            now = pending[0].issued_at
            continue
        chosen = next_ticket(waiting, ["A"], now, policy)
        waiting.remove(chosen)
        called.append((chosen, now))
        now += service
    position = [w for w, _at in called].index(ordinary)
    ahead = [w for w, _at in called[:position]]
    assert all(v.issued_at <= arrival + head for v in ahead)
    # so the wait is bounded by the VIPs who came before the customer's arrival plus the
    # head start (and the one being served on arrival), however long the stream goes on
    before = [v for v in vips if v.issued_at <= arrival + head]
    wait = called[position][1] - arrival
    assert wait <= service * (len(before) + 1) + 1e-6
