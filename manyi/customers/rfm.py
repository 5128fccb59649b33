"""Recomputing the stored RFM scores from transactions (a nightly job)."""

from __future__ import annotations

import numpy as np
from django.db import transaction
from django.db.models import Count, Max, Sum
from django.utils import timezone

from manyi.analytics.rfm import rfm_scores
from manyi.core.bulk import update_rows
from manyi.core.tasks import periodic

from .models import Customer, Transaction


@periodic("customers.recompute_rfm", minutes=24 * 60)
def recompute_rfm() -> int:
    """Score every customer with purchases; customers without any get no score."""
    rows = list(
        Transaction.objects.values("customer_id").annotate(
            last=Max("occurred_at"), frequency=Count("id"), monetary=Sum("amount")
        )
    )
    if not rows:
        return 0
    now = timezone.now()
    ids = np.array([r["customer_id"] for r in rows])
    recency = np.array([(now - r["last"]).total_seconds() / 86400 for r in rows])
    frequency = np.array([r["frequency"] for r in rows], dtype=float)
    monetary = np.array([float(r["monetary"]) for r in rows])
    scores = rfm_scores(recency, frequency, monetary)
    with transaction.atomic():
        Customer.objects.exclude(r_score=None).update(r_score=None, f_score=None, m_score=None)
        rows = zip(
            scores["r"].tolist(),
            scores["f"].tolist(),
            scores["m"].tolist(),
            ids.tolist(),
            strict=True,
        )
        return update_rows(Customer, ["r_score", "f_score", "m_score"], rows)
