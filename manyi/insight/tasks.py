"""The satisfaction index's periodic jobs (discovered by manyi.core)."""

from __future__ import annotations

from manyi.core.tasks import periodic

from . import actions


@periodic("insight.fail_stale_runs", minutes=15)
def fail_stale_runs() -> int:
    """An analysis whose worker died is marked failed, so it can be run again."""
    return actions.fail_stale_runs()


@periodic("insight.run_due_waves", minutes=24 * 60)
def run_due_waves() -> int:
    """Every index programme's waves that have ended are computed once."""
    return actions.run_all_due_waves()
