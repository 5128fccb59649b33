"""Chinese full-text search over tickets.

Chinese has no spaces, so the words are found by jieba when a ticket is saved and stored
space-separated in `Ticket.search_text`. SQLite indexes that column with an FTS5 table kept
in step by triggers; PostgreSQL stores its 'simple' text-search vector in a generated
column with a GIN index. A query
is cut the same way and every word must occur: 投诉 finds "客户投诉退款处理很慢".
"""

from __future__ import annotations

import re

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
# PostgreSQL keeps the words as a stored tsvector next to the text, so a newest-first scan
# that checks row after row does not rebuild the vector for each one.
POSTGRES_DDL = (
    "ALTER TABLE tickets_ticket ADD COLUMN IF NOT EXISTS search_vector tsvector "
    "GENERATED ALWAYS AS (to_tsvector('simple', search_text)) STORED",
    "CREATE INDEX IF NOT EXISTS tickets_ticket_search_vector ON tickets_ticket "
    "USING GIN (search_vector)",
    "DROP INDEX IF EXISTS tickets_ticket_search",
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
            cursor.execute(
                "SELECT 1 FROM pg_indexes WHERE tablename = 'tickets_ticket' "
                "AND indexname = 'tickets_ticket_search_vector'"
            )
            if cursor.fetchone() is None:  # once: adding the column rewrites the table
                for statement in POSTGRES_DDL:
                    cursor.execute(statement)


_INDEXABLE = re.compile(r"[^\W_]")
# Counting every match of a common word among a million tickets costs more than finding
# the first page; searches report "this many or more" beyond this.
COUNT_CAP = 1000


def search(tickets: QuerySet[Ticket], query: str) -> QuerySet[Ticket]:
    """Tickets with every word of `query`, the most recently entered first (by id: a
    ticket carried over from an older system with its old date counts as entered now).

    The order matters for speed: on SQLite the join is driven from the full-text index in
    descending rowid order, so the first page of a word found in a quarter of a million
    tickets is read without sorting them; on PostgreSQL the newest-first primary key scan
    stops as soon as a page is full."""
    words = query_words(query)
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
            where=["tickets_ticket.search_vector @@ plainto_tsquery('simple', %s)"],
            params=[" ".join(words)],
        ).order_by("-pk")
    for word in words:  # any other database: slower, but the same answer
        tickets = tickets.filter(search_text__contains=word)
    return tickets.order_by("-pk")


def query_words(query: str) -> list[str]:
    """The query's words, without those inside a longer one (信用 in 信用卡): a ticket with
    the longer word has the shorter one too, and fewer terms make a cheaper search whose
    size the database estimates better."""
    # A word must hold a letter, digit or character: "_" alone is no word to FTS5.
    words = [w for w in dict.fromkeys(segment(query)) if _INDEXABLE.search(w)]
    return [w for w in words if not any(w != other and w in other for other in words)]


def capped_count(tickets: QuerySet[Ticket], cap: int = COUNT_CAP) -> tuple[int, bool]:
    """(count, True when there are more than `cap`), counting no further than the cap.
    SQLite keeps the order (it drives the join from the full-text index); PostgreSQL counts
    best from its bitmap of matches, in no particular order."""
    if connection.vendor != "sqlite":
        tickets = tickets.order_by()
    found = tickets[: cap + 1].count()
    return min(found, cap), found > cap
