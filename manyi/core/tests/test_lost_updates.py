"""No lost updates: two people editing one shared record at the same time both keep their
change when they change different fields, and the second is told (409 on the API, a
message on the page) when they change the same one. On both databases; the threaded test
races real transactions."""

from __future__ import annotations

import threading
from html.parser import HTMLParser

import pytest
from django.db import connection

from manyi.core.versioning import EditConflict
from manyi.customers import actions as customer_actions
from manyi.customers.models import Customer
from manyi.org.actions import SYSTEM
from manyi.queues import actions as queue_actions
from manyi.queues.models import Counter, QueueSettings, ServiceType
from manyi.surveys import actions as survey_actions
from manyi.surveys import reading as survey_reading
from manyi.tickets import actions as ticket_actions
from manyi.tickets.models import SLAPolicy, Ticket


class _Form(HTMLParser):
    """What a browser posts from one form of a page: its own inputs and those outside it
    that name it with form="..."."""

    def __init__(self, form_id: str) -> None:
        super().__init__()
        self.form_id = form_id
        self.inside = False
        self.fields: dict[str, list[str]] = {}
        self._select: str | None = None
        self._options: list[tuple[str, bool]] = []
        self._textarea: str | None = None

    def _mine(self, attrs: dict[str, str]) -> bool:
        return attrs.get("form") == self.form_id or (self.inside and "form" not in attrs)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form" and a.get("id") == self.form_id:
            self.inside = True
        if tag == "input" and a.get("name") and self._mine(a):
            if a.get("type") in ("checkbox", "radio"):
                if "checked" in a:
                    self.fields.setdefault(a["name"], []).append(a.get("value") or "on")
            elif a.get("type") != "submit":
                self.fields.setdefault(a["name"], []).append(a.get("value", ""))
        elif tag == "select" and self._mine(a):
            self._select, self._options = a.get("name"), []
        elif tag == "option" and self._select:
            self._options.append((a.get("value", ""), "selected" in a))
        elif tag == "textarea" and self._mine(a):
            self._textarea = a.get("name")
            self.fields[self._textarea] = [""]

    def handle_data(self, data: str) -> None:
        if self._textarea:
            self.fields[self._textarea][0] += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "form" and self.inside:
            self.inside = False
        elif tag == "select" and self._select:
            chosen = [v for v, selected in self._options if selected] or [
                v for v, _s in self._options[:1]
            ]
            self.fields[self._select] = chosen
            self._select = None
        elif tag == "textarea":
            self._textarea = None


def opened(client, url: str, form_id: str) -> dict[str, list[str]]:
    """Open the page and read the form as the browser would post it."""
    page = client.get(url)
    assert page.status_code == 200
    parser = _Form(form_id)
    parser.feed(page.content.decode())
    assert parser.fields, f"no form {form_id} on {url}"
    return parser.fields


def typed(fields: dict[str, list[str]], **values: str) -> dict[str, list[str]]:
    return {**fields, **{name: [value] for name, value in values.items()}}


@pytest.fixture
def customer(org) -> Customer:
    return customer_actions.create_customer(
        SYSTEM, branch=org.a1, name="王芳", contacts=[("mobile", "13900139000")]
    )


# -- the API: ETag and If-Match --------------------------------------------------------------
@pytest.mark.django_db
def test_two_api_clients_editing_different_fields_of_a_customer_both_keep_theirs(
    api, org, customer
):
    first, second = api(org.agent_a1), api(org.supervisor_a1)
    seen = first.get(f"/customers/{customer.pk}")
    assert seen.status_code == 200 and seen["ETag"] == '"1"' and seen.json()["version"] == 1
    etag = seen["ETag"]
    one = first.patch(
        f"/customers/{customer.pk}", {"occupation": "教师"}, headers={"If-Match": etag}
    )
    assert one.status_code == 200 and one["ETag"] == '"2"'
    two = second.patch(
        f"/customers/{customer.pk}", {"address": "上海市浦东新区"}, headers={"If-Match": etag}
    )
    assert two.status_code == 200, two.json()
    customer.refresh_from_db()
    assert (customer.occupation, customer.address) == ("教师", "上海市浦东新区")
    assert customer.version == 3


