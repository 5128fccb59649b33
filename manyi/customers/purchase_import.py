"""Reading purchases (transactions) from the files shops, dealers and banks export.

The same files as the customer import (`importer.py`, whose reading, header matching, date
parsing and row report this module uses): .csv in UTF-8 with or without BOM or
GB18030/GBK, .xlsx and .xls; headers in Chinese or English; full-width digits. Each row
names its customer the way the customer import keys them, by customer number (客户编号)
or else by phone; amounts are yuan, exact to the fen. Nothing is written here:
`actions.import_transactions` writes the rows this module has checked.

A row with an order or contract number (单号) is that purchase: imported again, it is
recognised and not added twice. A row without one gets a key made from its customer, time,
product, amount and quantity (and how many identical rows came before it in the file), so
importing the same file twice adds nothing either; such keys are never shown.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import IO, Any

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from manyi.analytics.text import normalise_phone, phone_kind
from manyi.org.actions import SYSTEM
from manyi.org.models import Branch

from .importer import (
    CHUNK,
    HEADERS,
    ImportResult,
    RowError,
    RowParser,
    _text,
    data_rows,
    header_lookup,
    map_headers,
    open_table,
    parse_date,
)
from .models import AUTO_REFERENCE_PREFIX, Contact, Customer, Transaction

FEN = Decimal("0.01")
MAX_AMOUNT = Decimal("999999999999.99")  # what amount (14 digits, 2 places) holds
MAX_QUANTITY = Decimal("9999999999.99")

# canonical column -> header names people use (compared after normalising and lower-casing;
# anything in brackets is dropped first, so 金额（元） is 金额)
PURCHASE_HEADERS: dict[str, tuple[str, ...]] = {
    # "id" and "编号" alone are left out: in a file of purchases they name the order
    "external_key": tuple(h for h in HEADERS["external_key"] if h not in ("id", "编号")),
    "phone": HEADERS["phone"],
    "external_ref": (
        "单号",
        "订单号",
        "订单编号",
        "交易号",
        "交易编号",
        "流水号",
        "交易流水号",
        "合同号",
        "合同编号",
        "reference",
        "order number",
        "order no",
        "order id",
        "transaction id",
    ),
    "product": (
        "产品",
        "产品名称",
        "商品",
        "商品名称",
        "品名",
        "购买产品",
        "product",
        "product name",
        "item",
    ),
    "category": ("类别", "产品类别", "商品类别", "品类", "分类", "category"),
    "occurred_at": (
        "日期",
        "时间",
        "交易日期",
        "交易时间",
        "购买日期",
        "购买时间",
        "下单时间",
        "成交日期",
        "签约日期",
        "date",
        "time",
        "purchase date",
        "purchased at",
    ),
    "quantity": ("数量", "件数", "quantity", "qty"),
    "area": ("面积", "建筑面积", "area"),
    "amount": (
        "金额",
        "交易金额",
        "消费金额",
        "购买金额",
        "实付金额",
        "成交金额",
        "总价",
        "amount",
        "total",
    ),
    "promotion": ("促销", "促销活动", "参加活动", "活动", "promotion", "campaign"),
    "channel": ("渠道", "购买渠道", "销售渠道", "channel"),
    "branch": HEADERS["branch"],
}
_LOOKUP = header_lookup(PURCHASE_HEADERS)
PURCHASE_COLUMN_LABELS = {column: aliases[0] for column, aliases in PURCHASE_HEADERS.items()}

C = Transaction.Channel
CHANNELS = {
    "门店": C.STORE,
    "网点": C.STORE,
    "柜台": C.STORE,
    "到店": C.STORE,
    "线下": C.STORE,
    "营业厅": C.STORE,
    "展厅": C.STORE,
    "store": C.STORE,
    "branch": C.STORE,
    "线上": C.ONLINE,
    "网上": C.ONLINE,
    "网店": C.ONLINE,
    "电商": C.ONLINE,
    "官网": C.ONLINE,
    "小程序": C.ONLINE,
    "app": C.ONLINE,
    "online": C.ONLINE,
    "电话": C.PHONE,
    "电话销售": C.PHONE,
    "phone": C.PHONE,
    "经销商": C.DEALER,
    "代理商": C.DEALER,
    "分销商": C.DEALER,
    "dealer": C.DEALER,
    "客户经理": C.ACCOUNT_MANAGER,
    "account manager": C.ACCOUNT_MANAGER,
    "account_manager": C.ACCOUNT_MANAGER,
}
_MONEY_MARKS = re.compile(r"^(?:rmb|cny|¥|￥)|(?:元|rmb|cny)$", re.IGNORECASE)
_TIME = re.compile(r"(\d{1,2})\s*[:时]\s*(\d{1,2})\s*(?:分\s*)?(?::?\s*(\d{1,2})(?:\.\d+)?\s*秒?)?")
_DATE_PART = re.compile(r"(.+?日|\d{4}[-/.]\d{1,2}[-/.]\d{1,2}|\d{8})[\sT]*(.*)")


@dataclass
class PurchaseRow:
    """One checked row, ready to write: its customer resolved, its values typed."""

    row: int
    customer_id: int
    branch_id: int
    values: dict[str, Any]
    external_ref: str


@dataclass
class PurchaseImportResult(ImportResult):
    """The row report of a purchase import: `created` purchases added, `unchanged` ones
    already there (the same reference for the same customer)."""

    def counts(self) -> dict[str, int]:
        return {
            "rows": self.rows,
            "created": self.created,
            "unchanged": self.unchanged,
            "rejected": self.rejected_rows,
        }


@dataclass
class CheckedFile:
    filename: str
    result: PurchaseImportResult
    rows: list[PurchaseRow] = field(default_factory=list)


# --- cells --------------------------------------------------------------------------------
def parse_datetime(value: Any) -> dt.datetime | None:
    """A cell as an aware time: datetimes and dates from a workbook, Excel serial numbers
    (with their fraction of a day), and text such as 2025-03-01 14:30 or 2025年3月1日;
    a time without a zone is Beijing time, a date alone is its midnight. None if
    unreadable."""
    if isinstance(value, dt.datetime):
        return _aware(value)
    if isinstance(value, dt.date):
        return _aware(dt.datetime.combine(value, dt.time()))
    if isinstance(value, int | float) and not isinstance(value, bool) and 1 <= value < 80_000:
        seconds = round(float(value) * 86_400)  # a day's fraction is its time
        return _aware(dt.datetime(1899, 12, 30) + dt.timedelta(seconds=seconds))
    text = _text(value)
    if not text:
        return None
    date_text, time_text = _split_time(text)
    day = parse_date(date_text)
    if day is None:
        return None
    if not time_text:
        return _aware(dt.datetime.combine(day, dt.time()))
    match = _TIME.fullmatch(time_text)
    if match is None:
        return None
    hour, minute, second = (int(g or 0) for g in match.groups())
    try:
        return _aware(dt.datetime.combine(day, dt.time(hour, minute, second)))
    except ValueError:
        return None


def _split_time(text: str) -> tuple[str, str]:
    """'2025-03-01 14:30' -> ('2025-03-01', '14:30'); '2025年3月1日14时30分' alike."""
    match = _DATE_PART.match(text)
    if match is None:
        return text, ""
    return match.group(1), match.group(2).strip()


def _aware(value: dt.datetime) -> dt.datetime:
    if timezone.is_aware(value):
        return value
    return timezone.make_aware(value, timezone.get_default_timezone())


def parse_decimal(value: Any) -> Decimal | None:
    """A number as typed or exported: ¥1,234.50, 1234.5元, ８８８, an Excel number; None if
    it is not one. Excel's floating-point noise (0.30000000000000004) is taken as meant."""
    if isinstance(value, bool):
        return None
    if isinstance(value, Decimal):
        number = value
    elif isinstance(value, int):
        number = Decimal(value)
    elif isinstance(value, float):
        number = Decimal(repr(value))
        rounded = number.quantize(Decimal("0.000001")) if number.is_finite() else number
        if rounded.is_finite() and abs(number - rounded) < Decimal("0.0000001"):
            number = rounded.normalize()
    else:
        text = _text(value).replace(",", "").replace(" ", "")
        text = _MONEY_MARKS.sub("", text)
        try:
            number = Decimal(text)
        except InvalidOperation:
            return None
    return number if number.is_finite() else None


