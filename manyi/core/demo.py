"""The demo data generator: a registry of steps that each app adds to.

`manyi demo --seed N --size small|large` runs every registered step in order, in one
transaction. Each step gets its own random generator derived from the seed and its name, so
adding a step in a later module does not change what the earlier steps produce.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from django.db import transaction

Size = Literal["small", "large"]


@dataclass
class DemoContext:
    seed: int
    size: Size
    rng: random.Random = field(default_factory=random.Random)
    data: dict[str, Any] = field(default_factory=dict)  # objects shared between steps
    logins: list[tuple[str, str, str]] = field(default_factory=list)  # (user, password, who)
    log: Callable[[str], None] = print
    # Steps may read limits from here (tests ask for fewer rows): {"customers": 300}
    overrides: dict[str, int] = field(default_factory=dict)

    def faker(self, name: str) -> Any:
        from faker import Faker

        fake = Faker("zh_CN")
        fake.seed_instance(f"{self.seed}:{name}")
        return fake


@dataclass(frozen=True)
class DemoStep:
    name: str
    order: int
    run: Callable[[DemoContext], None]


_STEPS: dict[str, DemoStep] = {}


def demo_step(name: str, *, order: int) -> Callable[[Callable[[DemoContext], None]], Any]:
    def register(func: Callable[[DemoContext], None]) -> Callable[[DemoContext], None]:
        _STEPS[name] = DemoStep(name, order, func)
        return func

    return register


def steps() -> list[DemoStep]:
    return sorted(_STEPS.values(), key=lambda s: (s.order, s.name))


def database_is_empty() -> bool:
    from django.contrib.auth import get_user_model

    from manyi.org.models import Company

    return not Company.objects.exists() and not get_user_model().objects.exists()


def run_demo(
    *,
    seed: int = 2026,
    size: Size = "small",
    log: Callable[[str], None] = print,
    overrides: dict[str, int] | None = None,
) -> DemoContext:
    if not database_is_empty():
        raise RuntimeError("the database already has data; demo data goes into an empty one")
    ctx = DemoContext(seed=seed, size=size, log=log, overrides=overrides or {})
    with transaction.atomic():
        for step in steps():
            ctx.rng = random.Random(f"{seed}:{step.name}")
            step.run(ctx)
    _deliver_announced_events(log)
    _refresh_planner_statistics()
    return ctx


def _deliver_announced_events(log: Callable[[str], None]) -> None:
    """The year's events reach their listeners now (notifications dated when each thing
    happened), rather than as thousands of tasks for the first worker that starts; the
    queued tasks then find them delivered and do nothing."""
    from .events import deliver
    from .models import EventDelivery

    pending = list(
        EventDelivery.objects.filter(status=EventDelivery.Status.PENDING)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    for pk in pending:
        deliver(pk)
    log(f"  events: {len(pending)} delivered to their listeners")


def _refresh_planner_statistics() -> None:
    """Bulk-loaded tables look empty to the query planner until their statistics are taken
    (PostgreSQL's autovacuum does it some time later, SQLite never): the demo's pages would
    be slow on plans made for empty tables. A production database keeps its own."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
