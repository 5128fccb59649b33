"""`manyi queue`: branch queues from the command line.

    manyi queue replay --events EVENTS.csv --counters COUNTERS.csv --out PRED.csv
        [--draws 50] [--seed 0] [--json SUMMARY.json] [--language zh|en]

`replay` replays a past (or simulated) day in time order: for every ticket it writes our wait
estimate with its 80% interval and the usual formula's, each computed only from what was
known when the number was issued, and prints the MAE and interval coverage of both
(`manyi.analytics.replay`). Needs no database.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import translation
from django.utils.translation import gettext as _

from manyi.analytics import spreadsheet
from manyi.analytics.replay import ReplayError, replay_files


class Command(BaseCommand):
    help = "Branch queues: replay a day to judge the wait estimates."
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        replay = sub.add_parser(
            "replay", help="replay a day; write every ticket's estimates; print MAE and coverage"
        )
        replay.add_argument("--events", required=True, help="EVENTS.csv (one row per ticket)")
        replay.add_argument("--counters", required=True, help="COUNTERS.csv (the roster)")
        replay.add_argument("--out", required=True, help="write the predictions here (CSV)")
        replay.add_argument("--draws", type=int, default=50, help="simulated futures per ticket")
        replay.add_argument("--seed", type=int, default=0)
        replay.add_argument("--json", help="write the summary as JSON here (- for stdout)")
        replay.add_argument(
            "--language", choices=["zh", "en"], help="language of messages (default: the site's)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        language = options.get("language")
        if language:
            with translation.override("zh-hans" if language == "zh" else "en"):
                return self._dispatch(options)
        return self._dispatch(options)

    def _dispatch(self, options: dict[str, Any]) -> None:
        getattr(self, f"_{options['action']}")(options)

    def _replay(self, options: dict[str, Any]) -> None:
        if options["draws"] < 10:
            raise CommandError(_("--draws must be at least 10."))
        try:
            result = replay_files(
                options["events"],
                options["counters"],
                draws=options["draws"],
                seed=options["seed"],
            )
        except ReplayError as error:
            chinese = (translation.get_language() or "").startswith("zh")
            raise CommandError(error.zh if chinese else str(error)) from None
        out = Path(options["out"])
        try:
            spreadsheet.frame_to_csv(result.predictions, out, index=False, encoding="utf-8")
        except OSError as error:
            raise CommandError(
                _("Cannot write %(path)s: %(reason)s") % {"path": out, "reason": error.strerror}
            ) from None
        summary = result.summary
        if options.get("json"):
            text = json.dumps(summary, ensure_ascii=False, indent=1)
            if options["json"] == "-":
                sys.stdout.write(text + "\n")
                return
            Path(options["json"]).write_text(text, encoding="utf-8")
        self.stdout.write(
            _(
                "Replayed %(tickets)d tickets; %(scored)d scored (served and no-show), "
                "%(abandoned)d abandoned left out (their wait is unknown)."
            )
            % {
                "tickets": summary["tickets"],
                "scored": summary["scored"],
                "abandoned": summary["abandoned_excluded"],
            }
        )
        for key, label in (
            ("ours", _("Our estimate")),
            ("baseline", _("Usual formula (k+1) x AHT / s")),
        ):
            figures = summary[key]
            self.stdout.write(
                _(
                    "%(label)s: MAE %(mae).0f s, 80%% interval coverage %(coverage).1f%%, "
                    "median interval width %(width).0f s"
                )
                % {
                    "label": label,
                    "mae": figures["mae_s"],
                    "coverage": 100 * figures["coverage"],
                    "width": figures["width_s"],
                }
            )
        self.stdout.write(_("Predictions written to %(path)s.") % {"path": out})