def _fen_exact(number: Decimal) -> bool:
    return number == number.quantize(FEN)


# --- rows ---------------------------------------------------------------------------------
@dataclass
class _Pending:
    """A row whose cells are read, waiting for its customer (looked up for all rows at once)."""

    row: int
    key: str
    phone: str
    branch: Branch | None
    values: dict[str, Any]
    external_ref: str
    errors: list[RowError]


class PurchaseRowParser:
    """Reads one row's cells; the customers are looked up afterwards, for all rows at once."""

    def __init__(self, user: Any, default_branch: Branch | None) -> None:
        self.known = RowParser(user, default_branch)  # the customer import's branches in scope
        self.channels = {**CHANNELS, **{str(label).lower(): code for code, label in C.choices}}
        self.latest = timezone.now() + dt.timedelta(days=1)

    def parse(self, number: int, cells: dict[str, Any]) -> _Pending:
        errors: list[RowError] = []

        def error(column: str, reason: str) -> None:
            errors.append(RowError(number, PURCHASE_COLUMN_LABELS[column], reason))

        text = {column: _text(value) for column, value in cells.items()}
        values: dict[str, Any] = {}
        key = text.get("external_key", "")[:64]
        phone = ""
        if text.get("phone"):
            phone = normalise_phone(text["phone"])
            if not phone or phone_kind(phone) is None:
                error(
                    "phone",
                    _("The phone number “%(value)s” is not valid.") % {"value": text["phone"]},
                )
                phone = ""
        if not key and not text.get("phone"):
            error(
                "external_key",
                _("The row names no customer: give the customer number or the phone."),
            )
        product = text.get("product", "")
        if not product:
            error("product", _("The product is empty."))
        values["product"] = product[:200]
        for column in ("category", "promotion"):
            if text.get(column):
                limit = Transaction._meta.get_field(column).max_length
                values[column] = text[column][:limit]
        values["occurred_at"] = self._time(cells.get("occurred_at"), text, error)
        values["amount"] = self._amount(cells.get("amount"), text, error)
        values["quantity"] = self._quantity(cells.get("quantity"), text, error)
        values["area"] = self._area(cells.get("area"), text, error)
        if text.get("channel"):
            channel = self.channels.get(text["channel"].lower())
            if channel is None:
                error(
                    "channel",
                    _("Unknown channel “%(value)s” (use 门店, 线上, 电话, 经销商 or 客户经理).")
                    % {"value": text["channel"]},
                )
            values["channel"] = channel or ""
        branch = self.known.branch_of(text, error)
        reference = text.get("external_ref", "")
        if len(reference) > 64:
            error(
                "external_ref",
                _("The reference “%(value)s” is longer than 64 characters.")
                % {"value": reference[:70]},
            )
        if reference.startswith(AUTO_REFERENCE_PREFIX):
            error(
                "external_ref",
                _("A reference may not start with “%(prefix)s”.")
                % {"prefix": AUTO_REFERENCE_PREFIX},
            )
        return _Pending(number, key, phone, branch, values, reference, errors)

    def _time(self, raw: Any, text: dict[str, str], error: Any) -> dt.datetime | None:
        if not text.get("occurred_at"):
            error("occurred_at", _("The date is empty."))
            return None
        when = parse_datetime(raw)
        if when is None or when.year < 1900:
            error(
                "occurred_at",
                _("The date “%(value)s” is not a date.") % {"value": text["occurred_at"]},
            )
            return None
        if when > self.latest:
            error(
                "occurred_at",
                _("The date “%(value)s” is in the future.") % {"value": text["occurred_at"]},
            )
            return None
        return when

    def _amount(self, raw: Any, text: dict[str, str], error: Any) -> Decimal | None:
        if not text.get("amount"):
            error("amount", _("The amount is empty."))
            return None
        amount = parse_decimal(raw)
        if amount is None or not _fen_exact(amount):
            error(
                "amount",
                _("The amount “%(value)s” is not a sum in yuan, exact to the fen (e.g. 1234.50).")
                % {"value": text["amount"]},
            )
            return None
        if amount < 0:
            error("amount", _("The amount “%(value)s” is negative.") % {"value": text["amount"]})
            return None
        if amount > MAX_AMOUNT:
            error("amount", _("The amount “%(value)s” is too large.") % {"value": text["amount"]})
            return None
        return amount.quantize(FEN)

    def _quantity(self, raw: Any, text: dict[str, str], error: Any) -> Decimal:
        if not text.get("quantity"):
            return Decimal(1)
        quantity = parse_decimal(raw)
        if quantity is None or not _fen_exact(quantity) or not 0 < quantity <= MAX_QUANTITY:
            error(
                "quantity",
                _("The quantity “%(value)s” is not a number above zero.")
                % {"value": text["quantity"]},
            )
            return Decimal(1)
        return quantity

    def _area(self, raw: Any, text: dict[str, str], error: Any) -> Decimal | None:
        if not text.get("area"):
            return None
        area = parse_decimal(raw)
        if area is None or not _fen_exact(area) or not 0 <= area < Decimal("100000000"):
            error(
                "area",
                _("The area “%(value)s” is not a number of square metres.")
                % {"value": text["area"]},
            )
            return None
        return area


