"""Importing customers from the files Chinese enterprises really export.

Accepted: .csv (UTF-8 with or without BOM, GB18030/GBK; comma, semicolon or tab), .xlsx and
.xls; headers in Chinese or English; full-width digits and spaces; phones with +86, dashes or
spaces; dates as Excel serial numbers or text. Every bad row is reported with its row number
(as Excel shows it), its column and a reason in the user's language. Good rows are written
unless `atomic` is asked for, in which case one bad row stops everything. Customers are
matched by a stable key (customer number, else mobile phone, else name and address), so
importing the same file twice changes nothing the second time.

The reading, header matching, cell parsing and row report here serve the purchase import
too (`purchase_import.py`, behind `actions.import_transactions`).
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from manyi.analytics import spreadsheet
from manyi.analytics.text import normalise, normalise_phone, phone_kind, pinyin_keys
from manyi.core.bulk import refresh_statistics
from manyi.core.events import emit
from manyi.org import audit
from manyi.org.actions import SYSTEM
from manyi.org.models import Branch
from manyi.org.permissions import require_permission
from manyi.org.scoping import require_branch, visible_branch_ids

from .auditing import AuditAction
from .events import CustomersImported
from .models import Contact, Customer, Tag

MAX_ROWS = 2_000_000
CHUNK = 5_000

# canonical column -> header names people use (compared after normalising and lower-casing)
HEADERS: dict[str, tuple[str, ...]] = {
    "external_key": (
        "客户编号",
        "客户号",
        "客户代码",
        "编号",
        "customer number",
        "customer no",
        "customer id",
        "external key",
        "id",
    ),
    "name": ("姓名", "客户姓名", "客户名称", "名称", "name", "customer name", "full name"),
    "kind": ("客户类型", "类型", "kind", "type"),
    "gender": ("性别", "gender", "sex"),
    "birth": (
        "出生日期",
        "生日",
        "出生年份",
        "出生年月",
        "birth date",
        "birthday",
        "date of birth",
        "birth year",
    ),
    "phone": (
        "手机",
        "手机号",
        "手机号码",
        "移动电话",
        "联系电话",
        "电话",
        "mobile",
        "phone",
        "mobile phone",
        "tel",
        "telephone",
    ),
    "landline": ("固定电话", "座机", "办公电话", "landline", "office phone"),
    "email": ("邮箱", "电子邮箱", "电子邮件", "email", "e-mail"),
    "wechat": ("微信", "微信号", "wechat", "wechat id"),
    "company_name": ("公司", "公司名称", "单位", "工作单位", "company", "employer"),
    "province": ("省", "省份", "province"),
    "city": ("市", "城市", "city"),
    "district": ("区", "区县", "县区", "district", "county"),
    "town": ("街道", "乡镇", "镇", "村", "town", "street", "village"),
    "address": ("地址", "详细地址", "联系地址", "住址", "address"),
    "region": ("地区", "区域", "片区", "销售区域", "region", "area"),
    "tier": ("等级", "客户等级", "级别", "客户级别", "tier", "level", "grade"),
    "occupation": ("职业", "occupation", "job"),
    "education": ("学历", "文化程度", "education"),
    "income_band": ("收入", "月收入", "收入水平", "income", "income band"),
    "family": ("家庭", "家庭情况", "家庭成员", "family"),
    "tags": ("标签", "客户标签", "tags", "tag"),
    "branch": ("网点", "网点编码", "所属网点", "门店", "branch", "branch code", "store"),
    "callback_consent": ("同意回访", "是否同意回访", "回访", "callback consent"),
}
_HEADER_LOOKUP = {alias.lower(): column for column, aliases in HEADERS.items() for alias in aliases}
COLUMN_LABELS = {column: aliases[0] for column, aliases in HEADERS.items()}

TIERS = {
    "大客户": "key",
    "重点客户": "key",
    "重要客户": "key",
    "key": "key",
    "key account": "key",
    "vip": "vip",
    "贵宾": "vip",
    "贵宾客户": "vip",
    "普通": "ordinary",
    "普通客户": "ordinary",
    "一般": "ordinary",
    "ordinary": "ordinary",
    "小客户": "small",
    "small": "small",
}
GENDERS = {
    "男": "male",
    "male": "male",
    "m": "male",
    "先生": "male",
    "女": "female",
    "female": "female",
    "f": "female",
    "女士": "female",
}
KINDS = {
    "个人": "person",
    "person": "person",
    "个人客户": "person",
    "企业": "organisation",
    "公司": "organisation",
    "单位": "organisation",
    "经销商": "organisation",
    "商店": "organisation",
    "organisation": "organisation",
    "organization": "organisation",
    "company": "organisation",
}
YES = {"是", "同意", "yes", "y", "true", "1", "√"}
NO = {"否", "不同意", "no", "n", "false", "0", "×"}
_DATE_TEXT = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?")
_DATE_COMPACT = re.compile(r"(\d{4})(\d{2})(\d{2})")


@dataclass(frozen=True)
class RowError:
    row: int
    column: str
    reason: str


@dataclass
class ParsedRow:
    row: int
    key: str
    values: dict[str, Any]
    contacts: list[tuple[str, str, str]]  # (kind, value, normalized)
    tags: list[str]
    branch: Branch


@dataclass
class ImportResult:
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)
    written: bool = False
    dry_run: bool = False

    @property
    def rejected_rows(self) -> int:
        return len({e.row for e in self.errors})

    def counts(self) -> dict[str, int]:
        return {
            "rows": self.rows,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "rejected": self.rejected_rows,
        }

    def report_csv(self) -> str:
        buffer = io.StringIO()
        writer = spreadsheet.csv_writer(buffer)
        writer.writerow([_("Row"), _("Column"), _("Reason")])
        for error in self.errors:
            writer.writerow([error.row, error.column, error.reason])
        return buffer.getvalue()


# --- reading files ------------------------------------------------------------------------
def read_table(data: bytes, filename: str) -> Iterator[tuple[int, list[Any]]]:
    """(row number as the spreadsheet shows it, cells) for every row, the header first."""
    suffix = Path(filename).suffix.lower()
    if suffix == ".csv" or suffix == ".txt":
        yield from _read_csv(data)
    elif suffix in (".xlsx", ".xlsm"):
        yield from _read_xlsx(data)
    elif suffix == ".xls":
        yield from _read_xls(data)
    else:
        raise ValidationError(
            _("Unsupported file type %(suffix)s: use .xlsx, .xls or .csv.")
            % {"suffix": suffix or "?"}
        )


def decode(data: bytes) -> str:
    """UTF-8 (with or without BOM), else GB18030, which covers GBK and GB2312."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030")
    except UnicodeDecodeError as exc:
        raise ValidationError(_("The file is neither UTF-8 nor GB18030/GBK text.")) from exc


