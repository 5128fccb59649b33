"""Purchases imported from the files shops and banks export, with the customer import's
encodings, row report and all-or-nothing option, by page and by `manyi import`."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.utils import timezone
from django.utils.translation import gettext as _

from manyi.customers import actions
from manyi.customers.models import Customer, Transaction
from manyi.customers.purchase_import import parse_datetime, parse_decimal
from manyi.org.actions import SYSTEM
from manyi.org.models import AuditEntry

ROWS = [
    "客户编号,手机,产品,类别,金额（元）,日期,数量,渠道,单号,网点",
    'C001,,稳盈理财90天,理财,"¥50,000.00",2025-03-01 10:30,1,柜台,P-1,',
    ",13900008000,大额存单,存款,200000,2025/4/2,,线上,,A1",
    "C404,,基金定投,基金,3000,2025-05-01,,,,",
    "C001,,信用卡年费,,12.345,2025-05-02,,,,",
    "C001,,贵金属,,-8,明天,,飞鸽,,",
    "C001,,稳盈理财90天,理财,50000,2025-03-01,,,P-1,",
    ",,保险,,100,2025-06-01,,,,",
    "C003,,基金定投,基金,3000,2025-06-01,2,,,Z9",
]


def expected_report() -> list[list[str]]:
    """The row report, in the reader's language (the messages as the catalogue has them)."""
    return [
        [_("Row"), _("Column"), _("Reason")],
        [
            "4",
            "客户编号",
            _("No customer with the number “%(value)s” in your area.") % {"value": "C404"},
        ],
        [
            "5",
            "金额",
            _("The amount “%(value)s” is not a sum in yuan, exact to the fen (e.g. 1234.50).")
            % {"value": "12.345"},
        ],
        ["6", "金额", _("The amount “%(value)s” is negative.") % {"value": "-8"}],
        ["6", "日期", _("The date “%(value)s” is not a date.") % {"value": "明天"}],
        [
            "6",
            "渠道",
            _("Unknown channel “%(value)s” (use 门店, 线上, 电话, 经销商 or 客户经理).")
            % {"value": "飞鸽"},
        ],
        ["7", "单号", _("Duplicate of row %(row)s (same purchase).") % {"row": 2}],
        [
            "8",
            "客户编号",
            _("The row names no customer: give the customer number or the phone."),
        ],
        [
            "9",
            "网点",
            _("Branch “%(value)s” does not exist or is outside your area.") % {"value": "Z9"},
        ],
    ]


def gb18030_csv(rows: list[str] = ROWS) -> bytes:
    return ("\r\n".join(rows) + "\r\n").encode("gb18030")


def report_rows(result) -> list[list[str]]:
    return list(csv.reader(io.StringIO(result.report_csv())))


def test_gb18030_csv_with_an_exact_report(org, people):
    result = actions.import_transactions(SYSTEM, gb18030_csv(), filename="购买.csv")
    assert report_rows(result) == expected_report()
    assert result.counts() == {"rows": 8, "created": 2, "unchanged": 0, "rejected": 6}
    zhang, zhao = people["zhang"], people["zhao"]
    deposit = Transaction.objects.get(product="稳盈理财90天", external_ref="P-1")
    assert deposit.customer == zhang and deposit.amount == Decimal("50000.00")
    assert deposit.channel == "store" and deposit.branch == org.a1  # the customer's own branch
    local = timezone.localtime(deposit.occurred_at)
    assert (local.date(), local.hour, local.minute) == (dt.date(2025, 3, 1), 10, 30)
    by_phone = Transaction.objects.get(product="大额存单", customer=zhao)  # found by phone
    assert by_phone.channel == "online" and by_phone.reference == ""  # its key is not shown
    assert by_phone.external_ref.startswith("auto-")
    entry = AuditEntry.objects.get(action="customers.transaction.import")
    assert entry.after == {
        "file": "购买.csv",
        "rows": 8,
        "created": 2,
        "unchanged": 0,
        "rejected": 6,
    }


def test_importing_the_same_file_again_adds_nothing(org, people):
    actions.import_transactions(SYSTEM, gb18030_csv(), filename="a.csv")
    before = Transaction.objects.count()
    again = actions.import_transactions(SYSTEM, gb18030_csv(), filename="a.csv")
    assert (again.created, again.unchanged) == (0, 2) and Transaction.objects.count() == before