# --- customers ----------------------------------------------------------------------------
class CustomerFinder:
    """The customers a file's rows name, found in a few queries for the whole file: by
    customer number, else by phone; a record merged into another stands for that one."""

    def __init__(self, user: Any) -> None:
        self.user = user

    def _visible(self) -> Any:
        customers = Customer.objects.all()
        return customers if self.user == SYSTEM else customers.visible_to(self.user)

    def by_key(self, keys: Iterable[str]) -> dict[str, tuple[int, int]]:
        """customer number -> (customer id, branch id), merged records followed."""
        keys = sorted(set(keys))
        found: dict[str, tuple[int, int, int | None]] = {}
        for start in range(0, len(keys), CHUNK):
            rows = self._visible().filter(external_key__in=keys[start : start + CHUNK])
            for pk, key, branch_id, merged in rows.values_list(
                "pk", "external_key", "branch_id", "merged_into_id"
            ):
                found[key] = (pk, branch_id, merged)
        return self._followed(found)

    def by_phone(self, phones: Iterable[str]) -> dict[str, list[tuple[int, int]]]:
        """phone -> the (customer id, branch id) of every customer with that number."""
        phones = sorted(set(phones))
        found: dict[str, dict[int, tuple[int, int, int | None]]] = {}
        for start in range(0, len(phones), CHUNK):
            contacts = Contact.objects.filter(
                kind__in=[Contact.Kind.MOBILE, Contact.Kind.LANDLINE],
                normalized__in=phones[start : start + CHUNK],
                customer__in=self._visible(),
            ).values_list(
                "normalized", "customer_id", "customer__branch_id", "customer__merged_into_id"
            )
            for phone, pk, branch_id, merged in contacts:
                found.setdefault(phone, {})[pk] = (pk, branch_id, merged)
        flat = {f"{phone}#{pk}": row for phone, rows in found.items() for pk, row in rows.items()}
        followed = self._followed(flat)
        result: dict[str, list[tuple[int, int]]] = {}
        for name, target in followed.items():
            phone = name.split("#", 1)[0]
            if target not in result.setdefault(phone, []):
                result[phone].append(target)
        return result

    def _followed(
        self, found: dict[str, tuple[int, int, int | None]]
    ) -> dict[str, tuple[int, int]]:
        """Replace each merged record by the one it was merged into (and so on)."""
        targets: dict[int, tuple[int, int | None]] = {}
        wanted = {merged for _pk, _branch, merged in found.values() if merged}
        for _hop in range(5):
            wanted -= set(targets)
            if not wanted:
                break
            for pk, branch_id, merged in (
                self._visible()
                .filter(pk__in=wanted)
                .values_list("pk", "branch_id", "merged_into_id")
            ):
                targets[pk] = (branch_id, merged)
                if merged:
                    wanted.add(merged)
        result: dict[str, tuple[int, int]] = {}
        for name, (pk, branch_id, merged) in found.items():
            for _hop in range(5):
                if not merged or merged not in targets:
                    break
                pk, (branch_id, merged) = merged, targets[merged]
            if merged is None:  # a chain into a record outside the area is left out
                result[name] = (pk, branch_id)
        return result


