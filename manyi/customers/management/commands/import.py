"""`manyi import customers|transactions FILE [--branch CODE] [--atomic] [--report REPORT.csv]
[--dry-run]`: customers, or their purchases (each row naming its customer by customer number
or phone, the customer import's keys), with the same reading, row report and options."""

from __future__ import annotations

from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from manyi.customers.actions import import_customers, import_transactions
from manyi.org.actions import SYSTEM
from manyi.org.models import Branch


class Command(BaseCommand):
    help = "Import customers or their purchases from .xlsx, .xls or .csv (UTF-8 or GB18030/GBK)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("what", choices=["customers", "transactions"])
        parser.add_argument("file", type=Path)
        parser.add_argument(
            "--branch",
            help="branch code for rows without a branch column (purchases: else the customer's)",
        )
        parser.add_argument(
            "--atomic", action="store_true", help="write nothing when any row is bad"
        )
        parser.add_argument("--dry-run", action="store_true", help="check only")
        parser.add_argument("--report", type=Path, help="write the bad rows to this CSV")

    def handle(
        self,
        *args,
        what: str,
        file: Path,
        branch: str | None,
        atomic: bool,
        dry_run: bool,
        report: Path | None,
        **options,
    ) -> None:
        if not file.exists():
            raise CommandError(f"No such file: {file}")
        default_branch = None
        if branch:
            default_branch = Branch.objects.filter(code=branch).first()
            if default_branch is None:
                raise CommandError(f"Unknown branch code: {branch}")
        run = import_transactions if what == "transactions" else import_customers
        try:
            result = run(SYSTEM, file, branch=default_branch, atomic=atomic, dry_run=dry_run)
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        if report is not None:
            report.write_text(result.report_csv(), encoding="utf-8-sig")
        for error in result.errors[:50]:
            self.stderr.write(f"row {error.row} [{error.column}] {error.reason}")
        if len(result.errors) > 50:
            self.stderr.write(f"... {len(result.errors) - 50} more (see --report)")
        counts = result.counts()
        state = "written" if result.written else "NOT written"
        if what == "transactions":
            self.stdout.write(
                f"{counts['rows']} rows: {counts['created']} purchases added, "
                f"{counts['unchanged']} already there, {counts['rejected']} rejected; {state}."
            )
        else:
            self.stdout.write(
                f"{counts['rows']} rows: {counts['created']} created, "
                f"{counts['updated']} updated, {counts['unchanged']} unchanged, "
                f"{counts['rejected']} rejected; {state}."
            )
        if result.errors and (atomic or not result.written):
            raise CommandError("nothing was imported" if atomic else "rows were rejected")
