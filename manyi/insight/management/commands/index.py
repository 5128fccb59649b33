"""`manyi index`: the satisfaction-index engine from the command line, for analysts.

    manyi index fit --data wave3.xlsx --model bank.yaml --bootstrap 1000 --seed 7 \\
        --json out.json --xlsx report.xlsx
    manyi index compare --data waves.csv --model bank.yaml --group wave --json diff.json
    manyi index templates [NAME]

Needs no database: it reads the files, computes, writes the outputs and prints a summary.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import translation

from manyi.analytics.analysis import analyse
from manyi.analytics.mga import compare_groups
from manyi.analytics.modelfile import read_model, template_names, template_text
from manyi.analytics.pls import SCHEMES, PLSError
from manyi.analytics.report import write_xlsx
from manyi.analytics.survey import MISSING_TREATMENTS, read_table
from manyi.insight.words import report_words


class Command(BaseCommand):
    help = "Satisfaction index: fit a PLS model to survey data, compare groups, list templates."
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        fit = sub.add_parser("fit", help="estimate the model and write the results")
        self._common(fit)
        fit.add_argument("--target", help="the target construct (default: the model file's)")
        fit.add_argument("--bootstrap", type=int, default=0, metavar="N")
        fit.add_argument("--xlsx", help="write the Excel report here")
        fit.add_argument("--language", default="zh", choices=["zh", "en"])
        compare = sub.add_parser("compare", help="compare groups (waves, branches, segments)")
        self._common(compare)
        compare.add_argument("--group", required=True, help="column holding the group")
        compare.add_argument("--bootstrap", type=int, default=500, metavar="N")
        templates = sub.add_parser("templates", help="list the shipped model templates")
        templates.add_argument("name", nargs="?", help="print this template")

    def _common(self, parser: CommandParser) -> None:
        parser.add_argument("--data", required=True, help="survey data: .csv, .xlsx or .xls")
        parser.add_argument("--model", required=True, help="model file (YAML)")
        parser.add_argument("--scheme", choices=SCHEMES)
        parser.add_argument("--missing", choices=MISSING_TREATMENTS)
        parser.add_argument("--seed", type=int, default=0)
        parser.add_argument("--json", help="write the results as JSON here (- for stdout)")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            getattr(self, f"_{options['action']}")(options)
        except PLSError as error:
            raise CommandError(error.message(self._language(options))) from None
        except FileNotFoundError as error:
            if self._language(options).startswith("zh"):
                raise CommandError(f"找不到文件：{error.filename}") from None
            raise CommandError(f"file not found: {error.filename}") from None

    @staticmethod
    def _language(options: dict[str, Any]) -> str:
        """`--language` where the command has it, else the session's (Chinese by default)."""
        return options.get("language") or translation.get_language() or "zh"

    def _load(self, options: dict[str, Any]):
        return read_table(options["data"]), read_model(options["model"])

    def _write_json(self, payload: dict[str, Any], where: str | None) -> None:
        if not where:
            return
        text = json.dumps(payload, ensure_ascii=False, indent=1, allow_nan=False)
        if where == "-":
            sys.stdout.write(text + "\n")
        else:
            Path(where).write_text(text, encoding="utf-8")

    def _fit(self, options: dict[str, Any]) -> None:
        data, model = self._load(options)
        analysis = analyse(
            data,
            model,
            scheme=options["scheme"],
            target=options["target"],
            bootstrap=options["bootstrap"],
            seed=options["seed"],
            missing=options["missing"],
            language=options["language"],
        )
        self._write_json(analysis.to_dict(), options["json"])
        if options["xlsx"]:
            write_xlsx(analysis, options["xlsx"], words=report_words(self._language(options)))
        if options["json"] == "-":
            return
        result = analysis.result
        out = self.stdout
        out.write(
            f"{result.n} of {analysis.prepared.report['n_input']} cases used, "
            f"{result.iterations} iterations, scheme {result.scheme}, GoF {result.gof:.3f}"
        )
        for flag in analysis.flags:
            out.write(self.style.WARNING(f"! {flag['where']} {flag['value']}: {flag['message']}"))
        out.write("index (0-100):")
        for construct, value in analysis.index.items():
            marker = " <- target" if construct == analysis.target else ""
            out.write(f"  {model.label(construct, options['language'])}: {value:.1f}{marker}")
        if analysis.priority is not None:
            out.write("improvement ranking:")
            for row in analysis.priority.head(10).itertuples():
                out.write(
                    f"  {row.rank:>2}. {row.label}  score {row.score:.1f}  impact {row.impact:.3f}"
                )

    def _compare(self, options: dict[str, Any]) -> None:
        data, model = self._load(options)
        comparison = compare_groups(
            data,
            model,
            options["group"],
            samples=options["bootstrap"],
            seed=options["seed"],
            scheme=options["scheme"],
            missing=options["missing"],
        )
        self._write_json(comparison.to_dict(), options["json"])
        if options["json"] == "-":
            return
        table = comparison.table
        for row in table[table["kind"] == "index"].itertuples():
            star = " *" if row.significant else ""
            self.stdout.write(
                f"{row.group_a} vs {row.group_b}  {row.name}: {row.value_a:.1f} vs "
                f"{row.value_b:.1f}  diff {row.difference:+.1f}  p={row.p:.3f}{star}"
            )

    def _templates(self, options: dict[str, Any]) -> None:
        if options["name"]:
            self.stdout.write(template_text(options["name"]))
            return
        for name in template_names():
            self.stdout.write(name)
