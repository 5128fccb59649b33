"""Seed 000's rule in full on the page: the analyst enters each item's cost and feasibility
and reads the ideal order beside the order adjusted for them."""

from __future__ import annotations

import pytest

from manyi.insight import actions
from manyi.insight.models import AnalysisRun
from manyi.insight.tests.test_insight import ECSI_YAML, mobi_bytes, upload  # noqa: F401
from manyi.org.models import AuditEntry

pytestmark = pytest.mark.django_db


@pytest.fixture
def run(org, mobi_bytes):  # noqa: F811
    dataset = upload(org.analyst, mobi_bytes)
    done = actions.start_run(org.analyst, dataset=dataset, model_yaml=ECSI_YAML, options={})
    assert done.status == AnalysisRun.Status.DONE
    return done


def _form(run, **entries) -> dict[str, str]:
    data = {"cost_scale": "rating", "feasibility_scale": "share"}
    for number, row in enumerate(run.result["priority"]):
        cost, feasibility = entries.get(row["item"], ("", ""))
        data[f"cost_{number}"], data[f"feasibility_{number}"] = str(cost), str(feasibility)
    return data


def test_costs_reorder_the_ranking_and_the_ideal_order_stays_beside(org, run, login):
    client = login(org.analyst)
    priority = run.result["priority"]
    first, second = priority[0]["item"], priority[1]["item"]
    # the first item is dear and hard, the second cheap and easy: the second comes first
    answer = client.post(
        f"/insight/runs/{run.pk}/costs/", _form(run, **{first: (5, 0.2), second: (1, 1)})
    )
    assert answer.status_code == 302 and answer["Location"].endswith("#adjusted")
    run.refresh_from_db()
    assert run.costs["items"][first] == {"cost": 5.0, "feasibility": 0.2}
    page = client.get(f"/insight/runs/{run.pk}/").content.decode()
    assert 'id="adjusted-ranking"' in page and "每个成本等级可提升的满意度分值" in page
    rows = actions.adjusted_priority(priority, run.costs["items"], "rating", "share")
    ordered = rows.sort_values("adjusted_rank")["item"].tolist()
    assert ordered.index(second) < ordered.index(first)
    assert AuditEntry.objects.filter(action="insight.run.costs").count() == 1


def test_impossible_entries_are_refused_in_chinese_and_nothing_is_kept(org, run, login):
    client = login(org.analyst)
    first = run.result["priority"][0]["item"]
    answer = client.post(f"/insight/runs/{run.pk}/costs/", _form(run, **{first: (9, 0.5)}))
    assert answer.status_code == 200
    text = answer.content.decode()
    assert "1" in text and "5" in text and 'id="costs"' in text and " open" in text
    run.refresh_from_db()
    assert run.costs is None
    assert not AuditEntry.objects.filter(action="insight.run.costs").exists()


def test_clearing_every_entry_clears_the_adjustment(org, run, login):
    client = login(org.analyst)
    first = run.result["priority"][0]["item"]
    client.post(f"/insight/runs/{run.pk}/costs/", _form(run, **{first: (2, 0.5)}))
    client.post(f"/insight/runs/{run.pk}/costs/", _form(run))
    run.refresh_from_db()
    assert run.costs is None
    assert 'id="adjusted-ranking"' not in client.get(f"/insight/runs/{run.pk}/").content.decode()


def test_an_agent_may_not_enter_costs(org, run, login):
    answer = login(org.agent_a1).post(f"/insight/runs/{run.pk}/costs/", _form(run))
    assert answer.status_code in (403, 404)
