"""The staff pages: import an XLSForm, read the figures, make a QR link."""

from __future__ import annotations

import pytest

from manyi.analytics.tests.test_xlsform import workbook
from manyi.surveys.tests.test_metrics import answered  # noqa: F401  (fixture)

pytestmark = pytest.mark.django_db


def test_import_from_the_page_and_read_the_figures(login, org, tmp_path, answered):  # noqa: F811
    client = login(org.manager)
    listing = client.get("/surveys/")
    assert listing.status_code == 200 and "after_sales" in listing.content.decode()
    with workbook(tmp_path / "again.xlsx").open("rb") as handle:
        done = client.post("/surveys/", {"file": handle}, follow=True)
    page = done.content.decode()
    assert "geopoint" in page  # what was left out is said
    assert 'id="overall"' in page and "n = 6" in page
    by_branch = client.get("/surveys/after_sales/?question=nps&metric=nps&by=branch").content
    assert "A1" in by_branch.decode() and "A2" in by_branch.decode()
    assert "排队" in page  # the words customers wrote
    qr = client.post("/surveys/after_sales/links/", {"channel": "qr"})
    assert qr.status_code == 200 and b"<svg" in qr.content and b"/s/" in qr.content


def test_agents_see_but_do_not_import(login, org, tmp_path):
    client = login(org.agent_a1)
    assert client.get("/surveys/").status_code == 200
    assert "upload-xlsform" not in client.get("/surveys/").content.decode()
    with workbook(tmp_path / "f.xlsx").open("rb") as handle:
        refused = client.post("/surveys/", {"file": handle}, follow=True)
    assert refused.status_code == 403


def test_draw_a_call_list_from_the_page(login, org, answered):  # noqa: F811
    from manyi.customers.models import Segment
    from manyi.surveys.models import CallList

    segment = Segment.objects.create(name="全部", rules=[])
    client = login(org.manager)
    drawn = client.post(
        "/surveys/after_sales/calls/",
        {"name": "电话回访", "segment": segment.pk, "size": 3, "seed": 7, "stratify_by": ""},
    )
    call_list = CallList.objects.get()
    assert drawn.status_code == 302 and drawn["Location"] == f"/surveys/calls/{call_list.pk}/"
    assert "电话回访" in client.get("/surveys/after_sales/").content.decode()
