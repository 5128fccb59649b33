"""The one way a list endpoint of the API pages: at most `MAX_PAGE` items a request.

A bigger `limit`, or an `offset` past `MAX_OFFSET`, is refused with 422 (documented in
the OpenAPI schema) instead of pulling a whole branch of customers in one answer, or
overflowing the database's 64-bit integers."""

from __future__ import annotations

from typing import Any

from ninja import Field, Schema
from ninja.pagination import LimitOffsetPagination

DEFAULT_PAGE = 50
MAX_PAGE = 200
MAX_OFFSET = 10_000_000


class Page(LimitOffsetPagination):
    class Input(Schema):
        limit: int = Field(
            DEFAULT_PAGE, ge=1, le=MAX_PAGE, description=f"items per page, at most {MAX_PAGE}"
        )
        offset: int = Field(0, ge=0, le=MAX_OFFSET, description="items to skip")

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(max_limit=MAX_PAGE, **kwargs)
