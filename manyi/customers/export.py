"""Exporting customer lists and segments to Excel, personal data masked unless the person may
see it unmasked (and then the export itself is audited)."""

from __future__ import annotations

import io
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from manyi.analytics import spreadsheet
from manyi.core.masking import mask
from manyi.org import audit
from manyi.org.permissions import has_permission

from .auditing import AuditAction
from .models import Customer


def export_customers(user: Any, customers: QuerySet[Customer]) -> io.BytesIO:
    unmasked = has_permission(user, "pii.unmask")
    workbook = spreadsheet.workbook(write_only=True)
    sheet = workbook.create_sheet(_("Customers"))
    phone_header = _("Mobile phone") if unmasked else _("Mobile phone (masked)")
    address_header = _("Address") if unmasked else _("Address (masked)")
    sheet.append(
        [
            "客户编号",
            "姓名",
            "客户类型",
            "公司",
            "网点",
            "等级",
            phone_header,
            "城市",
            address_header,
            "标签",
            "R",
            "F",
            "M",
            _("Created at"),
        ]
    )
    count = 0
    queryset = customers.select_related("branch").prefetch_related("contacts", "tags")
    for customer in queryset.iterator(chunk_size=2000):
        phones = [c.normalized for c in customer.contacts.all() if c.kind in ("mobile", "landline")]
        phone = phones[0] if phones else ""
        sheet.append(
            [
                customer.external_key,
                customer.name,
                customer.get_kind_display(),
                customer.company_name,
                customer.branch.code,
                customer.get_tier_display(),
                phone if unmasked else mask("phone", phone),
                customer.city,
                customer.address if unmasked else mask("address", customer.address),
                "、".join(sorted(t.name for t in customer.tags.all())),
                customer.r_score,
                customer.f_score,
                customer.m_score,
                timezone.localtime(customer.created_at).replace(tzinfo=None),
            ]
        )
        count += 1
    stream = io.BytesIO()
    workbook.save(stream)
    stream.seek(0)
    audit.record(user, AuditAction.EXPORT, None, after={"rows": count, "unmasked": unmasked})
    return stream
