"""The branch queues' periodic jobs (every app's tasks.py is discovered by manyi.core)."""

from __future__ import annotations

from manyi.core.tasks import periodic

from . import actions


@periodic("queues.close_the_day", minutes=30)
def close_the_day() -> int:
    """Numbers still open after closing time are marked left, so tomorrow starts clean."""
    return actions.close_the_day()