def test_two_identical_rows_are_two_purchases(org, people):
    rows = ["客户编号,产品,金额,日期", "C002,咖啡,30,2025-07-01", "C002,咖啡,30,2025-07-01"]
    first = actions.import_transactions(SYSTEM, gb18030_csv(rows), filename="a.csv")
    again = actions.import_transactions(SYSTEM, gb18030_csv(rows), filename="a.csv")
    assert (first.created, again.created, again.unchanged) == (2, 0, 2)
    assert people["zhao"].transactions.filter(product="咖啡").count() == 2


def test_atomic_import_writes_nothing_for_one_bad_row(org, people):
    before = Transaction.objects.count()
    result = actions.import_transactions(SYSTEM, gb18030_csv(), filename="a.csv", atomic=True)
    assert not result.written and result.rejected_rows == 6
    assert report_rows(result) == expected_report()
    assert Transaction.objects.count() == before
    assert not AuditEntry.objects.filter(action="customers.transaction.import").exists()


def test_dry_run_counts_without_writing(org, people):
    result = actions.import_transactions(SYSTEM, gb18030_csv(), filename="a.csv", dry_run=True)
    assert (result.created, result.written) == (2, False)
    assert not Transaction.objects.filter(external_ref="P-1").exists()


def xlsx_file() -> bytes:
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["\ufeff手机号码", "商品名称", "实付金额", "下单时间", "件数", "面积", "活动"])
    sheet.append(
        ["１３８　００１３　８０００", "精装三居", 3990800, dt.datetime(2025, 8, 8, 15, 0)]
    )
    sheet.append(["13700007777", "车险", 0.1 + 0.2, 45296.75, 2, None, "开门红"])  # float noise
    sheet.append(["13700007777", "洋房", 1800000, "2025年9月1日", None, 89.5])
    sheet.append(["13812345678", "车险", 100, "2025-09-02"])  # nobody has this phone
    sheet.append([None, None, None, None])  # empty rows are skipped
    stream = io.BytesIO()
    workbook.save(stream)
    return stream.getvalue()


def test_xlsx_with_full_width_digits_serial_dates_and_unknown_phones(org, people):
    result = actions.import_transactions(SYSTEM, xlsx_file(), filename="成交.xlsx")
    assert report_rows(result) == [
        [_("Row"), _("Column"), _("Reason")],
        [
            "5",
            "手机",
            _("No customer with the phone “%(value)s” in your area.") % {"value": "13812345678"},
        ],
    ]
    assert (result.rows, result.created) == (4, 3)
    house = Transaction.objects.get(product="精装三居")
    assert house.customer == people["zhang"] and house.amount == Decimal("3990800.00")
    insurance = Transaction.objects.get(product="车险")
    assert insurance.amount == Decimal("0.30") and insurance.quantity == Decimal("2")
    local = timezone.localtime(insurance.occurred_at)
    assert (local.date(), local.hour) == (dt.date(2024, 1, 5), 18)  # serial 45296.75
    assert insurance.promotion == "开门红" and insurance.customer == people["wang"]
    assert Transaction.objects.get(product="洋房").area == Decimal("89.50")


def test_a_merged_customer_stands_for_the_one_kept(org, people):
    twin = actions.create_customer(SYSTEM, branch=org.a1, name="张伟", external_key="C001-OLD")
    actions.merge_customers(SYSTEM, people["zhang"], [twin])
    rows = ["客户编号,产品,金额,日期", "C001-OLD,基金,10,2025-07-01"]
    result = actions.import_transactions(SYSTEM, gb18030_csv(rows), filename="a.csv")
    assert result.errors == [] and Transaction.objects.get(
        product="基金", amount=10
    ).customer_id == (people["zhang"].pk)


def test_a_phone_two_customers_share_needs_the_number(org, people):
    actions.create_customer(
        SYSTEM, branch=org.a2, name="张伟之妻", contacts=[("phone", "13800138000")]
    )
    rows = ["手机,产品,金额,日期", "13800138000,基金,10,2025-07-01"]
    result = actions.import_transactions(SYSTEM, gb18030_csv(rows), filename="a.csv")
    assert [e.column for e in result.errors] == ["手机"] and "13800138000" in result.errors[
        0
    ].reason
    assert not Transaction.objects.filter(product="基金", amount=10).exists()


def test_a_person_imports_only_for_the_customers_they_see(org, people):
    rows = ["客户编号,产品,金额,日期", "C001,基金,10,2025-07-01", "C003,基金,10,2025-07-01"]
    result = actions.import_transactions(org.supervisor_a1, gb18030_csv(rows), filename="a.csv")
    assert result.created == 1 and [e.row for e in result.errors] == [3]  # C003 is in B1
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        actions.import_transactions(org.agent_a1, gb18030_csv(rows), filename="a.csv")


