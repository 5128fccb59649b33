"""Responses: the server is the final judge of an answer.

`submit` runs the questionnaire version's own logic (`manyi.analytics.formlogic.run_form`)
whatever the page said, stores nothing when a shown question breaks its constraint or a
required one is empty, and stores a retried submission only once.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from manyi.analytics.formlogic import ExpressionError, Problem, run_form
from manyi.analytics.xlsform import form_from_dict
from manyi.core import clock
from manyi.core.events import emit
from manyi.customers.timeline import append as timeline_append

from ..errors import LinkUnusable, SubmissionRefused
from ..events import LowScoreGiven, SurveyAnswered
from ..models import Response, SurveyLink
from ..reading import low_scores, version_for
from ._common import is_chinese, language_of
from .links import open_link
from .tallies import tally_response


def submit(
    token: str,
    answers: Mapping[str, Any],
    *,
    submission_key: str,
    language: str = "",
    started_at: dt.datetime | None = None,
    version: int | None = None,
) -> tuple[Response, bool]:
    """Store a response if the questionnaire's rules accept it. Returns (response, created):
    the same submission sent twice (same key) is stored once and answered the same."""
    key = (submission_key or "").strip()[:64]
    if len(key) < 8:
        raise ValidationError(_("A submission key of at least 8 characters is required."))
    existing = Response.objects.filter(submission_key=key).first()
    if existing is not None:
        return existing, False
    link = open_link(token)
    answered = version_for(link, version)
    form = form_from_dict(answered.definition)
    known = {q.name for q in form.questions}
    given = {str(k): "" if v is None else str(v) for k, v in answers.items()}
    unknown = sorted(set(given) - known)
    if unknown:
        raise ValidationError(_("Unknown questions: %(names)s") % {"names": ", ".join(unknown)})
    try:
        state = run_form(form.rules, given, today=timezone.localdate())
    except ExpressionError as exc:  # a broken form: the author must fix it
        raise ValidationError(exc.zh if is_chinese() else str(exc)) from None
    if not state.ok:
        raise SubmissionRefused(
            [_problem(form, problem, language_of(language)) for problem in state.problems]
        )
    try:
        with transaction.atomic():
            link = SurveyLink.objects.select_for_update().get(pk=link.pk)
            if link.single_use and link.responses_count > 0:
                raise LinkUnusable(
                    _("This survey has already been answered. Thank you!"), code="used"
                )
            response = Response.objects.create(
                questionnaire=answered.questionnaire,
                version=answered,
                link=link,
                customer=link.customer,
                branch=link.branch,
                channel=link.channel,
                campaign_id=link.campaign_id,
                agent_id=link.agent_id,
                tier=link.customer.tier if link.customer else "",
                answers=given,
                values={k: v for k, v in state.values.items() if v != ""},
                submission_key=key,
                language=language_of(language),
                started_at=started_at,
                submitted_at=clock.now(),
            )
            SurveyLink.objects.filter(pk=link.pk).update(
                responses_count=F("responses_count") + 1, draft={}
            )
            tally_response(response, form)
            low = low_scores(form, response.values, answered.questionnaire.low_score_at_most)
            if link.customer_id:
                timeline_append(
                    link.customer_id,
                    response.submitted_at,
                    "survey",
                    f"{answered.questionnaire.title} · {response.get_channel_display()}",
                    detail={"response": response.pk, "version": answered.number, "low": low},
                    source=f"survey:{response.pk}",
                )
            emit(
                SurveyAnswered(
                    response_id=response.pk,
                    questionnaire=answered.questionnaire.code,
                    version=answered.number,
                    customer_id=link.customer_id,
                    branch_id=link.branch_id,
                    channel=link.channel,
                )
            )
            if low:
                emit(
                    LowScoreGiven(
                        response_id=response.pk,
                        questionnaire=answered.questionnaire.code,
                        customer_id=link.customer_id,
                        branch_id=link.branch_id,
                        agent_id=link.agent_id,
                        campaign_id=link.campaign_id,
                        channel=link.channel,
                        scores=tuple(low),
                    )
                )
    except IntegrityError:  # the same key at the same moment from a second tab
        existing = Response.objects.filter(submission_key=key).first()
        if existing is None:
            raise
        return existing, False
    return response, True


def _problem(form: Any, problem: Problem, language: str) -> dict[str, str]:
    """One refused answer as the page shows it: the question's label and why."""
    question = next(q for q in form.questions if q.name == problem.name)
    label = question.labels.get(language) or next(iter(question.labels.values()), problem.name)
    if problem.code == "constraint":
        message = (
            question.constraint_messages.get(language)
            or problem.message
            or _("This answer is not accepted.")
        )
    else:
        message = (
            {
                "required": _("This question needs an answer."),
                "integer": _("Enter a whole number."),
                "decimal": _("Enter a number."),
                "date": _("Enter a date (YYYY-MM-DD)."),
                "choice": _("Choose one of the options given."),
                "rank": _("Put all the options in order, each exactly once."),
            }.get(problem.code)
            or problem.message
            or _("This answer is not accepted.")
        )
    return {"question": problem.name, "label": label, "code": problem.code, "message": message}