@pytest.mark.django_db
def test_the_same_field_changed_meanwhile_answers_409_naming_it_and_keeps_the_first(
    api, org, customer
):
    etag = api(org.agent_a1).get(f"/customers/{customer.pk}")["ETag"]
    api(org.agent_a1).patch(
        f"/customers/{customer.pk}", {"occupation": "教师"}, headers={"If-Match": etag}
    )
    late = api(org.supervisor_a1).patch(
        f"/customers/{customer.pk}",
        {"occupation": "医生", "address": "杭州"},
        headers={"If-Match": etag, "Accept-Language": "zh-hans"},
    )
    assert late.status_code == 409
    body = late.json()
    assert body["code"] == "edit_conflict" and body["version"] == 2
    assert [d["field"] for d in body["details"]] == ["occupation"]
    assert "职业" in body["message"] and "occupation" not in body["message"]
    customer.refresh_from_db()
    assert (customer.occupation, customer.address) == ("教师", "")  # nothing of the late one
    retried = api(org.supervisor_a1).patch(  # from the version it now read: accepted
        f"/customers/{customer.pk}", {"occupation": "医生"}, headers={"If-Match": '"2"'}
    )
    assert retried.status_code == 200 and retried.json()["occupation"] == "医生"


@pytest.mark.django_db
def test_setting_a_field_to_the_value_it_already_has_is_no_conflict(api, org, customer):
    etag = api(org.agent_a1).get(f"/customers/{customer.pk}")["ETag"]
    api(org.agent_a1).patch(f"/customers/{customer.pk}", {"tier": "vip"})
    same = api(org.supervisor_a1).patch(
        f"/customers/{customer.pk}", {"tier": "vip"}, headers={"If-Match": etag}
    )
    assert same.status_code == 200


@pytest.mark.django_db
def test_without_if_match_only_the_fields_sent_are_written(api, org, customer):
    """A client that sends no If-Match still never writes back fields it did not send."""
    stale = Customer.objects.get(pk=customer.pk)
    api(org.agent_a1).patch(f"/customers/{customer.pk}", {"occupation": "教师"})
    customer_actions.update_customer(SYSTEM, stale, address="南京")  # an old copy in hand
    customer.refresh_from_db()
    assert (customer.occupation, customer.address) == ("教师", "南京")


@pytest.mark.django_db
def test_tags_are_versioned_like_fields(api, org, customer):
    etag = api(org.agent_a1).get(f"/customers/{customer.pk}")["ETag"]
    api(org.agent_a1).patch(
        f"/customers/{customer.pk}", {"tags": ["老客户"]}, headers={"If-Match": etag}
    )
    late = api(org.supervisor_a1).patch(
        f"/customers/{customer.pk}", {"tags": ["投诉多"]}, headers={"If-Match": etag}
    )
    assert late.status_code == 409 and late.json()["details"][0]["field"] == "tags"
    assert sorted(customer.tags.values_list("name", flat=True)) == ["老客户"]


@pytest.mark.django_db
@pytest.mark.parametrize("header", ['"abc"', '"99"', '"0"', "x" * 40])
def test_a_malformed_or_unknown_if_match_is_refused_with_400(api, org, customer, header):
    response = api(org.agent_a1).patch(
        f"/customers/{customer.pk}", {"occupation": "教师"}, headers={"If-Match": header}
    )
    assert response.status_code == 400, response.content
    customer.refresh_from_db()
    assert customer.occupation == ""


@pytest.mark.django_db
def test_staff_edits_through_the_api_are_versioned(api, org):
    staff = org.agent_a2.staff
    etag = api(org.admin).get(f"/org/staff/{staff.pk}")["ETag"]
    ok = api(org.admin).patch(
        f"/org/staff/{staff.pk}", {"name": "李四"}, headers={"If-Match": etag}
    )
    assert ok.status_code == 200
    phone = api(org.admin).patch(
        f"/org/staff/{staff.pk}", {"phone": "13800000000"}, headers={"If-Match": etag}
    )
    assert phone.status_code == 200  # another field: kept
    late = api(org.admin).patch(
        f"/org/staff/{staff.pk}", {"name": "王五"}, headers={"If-Match": etag}
    )
    assert late.status_code == 409
    staff.refresh_from_db()
    assert (staff.name, staff.phone) == ("李四", "13800000000")


# -- the ticket's analysis -------------------------------------------------------------------
@pytest.fixture
def ticket(org, customer) -> Ticket:
    ticket = ticket_actions.create_ticket(
        org.agent_a1, branch=org.a1, customer=customer, channel="phone", subject="洗衣机漏水"
    )
    ticket_actions.assign(org.agent_a1, ticket, assignee=org.agent_a1.staff)
    return ticket


@pytest.mark.django_db
def test_two_agents_analysing_one_ticket_on_its_page_keep_both_changes(login, org, ticket):
    url = f"/tickets/{ticket.pk}/"
    mine = opened(login(org.agent_a1), url, "investigate-form")
    theirs = opened(login(org.supervisor_a1), url, "investigate-form")
    step = f"/tickets/{ticket.pk}/step/investigate/"
    login(org.supervisor_a1).post(step, typed(theirs, severity="3"))
    login(org.agent_a1).post(step, typed(mine, cause="排水管老化"))
    ticket.refresh_from_db()
    assert (ticket.cause, ticket.severity) == ("排水管老化", 3)