# --- the file -----------------------------------------------------------------------------
def check_file(
    actor: Any,
    source: IO[bytes] | bytes | str | Path,
    *,
    filename: str | None = None,
    branch: Branch | None = None,
    dry_run: bool = False,
) -> CheckedFile:
    """Read and check every row of a purchase file: the rows to write and the row report."""
    filename, header, rows = open_table(source, filename)
    mapping, _unknown = map_headers(header, _LOOKUP)
    columns = set(mapping.values())
    missing = [c for c in ("product", "amount", "occurred_at") if c not in columns]
    if missing or not {"external_key", "phone"} & columns:
        raise ValidationError(
            _(
                "The first row must hold the column headers: the customer (客户编号 or 手机), "
                "产品, 金额 and 日期 are needed."
            )
        )
    position = {PURCHASE_COLUMN_LABELS[column]: index for index, column in mapping.items()}
    parser = PurchaseRowParser(actor, branch)
    result = PurchaseImportResult(dry_run=dry_run)
    pending = [parser.parse(number, cells) for number, cells in data_rows(rows, mapping, result)]
    finder = CustomerFinder(actor)
    by_key = finder.by_key(p.key for p in pending if p.key)
    by_phone = finder.by_phone(p.phone for p in pending if p.phone and not p.key)
    checked = CheckedFile(filename, result)
    seen_refs: dict[tuple[int, str], int] = {}
    identical: Counter[tuple[Any, ...]] = Counter()
    for row in pending:
        customer = _customer_of(row, by_key, by_phone)
        if isinstance(customer, RowError):
            row.errors.append(customer)
        if row.errors or not isinstance(customer, tuple):
            # in the order of the file's columns, as a person reads the row
            result.errors.extend(sorted(row.errors, key=lambda e: position.get(e.column, 999)))
            continue
        customer_id, customer_branch = customer
        reference = row.external_ref
        if reference:
            first = seen_refs.get((customer_id, reference))
            if first is not None:
                result.errors.append(
                    RowError(
                        row.row,
                        PURCHASE_COLUMN_LABELS["external_ref"],
                        _("Duplicate of row %(row)s (same purchase).") % {"row": first},
                    )
                )
                continue
            seen_refs[(customer_id, reference)] = row.row
        else:
            reference = _made_up_reference(customer_id, row.values, identical)
        branch_id = row.branch.pk if row.branch is not None else customer_branch
        checked.rows.append(PurchaseRow(row.row, customer_id, branch_id, row.values, reference))
    return checked


