"""Where analysis data comes from: uploaded files today, survey responses once surveys exist.

A data source turns a Dataset row into a DataFrame with one row per respondent and one
column per item. The surveys app registers its own source ("survey") with `@data_source`,
so the analysis pages and tasks never need to know where the answers were collected.
"""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd

from manyi.analytics.pls import PLSError
from manyi.analytics.survey import read_bytes

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
