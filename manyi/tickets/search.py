"""Chinese full-text search over tickets.

Chinese has no spaces, so the words are found by jieba when a ticket is saved and stored
space-separated in `Ticket.search_text`. SQLite indexes that column with an FTS5 table kept
in step by triggers; PostgreSQL with a GIN index on its 'simple' text-search vector. A query
is cut the same way and every word must occur: 投诉 finds "客户投诉退款处理很慢".
"""

from __future__ import annotations

from django.db import connection
from django.db.models import QuerySet

from manyi.analytics.text import segment

from .models import Ticket


def search(tickets: QuerySet[Ticket], query: str) -> QuerySet[Ticket]:
    words = segment(query)
    if not words:
        return tickets
    if connection.vendor == "sqlite":
        match = " AND ".join('"' + w.replace('"', '""') + '"' for w in words)
        return tickets.extra(
            where=[
                "tickets_ticket.id IN (SELECT rowid FROM tickets_ticket_fts "
                "WHERE tickets_ticket_fts MATCH %s)"
            ],
            params=[match],
        )
    if connection.vendor == "postgresql":
        return tickets.extra(
            where=[
                "to_tsvector('simple', tickets_ticket.search_text) @@ plainto_tsquery('simple', %s)"
            ],
            params=[" ".join(words)],
        )
    for word in words:  # any other database: slower, but the same answer
        tickets = tickets.filter(search_text__contains=word)
    return tickets
