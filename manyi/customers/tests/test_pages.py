"""A customer entered and changed on a page, and purchases entered by hand: the forms, the
version seen, the masking of personal data, who may do it."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from html.parser import HTMLParser

import pytest
from django.utils import timezone
from django.utils.translation import gettext as _

from manyi.core.masking import mask
from manyi.core.models import EventRecord
from manyi.customers import actions
from manyi.customers.models import Contact, Customer, Transaction
from manyi.org.actions import SYSTEM
from manyi.org.models import AuditEntry


class _FormReader(HTMLParser):
    """What a browser would send for the page's form `form_id`, as the page shows it."""

    def __init__(self, form_id: str) -> None:
        super().__init__()
        self.form_id, self.inside, self.data = form_id, False, []
        self._select: str | None = None
        self._options: list[tuple[str, bool]] = []
        self._textarea: str | None = None

    def handle_starttag(self, tag: str, attrs: list) -> None:
        a = dict(attrs)
        if tag == "form":
            self.inside = a.get("id") == self.form_id
        if not self.inside:
            return
        if tag == "input" and a.get("name"):
            kind = a.get("type", "text")
            if kind in ("checkbox", "radio"):
                if "checked" in a:
                    self.data.append((a["name"], a.get("value", "on")))
            elif kind not in ("submit", "button", "file"):
                self.data.append((a["name"], a.get("value") or ""))
        elif tag == "select":
            self._select, self._options = a.get("name"), []
        elif tag == "option" and self._select:
            self._options.append((a.get("value", ""), "selected" in a))
        elif tag == "textarea":
            self._textarea = a.get("name")
            self.data.append((self._textarea, ""))

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self.inside = False
        if tag == "select" and self._select:
            chosen = [v for v, selected in self._options if selected] or [
                v for v, _s in self._options[:1]
            ]
            self.data += [(self._select, v) for v in chosen]
            self._select = None
        if tag == "textarea":
            self._textarea = None

    def handle_data(self, data: str) -> None:
        if self._textarea:
            name, old = self.data[-1]
            self.data[-1] = (name, old + data)


def form_data(html: str, form_id: str, **changes: str | list[str]) -> dict[str, list[str]]:
    """The form as the page filled it, with `changes` typed in (a list: several values)."""
    reader = _FormReader(form_id)
    reader.feed(html)
    data: dict[str, list[str]] = {}
    for name, value in reader.data:
        data.setdefault(name, []).append(value)
    for name, value in changes.items():
        data[name] = value if isinstance(value, list) else [value]
    return data


@pytest.fixture
def li(org):
    return actions.create_customer(
        SYSTEM,
        branch=org.a1,
        name="李雷",
        contacts=[("phone", "13512345678"), ("email", "li.lei@example.com")],
        tags=["老客户"],
        address="上海市浦东新区陆家嘴环路1000号",
        id_number="110101199003071234",
        tier="vip",
        external_key="L001",
    )


# --- a new customer -----------------------------------------------------------------------
def test_the_new_customer_page_explains_the_grades(org, login):
    page = login(org.supervisor_a1).get("/customers/new/").content.decode()
    for _code, label in Customer.Relationship.choices:
        assert str(label) in page  # each grade says what it means where it is chosen
    assert str(Customer._meta.get_field("relationship").help_text) in page
    assert 'name="kind"' in page and 'name="callback_consent"' in page


def test_a_person_created_on_the_page(org, login):
    client = login(org.supervisor_a1)
    html = client.get("/customers/new/").content.decode()
    data = form_data(
        html,
        "customer-form",
        name="韩梅梅",
        gender="female",
        birth_year="1990",
        id_number="110101199003071234",
        address="上海市浦东新区世纪大道100号",
        tier="key",
        relationship="A",
        tags="理财偏好、老客户",
        callback_consent="on",
        callback_from="09:00",
        callback_until="12:00",
        preferred_channel="phone",
        **{
            "contact-0-kind": "mobile",
            "contact-0-value": "+86 138-0013-8000",
            "contact-1-kind": "email",
            "contact-1-value": "Han@Example.com",
        },
    )
    response = client.post("/customers/new/", data)
    assert response.status_code == 302, response.content.decode()[:2000]
    han = Customer.objects.get(name="韩梅梅")
    assert response["Location"] == f"/customers/{han.pk}/"
    assert (han.kind, han.gender, han.birth_year, han.tier, han.relationship) == (
        "person",
        "female",
        1990,
        "key",
        "A",
    )
    assert han.callback_consent and han.callback_from == dt.time(9) and han.branch == org.a1
    assert han.callback_until == dt.time(12) and han.preferred_channel == "phone"
    assert han.id_number == "110101199003071234" and han.name_initials == "hmm"
    assert sorted(han.tags.values_list("name", flat=True)) == ["理财偏好", "老客户"]
    contacts = list(han.contacts.order_by("pk").values_list("kind", "normalized", "is_primary"))
    assert contacts == [("mobile", "13800138000", True), ("email", "han@example.com", False)]
    assert han.external_key.startswith("C")  # a number was given
    entry = AuditEntry.objects.get(action="customers.customer.create")
    assert entry.actor == org.supervisor_a1 and entry.after["id_number"] == "110***********1234"
    card = client.get(f"/customers/{han.pk}/").content.decode()
    assert str(Customer.Relationship.A.label) in card


