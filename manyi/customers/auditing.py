"""The customers' audit actions and the words for their details."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from manyi.core.registry import VERBATIM, audit_actions, register_audit_details

from .models import Contact


@audit_actions
class AuditAction(models.TextChoices):
    CUSTOMER_CREATE = "customers.customer.create", _("Customer added")
    CUSTOMER_UPDATE = "customers.customer.update", _("Customer changed")
    CUSTOMER_MERGE = "customers.customer.merge", _("Customers merged")
    CONTACT_ADD = "customers.contact.add", _("Contact added")
    CONTACT_REMOVE = "customers.contact.remove", _("Contact removed")
    TRANSACTION_RECORD = "customers.transaction.record", _("Purchase recorded")
    TRANSACTION_IMPORT = "customers.transaction.import", _("Purchases imported")
    SEGMENT_SAVE = "customers.segment.save", _("Segment saved")
    DEMO_LOAD = "customers.demo.load", _("Demo customers loaded")
    IMPORT = "customers.import", _("Customers imported")
    EXPORT = "customers.export", _("Customers exported")
    RFM_RESCORE = "customers.rfm.rescore", _("Customers scored by their purchases")


register_audit_details(
    AuditAction,
    {
        "rows": _("rows"),
        "unmasked": _("unmasked"),
        "merged": _("merged customers"),
        "moved": _("records moved"),
        "customers": _("number of customers"),
        "created": _("added"),
        "updated": _("changed"),
        "skipped": _("skipped"),
        "failed": _("failed"),
        "file": (_("file"), VERBATIM),
        "seed": _("seed"),
        "scored": _("customers scored"),
        "duplicate": _("duplicate"),
        "rules": _("rules"),
        "members": _("members"),
        "unchanged": _("unchanged"),
        "rejected": _("rejected"),
        # a contact added or removed: its kind and its value as masked for everyone
        "contact_kind": (_("kind of contact"), Contact.Kind),
        "contact": (_("contact"), VERBATIM),
        # a purchase recorded by hand
        "transaction": _("purchase"),
        "product": (_("product"), VERBATIM),
        "amount": _("amount (CNY)"),
    },
)
