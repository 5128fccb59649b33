"""The Content-Security-Policy: every page says our own scripts and styles only, and no
template or rendered page holds the inline code the policy would block (the browser tests
also fail on anything it blocks, see tests/browser/conftest.py)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.test import Client

from manyi.customers import actions as customer_actions
from manyi.org.actions import SYSTEM

ROOT = Path(__file__).resolve().parents[2]
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>", re.I)
INLINE_STYLE = re.compile(r"<style\b|\sstyle\s*=", re.I)
HANDLER = re.compile(r"\son[a-z]+\s*=\s*[\"']", re.I)


def _offences(text: str) -> list[str]:
    found = []
    for name, pattern in (
        ("inline script", INLINE_SCRIPT),
        ("inline style", INLINE_STYLE),
        ("event handler attribute", HANDLER),
    ):
        found += [f"{name}: {m.group(0)!r}" for m in pattern.finditer(text)]
    return found


def test_no_template_holds_inline_script_style_or_handler():
    templates = list(ROOT.rglob("templates/**/*.html"))
    assert len(templates) > 40  # it looked where the templates are
    offences = {
        str(path.relative_to(ROOT)): found
        for path in templates
        if (found := _offences(path.read_text(encoding="utf-8")))
    }
    assert not offences, offences


def test_the_finder_finds_what_it_must():
    """The patterns above would catch each kind (a house rule that cannot fail is none)."""
    assert _offences("<script>alert(1)</script>")
    assert _offences('<p style="color:red">')
    assert _offences("<style>p{}</style>")
    assert _offences('<button onclick="go()">')
    assert not _offences('<script src="/static/a.js" defer></script>')
    assert not _offences('<script type="application/json" id="x">{}</script>')
    assert not _offences('<a href="/" data-onclick="x" class="button">')


def _policy(response) -> dict[str, list[str]]:
    header = response.headers.get("Content-Security-Policy", "")
    return {part.split()[0]: part.split()[1:] for part in header.split(";") if part.strip()}


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path",
    ["/login/", "/", "/customers/", "/tickets/", "/surveys/", "/api/v1/docs", "/api/v1/docs/try"],
)
def test_every_page_sends_a_policy_of_our_own_code_only(login, org, path):
    client = Client() if path == "/login/" else login(org.manager)
    response = client.get(path, follow=True)
    assert response.status_code == 200
    policy = _policy(response)
    assert policy["script-src"] == ["'self'"] and policy["style-src"] == ["'self'"]
    assert policy["object-src"] == ["'none'"] and policy["frame-ancestors"] == ["'none'"]
    assert "'unsafe-inline'" not in response.headers["Content-Security-Policy"]
    assert "'unsafe-eval'" not in response.headers["Content-Security-Policy"]


@pytest.mark.django_db
def test_rendered_pages_hold_no_inline_code(login, org):
    """Pages put together in Python too (charts, QR codes, forms) stay inside the policy."""
    from manyi.queues import actions as queue_actions

    customer = customer_actions.create_customer(SYSTEM, branch=org.a1, name="王芳")
    settings = queue_actions.ensure_settings(org.a1)
    client = login(org.manager)
    pages = [
        "/",
        f"/customers/{customer.pk}/",
        "/customers/segments/",
        "/tickets/",
        "/tickets/configuration/",
        "/tickets/configuration/sla/new/",
        "/surveys/",
        "/insight/",
        "/insight/new/",
        "/queues/?branch=A1",
        "/queues/rules/?branch=A1",
        "/queues/setup/?branch=A1",
        "/queues/stats/?branch=A1",
        f"/q/kiosk/{settings.kiosk_key}/",
        f"/q/board/{settings.board_key}/",
    ]
    offences = {}
    for path in pages:
        response = client.get(path, follow=True)
        assert response.status_code == 200, path
        if found := _offences(response.content.decode()):
            offences[path] = found
    assert not offences, offences
