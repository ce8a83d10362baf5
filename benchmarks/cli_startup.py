"""How long the CLI takes to start, and which heavy libraries each command loads.

    python benchmarks/cli_startup.py RUN_DIR [--code OTHER_CHECKOUT ...] [--repeats 5]

For each checkout (this one, and any given with --code, e.g. a clone of an older commit), runs
``automl --help``, ``automl --version``, ``automl leaderboard RUN_DIR`` (and ``automl predict MODEL
DATA`` with ``--model`` and ``--data``) ``--repeats`` times in
fresh interpreters, side by side, and prints the median wall time and whether SMAC, ConfigSpace,
LightGBM, XGBoost or scikit-learn's estimators (sklearn.ensemble) were imported
(``python -X importtime``).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

HEAVY = ("smac", "ConfigSpace", "lightgbm", "xgboost", "sklearn.ensemble", "sklearn.metrics", "pandas")
LAUNCH = ("import sys, runpy, pathlib, importlib.util; sys.argv = ['automl', *sys.argv[1:]]; "  # cli/: a package
          "package = pathlib.Path(importlib.util.find_spec('automl').origin).parent; "  # since issue 16
          "runpy.run_module('automl.cli.main' if (package / 'cli').is_dir() else 'automl.cli', run_name='__main__')")


def _run(code: Path, args: list[str]) -> tuple[float, set[str]]:
    env = {**os.environ, "PYTHONPATH": str(code / "src" if (code / "src" / "automl").is_dir() else code)}
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-X", "importtime", "-c", LAUNCH, *args], env=env, capture_output=True,
                          text=True, cwd=code)
    wall = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(args)} failed in {code}: {done.stdout[-300:]}{done.stderr[-300:]}")
    imported = {line.split("|")[-1].strip() for line in done.stderr.splitlines() if line.startswith("import time:")}
    return wall, {h for h in HEAVY if any(m == h or m.startswith(h + ".") for m in imported)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run_dir", type=Path, help="A finished run directory for `automl leaderboard`.")
    parser.add_argument("--code", type=Path, action="append", default=[], help="Another checkout to compare.")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--model", type=Path, help="A model file for `automl predict` (with --data).")
    parser.add_argument("--data", type=Path, help="Rows for `automl predict`.")
    args = parser.parse_args()
    checkouts = [Path(__file__).resolve().parent.parent, *[c.resolve() for c in args.code]]
    commands = {"--help": ["--help"], "--version": ["--version"],
                "leaderboard": ["leaderboard", str(args.run_dir.resolve())]}
    if args.model and args.data:
        commands["predict"] = ["predict", str(args.model.resolve()), str(args.data.resolve()), "-o", "/dev/null"]
    print(f"| checkout | command | median s (of {args.repeats}) | heavy libraries imported |")
    print("|---|---|---|---|")
    for name, command in commands.items():
        times: dict[Path, list[float]] = {c: [] for c in checkouts}
        heavy: dict[Path, set[str]] = {}
        for _ in range(args.repeats):  # interleaved: the machine's load falls on every checkout alike
            for code in checkouts:
                wall, loaded = _run(code, command)
                times[code].append(wall)
                heavy[code] = loaded
        for code in checkouts:
            print(f"| {code.name} | automl {name} | {statistics.median(times[code]):.2f} | "
                  f"{', '.join(sorted(heavy[code])) or 'none'} |")


if __name__ == "__main__":
    main()
