"""Every change to customers goes through these functions: permission and scope, transaction,
audit entry and domain event."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable, Sequence
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from manyi.analytics.text import pinyin_keys
from manyi.core.events import emit
from manyi.core.versioning import apply_changes
from manyi.org import audit
from manyi.org.actions import SYSTEM
from manyi.org.actors import Actor, is_non_person
from manyi.org.models import Branch
from manyi.org.permissions import require_permission
from manyi.org.scoping import get_visible_or_404, require_branch

from .auditing import AuditAction
from .contacts import parse_contact
from .events import CustomerCreated, CustomersMerged, CustomerUpdated, TransactionRecorded
from .models import Contact, Customer, Segment, Tag, Transaction
from .segments import validate_rules

PROFILE_FIELDS = [
    "kind",
    "name",
    "company_name",
    "gender",
    "birth_year",
    "family",
    "income_band",
    "occupation",
    "education",
    "id_number",
    "province",
    "city",
    "district",
    "town",
    "address",
    "region",
    "preferred_channel",
    "callback_consent",
    "callback_from",
    "callback_until",
    "tier",
    "lifecycle",
    "relationship",
    "account_manager",
    "branch",
]
AUDIT_MASKED = {"id_number", "address"}


def _check(actor: Any, permission: str, branch_id: int | None) -> None:
    if actor == SYSTEM:
        return
    require_permission(actor, permission)
    require_branch(actor, branch_id)


def _audited(customer: Customer) -> dict[str, Any]:
    from manyi.core.masking import mask

    state = audit.snapshot(customer, PROFILE_FIELDS)
    for field in AUDIT_MASKED:
        state[field] = mask(field, state.get(field) or "")
    return state


def _fill_search_keys(customer: Customer) -> None:
    customer.name_pinyin, customer.name_initials = pinyin_keys(customer.name)


def create_customer(
    actor: Any,
    *,
    branch: Branch,
    name: str,
    contacts: Iterable[tuple[str, str]] = (),
    tags: Iterable[str] = (),
    external_key: str | None = None,
    **profile: Any,
) -> Customer:
    _check(actor, "customers.change", branch.pk)
    unknown = set(profile) - set(PROFILE_FIELDS)
    if unknown:
        raise ValidationError(
            _("Unknown customer fields: %(fields)s") % {"fields": ", ".join(sorted(unknown))}
        )
    if not name or not name.strip():
        raise ValidationError(_("The customer's name is required."))
    parsed = [parse_contact(kind, value) for kind, value in contacts]
    customer = Customer(
        branch=branch,
        name=name.strip(),
        external_key=external_key or f"C{uuid.uuid4().hex[:12].upper()}",
        **profile,
    )
    _fill_search_keys(customer)
    customer.full_clean(exclude=["account_manager", "branch", "merged_into"])
    with transaction.atomic():
        customer.save()
        Contact.objects.bulk_create(
            [
                Contact(
                    customer=customer,
                    kind=c.kind,
                    value=c.value,
                    normalized=c.normalized,
                    last4=c.last4,
                    is_primary=i == 0,
                )
                for i, c in enumerate({c.normalized: c for c in parsed}.values())
            ]
        )
        if tags:
            customer.tags.set(_tags(tags))
        audit.record(actor, AuditAction.CUSTOMER_CREATE, customer, after=_audited(customer))
        emit(CustomerCreated(customer_id=customer.pk, branch_id=branch.pk), actor=actor)
    return customer


def update_customer(
    actor: Any, customer: Customer, *, seen: int | None = None, **changes: Any
) -> Customer:
    """Change the fields given, and only those. `seen` is the version the edit was made
    from: a field someone else changed since is refused (`EditConflict`), not overwritten."""
    with transaction.atomic():
        return _update(actor, _locked(actor, customer), seen, changes)


def _locked(actor: Any, customer: Customer) -> Customer:
    """The customer's row, fresh and locked for the change, if the actor may change it."""
    locked = Customer.objects.select_for_update()
    if actor != SYSTEM:
        customer = get_visible_or_404(locked, actor, pk=customer.pk)
    else:
        customer = locked.get(pk=customer.pk)
    _check(actor, "customers.change", customer.branch_id)
    return customer


