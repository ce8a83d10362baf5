"""The metabase: how a pool of configurations performed on earlier datasets, and the user's own runs.

One gzipped JSON file holds, per kind of task ("classification" or "regression"), the pool of
configurations (as plain dicts from a reference space; ``SearchSpace.project`` adapts them to a
new dataset) and, per dataset, its meta-features and the validation loss of every pool
configuration (None where it failed). The user's own runs live beside it as one small JSON file
each: meta-features and the best configurations found. Warm starts (``warmstart.py``) read both.
"""

from __future__ import annotations

import gzip
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from automl.errors import InputError
from automl.files import atomic_path

FORMAT = 1
USER_DIR_ENV = "AUTOML_METABASE_DIR"  # overrides where the user's own runs are remembered
USER_TOP_CONFIGS = 5                   # configurations a remembered run contributes


def task_kind(task: str) -> str:
    """Classification tasks share one pool (the same space), regression has its own."""
    return "regression" if task == "regression" else "classification"


@dataclass(frozen=True)
class DatasetEntry:
    """One earlier dataset: its meta-features and, for each configuration, a validation loss."""

    name: str
    task: str
    metric: str
    metafeatures: dict[str, float]
    losses: list[float | None]        # one per pool configuration (shipped), or per ``configs`` (user run)
    configs: list[dict] | None = None  # a user run's own configurations; None: the pool's
    seconds: list[float | None] | None = None  # fit seconds of each (all folds), where recorded

    def best_configs(self, pool: list[dict], k: int = 1) -> list[dict]:
        candidates = self.configs if self.configs is not None else pool
        ranked = sorted((loss, i) for i, loss in enumerate(self.losses) if loss is not None)
        return [candidates[i] for _, i in ranked[:k]]


@dataclass
class Metabase:
    """Pools of configurations and the datasets they were evaluated on."""

    pools: dict[str, list[dict]] = field(default_factory=dict)        # kind -> configurations
    pool_origins: dict[str, list[str]] = field(default_factory=dict)  # kind -> "default", "random", "smac <dataset>"
    datasets: list[DatasetEntry] = field(default_factory=list)
    built: dict[str, Any] = field(default_factory=dict)               # how it was built (command, versions, time)

    def entries(self, kind: str) -> list[DatasetEntry]:
        return [d for d in self.datasets if task_kind(d.task) == kind]

    def without(self, name: str) -> Metabase:
        """The metabase as if ``name`` had never been in it: its row, and pool configurations
        found by searching it, are removed (leave-one-dataset-out)."""
        pools, origins, keep = {}, {}, {}
        for kind, configs in self.pools.items():
            kept = [i for i, origin in enumerate(self.pool_origins[kind]) if origin != f"smac {name}"]
            keep[kind] = kept
            pools[kind] = [configs[i] for i in kept]
            origins[kind] = [self.pool_origins[kind][i] for i in kept]
        datasets = [DatasetEntry(d.name, d.task, d.metric, d.metafeatures,
                                 [d.losses[i] for i in keep[task_kind(d.task)]], None,
                                 None if d.seconds is None else [d.seconds[i] for i in keep[task_kind(d.task)]])
                    for d in self.datasets if d.name != name and d.configs is None]
        datasets += [d for d in self.datasets if d.name != name and d.configs is not None]
        return Metabase(pools, origins, datasets, dict(self.built))

    def to_json(self) -> dict:
        return {"format": FORMAT, "built": self.built,
                "pools": {kind: [{"config": c, "origin": o} for c, o in zip(configs, self.pool_origins[kind])]
                          for kind, configs in self.pools.items()},
                "datasets": [{"name": d.name, "task": d.task, "metric": d.metric, "metafeatures": d.metafeatures,
                              "losses": d.losses, "seconds": d.seconds} for d in self.datasets if d.configs is None]}

    @classmethod
    def from_json(cls, data: dict) -> Metabase:
        pools = {kind: [p["config"] for p in items] for kind, items in data["pools"].items()}
        origins = {kind: [p["origin"] for p in items] for kind, items in data["pools"].items()}
        datasets = [DatasetEntry(d["name"], d["task"], d["metric"], d["metafeatures"], d["losses"],
                                 seconds=d.get("seconds")) for d in data["datasets"]]
        return cls(pools, origins, datasets, data.get("built", {}))

    def save(self, path: Path) -> None:
        """Written to a temporary name and renamed, so a kill never leaves half a file."""
        path.parent.mkdir(parents=True, exist_ok=True)
        with atomic_path(path) as partial, gzip.open(partial, "wt", encoding="utf-8", compresslevel=9) as sink:
            json.dump(self.to_json(), sink, separators=(",", ":"))


