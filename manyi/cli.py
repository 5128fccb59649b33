"""The `manyi` console command: Manyi's own commands plus every Django management command.

manyi demo --seed 7 --size small
manyi token create USERNAME
manyi user create USERNAME --role agent --branch SH01
manyi check
manyi migrate / manyi shell / manyi serve
"""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "manyi.settings")
    from django.core.management import execute_from_command_line

    args = list(sys.argv[1:] if argv is None else argv)
    execute_from_command_line(["manyi", *args])


if __name__ == "__main__":
    main()
