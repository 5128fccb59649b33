"""One door per change: models are written in the apps' `actions.py` and nowhere else
(views, API handlers, admin, subscribers, jobs and helpers call actions). A static check
over the source, so a write slipped into a view fails here before review."""

from __future__ import annotations

import ast
from pathlib import Path

MANYI = Path(__file__).resolve().parents[2] / "manyi"

# Model methods that write, whatever they are called on...
WRITES = {
    "save",
    "delete",
    "create",
    "bulk_create",
    "bulk_update",
    "get_or_create",
    "update_or_create",
}
# ...and `update`, which writes only on a queryset (dict.update does not).
QUERYSET_WRITES = {"update"}
_QUERYSET_HINTS = {"objects", "filter", "exclude", "all", "select_for_update", "_default_manager"}

# The modules besides actions.py that may write, and why.
ALLOWED = {
    "core/events.py": "the event outbox: events and their deliveries, written by emit()",
    "core/tasks.py": "the task schedule rows, written by migrate",
    "org/audit.py": "the audit trail itself (audit.record, called by actions)",
    "org/models.py": "AuditEntry.save refuses edits of the trail",
    "customers/timeline.py": "the customer's timeline, a projection fed by actions and events",
    "customers/importer.py": "the bulk writer behind actions.import_customers",
    "businesstime/testing.py": "test helpers",
    "core/qr.py": "not a model: segno saves a QR code's picture into memory",
}


def writes_in(source: str) -> list[tuple[int, str]]:
    """(line, method) of every model write in a module's source."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
            continue
        name = node.func.attr
        receiver = ast.unparse(node.func.value)
        if name == "save" and (
            any(k.arg == "commit" for k in node.keywords) or "book" in receiver.lower()
        ):
            continue  # a ModelForm's save(commit=False), an Excel workbook's save
        if name in WRITES or (name in QUERYSET_WRITES and _on_queryset(node.func.value)):
            found.append((node.lineno, name))
    return found


def _on_queryset(node: ast.AST) -> bool:
    while isinstance(node, ast.Attribute | ast.Call | ast.Subscript):
        if isinstance(node, ast.Attribute) and node.attr in _QUERYSET_HINTS:
            return True
        node = node.func if isinstance(node, ast.Call) else node.value
    return False


def is_actions_module(where: str) -> bool:
    """An app's door for changes: its `actions.py`, or any module of its `actions/`
    package (an app that splits its actions by subject, e.g. `surveys/actions/links.py`)."""
    parts = Path(where).parts
    return parts[-1] == "actions.py" or (len(parts) == 3 and parts[1] == "actions")


def _modules() -> list[Path]:
    return sorted(
        p
        for p in MANYI.rglob("*.py")
        if not {"tests", "migrations", "analytics"} & set(p.relative_to(MANYI).parts)
        and not is_actions_module(p.relative_to(MANYI).as_posix())
        and p.name != "demo.py"  # demo steps load data in one transaction
    )


def test_models_are_written_only_in_actions():
    offenders = []
    for path in _modules():
        where = path.relative_to(MANYI).as_posix()
        if where in ALLOWED:
            continue
        offenders += [
            f"manyi/{where}:{line}: .{name}()" for line, name in writes_in(path.read_text())
        ]
    assert not offenders, "move these writes behind the app's actions.py:\n" + "\n".join(offenders)


def test_every_allowed_writer_still_exists_and_writes():
    for where, why in ALLOWED.items():
        path = MANYI / where
        assert path.exists(), f"{where} is gone: drop it from ALLOWED ({why})"
        assert writes_in(path.read_text()), f"{where} no longer writes: drop it from ALLOWED"


def test_the_check_catches_a_view_that_writes():
    bad_view = """
def save_view(request):
    SavedView.objects.update_or_create(owner=me, name=name, defaults={})
    Ticket.objects.filter(pk=1).update(status="closed")
    ticket.save()
    form.save(commit=False)
    workbook.save(stream)
    options.update({"a": 1})
"""
    assert writes_in(bad_view) == [(3, "update_or_create"), (4, "update"), (5, "save")]


def test_only_the_actions_are_left_out_of_the_check():
    assert is_actions_module("tickets/actions.py")
    assert is_actions_module("surveys/actions/links.py")
    assert is_actions_module("surveys/actions/__init__.py")
    assert not is_actions_module("surveys/views.py")
    assert not is_actions_module("surveys/reading.py")
    assert not is_actions_module("surveys/actions_helpers.py")
    assert not is_actions_module("surveys/forms.py")
    assert not is_actions_module("actions/views.py")  # an app named actions is no door
    assert not is_actions_module("surveys/views/actions/x.py")  # nor a folder deeper down
    checked = {p.relative_to(MANYI).as_posix() for p in _modules()}
    assert {"surveys/views.py", "surveys/reading.py", "tickets/views.py"} <= checked
    assert not {"surveys/actions/links.py", "tickets/actions.py"} & checked
