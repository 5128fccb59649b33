"""The crawl walks the shared small demo (tests/demo_site.py), on its fixed clock."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="module")
def demo_site(django_db_setup, django_db_blocker):
    from tests.demo_site import demo_site as load

    yield from load(django_db_blocker)
