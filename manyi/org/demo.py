"""Demo organisation: a Chinese bank with 4 regions, 12 branches, departments and ~70 staff."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.hashers import make_password
from pypinyin import lazy_pinyin

from manyi.core.demo import DemoContext, demo_step

from . import actions
from .models import Branch, Company, Department, Region
from .roles import Role, Scope

REGIONS = [
    (
        "north",
        "华北区",
        [
            ("BJ01", "北京朝阳支行", "北京"),
            ("BJ02", "北京海淀支行", "北京"),
            ("TJ01", "天津和平支行", "天津"),
        ],
    ),
    (
        "east",
        "华东区",
        [
            ("SH01", "上海陆家嘴支行", "上海"),
            ("SH02", "上海徐汇支行", "上海"),
            ("HZ01", "杭州西湖支行", "杭州"),
            ("NJ01", "南京新街口支行", "南京"),
        ],
    ),
    (
        "south",
        "华南区",
        [
            ("GZ01", "广州天河支行", "广州"),
            ("SZ01", "深圳福田支行", "深圳"),
            ("XM01", "厦门思明支行", "厦门"),
        ],
    ),
    ("west", "西南区", [("CD01", "成都锦江支行", "成都"), ("CQ01", "重庆渝中支行", "重庆")]),
]
HEAD_OFFICE_DEPARTMENTS = [
    (Department.Kind.MANAGEMENT, "总行管理层"),
    (Department.Kind.QUALITY, "质量管理部"),
    (Department.Kind.MARKETING, "市场营销部"),
    (Department.Kind.WAREHOUSE, "物资仓储部"),
    (Department.Kind.AFTER_SALES, "售后服务部"),
    (Department.Kind.CUSTOMER_SERVICE, "客户服务中心"),
]


def _username(name: str, taken: set[str]) -> str:
    base = "".join(lazy_pinyin(name)) or "staff"
    candidate, n = base, 1
    while candidate in taken:
        n += 1
        candidate = f"{base}{n}"
    taken.add(candidate)
    return candidate


@demo_step("org", order=10)
def make_organisation(ctx: DemoContext) -> None:
    fake = ctx.faker("org")
    company = Company.objects.create(code="hexin", name="和信银行股份有限公司")
    branches: dict[str, Branch] = {}
    regions: dict[str, Region] = {}
    for code, name, branch_rows in REGIONS:
        region = Region.objects.create(company=company, code=code, name=name)
        regions[code] = region
        for branch_code, branch_name, city in branch_rows:
            branches[branch_code] = Branch.objects.create(
                region=region,
                code=branch_code,
                name=branch_name,
                city=city,
                address=f"{city}市{fake.street_address()}",
                phone=f"400-{ctx.rng.randint(100, 999)}-{ctx.rng.randint(1000, 9999)}",
            )
    head = {
        kind.value: Department.objects.create(company=company, kind=kind, name=name)
        for kind, name in HEAD_OFFICE_DEPARTMENTS
    }
    local_cs = {
        code: Department.objects.create(
            company=company,
            branch=branch,
            kind=Department.Kind.CUSTOMER_SERVICE,
            name=f"{branch.name}客服部",
        )
        for code, branch in branches.items()
    }

    password = settings.MANYI_DEMO_PASSWORD
    password_hash = make_password(password)  # hashed once: 70 hashes would take seconds
    taken: set[str] = set()

    def person(
        role: Role,
        *,
        username: str | None = None,
        branches_: list[Branch] = (),
        regions_: list[Region] = (),
        scope: Scope | None = None,
        department: Department | None = None,
    ) -> None:
        name = fake.name()
        actions.create_staff(
            actions.SYSTEM,
            username=username or _username(name, taken),
            name=name,
            role=role,
            branches=list(branches_),
            regions=list(regions_),
            scope=scope,
            company=company,
            department=department,
            phone=fake.phone_number(),
            id_number=fake.ssn(),
            password_hash=password_hash,
        )
        if username:
            taken.add(username)
            ctx.logins.append((username, password, f"{name} · {role.label}"))

    person(Role.ADMIN, username="admin", scope=Scope.COMPANY, department=head["management"])
    person(Role.MANAGER, username="manager", scope=Scope.COMPANY, department=head["management"])
    person(Role.ANALYST, username="analyst", scope=Scope.COMPANY, department=head["quality"])
    person(Role.ANALYST, scope=Scope.COMPANY, department=head["quality"])
    for kind in ("after_sales", "warehouse", "marketing", "quality"):
        person(Role.DEPARTMENT_HEAD, scope=Scope.COMPANY, department=head[kind])
    for code, region in regions.items():
        person(
            Role.MANAGER,
            username="east" if code == "east" else None,
            regions_=[region],
            scope=Scope.REGION,
            department=head["management"],
        )
    for code, branch in branches.items():
        dept = local_cs[code]
        person(
            Role.SUPERVISOR,
            username="supervisor" if code == "SH01" else None,
            branches_=[branch],
            department=dept,
        )
        for i in range(3):
            named = {("SH01", 0): "agent", ("BJ01", 0): "agent2"}.get((code, i))
            person(Role.AGENT, username=named, branches_=[branch], department=dept)
        person(Role.ACCOUNT_MANAGER, branches_=[branch], department=dept)
    ctx.data.update(company=company, regions=regions, branches=branches)
    ctx.log(f"organisation: {len(regions)} regions, {len(branches)} branches, {len(taken)} staff")
