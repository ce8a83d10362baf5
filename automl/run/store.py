"""The run directory: everything a search produced, written so that a kill at any instant loses nothing.

    RUN_DIR/
      settings.json    the format number, the estimator's parameters, task, metric, resampling, versions, sessions
      data.json        fingerprint of the training data: a hash, the row count, the column types
      space.json       the search space used (ConfigSpace, serialized) and the components behind it
      trials.jsonl     one line per finished trial: appended, flushed and fsynced at once
      predictions/     out-of-fold predictions of each successful trial (trial_00012.npy, float32)
      models/          the fold models of the top-K trials only (trial_00012.skops)
      worker.log       what libraries printed inside the trials
      ensemble.json    the final model's weight per trial id, written with it
      final.json       what the final model is (members, weights) and its estimated score
      model.skops      the final model, written at the end of ``fit``
      outputs.json     where ``automl fit`` copied the model (``--out``): a resume replaces that file

Every file but the log is written under a temporary name and renamed into place, so a reader
never sees half a file; a trial line cut short by a kill is ignored when the log is read back.
Resuming checks that the data and the space are the ones the run was started with.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from automl.errors import InputError
from automl.files import TEMPORARY_SUFFIX, atomic_path, check_writable_folder, json_default, write_json
from automl.records import FinalSummary, TrialRecord, ranked
from automl.settings import MUST_MATCH, RunSettings

logger = logging.getLogger(__name__)

DEFAULT_BASE = Path("automl-runs")
OWN_FILES = ("settings.json", "data.json", "space.json", "metafeatures.json", "ensemble.json", "final.json", "model.skops",
             "report.html", "outputs.json")  # what automl writes at the top of a run directory (besides trials.jsonl and the log)


def new_run_dir(base: Path = DEFAULT_BASE, name: str | None = None) -> Path:
    """A fresh, timestamped folder under ``base`` (suffixed -2, -3, ... when taken)."""
    stem = time.strftime("%Y%m%d-%H%M%S") + (f"-{name}" if name else "")
    check_writable_folder(base, "run directory")
    for attempt in range(1, 1000):
        path = base / (stem if attempt == 1 else f"{stem}-{attempt}")
        try:
            path.mkdir(parents=True)
            return path
        except FileExistsError:
            continue
        except OSError as problem:
            raise InputError(f"Could not create a run directory under {base} ({problem.strerror}).") from None
    raise InputError(f"Could not create a new run directory under {base}.")


def data_fingerprint(X: pd.DataFrame, y: np.ndarray, column_types: dict[str, str]) -> dict[str, Any]:
    """A hash of the training rows and target, with the shape and column types, to recognise the data."""
    digest = hashlib.sha256()
    digest.update(json.dumps(list(map(str, X.columns))).encode())
    digest.update(pd.util.hash_pandas_object(X, index=False).to_numpy().tobytes())
    digest.update(np.ascontiguousarray(y).tobytes())
    return {"sha256": digest.hexdigest(), "rows": int(len(X)), "columns": column_types}


def read_run(path: Path) -> tuple[RunSettings, list[TrialRecord]]:
    """The settings and finished trials of a run directory, read only."""
    settings = read_settings(path)
    return settings, RunStore(Path(path), settings, {}, True).read_trials()


def read_leaderboard_extras(path: Path) -> tuple[dict[str, list[str]], dict[int, float] | None]:
    """The key hyperparameters per family (from space.json) and the final model's weights (from
    ensemble.json; None while the run has no final model yet)."""
    path = Path(path)
    space = read_json(path / "space.json", {}) if (path / "space.json").is_file() else {}
    ensemble = path / "ensemble.json"
    try:
        weights = {int(k): float(v) for k, v in read_json(ensemble, {}).items()} if ensemble.is_file() else None
    except (TypeError, ValueError):
        raise InputError(f"{ensemble} is damaged: it does not hold weights by trial id.") from None
    return space.get("key_hyperparameters") or {}, weights


def read_final(path: Path) -> FinalSummary | None:
    """The final model's summary (``final.json``); None for a run without one (unfinished, or older)."""
    final = Path(path) / "final.json"
    if not final.is_file():
        return None
    try:
        return FinalSummary.from_json(read_json(final, {}))
    except (KeyError, TypeError, ValueError):
        raise InputError(f"{final} is damaged: it does not describe a final model.") from None


