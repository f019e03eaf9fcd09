"""Run every benchmark and write the results as JSON.

Each ``benchmarks/bench_*.py`` module defines ``run(smoke: bool) -> dict`` returning JSON-able
results (times in seconds, ratios against a baseline measured in the same run, goals and whether
they were met). ``--smoke`` runs each in seconds, for CI.

    python -m benchmarks.run [--smoke] [--only NAME] [--out out/bench.json]
"""

from __future__ import annotations

import argparse
import importlib
import json
import platform
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="tiny sizes, seconds in all (CI)")
    parser.add_argument("--only", action="append", default=[], help="run only bench_NAME")
    parser.add_argument("--out", type=Path, default=Path("out/bench.json"))
    args = parser.parse_args(argv)

    names = sorted(p.stem for p in HERE.glob("bench_*.py"))
    if args.only:
        names = [n for n in names if n.removeprefix("bench_") in args.only or n in args.only]
    results: dict[str, object] = {
        "python": sys.version.split()[0],
        "machine": platform.machine(),
        "smoke": args.smoke,
    }
    for name in names:
        module = importlib.import_module(f"benchmarks.{name}")
        start = time.perf_counter()
        print(f"== {name}", flush=True)
        result = module.run(smoke=args.smoke)
        result["wall_seconds"] = round(time.perf_counter() - start, 3)
        results[name] = result
        print(json.dumps(result, indent=2), flush=True)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2))
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
