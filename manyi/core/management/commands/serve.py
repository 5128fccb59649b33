"""`manyi serve`: the production web server (uvicorn) and the task worker, together."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Serve the app with uvicorn and run the background task worker beside it."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--host", default=os.environ.get("MANYI_HOST", "127.0.0.1"))
        parser.add_argument("--port", type=int, default=int(os.environ.get("MANYI_PORT", 8000)))
        parser.add_argument(
            "--workers", type=int, default=int(os.environ.get("MANYI_WEB_WORKERS", 2))
        )
        parser.add_argument(
            "--no-tasks",
            action="store_true",
            help="do not start the task worker (it runs elsewhere)",
        )

    def handle(self, *args, host: str, port: int, workers: int, no_tasks: bool, **options) -> None:
        from manyi.core.tasks import ensure_schedules

        ensure_schedules()
        children: list[subprocess.Popen] = []
        if not no_tasks:
            children.append(subprocess.Popen([sys.executable, "-m", "manyi.cli", "qcluster"]))
        children.append(
            subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "uvicorn",
                    "manyi.asgi:application",
                    "--host",
                    host,
                    "--port",
                    str(port),
                    "--workers",
                    str(workers),
                    "--proxy-headers",
                    "--no-server-header",
                    "--timeout-graceful-shutdown",
                    "10",
                ]
            )
        )
        self.stdout.write(f"Manyi is serving on http://{host}:{port}/ (Ctrl+C stops it)")

        requested = []  # set by a signal: a stop we asked for, not a crash

        def terminate() -> None:
            for child in children:
                if child.poll() is None:
                    child.send_signal(signal.SIGTERM)

        def on_signal(*_args) -> None:
            requested.append(True)
            terminate()

        signal.signal(signal.SIGTERM, on_signal)
        signal.signal(signal.SIGINT, on_signal)
        try:
            while not requested and all(child.poll() is None for child in children):
                time.sleep(0.5)
        finally:
            terminate()
            for child in children:
                try:
                    child.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    child.kill()
        if not requested:  # a child died on its own: tell whoever supervises us
            code = next((c.returncode for c in children if c.returncode), 1)
            sys.exit(code if code > 0 else 1)
