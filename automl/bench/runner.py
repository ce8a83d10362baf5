"""``automl bench``: run systems over datasets and seeds, one isolated process per run, resumably.

Each finished run appends one JSON line to ``runs.jsonl`` in the output folder; a bench that
is interrupted skips those runs when started again. The tables are written by ``automl.bench.tables``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pandas as pd

from automl.bench.systems import SYSTEMS
from automl.errors import InputError
from automl.manifest import Dataset
from automl.metrics import DEFAULT_METRIC, get_metric

GRACE_S = float(os.environ.get("AUTOML_BENCH_GRACE_S", 60))  # past budget * 1.05 + 5 s: hung, killed


def run_bench(datasets: list[Dataset], *, systems: tuple[str, ...], seeds: tuple[int, ...], budget_s: float,
              out: Path, metric: str | None = None, jobs: int = 1,
              progress: Callable[[str], None] = lambda line: None,
              options: Callable[[Dataset, str], dict] = lambda dataset, system: {}) -> Path:
    """Run every missing (dataset, system, seed) and return the runs file; ``options(dataset, system)``
    gives an automl system further estimator parameters for that dataset.

    No run learns from the dataset it is tested on: a dataset in the shipped metabase is left out
    of the metabase its automl runs warm-start from, and no run reads or adds to the user's own
    remembered runs."""
    unknown = [s for s in systems if s not in SYSTEMS]
    if unknown:
        raise InputError(f"Unknown system {unknown[0]!r}; choose from {', '.join(SYSTEMS)}.")
    if metric is not None:
        for dataset in datasets:
            get_metric(metric, dataset.task)
    out.mkdir(parents=True, exist_ok=True)
    left_out = _leave_one_out(datasets, out / "metabases")
    given = options
    options = lambda dataset, system: {**left_out(dataset, system), **given(dataset, system)}  # noqa: E731
    runs_file = out / "runs.jsonl"
    done = {(r["dataset"], r["system"], r["seed"]) for r in read_runs(runs_file)}
    todo = [(d, s, seed) for d in datasets for seed in seeds for s in systems if (d.name, s, seed) not in done]
    started = time.monotonic()
    progress(f"{len(todo)} runs to do ({len(done)} already done) in {out}")

    def one(index_job):
        index, (dataset, system, seed) = index_job
        progress(f"[{index + 1}/{len(todo)}] running {system} on {dataset.name} (seed {seed}), "
                 f"{time.monotonic() - started:.0f} s elapsed ...")
        record = _run_isolated(dataset, system, seed, budget_s, metric, options(dataset, system))
        append_run(runs_file, record)
        score = f"{record['test_score']:.4f}" if record["status"] == "ok" else record["status"]
        progress(f"[{index + 1}/{len(todo)}] {system} on {dataset.name} (seed {seed}): {score} in "
                 f"{record['wall_s']:.0f} s; {len(todo) - index - 1} left, {time.monotonic() - started:.0f} s elapsed")

    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        list(pool.map(one, enumerate(todo)))
    return runs_file


def _leave_one_out(datasets: list[Dataset], folder: Path) -> Callable[[Dataset, str], dict]:
    """Per dataset of the shipped metabase, a copy of it without that dataset (``Metabase.without``)."""
    from automl.bench.systems import AUTOML_SYSTEMS
    from automl.metalearning.metabase import load_metabase, shipped_path

    if not shipped_path().exists():
        return lambda dataset, system: {}
    metabase = load_metabase(shipped_path())
    files = {}
    for name in {d.name for d in datasets} & {e.name for e in metabase.datasets}:
        files[name] = folder / f"without-{name}.json.gz"
        if not files[name].exists():
            metabase.without(name).save(files[name])
    return lambda dataset, system: ({"metabase": str(files[dataset.name])}
                                    if system in AUTOML_SYSTEMS and dataset.name in files else {})


def append_run(path: Path, record: dict) -> None:
    """One JSON line more; after a line cut by a kill (no newline at the end) on a line of its own."""
    torn = path.exists() and path.stat().st_size > 0 and not path.read_bytes().endswith(b"\n")
    with path.open("a") as sink:
        sink.write(("\n" if torn else "") + json.dumps(record) + "\n")
        sink.flush()
        os.fsync(sink.fileno())


def read_runs(path: Path) -> list[dict]:
    if not path.exists():
        return []
    records = []
    for line in path.read_text().splitlines():
        try:
            records.append(json.loads(line))
        except json.JSONDecodeError:  # a line cut by a kill: that run is simply redone
            continue
    return records


def run_in_pieces(runs: Path, work: Callable[[dict], dict], specs: list[dict], jobs: int = 1,
                  on_result: Callable[[dict], None] = lambda result: None) -> list[dict]:
    """Run ``work`` (a module-level function) on every spec whose ``name`` has no result in ``runs``
    yet, each in a fresh spawned process, ``jobs`` at a time; append each result (a dict naming its
    ``dataset``) to ``runs`` as it comes, then call ``on_result``; return every result in the file.
    The benchmark scripts' resumable loop: stopped, a script starts again where it was."""
    import multiprocessing

    runs.parent.mkdir(parents=True, exist_ok=True)
    done = {r.get("dataset") for r in read_runs(runs)}
    todo = [spec for spec in specs if spec["name"] not in done]
    if todo:
        with multiprocessing.get_context("spawn").Pool(jobs, maxtasksperchild=1) as pool:
            for result in pool.imap_unordered(work, todo):
                append_run(runs, result)
                on_result(result)
    return read_runs(runs)


