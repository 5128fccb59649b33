"""Where analysis data comes from: uploaded files, or a questionnaire's responses.

A data source turns a Dataset row into a DataFrame with one row per respondent and one
column per item. The surveys app registers its own source ("survey") with `@data_source`,
so the analysis pages and tasks never need to know where the answers were collected.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

import pandas as pd

from manyi.analytics.pls import PLSError
from manyi.analytics.survey import read_bytes
from manyi.analytics.survey_items import RatingItem

from .models import Dataset

DataSource = Callable[[Dataset], pd.DataFrame]
_SOURCES: dict[str, DataSource] = {}


def data_source(kind: str) -> Callable[[DataSource], DataSource]:
    def register(func: DataSource) -> DataSource:
        _SOURCES[kind] = func
        return func

    return register


@data_source(Dataset.Source.UPLOAD)
@data_source(Dataset.Source.DEMO)
def _stored_file(dataset: Dataset) -> pd.DataFrame:
    return read_bytes(bytes(dataset.content), dataset.filename)


def load_frame(dataset: Dataset) -> pd.DataFrame:
    try:
        source = _SOURCES[dataset.source]
    except KeyError:
        raise PLSError(
            f"no data source for {dataset.source!r} is installed",
            zh=f"没有安装“{dataset.source}”类型的数据来源",
        ) from None
    return source(dataset)


# -- survey responses as a data set ------------------------------------------------------
@dataclass(frozen=True)
class Questionnaire:
    """A questionnaire the analysis page offers, with what a selection can narrow."""

    code: str
    title: str
    versions: list[int]
    campaigns: list[tuple[int, str]]
    responses: int
    items: list[RatingItem] = field(default_factory=list)  # its rating questions


@dataclass(frozen=True)
class Snapshot:
    """What a selection holds when the data set is made: the rows, the newest response
    (later answers are not part of it, so a rerun reads the same rows) and the columns."""

    rows: int
    upto: int
    columns: list[str]
    title: str


class SurveyCatalogue(Protocol):
    """What the survey module offers the index (registered by `manyi.surveys`)."""

    def questionnaires(self, user: Any) -> list[Questionnaire]: ...

    def items(self, selection: Mapping[str, Any]) -> list[RatingItem]: ...

    def snapshot(self, selection: Mapping[str, Any]) -> Snapshot: ...

    def group_labels(self) -> dict[str, str]: ...


_CATALOGUE: list[SurveyCatalogue] = []


def register_survey_catalogue(catalogue: SurveyCatalogue) -> SurveyCatalogue:
    _CATALOGUE[:] = [catalogue]
    return catalogue


def survey_catalogue() -> SurveyCatalogue:
    if not _CATALOGUE:
        raise PLSError("the survey module is not installed", zh="未安装问卷模块，无法从问卷取数")
    return _CATALOGUE[0]
