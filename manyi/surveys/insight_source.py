"""A questionnaire's responses as the satisfaction index's data (`Dataset.source = "survey"`).

The selection (`Dataset.selection`) names the questionnaire and narrows it: a version,
a period (`since`, `until`, local dates) or campaigns, the branches in the data set's scope,
and `upto`, the newest response when the data set was made, so a rerun reads the same rows.
The frame has one row per response: the rating questions by their XLSForm names (codes as
the export writes them, so the export uploaded gives the same result) and the columns a
comparison groups by: date, month, quarter, half-year, wave (by campaign or period), branch,
region, channel, customer tier, campaign, version and one column per customer segment. No
personal data: no customer, agent, phone or free text.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
from django.db.models import CharField, Count, Max, QuerySet
from django.db.models.fields.json import KT
from django.db.models.functions import Cast
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from manyi.analytics.pls import PLSError
from manyi.analytics.survey_items import RatingItem, rating_items
from manyi.analytics.xlsform import form_from_dict
from manyi.customers.models import Customer, Segment
from manyi.insight import data, waves
from manyi.insight.models import Dataset
from manyi.org.actions import SYSTEM
from manyi.org.models import Branch

from .export import questions_of
from .models import Campaign, Channel, Questionnaire, QuestionnaireVersion, Response
from .reading import segment_customers

# The columns a comparison can group by, with their names on the page.
GROUPS = {
    "wave": gettext_lazy("Wave"),
    "branch": gettext_lazy("Branch"),
    "region": gettext_lazy("Region"),
    "channel": gettext_lazy("Channel"),
    "tier": gettext_lazy("Customer tier"),
    "month": gettext_lazy("Month"),
    "quarter": gettext_lazy("Quarter"),
    "half": gettext_lazy("Half-year"),
    "campaign": pgettext_lazy("survey", "Campaign"),
    "version": gettext_lazy("Questionnaire version"),
}
SEGMENT_PREFIX = "segment:"
MAX_SEGMENTS = 20
META = ("response", "date", *GROUPS)


def _questionnaire(selection: Mapping[str, Any]) -> Questionnaire:
    code = str(selection.get("questionnaire") or "")
    questionnaire = Questionnaire.objects.filter(code=code).first()
    if questionnaire is None:
        raise PLSError(f"no questionnaire {code!r}", zh=f"没有代码为“{code}”的问卷")
    return questionnaire


def _local_midnight(day: str) -> dt.datetime:
    date = dt.date.fromisoformat(day)
    return timezone.make_aware(dt.datetime.combine(date, dt.time.min))


def selected(selection: Mapping[str, Any]) -> QuerySet[Response]:
    """The responses a selection holds (all of them when `upto` is not yet set)."""
    questionnaire = _questionnaire(selection)
    responses = Response.objects.filter(questionnaire=questionnaire)
    if selection.get("version"):
        responses = responses.filter(version__number=int(selection["version"]))
    if selection.get("since"):
        responses = responses.filter(submitted_at__gte=_local_midnight(selection["since"]))
    if selection.get("until"):  # the whole last day
        until = _local_midnight(selection["until"]) + dt.timedelta(days=1)
        responses = responses.filter(submitted_at__lt=until)
    if selection.get("campaigns"):
        responses = responses.filter(campaign_id__in=[int(c) for c in selection["campaigns"]])
    if selection.get("branches") is not None:
        responses = responses.filter(branch_id__in=[int(b) for b in selection["branches"]])
    if selection.get("upto"):
        responses = responses.filter(pk__lte=int(selection["upto"]))
    return responses


def items_of(selection: Mapping[str, Any]) -> list[RatingItem]:
    """The rating questions of the chosen version, or of every version (newest first)."""
    questionnaire = _questionnaire(selection)
    if selection.get("version"):
        version = questionnaire.versions.filter(number=int(selection["version"])).first()
        if version is None:
            raise PLSError(
                f"questionnaire {questionnaire.code!r} has no version {selection['version']}",
                zh=f"问卷“{questionnaire.code}”没有第 {selection['version']} 版",
            )
        return rating_items(form_from_dict(version.definition))
    return rating_items(questions_of(questionnaire))


def frame(dataset: Dataset) -> pd.DataFrame:
    selection = dataset.selection or {"questionnaire": dataset.source_ref}
    items = [item.name for item in items_of(selection)]
    clash = sorted(set(items) & set(META))
    if clash:
        raise PLSError(
            f"question names clash with the data set's own columns: {', '.join(clash)}",
            zh=f"题目名称与数据集自带的列重名：{'、'.join(clash)}",
        )
    branches = {
        b.pk: (b.name, b.region.name if b.region_id else "")
        for b in Branch.objects.select_related("region")
    }
    campaigns = dict(Campaign.objects.values_list("pk", "name"))
    channels = dict(Channel.choices)
    tiers = dict(Customer.Tier.choices)
    no_campaign = _("(no campaign)")
    cut = selection.get("wave_by") or "quarter"
    # The items are read out of the JSON by the database (json_extract, ->>), the rest
    # of the table is built column by column: a million responses in seconds.
    item_keys = [f"item_{n}" for n in range(len(items))]
    keys: dict[str, Any] = {
        key: KT(f"values__{name}") for key, name in zip(item_keys, items, strict=True)
    }
    # the time as the database's text: parsed for all rows at once below, not row by row
    keys["submitted"] = Cast("submitted_at", output_field=CharField())
    fields = ["pk", "submitted", "version_id", "channel", "branch_id"]
    fields += ["campaign_id", "tier", "customer_id", *item_keys]
    stream = selected(selection).order_by("pk").annotate(**keys).values_list(*fields)
    raw = pd.DataFrame.from_records(list(stream.iterator(chunk_size=20_000)), columns=fields)
    local = pd.to_datetime(raw["submitted"], utc=True, format="ISO8601").dt.tz_convert(
        timezone.get_current_timezone()
    )
    months = local.dt.year * 100 + local.dt.month
    names: dict[int, dict[str, str]] = {}
    for month in months.unique():
        first = dt.date(int(month) // 100, int(month) % 100, 1)
        names[int(month)] = {
            cut_: waves.label(first, cut_) for cut_ in ("month", "quarter", "half", "year")
        }
    versions = dict(QuestionnaireVersion.objects.values_list("pk", "number"))

    def worded(column: pd.Series, words: dict[Any, Any]) -> pd.Series:
        """Codes to their words, each distinct code worded once."""
        return column.map({code: str(words.get(code, code)) for code in column.unique()})

    days = local.dt.tz_localize(None).to_numpy().astype("datetime64[D]")
    campaign = raw["campaign_id"].map(campaigns).fillna("")
    columns: dict[str, Any] = {
        "response": raw["pk"],
        "date": np.datetime_as_string(days),
        "wave": (campaign.replace("", no_campaign))
        if cut == "campaign"
        else months.map({m: n[cut] for m, n in names.items()}),
        "branch": raw["branch_id"].map({k: v[0] for k, v in branches.items()}).fillna(""),
        "region": raw["branch_id"].map({k: v[1] for k, v in branches.items()}).fillna(""),
        "channel": worded(raw["channel"], channels),
        "tier": worded(raw["tier"], tiers),
        "month": months.map({m: n["month"] for m, n in names.items()}),
        "quarter": months.map({m: n["quarter"] for m, n in names.items()}),
        "half": months.map({m: n["half"] for m, n in names.items()}),
        "campaign": campaign,
        "version": raw["version_id"].map(versions),
    }
    for key, name in zip(item_keys, items, strict=True):
        columns[name] = raw[key].where(raw[key].notna(), "").astype(str)
    result = pd.DataFrame(columns)
    for name in items:  # numbers where every answer is one, as the CSV export reads back
        numeric = pd.to_numeric(result[name].replace("", None), errors="coerce")
        if numeric.notna().sum() == (result[name] != "").sum():
            result[name] = numeric
    customers = raw["customer_id"].tolist()
    for name, column in _segments(customers).items():
        result[name] = column
    return result


def _segments(customers: list[int | None]) -> dict[str, list[str]]:
    """One column per segment: the respondent's customer is in it today or not."""
    member, other = _("member"), _("not a member")
    out: dict[str, list[str]] = {}
    for segment in Segment.objects.order_by("name")[:MAX_SEGMENTS]:
        ids = set(segment_customers(SYSTEM, segment).values_list("pk", flat=True))
        out[f"{SEGMENT_PREFIX}{segment.name}"] = [
            member if customer in ids else other for customer in customers
        ]
    return out