def test_an_organisation_with_its_own_number(org, login):
    client = login(org.agent_a1)
    data = form_data(
        client.get("/customers/new/").content.decode(),
        "customer-form",
        kind="organisation",
        name="申江贸易有限公司",
        external_key="ORG-7",
        relationship="B",
        **{"contact-0-kind": "landline", "contact-0-value": "021-62345678"},
    )
    assert client.post("/customers/new/", data).status_code == 302
    shop = Customer.objects.get(external_key="ORG-7")
    assert (shop.kind, shop.relationship, shop.branch) == ("organisation", "B", org.a1)
    assert shop.contacts.get().kind == "landline"


def test_bad_input_is_told_and_nothing_is_stored(org, login, li):
    client = login(org.supervisor_a1)
    html = client.get("/customers/new/").content.decode()
    data = form_data(
        html,
        "customer-form",
        name="",
        birth_year="1800",
        callback_from="12:00",
        callback_until="09:00",
        external_key="L001",  # taken
        **{"contact-0-kind": "mobile", "contact-0-value": "12345"},
    )
    response = client.post("/customers/new/", data)
    page = response.content.decode()
    assert response.status_code == 200
    assert _("The birth year runs from 1900 to this year.") in page
    assert _("The call-back time must end after it starts.") in page
    assert "“12345”" in page  # the contact that is not a phone number, named
    assert Customer.objects.count() == 1  # only 李雷


# --- changing a customer -------------------------------------------------------------------
def test_the_edit_page_changes_only_what_was_changed(org, login, li):
    client = login(org.supervisor_a1)
    html = client.get(f"/customers/{li.pk}/edit/").content.decode()
    data = form_data(html, "customer-form", tier="key", relationship="C", tags="老客户、车主")
    response = client.post(f"/customers/{li.pk}/edit/", data)
    assert response.status_code == 302, response.content.decode()[:3000]
    li.refresh_from_db()
    assert (li.tier, li.relationship) == ("key", "C")
    assert sorted(li.tags.values_list("name", flat=True)) == ["老客户", "车主"]
    # the personal fields, never in the page, are as they were
    assert li.address == "上海市浦东新区陆家嘴环路1000号"
    assert li.id_number == "110101199003071234"
    entry = AuditEntry.objects.get(action="customers.customer.update")
    assert set(entry.after) == {"tier", "relationship", "tags"}


def test_a_change_made_meanwhile_is_not_overwritten(org, login, li):
    client = login(org.supervisor_a1)
    html = client.get(f"/customers/{li.pk}/edit/").content.decode()
    # a colleague changes the tier and the occupation after the page was opened
    actions.update_customer(org.manager, li, tier="small", occupation="教师")
    mine = form_data(html, "customer-form", tier="key", family="已婚")
    response = client.post(f"/customers/{li.pk}/edit/", mine)
    page = response.content.decode()
    assert response.status_code == 200 and "edit_conflict" not in page
    li.refresh_from_db()
    assert (li.tier, li.occupation, li.family) == ("small", "教师", "")  # nothing of mine saved
    assert str(Customer._meta.get_field("tier").verbose_name) in page  # the field is named
    # the page again: my values kept, as an edit of the new version; saving it keeps mine
    again = form_data(page, "customer-form")
    assert again["tier"] == ["key"] and again["version"] == [str(li.version)]
    assert client.post(f"/customers/{li.pk}/edit/", again).status_code == 302
    li.refresh_from_db()
    assert (li.tier, li.occupation, li.family) == ("key", "教师", "已婚")


def test_a_colleagues_change_to_another_field_is_kept(org, login, li):
    client = login(org.supervisor_a1)
    html = client.get(f"/customers/{li.pk}/edit/").content.decode()
    actions.update_customer(org.manager, li, occupation="教师")
    assert client.post(f"/customers/{li.pk}/edit/", form_data(html, "customer-form", tier="key"))[
        "Location"
    ] == (f"/customers/{li.pk}/")
    li.refresh_from_db()
    assert (li.tier, li.occupation) == ("key", "教师")


