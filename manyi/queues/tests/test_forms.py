"""The queue pages' forms: a bad entry is told in Chinese on its page, with what was typed
kept and nothing stored; durations are typed and shown in minutes and kept in seconds;
reading the rules never writes."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from manyi.core.tests.test_lost_updates import _Form, opened, typed
from manyi.queues import actions, config
from manyi.queues.forms import MinutesField, minutes_text, seconds_of
from manyi.queues.models import Appointment, QueueSettings, QueueTicket, ServiceType

pytestmark = pytest.mark.django_db
RULES = "/queues/rules/?branch=A1"


def _fields(response, form_id: str) -> dict[str, list[str]]:
    """What the browser would post again from the page that came back."""
    parser = _Form(form_id)
    parser.feed(response.content.decode())
    return parser.fields


# -- minutes ------------------------------------------------------------------------------------
def test_minutes_are_typed_and_kept_as_seconds():
    field = MinutesField()
    assert [field.clean(v) for v in ("2.5", "10", "0", "1.67", "0.5")] == [150, 600, 0, 100, 30]
    assert [minutes_text(s) for s in (600, 150, 100, 0, 30)] == ["10", "2.5", "1.67", "0", "0.5"]
    assert seconds_of(Decimal("0.01")) == 1  # 0.6 seconds: to the nearest second


def test_the_rules_are_typed_and_shown_in_minutes(login, org):
    client = login(org.manager)
    fields = opened(client, RULES, "rules-form")
    assert [fields[name] for name in ("vip_head_start", "appointment_early")] == [["10"], ["15"]]
    page = client.get(RULES).content.decode()
    assert "秒" not in page and "10 分钟" in page
    saved = client.post(RULES, typed(fields, vip_head_start="2.5", appointment_late="12"))
    assert saved.status_code == 302
    settings = QueueSettings.objects.get(branch=org.a1)
    assert (settings.vip_head_start_s, settings.appointment_late_s) == (150, 720)
    assert (settings.elderly_head_start_s, settings.appointment_early_s) == (300, 900)
    assert config.policy_for(org.a1).head_start["vip"] == 150.0
    again = opened(client, RULES, "rules-form")
    assert (again["vip_head_start"], again["appointment_late"]) == (["2.5"], ["12"])


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ("x", "请以数字填写分钟数"),
        ("", "请以数字填写分钟数"),
        ("-1", "分钟数不能为负数"),
        ("2.555", "分钟数最多保留两位小数"),
        ("2000", "最多 1440 分钟"),
    ],
)
def test_a_bad_duration_is_told_in_chinese_and_nothing_is_saved(login, org, entry, message):
    actions.ensure_settings(org.a1)
    client = login(org.manager)
    fields = opened(client, RULES, "rules-form")
    refused = client.post(
        RULES, typed(fields, vip_head_start=entry, running_text="今日理财讲座", recall_limit="5")
    )
    assert refused.status_code == 200 and message in refused.content.decode()
    shown = _fields(refused, "rules-form")
    assert shown["vip_head_start"] == [entry] and shown["running_text"] == ["今日理财讲座"]
    assert shown["recall_limit"] == ["5"]
    settings = QueueSettings.objects.get(branch=org.a1)
    assert (settings.version, settings.vip_head_start_s, settings.recall_limit) == (1, 600, 3)
    assert settings.running_text == ""


def test_no_calls_or_no_minutes_are_not_a_rule(login, org):
    client = login(org.manager)
    fields = opened(client, RULES, "rules-form")
    refused = client.post(RULES, typed(fields, recall_limit="0", target_wait_minutes="0"))
    assert refused.content.decode().count("确保该值大于或等于1") == 2
    assert QueueSettings.objects.get(branch=org.a1).recall_limit == 3


def test_a_clash_on_a_duration_is_named_in_minutes_and_mended(login, org):
    actions.ensure_settings(org.a1)
    first = opened(login(org.admin), RULES, "rules-form")
    second = opened(login(org.manager), RULES, "rules-form")
    login(org.admin).post(RULES, typed(first, vip_head_start="5"))
    clash = login(org.manager).post(RULES, typed(second, vip_head_start="3"))
    text = clash.content.decode()
    assert "别人修改了" in text and "VIP 优先时长（分钟）" in text and "秒" not in text
    assert QueueSettings.objects.get(branch=org.a1).vip_head_start_s == 300
    mended = _fields(clash, "rules-form")
    assert mended["vip_head_start"] == ["3"] and mended["initial-vip_head_start"] == ["5"]
    assert login(org.manager).post(RULES, mended).status_code == 302  # knowingly kept
    assert QueueSettings.objects.get(branch=org.a1).vip_head_start_s == 180


# -- the hall -----------------------------------------------------------------------------------
def test_a_number_given_by_staff_is_checked_and_kept_as_typed(login, org, hall, at_ten):
    client = login(org.agent_a1)
    data = {"branch": "A1", "service": "B", "priority": "elderly", "phone": "12345"}
    refused = client.post("/queues/issue/", data)
    text = refused.content.decode()
    assert refused.status_code == 200 and "请填写 11 位手机号码" in text
    assert 'value="12345"' in text
    assert '<option value="B" selected>' in text and '<option value="elderly" selected>' in text
    unknown = client.post("/queues/issue/", {**data, "service": "Z", "phone": ""})
    assert "请选择业务" in unknown.content.decode()
    assert client.post("/queues/issue/", {**data, "branch": "B1"}).status_code == 404
    assert not QueueTicket.objects.exists()
    given = client.post("/queues/issue/", {**data, "phone": "+86 139-0000-1234"})
    assert given.status_code == 302
    ticket = QueueTicket.objects.get()
    assert (ticket.service, ticket.priority, ticket.phone) == (
        hall.business,
        "elderly",
        "13900001234",
    )


def test_a_booking_is_checked_and_kept_as_typed(login, org, hall, at_ten):
    client = login(org.agent_a1)
    data = {
        "branch": "A1",
        "service": "B",
        "at": "明天上午",
        "name": "王芳",
        "phone": "13900139000",
    }
    refused = client.post("/queues/book/", data)
    text = refused.content.decode()
    assert "请填写预约日期和时间" in text
    assert 'value="明天上午"' in text and 'value="王芳"' in text and 'value="13900139000"' in text
    past = client.post("/queues/book/", {**data, "at": "2026-11-24T09:00"})  # an hour ago
    assert past.status_code == 200 and 'value="2026-11-24T09:00"' in past.content.decode()
    assert not Appointment.objects.exists()
    booked = client.post("/queues/book/", {**data, "at": "2026-11-24T11:30"})
    assert booked.status_code == 302
    appointment = Appointment.objects.get()
    assert appointment.scheduled_at == timezone.make_aware(dt.datetime(2026, 11, 24, 11, 30))
    assert (appointment.service, appointment.name) == (hall.business, "王芳")


def test_a_note_too_long_is_refused_at_the_counter_and_kept(login, org, hall, at_ten):
    actions.take_number("kiosk:test", org.a1, hall.personal)
    client = login(org.agent_a1)
    counter = hall.counters[1]
    client.post(f"/queues/counter/{counter.pk}/open/")
    client.post(f"/queues/counter/{counter.pk}/next/")
    note = "客户回去取身份证" * 30
    refused = client.post(f"/queues/counter/{counter.pk}/park/", {"note": note})
    text = refused.content.decode()
    assert "备注请不超过 200 个字" in text and f'value="{note}"' in text
    assert QueueTicket.objects.get().status == "called"
    client.post(f"/queues/counter/{counter.pk}/park/", {"note": note[:200]})
    assert QueueTicket.objects.get().status == "parked"


def test_back_in_line_goes_back_only_to_a_page_of_this_site(login, org, hall, at_ten):
    ticket, _token = actions.take_number("kiosk:test", org.a1, hall.personal)
    actions.open_counter(org.agent_a1, hall.counters[1])
    actions.call_next(org.agent_a1, hall.counters[1])
    actions.park(org.agent_a1, hall.counters[1])
    back = login(org.agent_a1).post(
        f"/queues/tickets/{ticket.pk}/resume/", {"next": "https://evil.example/"}
    )
    assert back.status_code == 302 and back["Location"] == "/queues/"
    assert QueueTicket.objects.get().status == "waiting"


def test_a_bad_set_up_row_is_told_and_kept(login, org, hall, at_ten):
    client = login(org.manager)
    url = f"/queues/setup/?branch={org.a1.code}"
    refused = client.post(
        url, {"kind": "service", "prefix": "C", "name": "外汇", "position": "x", "active": "on"}
    )
    text = refused.content.decode()
    assert "取号机上的顺序请填写从 0 起的整数" in text and 'value="x"' in text
    stale = client.post(url, {"kind": "shelf", "prefix": "C", "name": "外汇"}, follow=True)
    assert "此页面已过期" in stale.content.decode()
    old_version = client.post(
        url,
        {"kind": "service", "pk": hall.personal.pk, "prefix": "A", "name": "个人", "version": "v"},
    )
    assert "此页面已过期" in old_version.content.decode()
    assert not ServiceType.objects.filter(prefix="C").exists()
    assert ServiceType.objects.get(pk=hall.personal.pk).name == "个人业务"


# -- the customers' pages -----------------------------------------------------------------------
def test_the_phone_page_tells_a_bad_phone_and_keeps_the_choices(client, org, hall, at_ten):
    url = f"/q/door/{actions.ensure_settings(org.a1).door_key}/"
    refused = client.post(url, {"service": "B", "phone": "555", "elderly": "1"})
    text = refused.content.decode()
    assert "请填写 11 位手机号码" in text and 'value="555"' in text
    assert 'value="B" required checked' in text and 'name="elderly" value="1" checked' in text
    assert "请选择业务" in client.post(url, {"service": "Z"}).content.decode()
    assert not QueueTicket.objects.exists()
    assert client.post(url, {"service": "B", "phone": "139 0000 1234"}).status_code == 302
    assert QueueTicket.objects.get().phone == "13900001234"


def test_the_kiosk_tells_a_bad_phone_without_showing_it_to_the_next_customer(
    client, org, hall, at_ten
):
    url = f"/q/kiosk/{actions.ensure_settings(org.a1).kiosk_key}/"
    refused = client.post(url, {"service": "A", "vip": "1", "phone": "555"})
    text = refused.content.decode()
    assert "请填写 11 位手机号码" in text and 'value="555"' not in text
    assert not QueueTicket.objects.exists()


# -- the analysis pages -------------------------------------------------------------------------
def test_bad_figures_on_the_analysis_pages_are_told_and_kept(login, org, hall):
    client = login(org.manager)
    staffing = client.get("/queues/staffing/?branch=A1&weekday=0&target=abc&within=7.5")
    assert "目标比例" in staffing.context["problem"] and "plan" not in staffing.context
    text = staffing.content.decode()
    assert 'value="abc"' in text and 'value="7.5"' in text
    simulate = client.get("/queues/simulate/?branch=A1&weekday=0&extra=9")
    assert "增开可办所有业务的窗口数" in simulate.context["problem"]
    assert 'value="9"' in simulate.content.decode() and "result" not in simulate.context
    stats = client.get("/queues/stats/?branch=A1&start=2026-13-01&end=2026-11-30")
    assert "从" in stats.context["problem"]
    assert stats.context["end"] == dt.date(2026, 11, 30)


# -- reading never writes -----------------------------------------------------------------------
def test_reading_the_rules_never_writes(org):
    settings = config.settings_for(org.a1)
    assert settings.pk is None and settings.vip_head_start_s == 600 and not settings.kiosk_key
    assert config.policy_for(org.a1).head_start["vip"] == 600.0
    assert not QueueSettings.objects.exists()
    stored = actions.ensure_settings(org.a1)
    assert stored.pk and stored.kiosk_key and stored.kiosk_key != stored.board_key
    assert actions.ensure_settings(org.a1) == stored == config.settings_for(org.a1)
    assert QueueSettings.objects.count() == 1
