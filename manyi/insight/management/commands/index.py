"""`manyi index`: the satisfaction-index engine from the command line, for analysts.

    manyi index fit --data wave3.xlsx --model bank.yaml --bootstrap 1000 --seed 7 \\
        --json out.json --xlsx report.xlsx
    manyi index compare --data waves.csv --model bank.yaml --group wave --json diff.json
    manyi index fit --survey bank_branch --since 2026-07-01 --until 2026-09-30 \
        --model china.yaml --map 形象_值得信赖=trust --bootstrap 1000 --xlsx q3.xlsx
    manyi index compare --survey bank_branch --campaign 高价值客户季度满意度调查 \
        --model china.yaml --group branch
    manyi index templates [NAME]

With --data it needs no database: it reads the files, computes, writes the outputs and
prints a summary. With --survey it reads a questionnaire's stored responses (the items
mapped to its rating questions by name, or by --map ITEM=QUESTION), and the data set and
run are kept and audited as when made on the analysis page.
"""

from __future__ import annotations

import argparse
import datetime as dt
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
from manyi.insight.actions import WAVE_CUTS
from manyi.insight.words import report_words


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date like 2026-07-01: {text}") from None


def _pair(text: str) -> tuple[str, str]:
    item, equals, question = text.partition("=")
    if not equals or not item.strip() or not question.strip():
        raise CommandError(f"--map takes ITEM=QUESTION, not {text!r}")
    return item.strip(), question.strip()


def _campaigns(questionnaire: str, names: list[str]) -> list[int]:
    from manyi.surveys.models import Campaign

    found = []
    for name in names:
        campaigns = Campaign.objects.filter(questionnaire__code=questionnaire)
        match = campaigns.filter(pk=int(name)) if name.isdigit() else campaigns.filter(name=name)
        pk = match.values_list("pk", flat=True).first()
        if pk is None:
            raise CommandError(f"questionnaire {questionnaire} has no campaign {name!r}")
        found.append(pk)
    return found


def _place(kind: str, code: str | None) -> Any:
    if not code:
        return None
    from manyi.org.models import Branch, Region

    model = Branch if kind == "branch" else Region
    place = model.objects.filter(code=code).first()
    if place is None:
        raise CommandError(f"no {kind} with the code {code!r}")
    return place


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
        source = parser.add_mutually_exclusive_group(required=True)
        source.add_argument("--data", help="survey data: .csv, .xlsx or .xls")
        source.add_argument("--survey", metavar="CODE", help="a questionnaire's responses")
        parser.add_argument("--version", type=int, help="only this questionnaire version")
        parser.add_argument("--since", type=_date, metavar="YYYY-MM-DD", help="answered from")
        parser.add_argument("--until", type=_date, metavar="YYYY-MM-DD", help="answered until")
        parser.add_argument(
            "--campaign",
            action="append",
            default=[],
            metavar="NAME",
            help="only this campaign (its name or number; repeat for several)",
        )
        parser.add_argument("--branch", metavar="CODE", help="only this branch's answers")
        parser.add_argument("--region", metavar="CODE", help="only this region's answers")
        parser.add_argument(
            "--wave-by", default="quarter", choices=WAVE_CUTS, help="how waves are cut"
        )
        parser.add_argument(
            "--map",
            action="append",
            default=[],
            metavar="ITEM=QUESTION",
            help="the question an item of the model reads (repeat for several)",
        )
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
        if options["survey"]:
            self._survey_run(options, group=None)
            return
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
        if options["survey"]:
            self._survey_run(options, group=options["group"])
            return
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

    def _survey_run(self, options: dict[str, Any], group: str | None) -> None:
        """A stored, audited run on a questionnaire's responses, computed here and now."""
        from django.core.exceptions import ValidationError

        from manyi.insight import actions
        from manyi.org.actions import SYSTEM

        language = self._language(options)
        with translation.override("zh-hans" if language.startswith("zh") else "en"):
            try:
                dataset = actions.survey_dataset(
                    SYSTEM,
                    questionnaire=options["survey"],
                    version=options["version"],
                    since=options["since"],
                    until=options["until"],
                    campaigns=_campaigns(options["survey"], options["campaign"]),
                    branch=_place("branch", options["branch"]),
                    region=_place("region", options["region"]),
                    wave_by=options["wave_by"],
                )
                run = actions.start_run(
                    SYSTEM,
                    dataset=dataset,
                    model_yaml=Path(options["model"]).read_text(encoding="utf-8"),
                    options={
                        "scheme": options["scheme"],
                        "missing": options["missing"],
                        "bootstrap": options["bootstrap"],
                        "seed": options["seed"],
                        "target": options.get("target"),
                        "group": group,
                        "mapping": dict(_pair(text) for text in options["map"]),
                    },
                    inline=True,
                )
            except ValidationError as error:
                raise CommandError("；".join(error.messages)) from None
        if run.status != run.Status.DONE:
            raise CommandError(run.error_for(language))
        payload = {"run": run.pk, "dataset": dataset.pk, **run.result}
        self._write_json(payload, options["json"])
        if options.get("xlsx"):
            Path(options["xlsx"]).write_bytes(bytes(run.report))
        if options["json"] == "-":
            return
        result = run.result
        out = self.stdout
        out.write(
            f"run {run.pk}: {result['n_used']} of {dataset.rows} responses used "
            f"({dataset.name}), GoF {result.get('gof', float('nan')):.3f}"
        )
        for flag in result.get("flags", []):
            out.write(self.style.WARNING(f"! {flag['where']} {flag['value']}: {flag['message']}"))
        labels = result.get("labels", {})
        out.write("index (0-100):")
        for construct, value in result.get("index", {}).items():
            marker = " <- target" if construct == result.get("target") else ""
            out.write(f"  {labels.get(construct, construct)}: {value:.1f}{marker}")
        for row in result.get("priority", [])[:10]:
            out.write(
                f"  {row['rank']:>2}. {row['label']}  score {row['score']:.1f}  "
                f"impact {row['impact']:.3f}"
            )
        for row in (result.get("groups") or {}).get("differences", []):
            if row["kind"] == "index":
                star = " *" if row["significant"] else ""
                out.write(
                    f"{row['group_a']} vs {row['group_b']}  {row['name']}: "
                    f"{row['value_a']:.1f} vs {row['value_b']:.1f}  "
                    f"diff {row['difference']:+.1f}  p={row['p']:.3f}{star}"
                )

    def _templates(self, options: dict[str, Any]) -> None:
        if options["name"]:
            self.stdout.write(template_text(options["name"]))
            return
        for name in template_names():
            self.stdout.write(name)
