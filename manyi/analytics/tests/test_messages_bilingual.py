"""A house rule: every error an analyst or author can cause carries its Chinese text."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
BILINGUAL = {"PLSError", "XLSFormError", "ReplayError"}


def test_every_analysis_error_has_chinese():
    missing = []
    for source in sorted((ROOT / "manyi").rglob("*.py")):
        if "/tests/" in source.as_posix():
            continue
        for node in ast.walk(ast.parse(source.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            name = getattr(node.func, "id", getattr(node.func, "attr", None))
            if name in BILINGUAL and not any(k.arg == "zh" for k in node.keywords):
                missing.append(f"{source.relative_to(ROOT)}:{node.lineno}")
    assert missing == []
