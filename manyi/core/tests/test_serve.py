"""`manyi serve` in production mode: uvicorn, compressed static files, Chinese pages."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from django.conf import settings

pytestmark = pytest.mark.slow


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_serve_answers_with_static_files_and_health(tmp_path: Path):
    env = {
        **os.environ,
        "MANYI_VAR_DIR": str(tmp_path),
        "DATABASE_URL": f"sqlite:///{tmp_path}/serve.sqlite3",
        "MANYI_LOG_LEVEL": "WARNING",
    }
    env.pop("DJANGO_SETTINGS_MODULE", None)
    manyi = [sys.executable, "-m", "manyi.cli"]
    for command in (
        ["migrate", "--no-input", "-v", "0"],
        ["collectstatic", "--no-input", "-v", "0"],
    ):
        subprocess.run(manyi + command, env=env, cwd=settings.BASE_DIR, check=True, timeout=180)
    port = free_port()
    server = subprocess.Popen(
        [*manyi, "serve", "--port", str(port), "--workers", "1", "--no-tasks"],
        env=env,
        cwd=settings.BASE_DIR,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(120):
            try:
                health = urllib.request.urlopen(f"{base}/healthz", timeout=2)
                break
            except OSError:
                time.sleep(0.25)
        else:
            pytest.fail("the server did not answer within 30 s")
        assert health.status == 200
        login = urllib.request.urlopen(f"{base}/login/").read().decode()
        assert "登录满意" in login
        css_link = login.split('rel="stylesheet" href="', 1)[1].split('"', 1)[0]
        assert css_link != "/static/manyi/manyi.css"  # hashed name for cache busting
        request = urllib.request.Request(f"{base}{css_link}", headers={"Accept-Encoding": "gzip"})
        css = urllib.request.urlopen(request)
        assert css.status == 200 and css.headers["Content-Encoding"] == "gzip"
        assert "max-age" in css.headers["Cache-Control"]
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
    assert server.returncode == 0
