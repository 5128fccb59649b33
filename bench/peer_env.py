"""Peers in environments of their own: bench/.peers/<name>, built with the project's uv from
bench/peers/<name>_requirements.txt (every package pinned) and rebuilt when that file
changes; a peer is driven by bench/peers/<name>_runner.py in a subprocess (JSON in, JSON
out), never imported into the project's venv."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


class PeerUnavailable(RuntimeError):
    """The peer could not be installed or run; the rows say so instead of failing the run."""


def _uv() -> str:
    """The uv that `make install` puts in the project venv, else one on PATH."""
    local = ROOT / ".venv" / "bin" / "uv"
    if local.exists():
        return str(local)
    found = shutil.which("uv")
    if not found:
        raise PeerUnavailable("no uv (run `make install`)")
    return found


def peer_python(name: str) -> Path:
    """The peer env's Python, (re)built when missing or when the requirements changed."""
    home = ROOT / "bench" / ".peers" / name
    requirements = ROOT / "bench" / "peers" / f"{name}_requirements.txt"
    python = home / "bin" / "python"
    stamp = home / "requirements.sha256"
    wanted = hashlib.sha256(requirements.read_bytes()).hexdigest()
    if python.exists() and stamp.exists() and stamp.read_text().strip() == wanted:
        return python
    shutil.rmtree(home, ignore_errors=True)
    # The Makefile points UV_PYTHON and UV_PROJECT_ENVIRONMENT at the project venv.
    env = {k: v for k, v in os.environ.items() if k not in {"UV_PYTHON", "UV_PROJECT_ENVIRONMENT"}}
    uv = _uv()
    for command in (
        [uv, "venv", str(home), "--python", "3.11", "--quiet"],
        [uv, "pip", "install", "--python", str(python), "-r", str(requirements), "--quiet"],
    ):
        done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
        if done.returncode:
            shutil.rmtree(home, ignore_errors=True)
            raise PeerUnavailable(f"{' '.join(command[1:3])} failed: {done.stderr.strip()[-500:]}")
    stamp.write_text(wanted + "\n")
    return python


def run_peer(name: str, spec: dict, *, timeout: float = 3600) -> dict:
    """Run bench/peers/<name>_runner.py with `spec` on stdin; its JSON answer."""
    runner = ROOT / "bench" / "peers" / f"{name}_runner.py"
    try:
        done = subprocess.run(
            [str(peer_python(name)), str(runner)],
            input=json.dumps(spec),
            capture_output=True,
            text=True,
            check=False,
            timeout=timeout,
            cwd=runner.parent,
        )
    except subprocess.TimeoutExpired as exc:
        raise PeerUnavailable(f"the {name} runner took over {timeout:.0f} s") from exc
    if done.returncode:
        raise PeerUnavailable(f"runner failed: {done.stderr.strip()[-800:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])