def _customer_of(
    row: _Pending,
    by_key: dict[str, tuple[int, int]],
    by_phone: dict[str, list[tuple[int, int]]],
) -> tuple[int, int] | RowError | None:
    if row.key:
        found = by_key.get(row.key)
        if found is None:
            return RowError(
                row.row,
                PURCHASE_COLUMN_LABELS["external_key"],
                _("No customer with the number “%(value)s” in your area.") % {"value": row.key},
            )
        return found
    if not row.phone:
        return None  # the row's errors already say why
    matches = by_phone.get(row.phone, [])
    if not matches:
        return RowError(
            row.row,
            PURCHASE_COLUMN_LABELS["phone"],
            _("No customer with the phone “%(value)s” in your area.") % {"value": row.phone},
        )
    if len(matches) > 1:
        return RowError(
            row.row,
            PURCHASE_COLUMN_LABELS["phone"],
            _("Several customers (%(count)s) have the phone “%(value)s”: give the customer number.")
            % {"count": len(matches), "value": row.phone},
        )
    return matches[0]


def _made_up_reference(
    customer_id: int, values: dict[str, Any], identical: Counter[tuple[Any, ...]]
) -> str:
    """The key of a row without a reference: the same row of the same file gets the same
    key on every import; a second identical row in the file is a second purchase."""
    when = values["occurred_at"]
    what = (customer_id, when.isoformat(), values["product"], str(values["amount"]))
    what += (str(values["quantity"]),)
    identical[what] += 1
    text = "|".join(map(str, (*what, identical[what])))
    digest = hashlib.sha1(text.encode(), usedforsecurity=False).hexdigest()[:32]
    return f"{AUTO_REFERENCE_PREFIX}{digest}"
