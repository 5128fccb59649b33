"""The refusals of the survey actions. They live apart from `actions` so the read module
(`reading.version_for`) raises the same ones without importing the actions; `actions`
re-exports them, so callers keep catching `actions.LinkUnusable` and the like."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _


class SubmissionRefused(ValidationError):
    """The answers break the questionnaire's rules; `problems` says where and why."""

    def __init__(self, problems: list[dict[str, str]]) -> None:
        super().__init__(_("Some answers need correcting."))
        self.problems = problems


class LinkUnusable(ValidationError):
    """Unknown, expired or already used link (HTTP 404/410)."""

    @property
    def status(self) -> int:
        """Unknown links are 404; closed, used-up or full ones 410 Gone."""
        return 404 if self.code == "unknown" else 410


class QuestionnaireChanged(ValidationError):
    """Someone saved the questionnaire after the editor opened it."""

    def __init__(self, number: int) -> None:
        self.number = number
        super().__init__(
            _(
                "Someone else changed this questionnaire while you were editing it (it is "
                "now version %(n)d). Check your changes and save again to keep them."
            )
            % {"n": number},
            code="edit_conflict",
        )
