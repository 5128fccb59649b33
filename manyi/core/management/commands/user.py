from __future__ import annotations

import getpass

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from manyi.org.actions import SYSTEM, create_staff
from manyi.org.models import Branch, Region
from manyi.org.roles import Role, Scope


class Command(BaseCommand):
    help = "Staff logins: `user create USERNAME --role ROLE --branch CODE [--password P]`."

    def add_arguments(self, parser) -> None:
        sub = parser.add_subparsers(dest="verb", required=True)
        create = sub.add_parser("create", help="create a staff member who can log in")
        create.add_argument("username")
        create.add_argument("--role", required=True, choices=[r.value for r in Role])
        create.add_argument(
            "--branch", action="append", default=[], help="branch code (repeat for several)"
        )
        create.add_argument(
            "--region",
            action="append",
            default=[],
            help="region code: the person sees the whole region",
        )
        create.add_argument(
            "--company", action="store_true", help="the person sees the whole company"
        )
        create.add_argument("--name", help="full name (default: the user name)")
        create.add_argument("--phone", default="")
        create.add_argument(
            "--password", help="omit to be asked (or for no password when there is no terminal)"
        )

    def handle(self, *args, verb: str, **options) -> None:
        branches = list(Branch.objects.filter(code__in=options["branch"]))
        missing = set(options["branch"]) - {b.code for b in branches}
        if missing:
            raise CommandError(f"Unknown branch code(s): {', '.join(sorted(missing))}")
        regions = list(Region.objects.filter(code__in=options["region"]))
        if len(regions) != len(set(options["region"])):
            raise CommandError("Unknown region code(s).")
        password = options["password"]
        if password is None and self.stdin_is_tty():
            password = getpass.getpass("Password: ") or None
        scope = Scope.COMPANY if options["company"] else (Scope.REGION if regions else None)
        try:
            staff = create_staff(
                SYSTEM,
                username=options["username"],
                name=options["name"] or options["username"],
                role=options["role"],
                branches=branches,
                regions=regions,
                scope=scope,
                phone=options["phone"],
                password=password,
            )
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        self.stdout.write(
            f"Created {staff.user.username} ({staff.get_role_display()}, "
            f"{staff.get_scope_display()})"
        )

    @staticmethod
    def stdin_is_tty() -> bool:
        import sys

        return sys.stdin is not None and sys.stdin.isatty()
