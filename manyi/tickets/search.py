"""Chinese full-text search over tickets.

Chinese has no spaces, so the words are found by jieba when a ticket is saved and stored
space-separated in `Ticket.search_text`. SQLite indexes that column with an FTS5 table kept
in step by triggers; PostgreSQL with a GIN index on its 'simple' text-search vector. A query
is cut the same way and every word must occur: 投诉 finds "客户投诉退款处理很慢".
"""

from __future__ import annotations

from django.db import connection, connections
from django.db.models import QuerySet
from django.db.models.expressions import RawSQL

from manyi.analytics.text import segment

from .models import Ticket

SQLITE_TABLE = (
    "CREATE VIRTUAL TABLE IF NOT EXISTS tickets_ticket_fts USING fts5("
    "search_text, content='tickets_ticket', content_rowid='id', tokenize='unicode61')"
)
SQLITE_TRIGGERS = {
    "tickets_ticket_fts_insert": "AFTER INSERT ON tickets_ticket BEGIN "
    "INSERT INTO tickets_ticket_fts(rowid, search_text) VALUES (new.id, new.search_text); END",
    "tickets_ticket_fts_delete": "AFTER DELETE ON tickets_ticket BEGIN "
    "INSERT INTO tickets_ticket_fts(tickets_ticket_fts, rowid, search_text) "
    "VALUES ('delete', old.id, old.search_text); END",
    "tickets_ticket_fts_update": "AFTER UPDATE OF search_text ON tickets_ticket BEGIN "
    "INSERT INTO tickets_ticket_fts(tickets_ticket_fts, rowid, search_text) "
    "VALUES ('delete', old.id, old.search_text); "
    "INSERT INTO tickets_ticket_fts(rowid, search_text) VALUES (new.id, new.search_text); END",
}
POSTGRES_INDEX = (
    "CREATE INDEX IF NOT EXISTS tickets_ticket_search ON tickets_ticket "
    "USING GIN (to_tsvector('simple', search_text))"
)


def ensure_index(using: str = "default") -> None:
    """Create the full-text index if it is missing; run after every migrate. On SQLite a
    migration that rebuilds the ticket table drops its triggers, so they are checked, put
    back and the index rebuilt whenever one was missing."""
    db = connections[using]
    tables = db.introspection.table_names()
    if "tickets_ticket" not in tables:
        return
    with db.cursor() as cursor:
        if db.vendor == "sqlite":
            cursor.execute(SQLITE_TABLE)
            cursor.execute(
                "SELECT name FROM sqlite_master WHERE type = 'trigger' "
                "AND name LIKE 'tickets_ticket_fts_%'"
            )
            present = {row[0] for row in cursor.fetchall()}
            missing = [name for name in SQLITE_TRIGGERS if name not in present]
            for name in missing:
                cursor.execute(f"CREATE TRIGGER {name} {SQLITE_TRIGGERS[name]}")
            if missing:
                cursor.execute(
                    "INSERT INTO tickets_ticket_fts(tickets_ticket_fts) VALUES ('rebuild')"
                )
        elif db.vendor == "postgresql":
            cursor.execute(POSTGRES_INDEX)


# Counting every match of a common word among a million tickets costs more than finding
# the first page; searches report "this many or more" beyond this.
COUNT_CAP = 1000


def search(tickets: QuerySet[Ticket], query: str) -> QuerySet[Ticket]:
    """Tickets with every word of `query`, newest registered first.

    The order matters for speed: on SQLite the join is driven from the full-text index in
    descending rowid order, so the first page of a word found in a quarter of a million
    tickets is read without sorting them; on PostgreSQL the newest-first primary key scan
    stops as soon as a page is full."""
    words = segment(query)
    if not words:
        return tickets
    if connection.vendor == "sqlite":
        match = " AND ".join('"' + w.replace('"', '""') + '"' for w in words)
        return tickets.extra(
            tables=["tickets_ticket_fts"],
            where=[
                "tickets_ticket_fts.rowid = tickets_ticket.id",
                "tickets_ticket_fts MATCH %s",
            ],
            params=[match],
        ).order_by(RawSQL("tickets_ticket_fts.rowid", []).desc())
    if connection.vendor == "postgresql":
        return tickets.extra(
            where=[
                "to_tsvector('simple', tickets_ticket.search_text) @@ plainto_tsquery('simple', %s)"
            ],
            params=[" ".join(words)],
        ).order_by("-pk")
    for word in words:  # any other database: slower, but the same answer
        tickets = tickets.filter(search_text__contains=word)
    return tickets.order_by("-pk")


def capped_count(tickets: QuerySet[Ticket], cap: int = COUNT_CAP) -> tuple[int, bool]:
    """(count, True when there are more than `cap`), counting no further than the cap."""
    found = tickets[: cap + 1].count()
    return min(found, cap), found > cap