def test_files_without_the_needed_columns_are_refused(org):
    with pytest.raises(ValidationError, match="产品"):
        actions.import_transactions(SYSTEM, "客户编号,金额\nC1,1\n".encode(), filename="x.csv")
    with pytest.raises(ValidationError, match="xlsx"):
        actions.import_transactions(SYSTEM, b"whatever", filename="x.pdf")


def test_the_scores_are_redone_after_an_import(org, people, django_capture_on_commit_callbacks):
    assert Customer.objects.get(pk=people["zhao"].pk).r_score is None
    rows = ["客户编号,产品,金额,日期", "C002,基金,10,2025-07-01"]
    with django_capture_on_commit_callbacks(execute=True):
        actions.import_transactions(SYSTEM, gb18030_csv(rows), filename="a.csv")
    assert Customer.objects.get(pk=people["zhao"].pk).r_score is not None


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2025-03-01 14:30", (2025, 3, 1, 14, 30)),
        ("2025/3/1 14:30:15", (2025, 3, 1, 14, 30)),
        ("2025年3月1日", (2025, 3, 1, 0, 0)),
        ("2025年3月1日 14时30分", (2025, 3, 1, 14, 30)),
        ("20250301", (2025, 3, 1, 0, 0)),
        (45296.5, (2024, 1, 5, 12, 0)),
        (dt.datetime(2025, 3, 1, 8, 5), (2025, 3, 1, 8, 5)),
        ("２０２５－０３－０１　０９：１５", (2025, 3, 1, 9, 15)),
        ("2025-03-01 25:00", None),
        ("昨天", None),
    ],
)
def test_times(value, expected):
    parsed = parse_datetime(value)
    if expected is None:
        assert parsed is None
    else:
        local = timezone.localtime(parsed)
        assert (local.year, local.month, local.day, local.hour, local.minute) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("¥1,234.50", Decimal("1234.50")),
        ("1234.5元", Decimal("1234.5")),
        ("８８８", Decimal("888")),
        (0.1 + 0.2, Decimal("0.3")),
        (3990800, Decimal("3990800")),
        ("RMB 100", Decimal("100")),
        ("一百", None),
        ("", None),
    ],
)
def test_amounts(value, expected):
    assert parse_decimal(value) == expected


def test_command_line_import_with_atomic_and_report(org, people, tmp_path):
    source = tmp_path / "购买.csv"
    source.write_bytes(gb18030_csv())
    report = tmp_path / "report.csv"
    before = Transaction.objects.count()
    with pytest.raises(CommandError, match="nothing was imported"):
        call_command(
            "import",
            "transactions",
            str(source),
            "--atomic",
            "--report",
            str(report),
            stdout=io.StringIO(),
            stderr=io.StringIO(),
        )
    assert Transaction.objects.count() == before
    written = list(csv.reader(io.StringIO(report.read_text(encoding="utf-8-sig"))))
    assert written == expected_report()
    out, err = io.StringIO(), io.StringIO()
    call_command("import", "transactions", str(source), stdout=out, stderr=err)
    assert "2 purchases added" in out.getvalue() and Transaction.objects.count() == before + 2
    assert "row 4 [客户编号]" in err.getvalue()  # the bad rows, told on the way
    good = tmp_path / "good.csv"
    good.write_bytes(gb18030_csv(["客户编号,产品,金额,日期", "C002,基金,10,2025-07-01"]))
    out = io.StringIO()
    call_command("import", "transactions", str(good), "--branch", "A2", stdout=out)
    assert "1 purchases added" in out.getvalue()
    assert Transaction.objects.get(product="基金", amount=10).branch == org.a2


def test_import_page_previews_then_imports(org, people, login):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client = login(org.supervisor_a1)
    assert client.get("/customers/purchases/import/").status_code == 200
    before = Transaction.objects.count()

    def upload() -> SimpleUploadedFile:
        return SimpleUploadedFile("购买.csv", gb18030_csv(), content_type="text/csv")

    page = client.post("/customers/purchases/import/", {"file": upload()}).content.decode()
    assert "C404" in page and Transaction.objects.count() == before  # a preview writes nothing
    client.post("/customers/purchases/import/", {"file": upload(), "confirm": "on", "atomic": "on"})
    assert Transaction.objects.count() == before  # all or nothing, and a row is bad
    client.post("/customers/purchases/import/", {"file": upload(), "confirm": "on"})
    # the A1 supervisor: rows of customers in B1 (C003) are refused, the others written
    assert Transaction.objects.count() == before + 2
    assert 'id="import-purchases"' in client.get("/customers/").content.decode()
