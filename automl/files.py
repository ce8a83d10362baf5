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
import stat
import tempfile
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from automl.errors import InputError

TRUSTED_TYPES = frozenset({  # beyond what skops trusts by default; found by saving every family (tested)
    "collections.OrderedDict", "numpy.dtype", "automl.ensemble.WeightedEnsemble",
    "catboost.core.CatBoostClassifier", "catboost.core.CatBoostRegressor",
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
    "sklearn.model_selection._split.KFold", "sklearn.model_selection._split.StratifiedKFold",  # TargetEncoder's cv
    "sklearn.neighbors._kd_tree.KDTree", "sklearn.neighbors._ball_tree.BallTree",
    "sklearn.neural_network._stochastic_optimizers.AdamOptimizer",
    "sklearn.neural_network._stochastic_optimizers.SGDOptimizer",
    "sklearn.tree._tree.Tree",
    "skrub._datetime_encoder.DatetimeEncoder", "pandas.to_datetime",  # dates and text (skrub)
    "skrub._string_encoder.StringEncoder", "skrub._to_str.ToStr",
})
STAMPED_LIBRARIES = {  # library: the distributions that install it (xgboost-cpu is XGBoost without NVIDIA's libraries)
    "automl": ("automl",), "scikit-learn": ("scikit-learn",), "lightgbm": ("lightgbm",),
    "xgboost": ("xgboost", "xgboost-cpu"), "catboost": ("catboost",), "skrub": ("skrub",),
    "numpy": ("numpy",),
}
TEMPORARY_SUFFIX = ".automl-tmp"  # a leftover with it is automl's write cut by a kill (a run's store removes its own)


@contextlib.contextmanager
def atomic_path(path: str | Path, *, replace: bool = True) -> Iterator[Path]:
    """A temporary path to write ``path``'s content to, beside it; when the block ends without an error
    it is flushed to disk and renamed over ``path`` (a link ``path`` keeps pointing at the new content).

    The temporary file has a name of its own (``.NAME.RANDOM`` + TEMPORARY_SUFFIX, created exclusively):
    no file of the user's is ever written or removed in its place, and two writers never share one. The
    new file takes the old one's permissions (new files: the umask's). With ``replace=False`` an
    existing ``path`` is never overwritten (one sentence, even if it appeared while the content was
    written).

    >>> import tempfile
    >>> target = Path(tempfile.mkdtemp()) / "a.txt"
    >>> with atomic_path(target) as temporary:
    ...     _ = temporary.write_text("done")
    >>> target.read_text()
    'done'
    """
    path = Path(path)
    path = path.resolve() if path.is_symlink() else path
    descriptor, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=TEMPORARY_SUFFIX, dir=path.parent)
    os.close(descriptor)
    temporary = Path(name)
    try:
        yield temporary
        os.chmod(temporary, _mode_for(path))
        with open(temporary, "rb+") as written:  # on disk before the rename makes it visible
            os.fsync(written.fileno())
        if replace:
            os.replace(temporary, path)
        else:
            try:
                os.link(temporary, path)  # atomic, and refused when path exists
            except FileExistsError:
                raise InputError(f"{path} appeared while automl was writing it; it was left as it is.") from None
    finally:
        temporary.unlink(missing_ok=True)


def _mode_for(path: Path) -> int:
    """The permissions a file written over ``path`` keeps: the old file's, or what the umask gives."""
    try:
        return stat.S_IMODE(os.stat(path).st_mode)
    except OSError:
        umask = os.umask(0)  # the only way to read it; set back at once
        os.umask(umask)
        return 0o666 & ~umask


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
    return {name: _installed_version(distributions) for name, distributions in STAMPED_LIBRARIES.items()}


def _installed_version(distributions: tuple[str, ...]) -> str:
    for distribution in distributions:
        with contextlib.suppress(importlib.metadata.PackageNotFoundError):
            return importlib.metadata.version(distribution)
    return "unknown"


def save_fitted(obj: Any, path: Path) -> int:
    """Write fitted objects (a model, a trial's fold models) atomically with skops; returns the file's size."""
    import skops.io as sio

    with atomic_path(path) as temporary:
        sio.dump(obj, temporary, compression=zipfile.ZIP_DEFLATED, compresslevel=1)
    return Path(path).stat().st_size


def load_fitted(path: Path, what: str = "file") -> Any:
    """Read what ``save_fitted`` wrote, trusting only the types a model file may hold; one sentence
    (``InputError``) for a file that is not one or that names another type."""
    import skops.io as sio
    from skops.io.exceptions import UntrustedTypesFoundException

    try:
        with zipfile.ZipFile(path) as archive:
            written_by_skops = "schema.json" in archive.namelist()
    except (OSError, zipfile.BadZipFile):
        written_by_skops = False
    if not written_by_skops:
        raise InputError(f"{path} is not a {what} written by automl.")
    try:  # one pass over the file's objects: the audit against TRUSTED_TYPES happens inside load
        return sio.load(path, trusted=sorted(TRUSTED_TYPES))
    except UntrustedTypesFoundException:
        refused = [t for t in sio.get_untrusted_types(file=path) if t not in TRUSTED_TYPES]
        raise InputError(f"Refusing to load {path}: it holds the untrusted type {refused[0]}.") from None
    except Exception as problem:
        raise InputError(f"{path} could not be read as a {what} written by automl "
                         f"({type(problem).__name__}: {problem}).") from None


def check_output(path: Path, *, what: str, inputs: tuple[Path, ...] = (), replace: bool = True,
                 within: tuple[Path, ...] = ()) -> Path:
    """Refuse, in one sentence and before any work, an output ``path`` that cannot be written or must not
    be: a folder, a path under a file, a folder without write permission, one of the ``inputs`` (the data
    or model being read), a file inside one of the folders ``within`` (a run directory, a search-space
    folder: automl's records and the user's inputs), or (unless ``replace``) an existing file."""
    path = Path(path)
    if path.is_dir():
        raise InputError(f"The {what} path {path} is a folder; give a file name.")
    for source in inputs:
        if Path(source).exists() and path.exists() and os.path.samefile(source, path):
            raise InputError(f"The {what} path {path} is the input {source} itself; choose another file.")
    target = path.resolve()
    for folder in within:
        if Path(folder).exists() and Path(folder).resolve() in target.parents:
            raise InputError(f"The {what} path {path} is inside {folder}, which automl reads or writes itself; "
                             "choose a path outside it.")
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


def copy_atomic(source: Path, target: Path, *, replace: bool = True) -> None:
    """Copy ``source`` over ``target`` so that ``target`` is at every instant the old file or the new one
    (with ``replace=False``, never over an existing ``target``)."""
    import shutil

    target.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(target, replace=replace) as temporary:
        shutil.copyfile(source, temporary)


def check_output_folder(path: Path, *, what: str) -> Path:
    """Refuse, in one sentence, an output folder that is a file or cannot be created or written."""
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise InputError(f"The {what} {path} is a file; give a folder.")
    check_writable_folder(path, what)
    return path