def test_personal_data_is_not_in_the_page_for_one_who_may_not_unmask(org, login, li):
    client = login(org.agent_a1)  # agents may change customers but not unmask
    page = client.get(f"/customers/{li.pk}/edit/").content.decode()
    for secret in ("陆家嘴环路1000号", "199003071234", "13512345678", "li.lei@example.com"):
        assert secret not in page
    assert mask("address", li.address) in page and mask("id_number", li.id_number) in page
    assert mask("phone", "13512345678") in page
    assert 'class="reveal' not in page  # no "show" button either
    supervisor = login(org.supervisor_a1).get(f"/customers/{li.pk}/edit/").content.decode()
    assert "陆家嘴环路1000号" not in supervisor and 'class="reveal' in supervisor  # shown on asking


def test_the_masked_text_never_overwrites_the_stored_value(org, login, li):
    client = login(org.agent_a1)
    html = client.get(f"/customers/{li.pk}/edit/").content.decode()
    masked = mask("address", li.address)
    response = client.post(
        f"/customers/{li.pk}/edit/", form_data(html, "customer-form", address=masked)
    )
    assert response.status_code == 200
    assert "这是脱敏后的值" in response.content.decode()
    li.refresh_from_db()
    assert li.address == "上海市浦东新区陆家嘴环路1000号"
    # a new value replaces it; "remove" clears the ID number
    data = form_data(html, "customer-form", address="杭州市西湖区文三路1号", clear_id_number="on")
    assert client.post(f"/customers/{li.pk}/edit/", data).status_code == 302
    li.refresh_from_db()
    assert (li.address, li.id_number) == ("杭州市西湖区文三路1号", "")
    entry = AuditEntry.objects.filter(action="customers.customer.update").latest("pk")
    assert entry.after["address"] == mask("address", "杭州市西湖区文三路1号")  # masked in the trail


def test_contacts_removed_and_added_with_one_timeline_line(
    org, login, li, django_capture_on_commit_callbacks
):
    client = login(org.supervisor_a1)
    html = client.get(f"/customers/{li.pk}/edit/").content.decode()
    phone = li.contacts.get(kind="mobile")
    data = form_data(
        html,
        "customer-form",
        remove_contacts=[str(phone.pk)],
        occupation="医生",
        **{"contact-0-kind": "mobile", "contact-0-value": "13900009999"},
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(f"/customers/{li.pk}/edit/", data).status_code == 302
    values = set(li.contacts.values_list("normalized", flat=True))
    assert values == {"li.lei@example.com", "13900009999"}
    assert li.contacts.filter(is_primary=True).count() == 1  # the removed one was the main one
    removed = AuditEntry.objects.get(action="customers.contact.remove")
    assert removed.before == {"contact_kind": "mobile", "contact": "135****5678"}
    card = client.get(f"/customers/{li.pk}/").content.decode()
    line = re.search(r'<li data-kind="customer.updated">(.*?)</li>', card, re.S).group(1)
    assert str(Customer._meta.get_field("occupation").verbose_name) in line
    assert str(Contact._meta.verbose_name_plural) in line and "occupation" not in line


def test_a_bad_new_contact_saves_nothing(org, login, li):
    client = login(org.supervisor_a1)
    html = client.get(f"/customers/{li.pk}/edit/").content.decode()
    data = form_data(
        html,
        "customer-form",
        tier="key",
        **{"contact-0-kind": "email", "contact-0-value": "not-an-address"},
    )
    response = client.post(f"/customers/{li.pk}/edit/", data)
    assert response.status_code == 200 and "not-an-address" in response.content.decode()
    li.refresh_from_db()
    assert li.tier == "vip" and li.contacts.count() == 2


def test_who_may_add_and_change(org, login, li):
    analyst = login(org.analyst)
    for url in (
        "/customers/new/",
        f"/customers/{li.pk}/edit/",
        f"/customers/{li.pk}/purchases/new/",
        "/customers/purchases/import/",
    ):
        assert analyst.get(url).status_code == 403, url
    assert analyst.post("/customers/new/", {"name": "x", "branch": org.a1.pk}).status_code == 403
    listing = analyst.get("/customers/").content.decode()
    card = analyst.get(f"/customers/{li.pk}/").content.decode()
    assert "/customers/new/" not in listing and "/purchases/import/" not in listing
    assert f"/customers/{li.pk}/edit/" not in card and "/purchases/new/" not in card
    assert analyst.get(f"/customers/{li.pk}/purchases/").status_code == 200  # reading is fine
    other = login(org.agent_b1)  # another branch: the customer does not exist for them
    assert other.get(f"/customers/{li.pk}/edit/").status_code == 404
    agent = login(org.agent_a1)
    assert 'id="new-customer"' in agent.get("/customers/").content.decode()
    assert 'id="edit-customer"' in agent.get(f"/customers/{li.pk}/").content.decode()


def test_a_merged_record_is_changed_where_it_went(org, login, li):
    twin = actions.create_customer(SYSTEM, branch=org.a1, name="李雷")
    actions.merge_customers(SYSTEM, li, [twin])
    client = login(org.supervisor_a1)
    assert client.get(f"/customers/{twin.pk}/edit/")["Location"] == f"/customers/{li.pk}/"
    assert 'id="edit-customer"' not in client.get(f"/customers/{twin.pk}/").content.decode()


# --- purchases by hand -------------------------------------------------------------------
def test_a_purchase_entered_by_hand_shows_on_the_card(org, login, li):
    client = login(org.agent_a1)
    html = client.get(f"/customers/{li.pk}/purchases/new/").content.decode()
    data = form_data(
        html,
        "purchase-form",
        product="大额存单",
        category="存款",
        amount="200000.50",
        occurred_at="2026-03-01T10:30",
        channel="store",
        promotion="开门红",
        external_ref="D-001",
    )
    response = client.post(f"/customers/{li.pk}/purchases/new/", data)
    assert response.status_code == 302, response.content.decode()[:3000]
    row = Transaction.objects.get(customer=li)
    assert (row.amount, row.quantity, row.channel, row.branch) == (
        Decimal("200000.50"),
        Decimal("1"),
        "store",
        org.a1,
    )
    assert timezone.localtime(row.occurred_at).strftime("%Y-%m-%d %H:%M") == "2026-03-01 10:30"
    assert AuditEntry.objects.filter(action="customers.transaction.record").exists()
    assert EventRecord.objects.filter(name="customer.transaction_recorded").exists()
    card = client.get(f"/customers/{li.pk}/").content.decode()
    figure = re.search(r'data-figure="lifetime_revenue"><span class="value">([^<]*)', card)
    assert figure.group(1) == "¥200,000.50"
    purchases = re.search(r'<section class="card" id="purchases">(.*?)</section>', card, re.S)
    assert "大额存单" in purchases.group(1) and "D-001" in purchases.group(1)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"amount": "12.345"}, None),  # Django's own: at most 2 decimal places
        ({"amount": "-5"}, "The amount may not be negative."),
        ({"occurred_at": "2099-01-01T10:00"}, "A purchase cannot be in the future."),
        ({"quantity": "0"}, "The quantity must be above zero."),
        ({"product": ""}, None),
    ],
)
def test_a_bad_purchase_is_refused_clearly(org, login, li, changes, message):
    client = login(org.agent_a1)
    html = client.get(f"/customers/{li.pk}/purchases/new/").content.decode()
    data = form_data(html, "purchase-form", **{"product": "基金", "amount": "100", **changes})
    response = client.post(f"/customers/{li.pk}/purchases/new/", data)
    assert response.status_code == 200 and 'class="errorlist' in response.content.decode()
    if message:
        assert _(message) in response.content.decode()
    assert not Transaction.objects.exists()


