"""Customer 360 at scale: search and the tracking card on BENCH_CUSTOMERS customers (default
1,000,000), and importing 100,000 CSV rows against a plain bulk_create of the same rows.

Generating a million customers takes about ten minutes on SQLite; to measure again on the
same data, point BENCH_DATABASE_URL at a kept SQLite file (sqlite:////path/bench.sqlite3).
"""

from __future__ import annotations

import io
import os
import random
import time

from bench import django_env
from bench.timing import median_ms

CUSTOMERS = int(os.environ.get("BENCH_CUSTOMERS", 1_000_000))
IMPORT_ROWS = int(os.environ.get("BENCH_IMPORT_ROWS", 100_000))


def run() -> list[dict]:
    django_env.setup()
    from django.db import connection
    from django.test import Client

    from manyi.core.demo import database_is_empty, run_demo
    from manyi.customers.models import Contact, Customer
    from manyi.org.actions import SYSTEM, create_api_token
    from manyi.org.models import Staff

    vendor = connection.vendor
    rows: list[dict] = []
    if database_is_empty():
        start = time.perf_counter()
        run_demo(seed=7, size="large", log=lambda line: None, overrides={"customers": CUSTOMERS})
        rows.append(
            {
                "benchmark": f"demo: {CUSTOMERS:,} customers with purchases ({vendor})",
                "median_ms": (time.perf_counter() - start) * 1000,
                "runs": 1,
            }
        )
    total = Customer.objects.count()
    agent = Staff.objects.get(user__username="agent")
    manager = Staff.objects.get(user__username="manager")
    rng = random.Random(3)
    # Terms drawn from the demo customers of the agent's branch, the same on every database
    # (the rows earlier import benchmarks added are left out).
    demo = Customer.objects.filter(external_key__startswith="D", branch__in=agent.branches.all())
    suffixes = list(
        Contact.objects.filter(customer__in=demo.order_by("pk")[:5000]).values_list(
            "last4", flat=True
        )
    )
    names = [n[:2] for n in demo.order_by("pk").values_list("name", flat=True)[:5000]]
    for who in (agent, manager):
        _token, raw = create_api_token(SYSTEM, who.user)
        client = Client()
        headers = {"Authorization": f"Bearer {raw}"}

        def by_suffix(client=client, headers=headers) -> None:
            response = client.get(
                f"/api/v1/customers?q={rng.choice(suffixes)}&limit=20", headers=headers
            )
            assert response.status_code == 200

        def by_name(client=client, headers=headers) -> None:
            response = client.get(
                f"/api/v1/customers?q={rng.choice(names)}&limit=20", headers=headers
            )
            assert response.status_code == 200

        scope = "agent, 1 branch" if who == agent else "manager, whole company"
        rows.append(
            {
                "benchmark": f"API search by phone last 4 ({scope}, {vendor})",
                "median_ms": median_ms(by_suffix, repeat=200),
                "customers": total,
            }
        )
        rows.append(
            {
                "benchmark": f"API search by name prefix ({scope}, {vendor})",
                "median_ms": median_ms(by_name, repeat=200),
                "customers": total,
            }
        )

    card_client = Client()
    card_client.force_login(agent.user, backend="django.contrib.auth.backends.ModelBackend")
    ids = list(
        Customer.objects.filter(branch__in=agent.branches.all()).values_list("pk", flat=True)[:2000]
    )

    def card() -> None:
        response = card_client.get(f"/customers/{rng.choice(ids)}/")
        assert response.status_code == 200

    rows.append(
        {
            "benchmark": f"tracking card page ({vendor})",
            "median_ms": median_ms(card, repeat=200),
            "customers": total,
        }
    )
    rows.extend(_import_rows(vendor))
    return rows


def _csv(n: int, prefix: str) -> bytes:
    rng = random.Random(prefix)
    lines = ["客户编号,姓名,手机,性别,出生日期,地址,等级,网点"]
    for i in range(n):
        phone = f"1{rng.choice('3456789')}{rng.randrange(10**9):09d}"
        lines.append(
            f"{prefix}{i:08d},张{'伟芳娜敏静'[i % 5]}{i % 97},{phone},"
            f"{'男女'[i % 2]},198{i % 10}-0{1 + i % 9}-1{i % 9},"
            f"上海市浦东新区世纪大道{i % 999}号,{['普通', 'VIP', '大客户'][i % 3]},"
            f"{['SH01', 'SH02', 'BJ01'][i % 3]}"
        )
    return ("\n".join(lines) + "\n").encode("gb18030")


def _import_rows(vendor: str) -> list[dict]:
    from django.db import transaction

    from manyi.analytics.text import pinyin_keys
    from manyi.customers.importer import import_file
    from manyi.customers.models import Contact, Customer
    from manyi.org.actions import SYSTEM
    from manyi.org.models import Branch

    run = time.strftime("%H%M%S")  # fresh keys, so a reused database takes them as new
    data = _csv(IMPORT_ROWS, prefix=f"IMP{run}")
    start = time.perf_counter()
    result = import_file(SYSTEM, io.BytesIO(data), filename="bench.csv")
    import_s = time.perf_counter() - start
    assert result.created == IMPORT_ROWS, result.counts()

    # The floor: the same rows, already parsed, written with a plain bulk_create.
    branches = {b.code: b for b in Branch.objects.all()}
    parsed = [line.split(",") for line in data.decode("gb18030").splitlines()[1:]]
    start = time.perf_counter()
    with transaction.atomic():
        customers = [
            Customer(
                external_key=f"F{row[0]}",
                name=row[1],
                gender="male",
                birth_year=int(row[4][:4]),
                address=row[5],
                tier="ordinary",
                branch=branches[row[7]],
                name_pinyin=pinyin_keys(row[1])[0],
                name_initials=pinyin_keys(row[1])[1],
            )
            for row in parsed
        ]
        Customer.objects.bulk_create(customers, batch_size=2000)
        Contact.objects.bulk_create(
            [
                Contact(
                    customer=c,
                    kind="mobile",
                    value=row[2],
                    normalized=row[2],
                    last4=row[2][-4:],
                    is_primary=True,
                )
                for c, row in zip(customers, parsed, strict=True)
            ],
            batch_size=5000,
        )
    floor_s = time.perf_counter() - start
    again_start = time.perf_counter()
    again = import_file(SYSTEM, io.BytesIO(data), filename="bench.csv")
    again_s = time.perf_counter() - again_start
    assert again.created == 0 and again.unchanged == IMPORT_ROWS
    return [
        {
            "benchmark": f"import {IMPORT_ROWS:,} CSV rows, GB18030 ({vendor})",
            "median_ms": import_s * 1000,
            "runs": 1,
            "ratio_to_floor": round(import_s / floor_s, 2),
        },
        {
            "benchmark": f"floor: bulk_create of the same parsed rows ({vendor})",
            "median_ms": floor_s * 1000,
            "runs": 1,
        },
        {
            "benchmark": f"re-import the same file: all unchanged ({vendor})",
            "median_ms": again_s * 1000,
            "runs": 1,
        },
    ]
