"""Real-browser tests: Playwright driving Debian's chromium (/usr/bin/chromium)."""

from __future__ import annotations

import os
import shutil

import pytest

CHROMIUM = os.environ.get("MANYI_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-gpu",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-dev-shm-usage",
]


def pytest_collection_modifyitems(config, items) -> None:
    for item in items:
        if "tests/browser" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


def _watch_the_content_security_policy(browser) -> list[str]:
    """Collect what the policy blocks on any page of any context the test opens (an
    inline script, style or handler that slipped in), so the test fails on it."""
    refused: list[str] = []
    open_context = browser.new_context

    def new_context(*args, **kwargs):
        context = open_context(*args, **kwargs)
        context.on(
            "console",
            lambda message: (
                refused.append(message.text) if "Content Security Policy" in message.text else None
            ),
        )
        return context

    browser.new_context = new_context
    return refused


@pytest.fixture
def browser_page(live_server, monkeypatch):
    """A fresh chromium page. Create database rows before asking for it: Playwright's sync
    API runs an event loop, so the ORM must be told it is safe to run beside it."""
    if not shutil.which(CHROMIUM):
        pytest.fail(f"chromium not found at {CHROMIUM}: `make test` installs it")
    from playwright.sync_api import sync_playwright

    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        refused = _watch_the_content_security_policy(browser)
        context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 800})
        page = context.new_page()
        page.set_default_timeout(15_000)
        yield page
        context.close()
        browser.close()
        # every page of every browser test runs under the policy: nothing it blocked
        assert not refused, f"the Content-Security-Policy blocked: {refused}"
        # the ORM used inside Playwright's context (its greenlet) got connections of its own;
        # left open, PostgreSQL refuses to drop the test database at the end of the session
        from django.db import connections

        connections.close_all()