def _update(
    actor: Any,
    customer: Customer,
    seen: int | None,
    changes: dict[str, Any],
    also_changed: list[str] | None = None,
) -> Customer:
    """The profile change on a locked row; `also_changed` names what the same edit changed
    besides the profile (the contacts), told in the same event."""
    changes = dict(changes)
    unknown = set(changes) - set(PROFILE_FIELDS) - {"tags"}
    if unknown:
        raise ValidationError(
            _("Unknown customer fields: %(fields)s") % {"fields": ", ".join(sorted(unknown))}
        )
    tags = changes.pop("tags", None)
    if "branch" in changes:
        _check(actor, "customers.change", changes["branch"].pk)
    before = _audited(customer)
    before_tags = sorted(customer.tags.values_list("name", flat=True))
    wanted_tags = sorted({n.strip()[:50] for n in tags or [] if n and n.strip()})
    tags_changed = tags is not None and wanted_tags != before_tags
    fields = apply_changes(customer, changes, seen=seen, also=["tags"] if tags_changed else [])
    if "name" in fields:
        _fill_search_keys(customer)
        fields += ["name_pinyin", "name_initials"]
    customer.full_clean(exclude=["account_manager", "branch", "merged_into"])
    if fields:
        customer.save(update_fields=fields)
    after = _audited(customer)
    if tags_changed:
        customer.tags.set(_tags(wanted_tags))
        before["tags"], after["tags"] = before_tags, wanted_tags
    old, new = audit.changed(before, after)
    if new or old:
        audit.record(actor, AuditAction.CUSTOMER_UPDATE, customer, before=old, after=new)
    changed = sorted(new) + list(also_changed or [])
    if changed:
        emit(CustomerUpdated(customer_id=customer.pk, changed=changed), actor=actor)
    return customer


def edit_customer(
    actor: Any,
    customer: Customer,
    *,
    seen: int | None = None,
    changes: dict[str, Any] | None = None,
    add_contacts: Iterable[tuple[str, str]] = (),
    remove_contacts: Iterable[int] = (),
) -> Customer:
    """The customer's page saved: the profile fields changed (from version `seen`, as
    `update_customer`), contacts removed (by id) and added, all or nothing; one event."""
    with transaction.atomic():
        locked = _locked(actor, customer)
        gone = list(
            Contact.objects.filter(customer=locked, pk__in=list(remove_contacts)).order_by("pk")
        )
        for contact in gone:
            contact.delete()
            audit.record(
                actor, AuditAction.CONTACT_REMOVE, locked, before=_contact_details(contact)
            )
        kept = {c.pk for c in locked.contacts.all()}
        for kind, value in add_contacts:
            add_contact(actor, locked, kind, value)
        contacts = list(locked.contacts.order_by("pk"))
        if contacts and not any(c.is_primary for c in contacts):  # the primary one was removed
            Contact.objects.filter(pk=contacts[0].pk).update(is_primary=True)
        touched = bool(gone) or {c.pk for c in contacts} != kept
        return _update(actor, locked, seen, changes or {}, ["contacts"] if touched else [])


def _contact_details(contact: Contact) -> dict[str, str]:
    """A contact in the audit trail: its kind and its value masked, as anyone may read it."""
    from manyi.core.masking import mask

    kind = "phone" if contact.kind in (Contact.Kind.MOBILE, Contact.Kind.LANDLINE) else "email"
    return {"contact_kind": contact.kind, "contact": mask(kind, contact.value)}


def _tags(names: Iterable[str]) -> list[Tag]:
    tags = []
    for name in {n.strip() for n in names if n and n.strip()}:
        tag, _created = Tag.objects.get_or_create(name=name[:50])
        tags.append(tag)
    return tags


def add_contact(
    actor: Any, customer: Customer, kind: str, value: str, *, primary: bool = False
) -> Contact:
    _check(actor, "customers.change", customer.branch_id)
    parsed = parse_contact(kind, value)
    with transaction.atomic():
        contact, created = Contact.objects.get_or_create(
            customer=customer,
            kind=parsed.kind,
            normalized=parsed.normalized,
            defaults={"value": parsed.value, "last4": parsed.last4, "is_primary": primary},
        )
        if primary:
            customer.contacts.exclude(pk=contact.pk).update(is_primary=False)
            if not contact.is_primary:
                contact.is_primary = True
                contact.save(update_fields=["is_primary"])
        if created:
            audit.record(actor, AuditAction.CONTACT_ADD, customer, after=_contact_details(contact))
    return contact


