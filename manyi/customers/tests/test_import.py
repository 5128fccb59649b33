"""Importing customer files as Chinese enterprises export them."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command

from manyi.customers.importer import import_file, parse_date
from manyi.customers.models import Contact, Customer
from manyi.org.actions import SYSTEM
from manyi.org.models import AuditEntry

CSV_ROWS = [
    "客户编号,姓名,手机,性别,出生日期,地址,等级,标签,网点",
    "K001,张伟,138-0013-8000,男,1985-03-12,上海市浦东新区世纪大道100号,大客户,老客户;理财偏好,A1",
    "K002,李娜,+86 139 0000 1111,女,1990/7/1,杭州市西湖区文三路1号,普通,,A2",
    "K003,王强,12345,男,1988-13-40,,VIP,,A1",
    "K004,赵敏,13700001111,女,31048,,贵宾,,A1",
    "K001,张伟,13800138000,男,1985-03-12,,大客户,,A1",
    "K005,孙丽,13600002222,未知,1979年5月3日,,钻石,,Z9",
]
CSV_REPORT = [
    ["行号", "列", "原因"],
    ["4", "手机", "电话号码“12345”无效。"],
    ["4", "出生日期", "出生日期“1988-13-40”不是有效日期。"],
    ["6", "客户编号", "与第 2 行重复（同一客户）。"],
    ["7", "性别", "无法识别的性别“未知”（请填写 男 或 女）。"],
    ["7", "等级", "无法识别的客户等级“钻石”（请填写 大客户、VIP、普通 或 小客户）。"],
    ["7", "网点", "网点“Z9”不存在或不在您的负责范围内。"],
]


def gb18030_csv() -> bytes:
    return ("\r\n".join(CSV_ROWS) + "\r\n").encode("gb18030")


def report_rows(result) -> list[list[str]]:
    return list(csv.reader(io.StringIO(result.report_csv())))


def test_gb18030_csv_with_an_exact_report(org):
    result = import_file(SYSTEM, gb18030_csv(), filename="客户.csv")
    assert report_rows(result) == CSV_REPORT
    assert result.counts() == {"rows": 6, "created": 3, "updated": 0, "unchanged": 0, "rejected": 3}
    zhang = Customer.objects.get(external_key="K001")
    assert (zhang.name, zhang.gender, zhang.birth_year, zhang.tier) == ("张伟", "male", 1985, "key")
    assert zhang.branch == org.a1 and zhang.name_initials == "zw"
    assert sorted(zhang.tags.values_list("name", flat=True)) == ["理财偏好", "老客户"]
    assert list(zhang.contacts.values_list("normalized", flat=True)) == ["13800138000"]
    assert Customer.objects.get(external_key="K002").branch == org.a2
    zhao = Customer.objects.get(external_key="K004")
    assert (zhao.birth_year, zhao.tier) == (1985, "vip")  # Excel serial 31048 = 1985-01-01
    entry = AuditEntry.objects.get(action="customers.import")
    assert entry.after == {
        "file": "客户.csv",
        "rows": 6,
        "created": 3,
        "updated": 0,
        "unchanged": 0,
        "rejected": 3,
    }


def test_atomic_import_writes_nothing(org):
    result = import_file(SYSTEM, gb18030_csv(), filename="客户.csv", atomic=True)
    assert not result.written and result.rejected_rows == 3
    assert report_rows(result) == CSV_REPORT
    assert not Customer.objects.exists() and not Contact.objects.exists()
    assert not AuditEntry.objects.filter(action="customers.import").exists()


def test_reimport_creates_no_duplicates(org):
    import_file(SYSTEM, gb18030_csv(), filename="a.csv")
    again = import_file(SYSTEM, gb18030_csv(), filename="a.csv")
    assert (again.created, again.updated, again.unchanged) == (0, 0, 3)
    assert Customer.objects.count() == 3 and Contact.objects.count() == 3
    changed = gb18030_csv().replace("普通".encode("gb18030"), b"VIP")
    third = import_file(SYSTEM, changed, filename="a.csv")
    assert (third.created, third.updated) == (0, 1)
    assert Customer.objects.get(external_key="K002").tier == "vip"


def xlsx_file() -> bytes:
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["\ufeff姓名", "手机号码", "出生日期", "客户等级", "地址", "备注"])
    sheet.append(
        [
            "欧阳娜娜",
            "１３８　１２３４　５６７８",
            dt.datetime(1992, 4, 5),
            "VIP",
            "广州市天河区体育西路1号",
            "老客户",
        ]
    )
    sheet.append(["陈晨", "+86-139-8765-4321", 33000, "普通", "", ""])
    sheet.append(["林峰", "138-1234", "2024年1月5日", "普通", "", ""])
    sheet.append(["黄蕾", "13512345678", "明天", "普通", "", ""])
    sheet.append(["欧阳娜娜", "13812345678", "1992-04-05", "VIP", "", ""])
    sheet.append(["周杰", "０２０－８７６５４３２１", "1980", "小客户", "深圳市福田区", ""])
    sheet.append([None, None, None, None, None, None])  # empty rows are skipped
    stream = io.BytesIO()
    workbook.save(stream)
    return stream.getvalue()


def test_xlsx_with_full_width_digits_bom_bad_phones_bad_dates_and_duplicates(org):
    result = import_file(SYSTEM, xlsx_file(), filename="导出.xlsx", branch=org.a1)
    assert report_rows(result) == [
        ["行号", "列", "原因"],
        ["4", "手机", "电话号码“138-1234”无效。"],
        ["5", "出生日期", "出生日期“明天”不是有效日期。"],
        ["6", "客户编号", "与第 2 行重复（同一客户）。"],
    ]
    assert result.created == 3
    ouyang = Customer.objects.get(name="欧阳娜娜")
    assert ouyang.external_key == "M13812345678"  # no customer number: keyed by mobile
    assert (ouyang.birth_year, ouyang.tier, ouyang.name_initials) == (1992, "vip", "oynn")
    chen = Customer.objects.get(name="陈晨")
    assert chen.birth_year == 1990  # serial 33000 = 1990-05-06
    assert chen.contacts.get().normalized == "13987654321"
    zhou = Customer.objects.get(name="周杰")
    assert zhou.contacts.get().kind == "landline" and zhou.birth_year == 1980


def test_unreadable_files_are_refused_clearly(org):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError, match="xlsx"):
        import_file(SYSTEM, b"whatever", filename="customers.pdf")
    with pytest.raises(ValidationError, match="姓名"):
        import_file(SYSTEM, "手机\n13800138000\n".encode(), filename="x.csv", branch=org.a1)
    with pytest.raises(ValidationError):
        import_file(SYSTEM, b"PK\x03\x04broken", filename="x.xlsx")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2024-01-05", dt.date(2024, 1, 5)),
        ("2024/1/5", dt.date(2024, 1, 5)),
        ("2024.01.05", dt.date(2024, 1, 5)),
        ("2024年1月5日", dt.date(2024, 1, 5)),
        ("20240105", dt.date(2024, 1, 5)),
        (45296, dt.date(2024, 1, 5)),
        ("45296", dt.date(2024, 1, 5)),
        (dt.datetime(2024, 1, 5, 8), dt.date(2024, 1, 5)),
        ("２０２４－０１－０５", dt.date(2024, 1, 5)),
        ("2024-02-30", None),
        ("昨天", None),
    ],
)
def test_dates(value, expected):
    assert parse_date(value) == expected


def test_command_line_import_with_report(org, tmp_path):
    source = tmp_path / "客户.csv"
    source.write_bytes(gb18030_csv())
    report = tmp_path / "report.csv"
    with pytest.raises(CommandError, match="nothing was imported"):
        call_command(
            "import",
            "customers",
            str(source),
            "--branch",
            "A1",
            "--atomic",
            "--report",
            str(report),
            stdout=io.StringIO(),
            stderr=io.StringIO(),
        )
    assert not Customer.objects.exists()
    assert list(csv.reader(io.StringIO(report.read_text(encoding="utf-8-sig")))) == CSV_REPORT
    out = io.StringIO()
    call_command(
        "import", "customers", str(source), "--branch", "A1", stdout=out, stderr=io.StringIO()
    )
    assert "3 created" in out.getvalue() and Customer.objects.count() == 3


def test_import_page_previews_then_imports(org, login):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client = login(org.supervisor_a1)
    upload = SimpleUploadedFile("客户.csv", gb18030_csv(), content_type="text/csv")
    preview = client.post("/customers/import/", {"file": upload, "branch": org.a1.pk})
    page = preview.content.decode()
    assert "电话号码“12345”无效" in page and not Customer.objects.exists()
    upload = SimpleUploadedFile("客户.csv", gb18030_csv(), content_type="text/csv")
    client.post("/customers/import/", {"file": upload, "branch": org.a1.pk, "confirm": "on"})
    # A1 supervisor: the A2 row is outside the area and refused.
    assert set(Customer.objects.values_list("external_key", flat=True)) == {"K001", "K004"}


def test_export_is_masked_for_agents(org, login):
    from openpyxl import load_workbook

    import_file(SYSTEM, gb18030_csv(), filename="a.csv")
    response = login(org.agent_a1).get("/customers/export.xlsx")
    assert response.status_code == 403  # agents do not export
    response = login(org.analyst).get("/customers/export.xlsx?q=张伟")
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "客户编号" and rows[1][1] == "张伟"
    assert rows[1][6] == "138****8000"
    assert AuditEntry.objects.filter(action="customers.export").exists()


def test_legacy_xls_with_date_cells(org):
    import xlwt

    book = xlwt.Workbook(encoding="utf-8")
    sheet = book.add_sheet("客户")
    date_style = xlwt.easyxf(num_format_str="YYYY-MM-DD")
    for column, header in enumerate(["客户编号", "姓名", "手机", "出生日期", "网点"]):
        sheet.write(0, column, header)
    sheet.write(1, 0, "X001")
    sheet.write(1, 1, "韩梅梅")
    sheet.write(1, 2, 13812340000)  # a phone stored as a number, as Excel users do
    sheet.write(1, 3, dt.date(1991, 2, 3), date_style)
    sheet.write(1, 4, "A2")
    stream = io.BytesIO()
    book.save(stream)
    result = import_file(SYSTEM, stream.getvalue(), filename="老系统导出.xls")
    assert result.errors == [] and result.created == 1
    han = Customer.objects.get(external_key="X001")
    assert (han.birth_year, han.branch, han.name_initials) == (1991, org.a2, "hmm")
    assert han.contacts.get().normalized == "13812340000"


def test_duplicates_page_merges(org, login):
    from manyi.customers import actions

    first = actions.create_customer(
        SYSTEM, branch=org.a1, name="刘洋", contacts=[("phone", "13611112222")]
    )
    second = actions.create_customer(
        SYSTEM, branch=org.a1, name="刘洋", contacts=[("phone", "136-1111-2222")]
    )
    client = login(org.supervisor_a1)
    page = client.get("/customers/duplicates/").content.decode()
    assert "13611112222" in page and "电话相同" in page
    response = client.post(
        "/customers/duplicates/", {"keep": first.pk, "merge": [first.pk, second.pk]}
    )
    assert response.status_code == 302
    assert Customer.objects.get(pk=second.pk).merged_into_id == first.pk
    assert "没有疑似重复的客户" in client.get("/customers/duplicates/").content.decode()


def test_a_field_longer_than_the_csv_limit_is_refused_with_its_row(org, login, tmp_path):
    """Python's csv module stops at 131,072 characters a field: a clear refusal, in the page
    and the command, and nothing half-imported."""
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.core.management import CommandError, call_command

    text = "客户编号,姓名,手机,网点\r\nL1,刘一,13800138000,A1\r\nL2," + "长" * 140_000 + ",,A1\r\n"
    data = text.encode("utf-8")
    with pytest.raises(ValidationError, match=r"第 3 行|Row 3"):
        import_file(SYSTEM, data, filename="long.csv")
    client = login(org.admin)
    page = client.post(
        "/customers/import/",
        {
            "file": SimpleUploadedFile("long.csv", data, content_type="text/csv"),
            "branch": org.a1.pk,
        },
    )
    assert page.status_code == 200 and "第 3 行" in page.content.decode()
    path = tmp_path / "long.csv"
    path.write_bytes(data)
    with pytest.raises(CommandError, match=r"第 3 行|Row 3"):
        call_command("import", "customers", str(path))
    assert not Customer.objects.exists()
