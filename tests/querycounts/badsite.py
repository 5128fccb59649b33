"""A deliberately bad page for the query-count check's own test: a list of branches that
reads each branch's region with one query per row (an N+1), beside the same list joining
the region in its one query."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.urls import path

from manyi.org.models import Branch, Company, Region

PREFIX = "QC"


def add_branches(how_many: int) -> None:
    company, _ = Company.objects.get_or_create(code="qc-test", defaults={"name": "计数公司"})
    region, _ = Region.objects.get_or_create(
        company=company, code="qc-region", defaults={"name": "计数区"}
    )
    have = Branch.objects.filter(code__startswith=PREFIX).count()
    for n in range(have, have + how_many):
        Branch.objects.create(region=region, code=f"{PREFIX}{n:02d}", name=f"网点{n}", city="上海")


def _rows(branches: list[Branch]) -> HttpResponse:
    return HttpResponse("\n".join(f"{b.name} {b.region.name}" for b in branches))


def one_query_per_row(request: HttpRequest) -> HttpResponse:
    return _rows(list(Branch.objects.filter(code__startswith=PREFIX).order_by("code")))


def one_query(request: HttpRequest) -> HttpResponse:
    branches = Branch.objects.filter(code__startswith=PREFIX).select_related("region")
    return _rows(list(branches.order_by("code")))


urlpatterns = [
    path("bad/", one_query_per_row),
    path("good/", one_query),
]