def record_transaction(
    actor: Any,
    customer: Customer,
    *,
    product: str,
    amount: Decimal | str | int,
    occurred_at: dt.datetime | None = None,
    category: str = "",
    quantity: Decimal | str | int = 1,
    area: Decimal | str | None = None,
    promotion: str = "",
    channel: str = "",
    external_ref: str = "",
    branch: Branch | None = None,
) -> Transaction:
    branch = branch or customer.branch
    _check(actor, "customers.change", branch.pk)
    try:
        amount = Decimal(str(amount)).quantize(Decimal("0.01"))
        quantity = Decimal(str(quantity))
        area = Decimal(str(area)) if area not in (None, "") else None
    except InvalidOperation as exc:
        raise ValidationError(_("Amount, quantity and area must be numbers.")) from exc
    if not product.strip():
        raise ValidationError(_("The product is required."))
    if external_ref and customer.transactions.filter(external_ref=external_ref).exists():
        raise ValidationError(
            _("A purchase with the reference “%(reference)s” is already recorded.")
            % {"reference": external_ref},
            code="duplicate",
        )
    with transaction.atomic():
        row = Transaction(
            customer=customer,
            branch=branch,
            product=product.strip(),
            amount=amount,
            occurred_at=occurred_at or timezone.now(),
            category=category,
            quantity=quantity,
            area=area,
            promotion=promotion,
            channel=channel,
            external_ref=external_ref,
        )
        row.full_clean(exclude=["customer", "branch"])
        row.save()
        audit.record(
            actor,
            AuditAction.TRANSACTION_RECORD,
            customer,
            after={"transaction": row.pk, "product": row.product, "amount": str(row.amount)},
        )
        emit(
            TransactionRecorded(
                transaction_id=row.pk, customer_id=customer.pk, amount=str(row.amount)
            ),
            actor=actor,
        )
    return row


def merge_customers(actor: Any, keep: Customer, duplicates: Sequence[Customer]) -> Customer:
    """Move every record of the duplicates to `keep` (contacts, transactions, timeline, tags
    and whatever later modules link to a customer), then mark the duplicates as merged."""
    others = [c for c in duplicates if c.pk != keep.pk]
    if not others:
        raise ValidationError(_("Choose at least one other customer to merge."))
    for customer in [keep, *others]:
        _check(actor, "customers.merge", customer.branch_id)
        if customer.merged_into_id:
            raise ValidationError(_("%(name)s was already merged.") % {"name": customer.name})
    ids = [c.pk for c in others]
    with transaction.atomic():
        moved: dict[str, int] = {}
        existing = set(keep.contacts.values_list("kind", "normalized"))
        for contact in Contact.objects.filter(customer_id__in=ids):
            if (contact.kind, contact.normalized) in existing:
                contact.delete()
            else:
                existing.add((contact.kind, contact.normalized))
        refs = set(
            keep.transactions.exclude(external_ref="").values_list("external_ref", flat=True)
        )
        for row in Transaction.objects.filter(customer_id__in=ids).exclude(external_ref=""):
            if row.external_ref in refs:  # keep both rows, tell them apart
                row.external_ref = f"{row.external_ref}~{row.customer_id}"[:64]
                row.save(update_fields=["external_ref"])
            refs.add(row.external_ref)
        for relation in Customer._meta.related_objects:
            if relation.many_to_many or relation.remote_field.name == "merged_into":
                continue
            model, field = relation.related_model, relation.field.name
            moved[model._meta.label_lower] = model._base_manager.filter(
                **{f"{field}__in": ids}
            ).update(**{field: keep})
        for relation in Customer._meta.many_to_many:
            through = getattr(Customer, relation.name).through
            targets = set(
                through.objects.filter(customer_id__in=ids).values_list(
                    f"{relation.m2m_reverse_field_name()}", flat=True
                )
            )
            getattr(keep, relation.name).add(*targets)
        Customer.objects.filter(pk__in=ids).update(merged_into=keep)
        audit.record(actor, AuditAction.CUSTOMER_MERGE, keep, after={"merged": ids, "moved": moved})
        emit(CustomersMerged(kept_id=keep.pk, merged_ids=ids), actor=actor)
    return keep


