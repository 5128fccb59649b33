"""Survey responses as a data set for the satisfaction index (`Dataset.source = "survey"`,
`source_ref` = the questionnaire's code)."""

from __future__ import annotations

import pandas as pd

from manyi.analytics.pls import PLSError
from manyi.insight.data import data_source
from manyi.insight.models import Dataset

from .export import META, to_frame
from .models import Questionnaire, Response


@data_source(Dataset.Source.SURVEY)
def survey_responses(dataset: Dataset) -> pd.DataFrame:
    questionnaire = Questionnaire.objects.filter(code=dataset.source_ref).first()
    if questionnaire is None:
        raise PLSError(
            f"no questionnaire {dataset.source_ref!r}",
            zh=f"没有代码为“{dataset.source_ref}”的问卷",
        )
    responses = Response.objects.filter(questionnaire=questionnaire)
    if dataset.branch_id:
        responses = responses.filter(branch_id=dataset.branch_id)
    frame = to_frame(questionnaire, responses)
    return frame.drop(columns=[c for c in META if c != "branch"])
