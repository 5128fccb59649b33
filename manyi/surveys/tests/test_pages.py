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
    by_branch = client.get("/surveys/after_sales/?question=nps&metric=nps&by=branch")
    table = by_branch.content.decode().split('id="by-group"')[1].split("</table>")[0]
    assert "<td>上海一支行</td>" in table and "<td>杭州支行</td>" in table  # by name
    assert "<td>A1</td>" not in table and "<td>A2</td>" not in table  # not by code
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


def test_a_campaign_from_the_page_launch_figures_and_close(login, org, answered):  # noqa: F811
    from manyi.customers import actions as customer_actions
    from manyi.customers.models import Segment
    from manyi.org.actions import SYSTEM
    from manyi.surveys import actions, channels
    from manyi.surveys.models import Campaign

    channels.console_outbox.clear()
    segment = Segment.objects.create(name="A1 客户", rules=[])
    for n in range(3):
        customer_actions.create_customer(
            SYSTEM, branch=org.a1, name=f"短信{n}", contacts=[("mobile", f"1380000000{n}")]
        )
    client = login(org.manager)
    refused = client.post(
        "/surveys/after_sales/campaigns/",
        {"name": "x", "segment": segment.pk, "channel": "sms", "message": "没有链接"},
        follow=True,
    )
    assert "{链接}" in refused.content.decode() and not Campaign.objects.exists()
    made = client.post(
        "/surveys/after_sales/campaigns/",
        {
            "name": "十一月回访",
            "segment": segment.pk,
            "channel": "sms",
            "message": "{客户}您好，请评价：{链接}",
            "reminder_after_days": "3",
            "max_reminders": "1",
            "quota_by": "branch",
            "quota_per_cell": "1",
        },
    )
    campaign = Campaign.objects.get()
    assert made["Location"] == f"/surveys/campaigns/{campaign.pk}/"
    assert "草稿" in client.get(made["Location"]).content.decode()
    launched = client.post(f"/surveys/campaigns/{campaign.pk}/launch/", follow=True)
    assert "已发送 3" in launched.content.decode()
    token = channels.console_outbox[0].text.split("/s/")[1].split("/")[0]
    actions.submit(token, {"visited": "yes", "sat": "5", "nps": "9"}, submission_key="page-0001")
    page = client.get(f"/surveys/campaigns/{campaign.pk}/?question=nps&metric=nps").content
    text = page.decode()
    assert "33.3%" in text  # 1 of 3 sent
    assert 'id="quota-cells"' in text and "1 / 1" in text  # the A1 cell is full
    assert "n = 1" in text and "100.0" in text  # the campaign's own NPS, not the 6 others
    listing = client.get("/surveys/after_sales/?question=nps&metric=nps&by=campaign").content
    assert "十一月回访" in listing.decode()
    client.post(f"/surveys/campaigns/{campaign.pk}/close/")
    campaign.refresh_from_db()
    assert campaign.state == "closed"
    with pytest.raises(actions.LinkUnusable):
        actions.open_link(channels.console_outbox[1].text.split("/s/")[1].split("/")[0])
    again = client.post(f"/surveys/campaigns/{campaign.pk}/launch/", follow=True)
    assert "此调查活动已结束" in again.content.decode()  # a closed campaign sends nothing


def test_figures_by_segment_on_the_page(login, org, answered):  # noqa: F811
    from manyi.customers.models import Segment

    none = Segment.objects.create(
        name="无人", rules=[{"field": "tier", "op": "eq", "value": "vip"}]
    )
    page = login(org.manager).get(
        f"/surveys/after_sales/?question=nps&metric=nps&by=agent&segment={none.pk}"
    )
    text = page.content.decode()
    assert "无人" in text and "n = 0" in text
    # a segment that is not a number (typed into the address) is no segment, not a 500
    for odd in ("abc", "9" * 30, "-1"):
        odd_page = login(org.manager).get(f"/surveys/after_sales/?question=nps&segment={odd}")
        assert odd_page.status_code == 200


def test_the_editor_is_linked_for_designers_only(login, org, answered):  # noqa: F811
    assert (
        'id="edit-questionnaire"'
        in login(org.manager).get("/surveys/after_sales/").content.decode()
    )
    page = login(org.agent_a1).get("/surveys/after_sales/")
    assert page.status_code == 200 and 'id="edit-questionnaire"' not in page.content.decode()