@data.data_source(Dataset.Source.SURVEY)
def survey_responses(dataset: Dataset) -> pd.DataFrame:
    return frame(dataset)


class Catalogue:
    """What the analysis page, the command and the API read about questionnaires."""

    def questionnaires(self, user: Any) -> list[data.Questionnaire]:
        counts = Response.objects.all() if user == SYSTEM else Response.objects.visible_to(user)
        by_questionnaire = dict(
            counts.values("questionnaire").annotate(n=Count("pk")).values_list("questionnaire", "n")
        )
        campaigns: dict[int, list[tuple[int, str]]] = {}
        for pk, name, questionnaire in Campaign.objects.order_by("-created_at").values_list(
            "pk", "name", "questionnaire_id"
        ):
            campaigns.setdefault(questionnaire, []).append((pk, name))
        found = []
        for questionnaire in Questionnaire.objects.prefetch_related("versions").order_by("title"):
            versions = list(questionnaire.versions.all())
            items = rating_items(questions_of(questionnaire, versions))
            if not items:
                continue  # nothing to measure
            found.append(
                data.Questionnaire(
                    code=questionnaire.code,
                    title=questionnaire.title,
                    versions=sorted(v.number for v in versions),
                    campaigns=campaigns.get(questionnaire.pk, []),
                    responses=by_questionnaire.get(questionnaire.pk, 0),
                    items=items,
                )
            )
        return found

    def items(self, selection: Mapping[str, Any]) -> list[RatingItem]:
        return items_of(selection)

    def snapshot(self, selection: Mapping[str, Any]) -> data.Snapshot:
        questionnaire = _questionnaire(selection)
        responses = selected(selection)
        upto = responses.aggregate(m=Max("pk"))["m"] or 0
        rows = responses.count()
        segments = [
            f"{SEGMENT_PREFIX}{name}"
            for name in Segment.objects.order_by("name").values_list("name", flat=True)[
                :MAX_SEGMENTS
            ]
        ]
        columns = [*META, *(i.name for i in items_of(selection)), *segments]
        return data.Snapshot(rows=rows, upto=upto, columns=columns, title=questionnaire.title)

    def group_labels(self) -> dict[str, str]:
        labels = {key: str(label) for key, label in GROUPS.items()}
        for name in Segment.objects.order_by("name").values_list("name", flat=True)[:MAX_SEGMENTS]:
            labels[f"{SEGMENT_PREFIX}{name}"] = _("Segment: %(name)s") % {"name": name}
        return labels


data.register_survey_catalogue(Catalogue())