def read_json(path: Path, shape: dict | list) -> Any:
    """A JSON file of the run directory, of the given shape (a dict or a list); one sentence if it is damaged."""
    try:
        value = json.loads(Path(path).read_bytes().decode("utf-8"))
    except (OSError, ValueError) as problem:  # UnicodeDecodeError and JSONDecodeError are ValueErrors
        raise InputError(f"{path} is damaged ({type(problem).__name__}); it cannot be read.") from None
    if not isinstance(value, type(shape)):
        raise InputError(f"{path} is damaged: it holds a {type(value).__name__}, not a {type(shape).__name__}.")
    return value


def read_settings(path: Path) -> RunSettings:
    """The settings a run directory recorded; one sentence for a folder that is not a run directory
    or a run of a newer format."""
    file = Path(path) / "settings.json"
    if not file.is_file():
        raise InputError(f"{path} is not an automl run directory (it has no settings.json).")
    return RunSettings.from_json(read_json(file, {}), where=str(path))


def check_run_dir(path: Path) -> Path:
    """Refuse, in one sentence, a run directory a new run must not write into: one holding a run, a file,
    a folder that holds anything else (automl never mixes its files with yours), or one it cannot create."""
    path = Path(path)
    if (path / "trials.jsonl").exists() or (path / "settings.json").exists():
        raise InputError(f"{path} already holds a run; resume it, or choose another run directory.")
    if path.is_symlink() and not path.exists():
        raise InputError(f"The run directory {path} is a link to nothing; give a new or empty folder.")
    if path.exists() and not path.is_dir():
        raise InputError(f"The run directory {path} is a file; give a new or empty folder.")
    if path.is_dir() and any(path.iterdir()):
        raise InputError(f"The run directory {path} holds files of its own and no automl run; give a new or empty "
                         "folder (automl never writes among your files).")
    check_writable_folder(path if path.is_dir() else path.parent, "run directory")
    return path


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S")


