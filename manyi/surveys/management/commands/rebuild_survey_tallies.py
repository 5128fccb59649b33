"""manyi rebuild_survey_tallies [CODE ...]: recount the running totals the survey figures
are read from, after a bulk load or an upgrade that added a breakdown."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from manyi.surveys.actions import rebuild_tallies
from manyi.surveys.models import Questionnaire


class Command(BaseCommand):
    help = "Recount the survey figures' running totals from the stored responses."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("codes", nargs="*", help="questionnaire codes (default: all)")

    def handle(self, *args: Any, codes: list[str], **options: Any) -> None:
        questionnaires = Questionnaire.objects.order_by("code")
        if codes:
            questionnaires = questionnaires.filter(code__in=codes)
            missing = set(codes) - set(questionnaires.values_list("code", flat=True))
            if missing:
                raise CommandError(f"no such questionnaire: {', '.join(sorted(missing))}")
        for questionnaire in questionnaires:
            counted = rebuild_tallies(questionnaire)
            self.stdout.write(f"{questionnaire.code}: {counted} answers counted")
