from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from manyi.org.actions import SYSTEM, create_api_token, revoke_api_token
from manyi.org.models import ApiToken


class Command(BaseCommand):
    help = "API tokens: `token create USERNAME` prints a new token; list; revoke PREFIX."

    def add_arguments(self, parser) -> None:
        sub = parser.add_subparsers(dest="verb", required=True)
        create = sub.add_parser("create", help="issue a token and print it once")
        create.add_argument("username")
        create.add_argument("--name", default="")
        listing = sub.add_parser("list", help="list a user's tokens")
        listing.add_argument("username")
        revoke = sub.add_parser("revoke", help="revoke a token by its prefix")
        revoke.add_argument("prefix")

    def handle(self, *args, verb: str, **options) -> None:
        if verb == "revoke":
            token = ApiToken.objects.filter(
                prefix=options["prefix"], revoked_at__isnull=True
            ).first()
            if token is None:
                raise CommandError(f"No active token starts with {options['prefix']}.")
            revoke_api_token(SYSTEM, token)
            self.stdout.write(f"Revoked {token.prefix}…")
            return
        User = get_user_model()
        try:
            user = User.objects.get(username=options["username"])
        except User.DoesNotExist as exc:
            raise CommandError(f"No user named {options['username']}.") from exc
        if verb == "create":
            _token, raw = create_api_token(SYSTEM, user, name=options["name"])
            self.stdout.write(raw)
        else:
            for token in user.api_tokens.order_by("created_at"):
                state = "revoked" if token.revoked_at else "active"
                self.stdout.write(
                    f"{token.prefix}…  {token.name or '-'}  {state}  "
                    f"created {token.created_at:%Y-%m-%d}"
                )
