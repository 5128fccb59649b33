"""`make messages` leaves nothing to translate: every string in the code has its Chinese,
and no entry is a guess (fuzzy) that nobody checked."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from django.core.management import call_command

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.skipif(shutil.which("msgattrib") is None, reason="gettext tools are not installed")
def test_the_catalogue_is_complete(tmp_path, settings):
    copy = tmp_path / "project"
    shutil.copytree(
        ROOT / "manyi", copy / "manyi", ignore=shutil.ignore_patterns("__pycache__", "*.pyc")
    )
    shutil.copytree(ROOT / "locale", copy / "locale")
    settings.LOCALE_PATHS = [copy / "locale"]
    here = Path.cwd()
    os.chdir(copy)
    try:
        call_command(
            "makemessages", locale=["zh_Hans"], no_obsolete=True, verbosity=0, keep_pot=False
        )
    finally:
        os.chdir(here)
    po = copy / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"
    problems = {}
    for option in ("--untranslated", "--only-fuzzy"):
        found = subprocess.run(
            ["msgattrib", option, "--no-wrap", str(po)], capture_output=True, text=True, check=True
        ).stdout
        ids = [
            line[6:]
            for line in found.splitlines()
            if line.startswith('msgid "') and line != 'msgid ""'
        ]
        if ids:
            problems[option] = ids
    assert not problems, f"run `make messages` and translate: {problems}"