def save_segment(
    actor: Any,
    *,
    name: str,
    rules: list[dict[str, Any]],
    strategy: str = "",
    description: str = "",
    segment: Segment | None = None,
) -> Segment:
    require_permission(actor, "customers.segments")
    validate_rules(rules)
    with transaction.atomic():
        before = None
        if segment is None:
            segment = Segment(created_by=actor if actor != SYSTEM else None)
        else:
            before = {"name": segment.name, "rules": segment.rules, "strategy": segment.strategy}
        segment.name, segment.rules = name.strip(), rules
        segment.strategy, segment.description = strategy, description
        segment.full_clean()
        segment.save()
        audit.record(
            actor,
            AuditAction.SEGMENT_SAVE,
            segment,
            before=before,
            after={"name": segment.name, "rules": rules, "strategy": strategy},
        )
    return segment


def rescore_rfm(actor: Actor) -> int:
    """Score every customer with purchases (recency, frequency, money, 1-5 each); customers
    without any lose their score. Returns how many were scored."""
    from manyi.core.bulk import update_rows

    from .rfm import purchase_scores

    if actor != SYSTEM and not is_non_person(actor):
        require_permission(actor, "customers.segments")
    rows = purchase_scores()
    with transaction.atomic():
        Customer.objects.exclude(r_score=None).update(r_score=None, f_score=None, m_score=None)
        scored = update_rows(Customer, ["r_score", "f_score", "m_score"], rows) if rows else 0
        audit.record(actor, AuditAction.RFM_RESCORE, None, after={"scored": scored})
    return scored


def import_customers(
    actor: Actor,
    source: Any,
    *,
    filename: str | None = None,
    branch: Branch | None = None,
    atomic: bool = False,
    dry_run: bool = False,
) -> Any:
    """Customers from a CSV or Excel file (`importer.py` reads, checks and bulk-writes the
    rows, with its permission check, row report and audit entry); the page and the
    `manyi import` command come through here."""
    from .importer import import_file

    return import_file(
        actor, source, filename=filename, branch=branch, atomic=atomic, dry_run=dry_run
    )


def import_transactions(
    actor: Actor,
    source: Any,
    *,
    filename: str | None = None,
    branch: Branch | None = None,
    atomic: bool = False,
    dry_run: bool = False,
) -> Any:
    """Purchases from a CSV or Excel file, read and checked by `purchase_import.py` with the
    customer import's machinery (encodings, headers, row report). Rows already imported (the
    same reference for the same customer) are left alone; `atomic`: one bad row and nothing
    is written. `branch`: for rows without a branch column (else the customer's own). The
    page and `manyi import transactions` come through here."""
    from manyi.core.bulk import refresh_statistics
    from manyi.core.tasks import enqueue

    from .events import TransactionsImported
    from .purchase_import import check_file

    if actor != SYSTEM:
        require_permission(actor, "customers.import")
        if branch is not None:
            require_branch(actor, branch.pk)
    checked = check_file(actor, source, filename=filename, branch=branch, dry_run=dry_run)
    result, rows = checked.result, checked.rows
    existing: set[tuple[int, str]] = set()
    refs = sorted({row.external_ref for row in rows})
    for start in range(0, len(refs), 5_000):
        existing |= set(
            Transaction.objects.filter(
                customer_id__in={row.customer_id for row in rows},
                external_ref__in=refs[start : start + 5_000],
            ).values_list("customer_id", "external_ref")
        )
    new = [row for row in rows if (row.customer_id, row.external_ref) not in existing]
    result.created, result.unchanged = len(new), len(rows) - len(new)
    if (atomic and result.errors) or dry_run:
        return result
    with transaction.atomic():
        Transaction.objects.bulk_create(
            [
                Transaction(
                    customer_id=row.customer_id,
                    branch_id=row.branch_id,
                    external_ref=row.external_ref,
                    **row.values,
                )
                for row in new
            ],
            batch_size=2_000,
            ignore_conflicts=True,  # a second import of the same file at the same moment
        )
        audit.record(
            actor,
            AuditAction.TRANSACTION_IMPORT,
            None,
            branch_id=branch.pk if branch else None,
            after={"file": Path(checked.filename).name, **result.counts()},
        )
        emit(
            TransactionsImported(
                branch_id=branch.pk if branch else None,
                created=result.created,
                rejected=result.rejected_rows,
            ),
            actor=actor,
        )
        if new:  # the scores rank every customer against the others: score them again
            transaction.on_commit(lambda: enqueue("manyi.customers.tasks.recompute_rfm"))
    result.written = True
    if len(new) >= 10_000:
        refresh_statistics(Transaction)
    return result