def _read_csv(data: bytes) -> Iterator[tuple[int, list[Any]]]:
    text = decode(data)
    sample = text[:4096]
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text), dialect)
    number = 0
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:  # a field over the csv module's limit, a stray quote...
            raise ValidationError(
                _("Row %(row)d cannot be read: a field is too long or its quotes do not match.")
                % {"row": number + 1}
            ) from exc
        number += 1
        yield number, row


def _read_xlsx(data: bytes) -> Iterator[tuple[int, list[Any]]]:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        rows = iter(workbook.worksheets[0].iter_rows(values_only=True))
    except Exception as exc:  # not a workbook, no sheet, a damaged part...
        raise ValidationError(_("The file is not a readable .xlsx workbook.")) from exc
    number = 0
    while True:
        try:  # read-only workbooks are read row by row: damage shows up on the way
            row = next(rows)
        except StopIteration:
            break
        except Exception as exc:
            raise ValidationError(
                _("Row %(row)d of the workbook cannot be read: the file is damaged.")
                % {"row": number + 1}
            ) from exc
        number += 1
        yield number, list(row)
    workbook.close()


def _read_xls(data: bytes) -> Iterator[tuple[int, list[Any]]]:
    import xlrd

    try:
        book = xlrd.open_workbook(file_contents=data)
        sheet = book.sheet_by_index(0)
    except Exception as exc:
        raise ValidationError(_("The file is not a readable .xls workbook.")) from exc
    for index in range(sheet.nrows):
        cells = []
        for cell in sheet.row(index):
            if cell.ctype == xlrd.XL_CELL_DATE:
                cells.append(xlrd.xldate_as_datetime(cell.value, book.datemode))
            elif cell.ctype == xlrd.XL_CELL_NUMBER and float(cell.value).is_integer():
                cells.append(int(cell.value))
            else:
                cells.append(cell.value)
        yield index + 1, cells


# --- cell parsing -------------------------------------------------------------------------
def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return normalise(str(value))


