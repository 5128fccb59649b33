from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from manyi.core.demo import database_is_empty, run_demo


class Command(BaseCommand):
    help = "Load the deterministic demo data (an empty database only)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--seed", type=int, default=2026)
        parser.add_argument("--size", choices=["small", "large"], default="small")
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="do nothing (and succeed) when the database has data",
        )

    def handle(self, *args, seed: int, size: str, if_empty: bool, **options) -> None:
        if not database_is_empty():
            if if_empty:
                self.stdout.write("The database already has data; demo data not loaded.")
                return
            raise CommandError(
                "The database already has data; demo data goes into an empty "
                "database (delete var/manyi.sqlite3 or use a new database)."
            )
        ctx = run_demo(seed=seed, size=size, log=lambda line: self.stdout.write(f"  {line}"))
        self.stdout.write(self.style.SUCCESS("Demo data loaded. Log in with:"))
        for username, password, who in ctx.logins:
            self.stdout.write(f"  {username:<12} {password:<18} {who}")
