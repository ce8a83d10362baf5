"""Files that outlive a process, written so that a kill at any instant never leaves half of one.

``atomic_path`` is the one way automl writes such a file: the content goes to a temporary name
beside the target, is flushed to disk, and is renamed over the target. Fitted objects are written
with skops (no pickle) and read back trusting only ``TRUSTED_TYPES``. skops takes about a second
to import: it is imported only when a model is written or read.
"""

from __future__ import annotations

import contextlib
import importlib.metadata
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from zipfile import ZIP_DEFLATED

import numpy as np

from automl.errors import InputError

TRUSTED_TYPES = frozenset({  # beyond what skops trusts by default; found by saving every family (tested)
    "collections.OrderedDict", "numpy.dtype", "automl.ensemble.WeightedEnsemble",
    "lightgbm.basic.Booster", "lightgbm.sklearn.LGBMClassifier", "lightgbm.sklearn.LGBMRegressor",
    "xgboost.core.Booster", "xgboost.sklearn.XGBClassifier", "xgboost.sklearn.XGBRegressor",
    "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor",
    "sklearn.feature_selection._mutual_info.mutual_info_classif",
    "sklearn.feature_selection._mutual_info.mutual_info_regression",
    "sklearn.feature_selection._univariate_selection.chi2",
    "sklearn.feature_selection._univariate_selection.f_classif",
    "sklearn.feature_selection._univariate_selection.f_regression",
    "sklearn.metrics._dist_metrics.EuclideanDistance64", "sklearn.metrics._dist_metrics.ManhattanDistance64",
    "sklearn.metrics._dist_metrics.MinkowskiDistance64",
    "sklearn.neighbors._kd_tree.KDTree", "sklearn.neighbors._ball_tree.BallTree",
    "sklearn.neural_network._stochastic_optimizers.AdamOptimizer",
    "sklearn.neural_network._stochastic_optimizers.SGDOptimizer",
    "sklearn.tree._tree.Tree",
})
STAMPED_LIBRARIES = ("automl", "scikit-learn", "lightgbm", "xgboost", "numpy")
TEMPORARY_SUFFIX = ".tmp"  # a leftover with it is a write cut by a kill (the run store removes them)


@contextlib.contextmanager
def atomic_path(path: str | Path, *, per_process: bool = False) -> Iterator[Path]:
    """A temporary path to write ``path``'s content to; renamed over ``path`` when the block ends
    without an error (and removed when it raises). The temporary name is ``path``'s with
    TEMPORARY_SUFFIX, so that a write cut by a kill leaves one file the next write replaces;
    ``per_process`` adds the process id, for files that two processes may write at once.

    >>> import tempfile
    >>> target = Path(tempfile.mkdtemp()) / "a.txt"
    >>> with atomic_path(target) as temporary:
    ...     _ = temporary.write_text("done")
    >>> target.read_text()
    'done'
    """
    path = Path(path)
    temporary = path.with_name(f"{path.name}{f'.{os.getpid()}' if per_process else ''}{TEMPORARY_SUFFIX}")
    try:
        yield temporary
        with open(temporary, "rb+") as written:  # on disk before the rename makes it visible
            os.fsync(written.fileno())
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)


def write_json(path: Path, value: Any) -> None:
    """Write JSON atomically."""
    with atomic_path(path) as temporary:
        temporary.write_text(json.dumps(value, indent=1, default=json_default))


def json_default(value: Any) -> Any:
    """What ``json.dumps`` cannot write itself: numpy scalars, tuples and sets, else the text."""
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, (set, tuple)):
        return list(value)
    return str(value)


def library_versions() -> dict[str, str]:
    """Installed versions of automl and the libraries a fitted model depends on."""
    out = {}
    for name in STAMPED_LIBRARIES:
        try:
            out[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            out[name] = "unknown"
    return out


def save_fitted(obj: Any, path: Path) -> int:
    """Write fitted objects (a model, a trial's fold models) atomically with skops; returns the file's size."""
    import skops.io as sio

    with atomic_path(path) as temporary:
        sio.dump(obj, temporary, compression=ZIP_DEFLATED, compresslevel=1)
    return Path(path).stat().st_size


def load_fitted(path: Path, what: str = "file") -> Any:
    """Read what ``save_fitted`` wrote, trusting only the types a model file may hold; one sentence
    (``InputError``) for a file that is not one or that names another type."""
    import skops.io as sio

    try:
        untrusted = sio.get_untrusted_types(file=path)
    except Exception:
        raise InputError(f"{path} is not a {what} written by automl.") from None
    refused = [t for t in untrusted if t not in TRUSTED_TYPES]
    if refused:
        raise InputError(f"Refusing to load {path}: it holds the untrusted type {refused[0]}.")
    return sio.load(path, trusted=untrusted)


def check_output(path: Path, *, what: str, inputs: tuple[Path, ...] = (), replace: bool = True) -> Path:
    """Refuse, in one sentence and before any work, an output ``path`` that cannot be written or must not
    be: a folder, a path under a file, a folder without write permission, one of the ``inputs`` (the data
    or model being read), or (unless ``replace``) an existing file. Returns ``path``."""
    path = Path(path)
    if path.is_dir():
        raise InputError(f"The {what} path {path} is a folder; give a file name.")
    for source in inputs:
        if Path(source).exists() and path.exists() and os.path.samefile(source, path):
            raise InputError(f"The {what} path {path} is the input {source} itself; choose another file.")
    if path.exists() and not replace:
        raise InputError(f"{path} already exists; name it with --out to replace it, choose another path, "
                         "or give --force.")
    check_writable_folder(path.parent, what)
    return path


def check_writable_folder(folder: Path, what: str) -> None:
    """One sentence unless the folder exists and takes new files, or can be created (its nearest existing parent is a
    writable folder)."""
    existing = folder
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        raise InputError(f"Cannot write the {what} under {folder}: {existing} is a file, not a folder.")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise InputError(f"Cannot write the {what} in {existing}: permission denied.")


def copy_atomic(source: Path, target: Path) -> None:
    """Copy ``source`` over ``target`` so that ``target`` is at every instant the old file or the new one."""
    import shutil

    target.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(target) as temporary:
        shutil.copyfile(source, temporary)


def check_output_folder(path: Path, *, what: str) -> Path:
    """Refuse, in one sentence, an output folder that is a file or cannot be created or written."""
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise InputError(f"The {what} {path} is a file; give a folder.")
    check_writable_folder(path, what)
    return path
