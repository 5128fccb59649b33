"""What a configurer or an agent types is checked where it would break routing: a severity
outside 1-4, an assignment rule that would give tickets to nobody or by chance, an SLA
target no deadline can be found for. Each is refused with its reason, nothing is kept."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation
from django.utils.translation import gettext as _

from manyi.customers import actions as customer_actions
from manyi.org.actions import SYSTEM
from manyi.org.models import AuditEntry
from manyi.tickets import actions, policy
from manyi.tickets.models import ApprovalRule, AssignmentRule, ReasonCode, SLAPolicy, Ticket

pytestmark = pytest.mark.django_db


def _said(response, *texts: str) -> bool:
    """The page says every one of `texts` (in the reader's language)."""
    page = response.content.decode()
    return all(text in page for text in texts)


def test_severity_inputs_start_at_1_and_0_is_refused_in_chinese(org, login):
    client = login(org.manager)
    form = client.get("/tickets/configuration/approval/new/").content.decode()
    field = form[form.index('name="max_severity"') - 30 : form.index('name="max_severity"') + 80]
    assert 'min="1"' in field and 'max="4"' in field and 'min="0"' not in field
    refused = client.post(
        "/tickets/configuration/approval/new/",
        {"role": "supervisor", "rank": 2, "max_amount": "2000", "max_severity": 0},
    )
    assert refused.status_code == 200 and _said(refused, "严重程度的取值为 1 到 4。")
    with pytest.raises(ValidationError, match="1 到 4"):
        actions.save_configuration(
            SYSTEM, ApprovalRule(role="supervisor", rank=2, max_amount=2000, max_severity=5)
        )
    assert not ApprovalRule.objects.exists()

    customer = customer_actions.create_customer(SYSTEM, branch=org.a1, name="赵敏")
    ticket = actions.create_ticket(
        org.agent_a1, branch=org.a1, customer=customer, channel="phone", subject="漏水"
    )
    agent = login(org.agent_a1)
    page = agent.get(f"/tickets/{ticket.pk}/").content.decode()
    for name in ("severity", "word_of_mouth_risk"):
        at = page.index(f'name="{name}"')
        assert 'min="1" max="4"' in page[at - 20 : at + 80], page[at - 20 : at + 80]
    version = Ticket.objects.get(pk=ticket.pk).version
    refused = agent.post(
        f"/tickets/{ticket.pk}/step/investigate/",
        {"version": version, "cause": "漏水", "severity": 0, "word_of_mouth_risk": 1},
    )
    assert refused.status_code == 200 and _said(refused, "取值为 1 到 4。")
    assert Ticket.objects.get(pk=ticket.pk).cause == ""


@pytest.fixture
def card(org) -> ReasonCode:
    return ReasonCode.objects.create(code="C01", name="信用卡盗刷")


def _rule(name: str = "一支行专席", **fields) -> AssignmentRule:
    return AssignmentRule(name=name, **{"strategy": "round_robin", **fields})


def test_an_assignment_rule_that_would_route_to_nobody_or_by_chance_is_refused(org, card):
    def refused(rule: AssignmentRule, pool: list, *words: str) -> None:
        with pytest.raises(ValidationError) as caught:
            actions.save_configuration(SYSTEM, rule, many={"pool": pool})
        said = " ".join(caught.value.messages)
        assert all(w in said for w in words), said

    a1_agent, b1_agent = org.agent_a1.staff, org.agent_b1.staff
    refused(_rule(branch=org.a1), [], _("Choose at least one person for the rule."))
    refused(_rule(branch=org.a1), [b1_agent], b1_agent.name, org.a1.name)
    refused(_rule(branch=org.a1), [org.analyst.staff], org.analyst.staff.name)
    org.agent_a2.is_active = False
    org.agent_a2.save()
    refused(_rule(), [org.agent_a2.staff], org.agent_a2.staff.name)
    retired = ReasonCode.objects.create(code="C02", name="旧卡种", active=False)
    refused(_rule(reason=retired), [a1_agent], "旧卡种")
    assert not AssignmentRule.objects.exists()
    assert not AuditEntry.objects.filter(action__startswith="tickets.config.assignmentrule")

    first = actions.save_configuration(
        SYSTEM, _rule(branch=org.a1, reason=card), many={"pool": [a1_agent]}
    )
    refused(_rule("另一条", branch=org.a1, reason=card), [a1_agent], first.name)
    # Other branches, reasons, and a rule for every branch are separate routes.
    for rule, pool in (
        (_rule("北京", branch=org.b1, reason=card), [b1_agent]),
        (_rule("一支行全部", branch=org.a1), [a1_agent]),
        (_rule("全公司信用卡", reason=card), [a1_agent, b1_agent]),  # each takes their branch
    ):
        actions.save_configuration(SYSTEM, rule, many={"pool": pool})
    # A rule can always be retired, even once its pool no longer fits.
    first.refresh_from_db()
    actions.save_configuration(SYSTEM, first, changes={"active": False}, seen=first.version)
    assert AssignmentRule.objects.filter(active=True).count() == 3


def test_the_page_shows_why_a_rule_is_refused(org, login, card):
    client = login(org.manager)
    response = client.post(
        "/tickets/configuration/assignment/new/",
        {
            "name": "一支行专席",
            "branch": org.a1.pk,
            "reason": card.pk,
            "strategy": "round_robin",
            "active": "on",
            "pool": [org.agent_b1.staff.pk],
        },
    )
    assert response.status_code == 200, response.get("Location")
    assert _said(response, org.agent_b1.staff.name, org.a1.name, "errorlist")
    assert not AssignmentRule.objects.exists()


def test_sla_targets_stay_within_reach_and_one_policy_per_type_and_priority(org, login):
    client = login(org.manager)
    form = client.get("/tickets/configuration/sla/new/").content.decode()
    at = form.index('name="resolution_minutes"')
    assert f'min="1" max="{policy.MAX_TARGET_MINUTES}"' in form[at - 10 : at + 80]
    body = {
        "name": "投诉",
        "ticket_type": "complaint",
        "priority": "",
        "first_response_minutes": 60,
    }
    too_long = client.post("/tickets/configuration/sla/new/", {**body, "resolution_minutes": 10**9})
    assert too_long.status_code == 200 and _said(too_long, f"{policy.MAX_TARGET_MINUTES:,}")
    with pytest.raises(ValidationError, match=f"{policy.MAX_TARGET_MINUTES:,}"):
        actions.save_configuration(
            SYSTEM,
            SLAPolicy(name="投诉", first_response_minutes=60, resolution_minutes=10**6),
        )
    saved = client.post("/tickets/configuration/sla/new/", {**body, "resolution_minutes": 900})
    assert saved.status_code == 302
    twin = client.post(
        "/tickets/configuration/sla/new/", {**body, "name": "投诉二", "resolution_minutes": 600}
    )
    assert twin.status_code == 200 and _said(twin, "“投诉”")
    assert list(SLAPolicy.objects.values_list("name", flat=True)) == ["投诉"]
    # The same type with a priority is a more specific policy, not a twin.
    urgent = {**body, "name": "紧急投诉", "priority": "urgent", "resolution_minutes": 300}
    assert client.post("/tickets/configuration/sla/new/", urgent).status_code == 302


def test_a_refused_step_names_its_fields_as_the_form_shows_them(org, login, api):
    """On the page a refusal names the field by the words of its form (the API's callers
    get the codes they sent)."""
    customer = customer_actions.create_customer(SYSTEM, branch=org.a1, name="钱伟")
    ticket = actions.create_ticket(
        org.agent_a1, branch=org.a1, customer=customer, channel="phone", subject="漏水"
    )
    actions.investigate(org.agent_a1, ticket, cause="漏水", severity=2, company_fault="yes")
    client = login(org.agent_a1)

    def said(step: str, body: dict) -> str:
        page = client.post(f"/tickets/{ticket.pk}/step/{step}/", body).content.decode()
        return page[page.index('class="messages"') : page.index("</ul>", page.index("messages"))]

    with translation.override("zh-hans"):
        remedy, position = _("Remedy"), _("The company's position (what we can and cannot do)")
        when, attach = _("By when"), _("Choose a file to attach.")
    refused = said("propose", {"note": ""})
    assert remedy in refused and "remedies" not in refused, refused
    refused = said("decline", {"position": "", "reasons": "已过保修期"})
    assert position in refused and "position" not in refused, refused
    refused = said("propose", {"kind_1": "refund", "amount_1": "很多"})
    assert f"{remedy} 1 · " in refused and "amount" not in refused, refused
    assert when in said("promise", {"kind": "callback", "due_at": "明天"})
    assert attach in said("attach", {"note": "发票"})
    answer = api(org.agent_a1).post(f"/tickets/{ticket.pk}/actions/propose", {"note": ""})
    assert answer.status_code == 422 and "remedies" in str(answer.json())
