"""`field__prefix="张"`: a starts-with lookup that uses a plain B-tree index on every database.

Django's `startswith` becomes LIKE, which SQLite cannot answer from an index (its LIKE is
case-insensitive); GLOB can. PostgreSQL answers LIKE 'x%' from the `_like` index Django adds
to indexed text columns.
"""

from __future__ import annotations

from django.db.models import CharField, Lookup


@CharField.register_lookup
class Prefix(Lookup):
    lookup_name = "prefix"

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        _rhs, rhs_params = self.process_rhs(compiler, connection)
        value = str(rhs_params[0])
        escaped = value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        return f"{lhs} LIKE %s", [*lhs_params, escaped + "%"]

    def as_sqlite(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        _rhs, rhs_params = self.process_rhs(compiler, connection)
        value = str(rhs_params[0])
        escaped = "".join(f"[{c}]" if c in "*?[" else c for c in value)
        return f"{lhs} GLOB %s", [*lhs_params, escaped + "*"]