def shipped_path() -> Path:
    """The metabase built from the datasets of ../shared: installed as automl/metabase_data, or
    datasets/metabase/ in a checkout (CI tests the installed wheel from a copy without it)."""
    package = Path(__file__).resolve().parent.parent
    installed = package / "metabase_data"
    return (installed if installed.is_dir() else package.parent / "datasets" / "metabase") / "metabase.json.gz"


def user_dir() -> Path:
    """Where the user's own runs are remembered: $AUTOML_METABASE_DIR, else the user's data directory."""
    if os.environ.get(USER_DIR_ENV):
        return Path(os.environ[USER_DIR_ENV])
    base = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    return base / "automl" / "metabase"


def load_metabase(path: Path | str) -> Metabase:
    """A metabase file, or the shipped one inside a folder; one sentence if it cannot be read."""
    path = Path(path)
    if path.is_dir():
        path = path / "metabase.json.gz"
    if not path.exists():
        raise InputError(f"Metabase not found: {path}.")
    try:
        with gzip.open(path, "rt", encoding="utf-8") as source:
            data = json.load(source)
    except (OSError, EOFError, ValueError) as exc:
        raise InputError(f"Metabase {path} cannot be read: it is not a gzipped JSON file ({type(exc).__name__}).") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise InputError(f"Metabase {path} cannot be read: it is not a metabase of format {FORMAT}.")
    try:
        return Metabase.from_json(data)
    except (KeyError, TypeError, AttributeError) as exc:
        raise InputError(f"Metabase {path} cannot be read: an entry lacks {exc}.") from None


def load_user_runs(folder: Path | None = None) -> list[DatasetEntry]:
    """The runs remembered in ``folder`` (default: ``user_dir()``); unreadable files are skipped."""
    folder = user_dir() if folder is None else Path(folder)
    entries = []
    for path in sorted(folder.glob("*.json")) if folder.is_dir() else []:
        try:
            data = json.loads(path.read_text())
            entries.append(DatasetEntry(data["name"], data["task"], data["metric"], data["metafeatures"],
                                        [c["loss"] for c in data["configs"]], [c["config"] for c in data["configs"]]))
        except (OSError, ValueError, KeyError, TypeError):
            continue
    return entries


def remember_run(run_dir: Path | str, folder: Path | None = None) -> Path:
    """Add a finished run's meta-features and best configurations to the user's metabase.

    One file per run, named after the run's data fingerprint and the run folder, so adding the
    same run again replaces it. Returns the file written.
    """
    from automl.files import write_json
    from automl.records import ranked
    from automl.run.store import read_json, read_run, read_settings

    run_dir = Path(run_dir)
    if not (run_dir / "settings.json").exists():
        raise InputError(f"{run_dir} is not an automl run directory (no settings.json).")
    metafeatures_file = run_dir / "metafeatures.json"
    if not metafeatures_file.exists():
        raise InputError(f"Run {run_dir} has no metafeatures.json: it was recorded by an older automl; fit it again.")
    settings = read_settings(run_dir)
    _, trials = read_run(run_dir)
    best = ranked(trials)[:USER_TOP_CONFIGS]
    if not best:
        raise InputError(f"Run {run_dir} has no successful trial to learn from.")
    fingerprint = str(read_json(run_dir / "data.json", {}).get("sha256", ""))[:12]
    folder = user_dir() if folder is None else Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{fingerprint}-{run_dir.resolve().name}.json"
    write_json(target, {"name": f"{run_dir.resolve().name} (your run)", "task": settings.task,
                        "metric": settings.metric, "source": str(run_dir.resolve()),
                        "metafeatures": read_json(metafeatures_file, {}),
                        "configs": [{"config": t.config, "loss": t.loss} for t in best]})
    return target