def parse_date(value: Any) -> dt.date | None:
    """Excel serial numbers, datetimes and the usual Chinese text forms; None if unreadable."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, int | float) and 1 <= value < 80_000:
        return dt.date(1899, 12, 30) + dt.timedelta(days=int(value))
    text = _text(value)
    if text.isdigit() and 1 <= int(text) < 80_000 and len(text) <= 5:
        return dt.date(1899, 12, 30) + dt.timedelta(days=int(text))
    match = _DATE_TEXT.fullmatch(text) or _DATE_COMPACT.fullmatch(text)
    if match:
        try:
            return dt.date(*(int(g) for g in match.groups()))
        except ValueError:
            return None
    return None


def header_lookup(headers: dict[str, tuple[str, ...]]) -> dict[str, str]:
    """Header name as people write it (lower-cased) -> canonical column, for `map_headers`."""
    return {alias.lower(): column for column, aliases in headers.items() for alias in aliases}


def map_headers(
    cells: list[Any], lookup: dict[str, str] | None = None
) -> tuple[dict[int, str], list[str]]:
    """Column index -> canonical name, and the headers nobody recognised; `lookup` is the
    customers' headers unless another import (the purchases') names its own."""
    lookup = _HEADER_LOOKUP if lookup is None else lookup
    mapping, unknown = {}, []
    for index, cell in enumerate(cells):
        header = _text(cell).lower().replace("：", "").replace(":", "").strip()
        header = re.sub(r"[（(].*?[)）]", "", header).strip()
        if not header:
            continue
        column = lookup.get(header)
        if column and column not in mapping.values():
            mapping[index] = column
        else:
            unknown.append(_text(cell))
    return mapping, unknown


class RowParser:
    def __init__(self, user: Any, default_branch: Branch | None) -> None:
        self.default_branch = default_branch
        visible = visible_branch_ids(user) if user != SYSTEM else None
        branches = Branch.objects.all()
        self.branches = {b.code.upper(): b for b in branches if visible is None or b.pk in visible}
        self.branch_names = {b.name: b for b in self.branches.values()}

    def branch_of(self, text: dict[str, str], error: Any) -> Branch | None:
        """The row's branch by code or name (within the importer's area), else the default;
        an unknown one is told through `error`."""
        if not text.get("branch"):
            return self.default_branch
        branch = self.branches.get(text["branch"].upper()) or self.branch_names.get(text["branch"])
        if branch is None:
            error(
                "branch",
                _("Branch “%(value)s” does not exist or is outside your area.")
                % {"value": text["branch"]},
            )
        return branch

    def parse(self, number: int, cells: dict[str, Any]) -> tuple[ParsedRow | None, list[RowError]]:
        errors: list[RowError] = []

        def error(column: str, reason: str) -> None:
            errors.append(RowError(number, COLUMN_LABELS[column], reason))

        text = {column: _text(value) for column, value in cells.items()}
        values: dict[str, Any] = {}
        name = text.get("name", "")
        if not name:
            error("name", _("The name is empty."))
        values["name"] = name[:200]
        for column in (
            "company_name",
            "province",
            "city",
            "district",
            "town",
            "address",
            "region",
            "occupation",
            "education",
            "income_band",
            "family",
        ):
            if text.get(column):
                values[column] = text[column][: Customer._meta.get_field(column).max_length]
        if text.get("kind"):
            kind = KINDS.get(text["kind"].lower())
            if kind is None:
                error(
                    "kind",
                    _("Unknown customer type “%(value)s” (use 个人 or 企业).")
                    % {"value": text["kind"]},
                )
            values["kind"] = kind
        if text.get("gender"):
            gender = GENDERS.get(text["gender"].lower())
            if gender is None:
                error(
                    "gender",
                    _("Unknown gender “%(value)s” (use 男 or 女).") % {"value": text["gender"]},
                )
            values["gender"] = gender
        if text.get("tier"):
            tier = TIERS.get(text["tier"].lower())
            if tier is None:
                error(
                    "tier",
                    _("Unknown tier “%(value)s” (use 大客户, VIP, 普通 or 小客户).")
                    % {"value": text["tier"]},
                )
            values["tier"] = tier
        if text.get("birth"):
            raw = cells["birth"]
            year = None
            if re.fullmatch(r"\d{4}", text["birth"]) and 1900 <= int(text["birth"]) <= 2100:
                year = int(text["birth"])
            else:
                born = parse_date(raw)
                year = born.year if born else None
            if year is None or not 1900 <= year <= dt.date.today().year:
                error(
                    "birth",
                    _("The birth date “%(value)s” is not a date.") % {"value": text["birth"]},
                )
            values["birth_year"] = year
        if text.get("callback_consent"):
            answer = text["callback_consent"].lower()
            if answer not in YES | NO:
                error(
                    "callback_consent",
                    _("Answer “%(value)s” is not yes or no.") % {"value": text["callback_consent"]},
                )
            values["callback_consent"] = answer in YES
        contacts: list[tuple[str, str, str]] = []
        for column in ("phone", "landline"):
            for raw in re.split(r"[;；,，/、]", text.get(column, "")):
                if not raw.strip():
                    continue
                number_text = normalise_phone(raw)
                kind = phone_kind(number_text) if number_text else None
                if kind is None:
                    error(
                        column,
                        _("The phone number “%(value)s” is not valid.") % {"value": raw.strip()},
                    )
                    continue
                contacts.append((kind, number_text, number_text))
        if text.get("email"):
            email = text["email"]
            if not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", email):
                error("email", _("The e-mail address “%(value)s” is not valid.") % {"value": email})
            else:
                contacts.append(("email", email, email.lower()))
        if text.get("wechat"):
            contacts.append(("wechat", text["wechat"], text["wechat"].lower()))
        branch = self.branch_of(text, error)
        if not text.get("branch") and branch is None:
            error("branch", _("No branch: add a branch column or choose a branch."))
        key = text.get("external_key", "")
        if not key:
            mobile = next((c[2] for c in contacts if c[0] == "mobile"), "")
            if mobile:
                key = f"M{mobile}"
            elif name and values.get("address"):
                digest = hashlib.sha1(f"{name}|{values['address']}".encode()).hexdigest()
                key = f"A{digest[:20]}"
            elif not errors:
                error(
                    "external_key",
                    _(
                        "The row has no customer number, mobile phone or "
                        "address, so the customer cannot be recognised."
                    ),
                )
        tags = [t for t in re.split(r"[;；,，/、\s]+", text.get("tags", "")) if t]
        if errors:
            return None, errors
        return ParsedRow(number, key[:64], values, contacts, tags, branch), []


# --- the import ---------------------------------------------------------------------------
def open_table(
    source: IO[bytes] | bytes | str | Path, filename: str | None
) -> tuple[str, list[Any], Iterator[tuple[int, list[Any]]]]:
    """The file's name, its header row and its other rows (numbered as the spreadsheet
    shows them), from a path, bytes or an upload; what every import reads its file with."""
    if isinstance(source, str | Path):
        filename = filename or str(source)
        data = Path(source).read_bytes()
    elif isinstance(source, bytes):
        data = source
    else:
        data = source.read()
    if not filename:
        raise ValidationError(_("The file name is needed to know the file type."))
    rows = read_table(data, filename)
    header = next(rows, None)
    if header is None:
        raise ValidationError(_("The file is empty."))
    return filename, header[1], rows


def data_rows(
    rows: Iterable[tuple[int, list[Any]]], mapping: dict[int, str], result: ImportResult
) -> Iterator[tuple[int, dict[str, Any]]]:
    """(row number, canonical column -> cell) of every row that is not empty, counted into
    `result.rows`; a file over MAX_ROWS is refused."""
    for number, cells in rows:
        if all(_text(c) == "" for c in cells):
            continue
        result.rows += 1
        if result.rows > MAX_ROWS:
            raise ValidationError(_("More than %(n)s rows: split the file.") % {"n": MAX_ROWS})
        yield (
            number,
            {
                column: cells[index] if index < len(cells) else None
                for index, column in mapping.items()
            },
        )


def import_file(
    actor: Any,
    source: IO[bytes] | bytes | str | Path,
    *,
    filename: str | None = None,
    branch: Branch | None = None,
    atomic: bool = False,
    dry_run: bool = False,
) -> ImportResult:
    if actor != SYSTEM:
        require_permission(actor, "customers.import")
        if branch is not None:
            require_branch(actor, branch.pk)
    filename, header, rows = open_table(source, filename)
    mapping, _unknown = map_headers(header)
    if "name" not in mapping.values():
        raise ValidationError(
            _("No name column found (姓名 or name); the first row must hold the column headers.")
        )
    position = {COLUMN_LABELS[column]: index for index, column in mapping.items()}
    parser = RowParser(actor, branch)
    result = ImportResult(dry_run=dry_run)
    parsed: dict[str, ParsedRow] = {}
    for number, row_cells in data_rows(rows, mapping, result):
        row, errors = parser.parse(number, row_cells)
        if errors:  # in the order of the file's columns, as a person reads the row
            result.errors.extend(sorted(errors, key=lambda e: position.get(e.column, 999)))
            continue
        first = parsed.get(row.key)
        if first is not None:
            result.errors.append(
                RowError(
                    number,
                    COLUMN_LABELS["external_key"],
                    _("Duplicate of row %(row)s (same customer).") % {"row": first.row},
                )
            )
            continue
        parsed[row.key] = row
    if (atomic and result.errors) or dry_run:
        _count_only(parsed.values(), result)
        return result
    with transaction.atomic():
        _write(actor, list(parsed.values()), result)
        audit.record(
            actor,
            AuditAction.IMPORT,
            None,
            branch_id=branch.pk if branch else None,
            after={"file": Path(filename).name, **result.counts()},
        )
        emit(
            CustomersImported(
                branch_id=branch.pk if branch else None,
                created=result.created,
                updated=result.updated,
                rejected=result.rejected_rows,
            ),
            actor=actor,
        )
    result.written = True
    if result.created + result.updated >= 10_000:
        refresh_statistics(Customer, Contact)
    return result


def _existing(keys: list[str]) -> dict[str, Customer]:
    found: dict[str, Customer] = {}
    for start in range(0, len(keys), CHUNK):
        for customer in Customer.objects.filter(external_key__in=keys[start : start + CHUNK]):
            found[customer.external_key] = customer
    return found


def _count_only(rows: Iterable[ParsedRow], result: ImportResult) -> None:
    rows = list(rows)
    existing = _existing([r.key for r in rows])
    result.updated = sum(1 for r in rows if r.key in existing)
    result.created = len(rows) - result.updated


def _write(actor: Any, rows: list[ParsedRow], result: ImportResult) -> None:
    existing = _existing([r.key for r in rows])
    new_customers, changed, fields_changed = [], [], set()
    for row in rows:
        customer = existing.get(row.key)
        if customer is None:
            customer = Customer(external_key=row.key, branch=row.branch, **row.values)
            customer.name_pinyin, customer.name_initials = pinyin_keys(customer.name)
            new_customers.append(customer)
            continue
        differs = False
        for name, value in row.values.items():
            if getattr(customer, name) != value:
                setattr(customer, name, value)
                fields_changed.add(name)
                differs = True
        if "name" in row.values and differs:
            customer.name_pinyin, customer.name_initials = pinyin_keys(customer.name)
            fields_changed |= {"name_pinyin", "name_initials"}
        if customer.branch_id != row.branch.pk:
            customer.branch = row.branch
            fields_changed.add("branch")
            differs = True
        if differs:
            changed.append(customer)
        else:
            result.unchanged += 1
    Customer.objects.bulk_create(new_customers, batch_size=2000)
    if changed:
        Customer.objects.bulk_update(changed, sorted(fields_changed), batch_size=1000)
    result.created, result.updated = len(new_customers), len(changed)
    by_key = {**existing, **{c.external_key: c for c in new_customers}}
    contacts, tag_links, tag_names = [], [], set()
    for row in rows:
        customer = by_key[row.key]
        for index, (kind, value, normalized) in enumerate(row.contacts):
            contacts.append(
                Contact(
                    customer_id=customer.pk,
                    kind=kind,
                    value=value,
                    normalized=normalized,
                    last4=normalized[-4:] if kind in ("mobile", "landline") else "",
                    is_primary=index == 0,
                )
            )
        tag_names.update(row.tags)
    Contact.objects.bulk_create(contacts, batch_size=5000, ignore_conflicts=True)
    if tag_names:
        Tag.objects.bulk_create([Tag(name=n[:50]) for n in tag_names], ignore_conflicts=True)
        tags = dict(
            Tag.objects.filter(name__in=[n[:50] for n in tag_names]).values_list("name", "pk")
        )
        through = Customer.tags.through
        for row in rows:
            for name in row.tags:
                tag_links.append(through(customer_id=by_key[row.key].pk, tag_id=tags[name[:50]]))
        through.objects.bulk_create(tag_links, batch_size=5000, ignore_conflicts=True)
