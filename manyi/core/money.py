"""Money is CNY in Decimal, exact to the fen; database sums are brought back to two places."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

FEN = Decimal("0.01")


def cny(value: Decimal | int | str | None) -> Decimal:
    """A Decimal with exactly two places (SQLite's SUM drops trailing zeros)."""
    return Decimal(value or 0).quantize(FEN, rounding=ROUND_HALF_UP)
