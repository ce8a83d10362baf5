"""The datasets a manifest CSV names (or a folder of CSV/Parquet files holds): what ``automl bench``
and ``automl metabase build`` run over."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from automl.data import infer_task, read_table
from automl.errors import InputError


@dataclass(frozen=True)
class Dataset:
    name: str
    file: Path
    target: str
    task: str


def load_datasets(source: Path, target: str | None = None, only: tuple[str, ...] = ()) -> list[Dataset]:
    """A manifest CSV (columns name, task, target, file) or a folder of CSV/Parquet files plus a target."""
    if not source.exists():
        raise InputError(f"Benchmark source not found: {source}.")
    if source.is_dir():
        if not target:
            raise InputError("A folder of datasets needs --target to name the column to predict.")
        files = sorted(p for p in source.iterdir() if p.suffix in (".csv", ".parquet", ".gz") and p.is_file())
        datasets = [Dataset(p.name.split(".")[0], p, target, infer_task(read_table(p)[target])) for p in files
                    if target in read_table(p).columns]
    else:
        manifest = read_table(source)
        missing = {"name", "task", "target", "file"} - set(manifest.columns)
        if missing:
            raise InputError(f"Manifest {source} lacks the column(s) {', '.join(sorted(missing))}.")
        datasets = [Dataset(str(r["name"]), source.parent / str(r["file"]), str(r["target"]), str(r["task"]))
                    for _, r in manifest.iterrows()]
    unknown = set(only) - {d.name for d in datasets}
    if unknown:
        raise InputError(f"Unknown dataset {sorted(unknown)[0]!r} in --only.")
    chosen = [d for d in datasets if not only or d.name in only]
    if not chosen:
        raise InputError(f"No dataset found in {source}.")
    return chosen
