"""Cached configuration is dropped the moment it changes in this process, and after its
time-to-live in the others."""

from __future__ import annotations

import time

import pytest

from manyi.core.configcache import ConfigCache
from manyi.org.models import Branch

pytestmark = pytest.mark.django_db


def test_a_change_to_a_dependency_drops_the_cache(org):
    cache: ConfigCache[list[str]] = ConfigCache("test-branches", depends_on=["org.Branch"])
    computed = []

    def names() -> list[str]:
        computed.append(1)
        return sorted(Branch.objects.values_list("name", flat=True))

    first = cache.get("all", names)
    assert cache.get("all", names) == first and len(computed) == 1
    org.a1.name = "上海一支行（新址）"
    org.a1.save()
    assert "上海一支行（新址）" in cache.get("all", names) and len(computed) == 2


def test_a_many_to_many_change_drops_the_cache_and_scopes_follow_at_once(org):
    from manyi.org.scoping import visible_branch_ids

    staff = org.agent_a1.staff
    assert visible_branch_ids(org.agent_a1) == frozenset({org.a1.pk})
    staff.branches.add(org.a2)
    fresh = type(org.agent_a1).objects.get(pk=org.agent_a1.pk)  # a new request's user
    assert visible_branch_ids(fresh) == frozenset({org.a1.pk, org.a2.pk})


def test_values_expire_after_their_time_to_live():
    cache: ConfigCache[float] = ConfigCache("test-ttl", depends_on=[], ttl=0.05)
    first = cache.get("now", time.monotonic)
    assert cache.get("now", time.monotonic) == first
    time.sleep(0.06)
    assert cache.get("now", time.monotonic) > first


def test_callers_get_copies_of_cached_model_instances(org):
    cache: ConfigCache[Branch] = ConfigCache("test-copy", depends_on=["org.Branch"])
    mine = cache.get("a1", lambda: Branch.objects.get(pk=org.a1.pk))
    mine.name = "changed by a caller"
    assert cache.get("a1", lambda: Branch.objects.get(pk=org.a1.pk)).name != "changed by a caller"


def test_a_revoked_token_is_refused_at_once(api, org):
    from manyi.org.actions import SYSTEM, revoke_api_token
    from manyi.org.models import ApiToken

    client = api(org.agent_a1)
    assert client.get("/org/me").status_code == 200
    revoke_api_token(SYSTEM, ApiToken.objects.get(user=org.agent_a1))
    assert client.get("/org/me").status_code == 401


def test_a_change_during_a_computation_is_not_overwritten_by_its_stale_result():
    cache: ConfigCache[int] = ConfigCache("test-race", depends_on=[])
    calls = []

    def compute_while_someone_changes_it() -> int:
        calls.append(1)
        if len(calls) == 1:
            cache.clear()  # what a save in another thread does meanwhile
        return len(calls)

    assert cache.get("k", compute_while_someone_changes_it) == 1  # used once, not kept
    assert cache.get("k", compute_while_someone_changes_it) == 2
    assert cache.get("k", compute_while_someone_changes_it) == 2  # now kept


def test_misses_are_not_kept_when_asked(org, api):
    from manyi.org.actions import _TOKENS, authenticate_token

    for n in range(5):
        assert authenticate_token(f"mny_unknown{n}") is None
    assert len(_TOKENS._entries) == 0


def test_what_a_request_sets_on_its_token_user_stays_with_that_request(org, api):
    from manyi.org.actions import SYSTEM, authenticate_token, create_api_token
    from manyi.org.scoping import visible_branch_ids

    _token, raw = create_api_token(SYSTEM, org.agent_a1)
    first = authenticate_token(raw)
    visible_branch_ids(first.staff.user)  # caches the scope on that object
    first.staff.user.marker = "request one"
    second = authenticate_token(raw)
    assert not hasattr(second, "marker") and not hasattr(second.staff.user, "marker")
    assert second.staff.user is second


def test_many_values_are_read_together_kept_and_bounded():
    cache: ConfigCache[int] = ConfigCache("test-many", depends_on=[], max_entries=4)
    asked: list[list] = []

    def read(missing: list) -> dict:
        asked.append(list(missing))
        return {key: key * 10 for key in missing if key != 3}  # 3 is unknown

    assert cache.get_many([1, 2, 3], read) == {1: 10, 2: 20}
    assert cache.get_many([2, 1, 4], read) == {1: 10, 2: 20, 4: 40}
    assert asked == [[1, 2, 3], [4]]  # only what was missing is read
    cache.get_many([5, 6], read)  # beyond four keys the cache starts afresh
    asked.clear()
    cache.get_many([1, 5], read)
    assert asked == [[1]]
