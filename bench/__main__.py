"""Run the benchmarks and print one table: `make bench` or `python -m bench [NAME...]`.

Each bench/bench_*.py module has `run() -> list[dict]`; every dict is one row with at least
"benchmark", "median_ms" and "note". Figures go to docs/benchmarks.md by hand, with the
machine and the date, because these machines are shared and noisy.
"""

from __future__ import annotations

import datetime as dt
import importlib
import os
import platform
import sys
from pathlib import Path


def main(names: list[str]) -> None:
    here = Path(__file__).parent
    modules = sorted(p.stem for p in here.glob("bench_*.py"))
    if names:
        modules = [m for m in modules if any(n in m for n in names)]
    cpu = platform.processor() or platform.machine()
    print(
        f"# Manyi benchmarks {dt.datetime.now():%Y-%m-%d %H:%M}, {cpu}, "
        f"{os.cpu_count()} cores, Python {platform.python_version()}"
    )
    for name in modules:
        module = importlib.import_module(f"bench.{name}")
        for row in module.run():
            extra = {k: v for k, v in row.items() if k not in {"benchmark", "median_ms"}}
            print(f"{row['benchmark']:<55} {row['median_ms']:>10.3f} ms  {extra}")


if __name__ == "__main__":
    main(sys.argv[1:])
