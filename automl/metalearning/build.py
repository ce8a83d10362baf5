"""``automl metabase build``: evaluate one pool of configurations on every dataset of a manifest.

Three phases, each resumable from the output folder (a killed build continues where it was):

1. **The pool**, per kind of task (classification, regression): the space's defaults,
   ``random_configs`` random configurations, and the two best configurations of a short SMAC run
   (``smac_trials`` trials) on each of ``smac_datasets`` datasets spread evenly over the
   manifest's sizes. Written to ``pool-<kind>.json`` once complete; the SMAC runs live in
   ``pool-runs/``.
2. **Each dataset**: every pool configuration is one trial of an ordinary automl run in
   ``runs/<name>/`` (the same worker, resampling rule, metric and time limit as any trial), on
   at most ``max_rows`` rows: larger data is subsampled (stratified for classification, seed 0).
   ``runs/<name>/done.json`` marks a finished dataset and carries its results; an unfinished run is resumed.
3. **metabase.json.gz**, assembled from every finished dataset, with the meta-features of the
   full data, the pool, and how it was built.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.model_selection import train_test_split

from automl.data import clean_target, infer_schema, prepare_features, read_table
from automl.errors import InputError
from automl.files import library_versions, write_json
from automl.manifest import Dataset, load_datasets
from automl.metalearning.metabase import DatasetEntry, Metabase, task_kind
from automl.metalearning.metafeatures import compute_metafeatures
from automl.records import TrialStatus, config_key, ranked
from automl.run.store import read_run
from automl.space.bounds import DataShape
from automl.space.configspace import WARM, build_space
from automl.trials.resampling import choose_resampling

MAX_ROWS = 2000
RANDOM_CONFIGS = 8
SMAC_DATASETS = 4
SMAC_TRIALS = 30
TRIAL_LIMIT_S = 30.0
MIN_DATASET_SECONDS = 20.0  # with --limit-minutes, no dataset starts with less time than this left
REFERENCE_FEATURES = 20     # the pool's own space: MAX_ROWS rows, this many columns, categorical ones too


@dataclass(frozen=True)
class BuildOptions:
    """What a build evaluates (the CLI's options), and how long this piece of it may take."""

    only: tuple[str, ...] = ()            # datasets to evaluate now (the pools use the whole manifest)
    limit_minutes: float | None = None
    max_rows: int = MAX_ROWS
    random_configs: int = RANDOM_CONFIGS
    smac_datasets: int = SMAC_DATASETS
    smac_trials: int = SMAC_TRIALS
    trial_time_limit: float = TRIAL_LIMIT_S
    seed: int = 0


def build_metabase(manifest: Path, out: Path, estimator_for: Callable[[str], type],
                   build: BuildOptions = BuildOptions(),
                   progress: Callable[[str], None] = lambda line: None) -> Path:
    """Run what is missing of the three phases (within ``build.limit_minutes``) and write the metabase.

    ``estimator_for(task)`` is the estimator class that runs each dataset's trials (AutoClassifier or
    AutoRegressor: the command line passes them in, as this layer sits below the estimators)."""
    started = time.monotonic()
    deadline = None if build.limit_minutes is None else started + 60 * build.limit_minutes
    out.mkdir(parents=True, exist_ok=True)
    everything = load_datasets(manifest)
    chosen = load_datasets(manifest, only=build.only) if build.only else everything
    sizes = _manifest_sizes(manifest)
    options = dict(max_rows=build.max_rows, trial_time_limit=build.trial_time_limit, seed=build.seed,
                   estimator_for=estimator_for)
    pools = {}
    for kind in sorted({task_kind(d.task) for d in chosen}):
        pools[kind] = _pool(kind, everything, sizes, out, deadline, build, progress, options)
    for index, dataset in enumerate(chosen):
        pool = pools.get(task_kind(dataset.task))
        if pool is None or (out / "runs" / dataset.name / "done.json").exists():
            continue
        left = None if deadline is None else deadline - time.monotonic()
        if left is not None and left < MIN_DATASET_SECONDS:
            progress(f"Stopped: --limit-minutes reached; {len(chosen) - index} dataset(s) left for the next build.")
            break
        progress(f"[{index + 1}/{len(chosen)}] {dataset.name}: {len(pool['configs'])} configurations ...")
        piece = time.monotonic()
        summary = _evaluate_pool(dataset, pool["configs"], out / "runs" / dataset.name, left, **options)
        spent = _pieces(out, dataset.name, time.monotonic() - piece)
        if summary is not None:
            write_json(out / "runs" / dataset.name / "done.json", {**summary, "wall_s": spent})
            progress(f"[{index + 1}/{len(chosen)}] {dataset.name}: done in {summary['wall_s']:.0f} s, "
                     f"{sum(v is not None for v in summary['losses'])} of {len(summary['losses'])} succeeded")
        else:
            progress(f"[{index + 1}/{len(chosen)}] {dataset.name}: cut by --limit-minutes; the next build resumes it.")
    path = assemble(out, manifest)
    progress(f"Metabase written to {path} ({path.stat().st_size / 1024:.0f} KB), "
             f"{time.monotonic() - started:.0f} s this build.")
    return path


def assemble(out: Path, manifest: Path | None = None) -> Path:
    """metabase.json.gz from the pools and every finished dataset in ``out``."""
    pools, origins, options = {}, {}, {}
    for file in sorted(out.glob("pool-*.json")):
        pool = json.loads(file.read_text())
        pools[pool["kind"]], origins[pool["kind"]] = pool["configs"], pool["origins"]
        options = pool.get("options", options)
    entries, wall = [], 0.0
    for done in sorted(out.glob("runs/*/done.json")):
        item = json.loads(done.read_text())  # it carries its results: a build resumes from these files alone
        losses, seconds = item["losses"], item.get("seconds")
        if len(losses) != len(pools[task_kind(item["task"])]):
            raise InputError(f"{done} holds {len(losses)} results for a pool of {len(pools[task_kind(item['task'])])}: "
                             "it was evaluated with another pool; remove its folder to evaluate it again.")
        entries.append(DatasetEntry(item["name"], item["task"], item["metric"], item["metafeatures"], losses, seconds=seconds))
        wall += item["wall_s"]
    wall += sum(json.loads(f.read_text()).get("wall_s", 0.0) for f in out.glob("pool-*.json"))
    built = {"command": f"automl metabase build {manifest or 'MANIFEST'} --out {out}", "versions": library_versions(),
             "datasets": len(entries), "pool_sizes": {k: len(v) for k, v in pools.items()},
             "compute_seconds": round(wall, 1), "options": options, "date": time.strftime("%Y-%m-%d")}
    path = out / "metabase.json.gz"
    Metabase(pools, origins, entries, built).save(path)
    return path


def pool_results(run_dir: Path, n: int) -> tuple[list[float | None], list[float | None]]:
    """Validation loss and fit seconds of each of the ``n`` pool configurations, from a dataset's run.

    A trial's origin names the pool entries it stands for: "warm start: given 3 + given 9" when two
    pool configurations became one on this data (they differed only where its space is narrower).
    """
    _, trials = read_run(run_dir)
    losses: list[float | None] = [None] * n
    seconds: list[float | None] = [None] * n
    for trial in trials:
        for label in trial.origin[len(WARM):].split(" + ") if trial.origin.startswith(WARM) else ():
            given = re.fullmatch(r"given (\d+)", label)  # a shrunk one (", shrunk") is another configuration
            if given and int(given.group(1)) < n:
                i = int(given.group(1))
                ran = trial.status is not TrialStatus.SKIPPED  # a trial stopped on course past its limit: where it headed
                losses[i], seconds[i] = trial.loss, round(trial.result.projected_s or trial.fit_seconds, 3) if ran else None
    return losses, seconds


def _pool(kind: str, datasets: list[Dataset], sizes: dict[str, int], out: Path, deadline: float | None,
          build: BuildOptions, progress, options: dict) -> dict | None:
    """The pool of one kind of task, read back or built (None if the time ran out first)."""
    random_configs, smac_datasets, smac_trials = build.random_configs, build.smac_datasets, build.smac_trials
    file = out / f"pool-{kind}.json"
    wanted = {"random_configs": random_configs, "smac_datasets": smac_datasets, "smac_trials": smac_trials,
              "max_rows": options["max_rows"]}
    if file.exists():
        pool = json.loads(file.read_text())
        if pool.get("options", wanted) != wanted:
            changed = ", ".join(f"--{k.replace('_', '-')} {v}" for k, v in pool["options"].items() if wanted[k] != v)
            raise InputError(f"The {kind} pool in {out} was built with {changed}; give the same options or a new --out.")
        return pool
    started = time.monotonic()
    task = "regression" if kind == "regression" else "binary"
    reference = build_space(task, DataShape(options["max_rows"], options["max_rows"] * 4 // 5, REFERENCE_FEATURES,
                                            0 if kind == "regression" else 2), has_categorical=True)
    configs = reference.default_configs()
    origins = ["default"] * len(configs)
    for config in reference.sample(random_configs, seed=options["seed"] + 1) if random_configs else []:
        configs.append(config)
        origins.append("random")
    of_kind = sorted((d for d in datasets if task_kind(d.task) == kind), key=lambda d: (sizes.get(d.name, 0), d.name))
    picks = sorted({round(i) for i in np.linspace(0, len(of_kind) - 1, smac_datasets)}) if smac_datasets and of_kind else []
    for number, i in enumerate(picks):
        dataset = of_kind[i]
        left = None if deadline is None else deadline - time.monotonic()
        if left is not None and left < MIN_DATASET_SECONDS:
            progress(f"Stopped while building the {kind} pool: --limit-minutes reached.")
            return None
        progress(f"Pool ({kind}) {number + 1}/{len(picks)}: a {smac_trials}-trial SMAC run on {dataset.name} ...")
        run_dir = out / "pool-runs" / dataset.name
        if _run(dataset, run_dir, left, search="smac", warm_start="none", max_trials=smac_trials, **options) is None:
            _pieces(out, f"pool-{kind}", time.monotonic() - started)
            progress(f"Stopped while building the {kind} pool: --limit-minutes reached.")
            return None
        _, trials = read_run(run_dir)
        found = []  # in the reference space's terms, so that a default found again is seen as one
        for config in (reference.project(t.config) for t in ranked(trials)):
            if config is not None and len(found) < 2 and all(config_key(config) != config_key(c) for c in configs + found):
                found.append(config)
        configs += found
        origins += [f"smac {dataset.name}"] * len(found)
    pool = {"kind": kind, "configs": configs, "origins": origins, "options": wanted,
            "wall_s": _pieces(out, f"pool-{kind}", time.monotonic() - started)}
    write_json(file, pool)
    progress(f"Pool ({kind}): {len(configs)} configurations ({origins.count('default')} defaults, "
             f"{origins.count('random')} random, {len(configs) - origins.count('default') - origins.count('random')} from SMAC).")
    return pool


def _pieces(out: Path, name: str, seconds: float) -> float:
    """The seconds all pieces of the build have spent on ``name`` (a dataset, a pool), this piece's
    ``seconds`` added (kept in OUT/pieces.json: a resumed dataset's time is not only its last piece's)."""
    file = out / "pieces.json"
    spent = json.loads(file.read_text()) if file.is_file() else {}
    spent[name] = round(spent.get(name, 0.0) + seconds, 1)
    write_json(file, spent)
    return spent[name]


def _evaluate_pool(dataset: Dataset, pool: list[dict], run_dir: Path, left: float | None, *, max_rows: int,
                   trial_time_limit: float, seed: int, estimator_for: Callable[[str], type]) -> dict | None:
    """Every pool configuration as a trial of one run on the dataset; None if the time ran out first."""
    started = time.monotonic()
    full_X, full_y = _read(dataset)  # read once: subsampled for the trials, whole for the meta-features
    X, y = _subsample(full_X, full_y, dataset.task, max_rows, seed)
    model = _run(dataset, run_dir, left, search="random", warm_start=pool, max_trials=len(pool), max_rows=max_rows,
                 trial_time_limit=trial_time_limit, seed=seed, data=(X, y), estimator_for=estimator_for)
    if model is None:
        return None
    losses, seconds = pool_results(run_dir, len(pool))
    _, target, _ = clean_target(full_X, full_y, dataset.task)
    schema = infer_schema(full_X)
    codes = target.to_numpy() if dataset.task == "regression" else pd.factorize(target)[0]
    metafeatures = compute_metafeatures(prepare_features(full_X, schema), codes, schema.categorical,
                                        dataset.task != "regression")
    return {"name": dataset.name, "task": dataset.task, "metric": model.metric_, "rows": int(len(full_X)),
            "rows_used": int(len(X)), "metafeatures": metafeatures, "losses": losses, "seconds": seconds,
            "wall_s": round(time.monotonic() - started, 1)}


def _run(dataset: Dataset, run_dir: Path, left: float | None, *, search: str, warm_start, max_trials: int,
         max_rows: int, trial_time_limit: float, seed: int, estimator_for: Callable[[str], type], data=None):
    """One automl run (resumed if it exists); None when it was cut before its last trial."""
    X, y = data if data is not None else _subsample(*_read(dataset), dataset.task, max_rows, seed)
    resampling = choose_resampling(len(X), X.shape[1], None).kind  # fixed, whatever time is left
    cls = estimator_for(dataset.task)
    resume = (run_dir / "trials.jsonl").exists()
    if resume and left is not None:  # a resumed run's budget counts the time its earlier sessions spent
        left += max((t.finished_s for t in read_run(run_dir)[1]), default=0.0)
    model = cls(time_budget=left, max_trials=max_trials, search=search, seed=seed, resampling=resampling,
                trial_time_limit=trial_time_limit, warm_start=warm_start, ensemble_size=0, keep_models=0,
                run_dir=str(run_dir), resume=resume, remember=False)
    run_dir.parent.mkdir(parents=True, exist_ok=True)
    model.fit(X, y)
    return model if model.n_trials_ >= max_trials or left is None else None


def _read(dataset: Dataset) -> tuple[pd.DataFrame, pd.Series]:
    frame = read_table(dataset.file).dropna(subset=[dataset.target])
    return frame.drop(columns=[dataset.target]).reset_index(drop=True), frame[dataset.target].reset_index(drop=True)


def _subsample(X: pd.DataFrame, y: pd.Series, task: str, max_rows: int, seed: int) -> tuple[pd.DataFrame, pd.Series]:
    """At most ``max_rows`` rows, stratified by class where every class has two rows (seed fixed)."""
    if len(X) <= max_rows:
        return X, y
    stratify = y if task != "regression" and y.value_counts().min() >= 2 else None
    X, _, y, _ = train_test_split(X, y, train_size=max_rows, random_state=seed, stratify=stratify)
    return X.reset_index(drop=True), y.reset_index(drop=True)


def _manifest_sizes(manifest: Path) -> dict[str, int]:
    if manifest.is_dir():
        return {}
    frame = read_table(manifest)
    return dict(zip(frame["name"].astype(str), frame["n_rows"].astype(int))) if "n_rows" in frame else {}