@pytest.mark.django_db
def test_the_same_analysis_field_changed_meanwhile_is_refused_on_the_page(login, org, ticket):
    url = f"/tickets/{ticket.pk}/"
    mine = opened(login(org.agent_a1), url, "investigate-form")
    theirs = opened(login(org.supervisor_a1), url, "investigate-form")
    step = f"/tickets/{ticket.pk}/step/investigate/"
    login(org.supervisor_a1).post(step, typed(theirs, cause="安装不当"))
    refused = login(org.agent_a1).post(step, typed(mine, cause="排水管老化"), follow=True)
    ticket.refresh_from_db()
    assert ticket.cause == "安装不当"
    text = refused.content.decode()
    assert "别人修改了" in text and "原因" in text


@pytest.mark.django_db
def test_the_analysis_api_takes_if_match(api, org, ticket):
    path = f"/tickets/{ticket.pk}"
    etag = api(org.agent_a1).get(path)["ETag"]
    first = api(org.agent_a1).post(
        f"{path}/actions/investigate", {"cause": "安装不当"}, headers={"If-Match": etag}
    )
    assert first.status_code == 200
    late = api(org.supervisor_a1).post(
        f"{path}/actions/investigate", {"cause": "排水管老化"}, headers={"If-Match": etag}
    )
    assert late.status_code == 409 and late.json()["code"] == "edit_conflict"
    other = api(org.supervisor_a1).post(
        f"{path}/actions/investigate", {"severity": 2}, headers={"If-Match": etag}
    )
    assert other.status_code == 200  # another field from the same version: kept
    ticket.refresh_from_db()
    assert (ticket.cause, ticket.severity) == ("安装不当", 2)


# -- configuration pages ---------------------------------------------------------------------
@pytest.mark.django_db
def test_two_configurers_editing_one_sla_target(login, org):
    policy = SLAPolicy.objects.create(
        name="全部工单", first_response_minutes=60, resolution_minutes=600
    )
    url = f"/tickets/configuration/sla/{policy.pk}/"
    admin_page = opened(login(org.admin), url, "config-form")
    manager_page = opened(login(org.manager), url, "config-form")
    saved = login(org.admin).post(url, typed(admin_page, first_response_minutes="30"))
    assert saved.status_code == 302
    kept = login(org.manager).post(url, typed(manager_page, resolution_minutes="480"))
    assert kept.status_code == 302
    policy.refresh_from_db()
    assert (policy.first_response_minutes, policy.resolution_minutes) == (30, 480)

    manager_page = opened(login(org.manager), url, "config-form")
    login(org.admin).post(url, typed(opened(login(org.admin), url, "config-form"), name="投诉"))
    clash = login(org.manager).post(url, typed(manager_page, name="咨询"))
    assert clash.status_code == 200  # the form again, with the message
    assert "别人修改了" in clash.content.decode()
    policy.refresh_from_db()
    assert policy.name == "投诉"
    parser = _Form("config-form")
    parser.feed(clash.content.decode())
    assert parser.fields["name"] == ["咨询"]  # what the manager typed is still there
    again = login(org.manager).post(url, parser.fields)  # a second save knowingly wins
    assert again.status_code == 302
    policy.refresh_from_db()
    assert (policy.name, policy.first_response_minutes) == ("咨询", 30)


@pytest.mark.django_db
def test_two_managers_editing_a_branchs_queue_rules(login, org):
    queue_actions.ensure_settings(org.a1)
    url = "/queues/rules/?branch=A1"
    first = opened(login(org.admin), url, "rules-form")
    second = opened(login(org.manager), url, "rules-form")
    login(org.admin).post(url, typed(first, recall_limit="5"))
    login(org.manager).post(url, typed(second, running_text="今日理财讲座"))
    settings = QueueSettings.objects.get(branch=org.a1)
    assert (settings.recall_limit, settings.running_text) == (5, "今日理财讲座")
    clash = login(org.manager).post(url, typed(second, recall_limit="2"))
    assert "别人修改了" in clash.content.decode()
    settings.refresh_from_db()
    assert settings.recall_limit == 5


