"""The complaint desk's audit actions and the words for their details."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from manyi.core.registry import VERBATIM, audit_actions, register_audit_details
from manyi.org.roles import Role

from .models import Activity, Agreement, ClosingOutcome, Promise, TicketType

BREACHES = {"response": _("first response"), "resolution": _("resolution")}


@audit_actions
class AuditAction(models.TextChoices):
    CREATE = "tickets.create", _("Ticket registered")
    ACTIVITY = "tickets.activity", _("Contact or note recorded")
    ASSIGN = "tickets.assign", _("Ticket assigned")
    INVESTIGATE = "tickets.investigate", _("Cause analysed")
    PROPOSE = "tickets.propose", _("Remedy proposed")
    DECLINE = "tickets.decline", _("Demand declined with reasons")
    APPROVE = "tickets.approve", _("Proposal approved")
    REJECT = "tickets.reject", _("Proposal rejected")
    AGREE = "tickets.agree", _("Customer agreed")
    ORDER_COMPLETE = "tickets.order.complete", _("Execution order done")
    FOLLOW_UP_DUE = "tickets.follow_up_due", _("Handed over for the follow-up")
    FOLLOW_UP = "tickets.follow_up", _("Follow-up recorded")
    REOPEN = "tickets.reopen", _("Ticket reopened")
    CLOSE = "tickets.close", _("Ticket closed")
    PAUSE = "tickets.pause", _("Waiting for the customer")
    RESUME = "tickets.resume", _("Work resumed")
    MERGE = "tickets.merge", _("Merged into another ticket")
    MERGED_IN = "tickets.merged_in", _("Another ticket merged in")
    LINK = "tickets.link", _("Tickets linked")
    PROMISE = "tickets.promise", _("Promise to the customer recorded")
    ESCALATE = "tickets.escalate", _("Deadline missed: escalated")
    REASON_CREATE = "tickets.config.reasoncode.create", _("Reason code added")
    REASON_CHANGE = "tickets.config.reasoncode.change", _("Reason code changed")
    SLA_CREATE = "tickets.config.slapolicy.create", _("Time limit added")
    SLA_CHANGE = "tickets.config.slapolicy.change", _("Time limit changed")
    SLA_DELETE = "tickets.config.slapolicy.delete", _("Time limit deleted")
    APPROVAL_CREATE = "tickets.config.approvalrule.create", _("Approval limit added")
    APPROVAL_CHANGE = "tickets.config.approvalrule.change", _("Approval limit changed")
    APPROVAL_DELETE = "tickets.config.approvalrule.delete", _("Approval limit deleted")
    SETTINGS_CREATE = "tickets.config.settings.create", _("Desk settings set")
    SETTINGS_CHANGE = "tickets.config.settings.change", _("Desk settings changed")
    REPLY_CREATE = "tickets.config.cannedreply.create", _("Canned reply added")
    REPLY_CHANGE = "tickets.config.cannedreply.change", _("Canned reply changed")
    REPLY_DELETE = "tickets.config.cannedreply.delete", _("Canned reply deleted")
    RULE_CREATE = "tickets.config.assignmentrule.create", _("Assignment rule added")
    RULE_CHANGE = "tickets.config.assignmentrule.change", _("Assignment rule changed")
    RULE_DELETE = "tickets.config.assignmentrule.delete", _("Assignment rule deleted")


register_audit_details(
    AuditAction,
    {
        "total": _("total"),
        "type": (_("type"), TicketType),
        "reason": _("reason code"),
        "repeat_of": _("repeat of"),
        "approvals": (_("approvals needed"), Role),
        "level": (_("approved at the level of"), Role),
        "comment": _("comment"),
        "method": (_("how confirmed"), Agreement.Method),
        "reference": _("reference"),
        "orders": _("execution orders"),
        "order": _("execution order"),
        "satisfied": _("satisfied"),
        "outcome": (
            _("outcome"),
            {**dict(ClosingOutcome.choices), **dict(Activity.Outcome.choices)},
        ),
        "direction": (_("direction"), Activity.Direction),
        "file": (_("file"), VERBATIM),
        "into": _("merged into"),
        "duplicate": _("merged ticket"),
        "moved": _("records moved"),
        "related": _("related ticket"),
        "kind": (_("kind"), {**dict(Activity.Kind.choices), **dict(Promise.Kind.choices)}),
        "due_at": _("due"),
        "rule": _("assignment rule"),
        "escalation_level": _("escalation level"),
        "breaches": (
            _("deadlines missed"),
            {"response": _("first response"), "resolution": _("resolution")},
        ),
        "assignee": _("assignee"),
    },
)