def _run_isolated(dataset: Dataset, system: str, seed: int, budget_s: float, metric: str | None,
                  options: dict | None = None) -> dict:
    primary = metric or DEFAULT_METRIC[dataset.task]
    spec = {"file": str(dataset.file), "target": dataset.target, "task": dataset.task, "system": system,
            "seed": seed, "budget_s": budget_s, "metric": primary, "options": options or {}}
    base = {"dataset": dataset.name, "task": dataset.task, "system": system, "seed": seed, "metric": primary,
            "budget_s": budget_s}
    limit = budget_s * 1.05 + 5 + GRACE_S
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="automl-bench-metabase-") as no_user_runs:  # nothing remembered
        environment = {**os.environ, "AUTOML_METABASE_DIR": no_user_runs, "AUTOML_REMEMBER_RUNS": "0",
                       "ARROW_DEFAULT_MEMORY_POOL": "system"}  # Arrow's own allocator keeps a read table's memory
        process = subprocess.Popen([sys.executable, "-c", "from automl.bench.systems import main; main()"],
                                   stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                   env=environment)
        peak = _watch(process, json.dumps(spec), limit)
    wall = round(time.monotonic() - started, 2)
    out = process.stdout.read() if process.stdout else ""
    err = process.stderr.read() if process.stderr else ""
    if process.returncode is None:
        return {**base, "status": "timeout", "error": f"killed after {limit:.0f} s", "wall_s": wall, "peak_rss_mb": peak}
    lines = out.strip().splitlines()
    try:
        result = json.loads(lines[-1])
    except (IndexError, json.JSONDecodeError):
        last = err.strip().splitlines()[-1] if err.strip() else f"exit code {process.returncode}"
        return {**base, "status": "crashed", "error": last[:300], "wall_s": wall, "peak_rss_mb": peak}
    scores = result.pop("scores", {})
    return {**base, **result, "test_score": scores.get(primary), "secondary": scores, "wall_s": wall,
            "peak_rss_mb": peak}


def _watch(process: subprocess.Popen, spec: str, limit: float) -> float:
    """Feed the spec, wait up to ``limit`` seconds (then kill), and sample the tree's peak RSS."""
    process.stdin.write(spec)
    process.stdin.close()
    deadline = time.monotonic() + limit
    peak = 0.0
    while process.poll() is None:
        peak = max(peak, _tree_rss_mb(process.pid))
        if time.monotonic() > deadline:
            _kill_tree(process.pid)
            process.kill()
            process.wait()
            process.returncode = None
            break
        time.sleep(0.25)
    return round(peak, 1)


def _children(pid: int) -> list[int]:
    parents = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parents[int(entry.name)] = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
    tree, frontier = [], [pid]
    while frontier:
        current = frontier.pop()
        kids = [p for p, parent in parents.items() if parent == current]
        tree.extend(kids)
        frontier.extend(kids)
    return tree


def _tree_rss_mb(pid: int) -> float:
    """Resident memory of a process and its descendants (Linux /proc; 0 elsewhere)."""
    total = 0
    for member in [pid, *_children(pid)]:
        try:
            total += int(Path(f"/proc/{member}/statm").read_text().split()[1]) * os.sysconf("SC_PAGE_SIZE")
        except (OSError, IndexError, ValueError):
            continue
    return total / 2**20


def _kill_tree(pid: int) -> None:
    for member in _children(pid):
        try:
            os.kill(member, 9)
        except OSError:
            pass


def runs_frame(path: Path) -> pd.DataFrame:
    return pd.DataFrame(read_runs(path))