@pytest.mark.django_db
def test_a_set_up_row_saved_from_an_old_page_does_not_overwrite_a_newer_change(org):
    service = queue_actions.save_service_type(org.manager, org.a1, prefix="A", name="个人业务")
    seen = service.version
    queue_actions.save_service_type(
        org.manager, org.a1, service=service, prefix="A", name="个人现金业务", seen=seen
    )
    with pytest.raises(EditConflict):
        queue_actions.save_service_type(  # the old page posts its old name with a new order
            org.manager, org.a1, service=service, prefix="A", name="个人业务", position=3, seen=seen
        )
    service.refresh_from_db()
    assert (service.name, service.position) == ("个人现金业务", 0)
    counter = queue_actions.save_counter(org.manager, org.a1, number=1, services=[service])
    queue_actions.save_counter(
        org.manager, org.a1, counter=counter, number=1, name="1号窗口", services=[service], seen=1
    )
    with pytest.raises(EditConflict):
        queue_actions.save_counter(
            org.manager, org.a1, counter=counter, number=1, name="", services=[service], seen=1
        )
    assert Counter.objects.get(pk=counter.pk).name == "1号窗口"
    assert ServiceType.objects.get(pk=service.pk).version == 2


@pytest.mark.django_db
def test_a_questionnaire_saved_from_an_old_draft_is_refused_under_its_lock(org, tmp_path):
    from manyi.analytics.tests.test_xlsform import workbook

    path = workbook(tmp_path / "after_sales.xlsx")
    version, _unsupported = survey_actions.import_xlsform(
        SYSTEM, content=path.read_bytes(), file_name=path.name
    )
    questionnaire = version.questionnaire
    base = survey_reading.definition_digest(version.definition)
    edited = dict(version.definition, title="售后回访（新）")
    survey_actions.edit_questionnaire(SYSTEM, questionnaire, edited, base=base)
    other = dict(version.definition, title="售后回访（旧稿）")
    with pytest.raises(survey_actions.QuestionnaireChanged):
        survey_actions.edit_questionnaire(SYSTEM, questionnaire, other, base=base)
    questionnaire.refresh_from_db()
    assert questionnaire.title == "售后回访（新）"


# -- real transactions racing ----------------------------------------------------------------
FIELDS = ["occupation", "address", "company_name", "city", "town", "district", "province"]


@pytest.mark.django_db(transaction=True)
def test_twenty_racing_pairs_editing_different_fields_lose_nothing(org):
    """The probe's case: 20 pairs of people, each pair editing different fields of one
    customer at the same instant from the same version. Before, 16 of 20 lost a change."""
    customers = [
        customer_actions.create_customer(SYSTEM, branch=org.a1, name=f"客户{i}") for i in range(20)
    ]
    errors: list[BaseException] = []

    def edit(customer_id: int, field: str, value: str, start: threading.Barrier) -> None:
        try:
            stale = Customer.objects.get(pk=customer_id)  # both read the same version
            start.wait(timeout=30)
            customer_actions.update_customer(
                org.agent_a1, stale, seen=stale.version, **{field: value}
            )
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    for i, customer in enumerate(customers):
        a, b = FIELDS[i % len(FIELDS)], FIELDS[(i + 1) % len(FIELDS)]
        start = threading.Barrier(2)
        pair = [
            threading.Thread(target=edit, args=(customer.pk, a, f"甲{i}", start)),
            threading.Thread(target=edit, args=(customer.pk, b, f"乙{i}", start)),
        ]
        for thread in pair:
            thread.start()
        for thread in pair:
            thread.join(timeout=60)
    assert not errors, errors
    for i, customer in enumerate(customers):
        a, b = FIELDS[i % len(FIELDS)], FIELDS[(i + 1) % len(FIELDS)]
        customer.refresh_from_db()
        assert (getattr(customer, a), getattr(customer, b)) == (f"甲{i}", f"乙{i}")
        assert customer.version == 3


@pytest.mark.django_db(transaction=True)
def test_racing_edits_of_the_same_field_keep_one_and_refuse_the_other(org):
    customer = customer_actions.create_customer(SYSTEM, branch=org.a1, name="赵敏")
    outcomes: list[str] = []
    start = threading.Barrier(2)

    def edit(value: str) -> None:
        try:
            stale = Customer.objects.get(pk=customer.pk)
            start.wait(timeout=30)
            customer_actions.update_customer(
                org.agent_a1, stale, seen=stale.version, occupation=value
            )
            outcomes.append(f"saved {value}")
        except Exception as exc:
            outcomes.append(type(exc).__name__)
        finally:
            connection.close()

    threads = [threading.Thread(target=edit, args=(v,)) for v in ("教师", "医生")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(o.split()[0] for o in outcomes) == ["EditConflict", "saved"], outcomes
    customer.refresh_from_db()
    assert f"saved {customer.occupation}" in outcomes
