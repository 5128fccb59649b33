"""RFM scores from the transactions (read here; `actions.rescore_rfm` stores them, nightly)."""

from __future__ import annotations

import numpy as np
from django.db.models import Count, Max, Sum
from django.utils import timezone

from manyi.analytics.rfm import rfm_scores

from .models import Transaction


def purchase_scores() -> list[tuple[int, int, int, int]]:
    """(r, f, m, customer id) for every customer with purchases, scored 1-5 against the
    others (`manyi.analytics.rfm`); `actions.rescore_rfm` writes them."""
    rows = list(
        Transaction.objects.values("customer_id").annotate(
            last=Max("occurred_at"), frequency=Count("id"), monetary=Sum("amount")
        )
    )
    if not rows:
        return []
    now = timezone.now()
    ids = np.array([r["customer_id"] for r in rows])
    recency = np.array([(now - r["last"]).total_seconds() / 86400 for r in rows])
    frequency = np.array([r["frequency"] for r in rows], dtype=float)
    monetary = np.array([float(r["monetary"]) for r in rows])
    scores = rfm_scores(recency, frequency, monetary)
    return list(
        zip(
            scores["r"].tolist(),
            scores["f"].tolist(),
            scores["m"].tolist(),
            ids.tolist(),
            strict=True,
        )
    )