class RunStore:
    """Writes one run's directory as the search goes, and reads it back to resume."""

    def __init__(self, path: Path, settings: RunSettings, fingerprint: dict[str, Any], resuming: bool):
        self.path = Path(path)
        self.settings = settings
        self._fingerprint = fingerprint
        self._resuming = resuming
        self._begun = False
        self._made_here = False  # this store made the folder (only then may it remove it, empty, on a refusal)

    @classmethod
    def create(cls, path: Path | None, settings: RunSettings, fingerprint: dict[str, Any]) -> RunStore:
        """A new run in ``path`` (a new timestamped folder when None); refuse a folder holding a run.

        Nothing is written until ``begin``: a run refused for a bad option leaves no trace.
        """
        made = path is None
        path = new_run_dir() if made else check_run_dir(Path(path))
        store = cls(path, dataclasses.replace(settings, sessions=(_now(),)), fingerprint, False)
        store._made_here = made
        return store

    @classmethod
    def reopen(cls, path: Path | None, settings: RunSettings, fingerprint: dict[str, Any]) -> RunStore:
        """Continue the run in ``path``: refuse, in one sentence, other data, incompatible settings or
        a run of a newer format. Its validation is kept. Only reads; ``begin`` writes, once the space
        has been checked too.
        """
        if path is None:
            raise InputError("resume=True needs the run_dir of the run to continue.")
        path = Path(path)
        if not (path / "settings.json").is_file() or not (path / "data.json").is_file():
            raise InputError(f"Cannot resume {path}: it is not a run directory (no settings.json or data.json).")
        previous = read_settings(path)
        saved = read_json(path / "data.json", {})
        if not {"rows", "columns", "sha256"} <= set(saved):
            raise InputError(f"Cannot resume {path}: its data.json is damaged (it lacks the data's fingerprint).")
        if saved["rows"] != fingerprint["rows"] or saved["columns"] != fingerprint["columns"]:
            raise InputError(f"Cannot resume {path}: the data differs from the run's ({saved['rows']} rows and "
                             f"columns {list(saved['columns'])} then, {fingerprint['rows']} rows and columns "
                             f"{list(fingerprint['columns'])} now).")
        if saved["sha256"] != fingerprint["sha256"]:
            raise InputError(f"Cannot resume {path}: the data has the same shape and columns as the run's but "
                             f"different values (fingerprint {saved['sha256'][:12]} then, {fingerprint['sha256'][:12]} now).")
        for key, what in (("weights", "sample weights"), ("groups", "groups")):
            if saved.get(key) != fingerprint.get(key):
                raise InputError(f"Cannot resume {path}: the {what} differ from the run's (give the same ones again).")
        for key in MUST_MATCH:
            if key == "target" and None in (previous.target, settings.target):  # an array target has no name
                continue
            if previous.value(key) != settings.value(key):
                raise InputError(f"Cannot resume {path}: its {key} is {previous.value(key)!r}, not "
                                 f"{settings.value(key)!r}.")
        resumed = dataclasses.replace(settings, validation=previous.validation, sessions=(*previous.sessions, _now()),
                                      columns=settings.columns or previous.columns)  # unnamed arrays: keep the names
        return cls(path, resumed, fingerprint, True)

    def begin(self, space: dict[str, Any]) -> None:
        """Check the space against the run's (resuming), then write the settings, fingerprint and space."""
        file = self.path / "space.json"
        current = json.loads(json.dumps(space, default=str))  # tuples become lists, as on disk
        if self._resuming and file.is_file():
            recorded = read_json(file, {})
            shown_only = {"key_hyperparameters"}  # what the leaderboard shows, not part of the space
            changed = sorted(k for k in (set(recorded) | set(current)) - shown_only if recorded.get(k) != current.get(k))
            if changed:
                raise InputError(f"Cannot resume {self.path}: the search space differs from the run's "
                                 f"(changed: {', '.join(changed)}).")
        for folder in (self.path, self.path / "predictions", self.path / "models"):
            folder.mkdir(parents=True, exist_ok=True)
        self._lock()
        self._begun = True
        write_json(self.path / "data.json", self._fingerprint)
        write_json(file, current)
        write_json(self.path / "settings.json", self.settings.to_json())
        _drop_cut_line(self.path / "trials.jsonl")
        self._remove_leftovers({t.trial_id for t in self.read_trials()})

    def _remove_leftovers(self, finished: set[int]) -> None:
        """Writes cut by a kill (automl's own temporary files, in this run's own folders), and the files of
        the one trial a kill can leave unlogged (the next id, named from the run's log)."""
        for folder in (self.path, self.path / "predictions", self.path / "models"):
            for leftover in folder.glob(f".*{TEMPORARY_SUFFIX}"):
                leftover.unlink(missing_ok=True)
        unlogged = max(finished, default=-1) + 1
        self._predictions_file(unlogged).unlink(missing_ok=True)
        self._models_file(unlogged).unlink(missing_ok=True)

    def _lock(self) -> None:
        """One process writes a run at a time: a second fit or resume of it is refused, not interleaved."""
        try:
            import fcntl
        except ImportError:  # Windows: no advisory locks; running one fit per directory is up to the user
            return
        self._lock_file = (self.path / ".lock").open("w")
        try:
            fcntl.flock(self._lock_file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            self._lock_file.close()
            raise InputError(f"{self.path} is in use by another automl process; wait for it or use another "
                             "run directory.") from None

    def close(self) -> None:
        """Release the run directory (the lock); the files stay. A run refused before it began leaves
        no empty timestamped folder behind (only one this store made: never a folder of the user's)."""
        lock = getattr(self, "_lock_file", None)
        if lock is not None:
            lock.close()
        if self._made_here and not self._begun and self.path.is_dir() and not any(self.path.iterdir()):
            self.path.rmdir()

    def add(self, record: TrialRecord, predictions: np.ndarray | None) -> None:
        """Persist one finished trial: its predictions first, then its log line (fsynced)."""
        if record.ok and predictions is not None:
            with atomic_path(self._predictions_file(record.trial_id)) as temporary:
                with temporary.open("wb") as sink:
                    np.save(sink, predictions.astype(np.float32, copy=False))
        line = json.dumps(record.to_json(), default=json_default)
        with (self.path / "trials.jsonl").open("a") as sink:
            sink.write(line + "\n")
            sink.flush()
            os.fsync(sink.fileno())

    def keep_models(self, trials: list[TrialRecord], record: TrialRecord, k: int, save: Callable[[Path], bool]) -> None:
        """Keep the fold models of the k best trials: save the new one if it ranks, drop the ones it pushed out."""
        best = [t.trial_id for t in ranked(trials)[:k]]
        if record.trial_id in best:
            save(self._models_file(record.trial_id))
        for trial in trials:  # by the run's own log: only files this store named
            if trial.trial_id not in best:
                self._models_file(trial.trial_id).unlink(missing_ok=True)

    def kept_models_file(self, trial_id: int) -> Path | None:
        """The file of a trial's fold models, if they are kept."""
        path = self._models_file(trial_id)
        return path if path.is_file() else None

    def best_kept_models(self, trials: list[TrialRecord]) -> tuple[TrialRecord, Path] | None:
        """The best trial whose fold models are kept, with their file; None if none is."""
        for trial in ranked(trials):
            if self._models_file(trial.trial_id).is_file():
                return trial, self._models_file(trial.trial_id)
        return None

    def write_metafeatures(self, metafeatures: dict[str, float]) -> None:
        """The data's meta-features: what ``automl metabase add`` needs to learn from this run."""
        write_json(self.path / "metafeatures.json", metafeatures)

    def write_final(self, weights: dict[int, float], summary: FinalSummary) -> None:
        """Record the final model: its weight per trial id (the leaderboard's column) and what it is,
        with its estimated score (the leaderboard's and the report's header)."""
        write_json(self.path / "ensemble.json", {str(k): v for k, v in weights.items()})
        write_json(self.path / "final.json", summary.to_json())

    def read_trials(self) -> list[TrialRecord]:
        """Every finished trial in the log. A last line cut by a kill is skipped; a damaged line elsewhere
        is one sentence (a resume must not quietly forget trials, nor run them twice)."""
        log = self.path / "trials.jsonl"
        lines = log.read_bytes().split(b"\n") if log.exists() else []
        records = []
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                records.append(TrialRecord.from_json(json.loads(line.decode("utf-8"))))
            except (ValueError, KeyError, TypeError, AttributeError):
                if number == len(lines) and not lines[-1].endswith(b"}"):  # the last line, cut short by a kill
                    continue
                raise InputError(f"{log} is damaged at line {number}: it is not a trial written by automl.") from None
        return records

    def read_predictions(self, trials: list[TrialRecord], keep: int) -> dict[int, np.ndarray]:
        """Out-of-fold predictions of the ``keep`` best successful trials."""
        best = ranked(trials)[:keep]
        found = {}
        for trial in best:
            try:
                found[trial.trial_id] = np.load(self._predictions_file(trial.trial_id))
            except (OSError, ValueError):  # missing or damaged (a power cut): the trial itself still counts
                continue
        return found

    def size_bytes(self) -> int:
        return sum(f.stat().st_size for f in self.path.rglob("*") if f.is_file())

    def _predictions_file(self, trial_id: int) -> Path:
        return self.path / "predictions" / f"trial_{trial_id:05d}.npy"

    def _models_file(self, trial_id: int) -> Path:
        return self.path / "models" / f"trial_{trial_id:05d}.skops"


def _drop_cut_line(log: Path) -> None:
    """A kill in the middle of a write leaves a last line without its newline: cut it off before appending."""
    if not log.is_file():
        log.touch()
        return
    content = log.read_bytes()
    if content and not content.endswith(b"\n"):
        os.truncate(log, content.rfind(b"\n") + 1)


def describe_size(n_bytes: int) -> str:
    """1234567 -> '1.2 MB'."""
    for unit in ("bytes", "KB", "MB", "GB"):
        if n_bytes < 1024 or unit == "GB":
            return f"{n_bytes:.0f} {unit}" if unit == "bytes" else f"{n_bytes:.1f} {unit}"
        n_bytes /= 1024
    return ""