def test_a_reference_already_recorded_is_refused(org, login, li):
    actions.record_transaction(SYSTEM, li, product="基金", amount="100", external_ref="R1")
    client = login(org.agent_a1)
    html = client.get(f"/customers/{li.pk}/purchases/new/").content.decode()
    data = form_data(html, "purchase-form", product="基金", amount="100", external_ref="R1")
    page = client.post(f"/customers/{li.pk}/purchases/new/", data).content.decode()
    assert "“R1”" in page and Transaction.objects.count() == 1
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):  # the action refuses it too (not a database error)
        actions.record_transaction(SYSTEM, li, product="基金", amount="1", external_ref="R1")


def test_the_card_lists_the_newest_purchases_and_links_to_all(org, login, li):
    base = dt.datetime(2025, 1, 1, 10, tzinfo=dt.UTC)
    for day in range(30):
        actions.record_transaction(
            SYSTEM,
            li,
            product=f"产品{day:02d}",
            amount="10",
            occurred_at=base + dt.timedelta(days=day),
        )
    client = login(org.analyst)
    card = client.get(f"/customers/{li.pk}/").content.decode()
    section = re.search(r'<section class="card" id="purchases">(.*?)</section>', card, re.S)
    products = re.findall(r"产品\d\d", section.group(1))
    assert products == [f"产品{day:02d}" for day in range(29, 19, -1)]  # newest first, ten
    assert f'href="/customers/{li.pk}/purchases/"' in section.group(1)
    first = client.get(f"/customers/{li.pk}/purchases/").content.decode()
    second = client.get(f"/customers/{li.pk}/purchases/?page=2").content.decode()
    assert re.findall(r"产品\d\d", first)[:2] == ["产品29", "产品28"]
    assert len(re.findall(r"data-purchase=", first)) == 25
    assert re.findall(r"产品\d\d", second) == ["产品04", "产品03", "产品02", "产品01", "产品00"]
