"""Read tables, validate the target and prepare the columns, with one clear sentence per problem.

Everything here is pure pandas/numpy: it knows nothing of search spaces or models. The
``Schema`` it returns is what a fitted model remembers about its training columns, so that
prediction data can be checked and prepared exactly like the training data.
"""

from __future__ import annotations

import difflib
import logging
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from automl.columns import Schema, infer_schema, numeric_values, with_float32
from automl.errors import InputError
from automl.settings import TASKS

logger = logging.getLogger(__name__)

MAX_INTEGER_CLASSES = 20  # an integer target with more distinct values is read as regression



SEPARATORS = (",", ";", "\t", "|")  # what a CSV's header line is searched for, when no separator is given


def read_table(path: str | Path, sep: str | None = None) -> pd.DataFrame:
    """Read a CSV (optionally compressed) or Parquet file into a DataFrame. A CSV's separator is ``sep``,
    or the one of SEPARATORS its header line holds most of (comma when none).

    >>> read_table("no/such/file.csv")
    Traceback (most recent call last):
    ...
    automl.errors.InputError: File not found: no/such/file.csv.
    """
    path = Path(path)
    if not path.exists():
        raise InputError(f"File not found: {path}.")
    if path.is_dir():
        raise InputError(f"Expected a CSV or Parquet file but {path} is a folder.")
    suffixes = [s.lower() for s in path.suffixes]
    try:
        if ".parquet" in suffixes or ".pq" in suffixes:
            frame = _read_parquet(path)
            names = [str(c) for c in frame.columns]
        else:
            sep = sep or _separator(path, suffixes)
            frame = pd.read_csv(path, sep=sep, low_memory=False)
            names = pd.read_csv(path, sep=sep, nrows=1, header=None, dtype=str, keep_default_na=False).iloc[0].tolist()
    except pd.errors.EmptyDataError:
        raise InputError(f"File {path} is empty.") from None
    except Exception as exc:  # the readers raise many types; the user needs one sentence
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise InputError(f"Could not parse {path} as a table: {reason}.") from None
    if frame.shape[0] == 0 or frame.shape[1] == 0:
        raise InputError(f"File {path} has no data rows.")
    repeated = sorted(name for name, count in Counter(names).items() if name and count > 1)
    if repeated:  # pandas would rename the second one silently ("a.1")
        raise InputError(f"{path} has more than one column named {', '.join(map(repr, repeated))}; "
                         "give each column its own name.")
    return frame


def _separator(path: Path, suffixes: list[str]) -> str:
    """The separator the file's first line holds most of (outside quotes); a comma when it holds none."""
    import bz2
    import gzip
    import lzma

    opener = {".gz": gzip.open, ".bz2": bz2.open, ".xz": lzma.open}.get(suffixes[-1] if suffixes else "", open)
    if suffixes and suffixes[-1] in (".zip", ".zst", ".tar"):
        return ","
    with opener(path, "rt", encoding="utf-8", errors="replace", newline="") as source:
        header = source.readline(1 << 20)
    unquoted = header.replace('""', "").split('"')[::2]  # the parts outside quoted names
    counts = {sep: sum(part.count(sep) for part in unquoted) for sep in SEPARATORS}
    best = max(SEPARATORS, key=lambda sep: counts[sep])
    return best if counts[best] else ","


def _read_parquet(path: Path) -> pd.DataFrame:
    """Parquet through pyarrow, freeing each column's Arrow memory as pandas takes it over and
    handing the pool's freed memory back: a plain read keeps a second copy of the table resident."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    frame = pq.read_table(path).to_pandas(self_destruct=True, split_blocks=True)
    pa.default_memory_pool().release_unused()
    return frame


def split_target(frame: pd.DataFrame, target: str) -> tuple[pd.DataFrame, pd.Series]:
    """Separate the target column; an absent name gets the closest column names suggested."""
    if target not in frame.columns:
        names = [str(c) for c in frame.columns]
        close = difflib.get_close_matches(target, names, n=3, cutoff=0.5)
        lowered = [n for n in names if n.lower() == target.lower()]
        hint = close or lowered
        suggestion = f"; did you mean {', '.join(repr(c) for c in hint)}?" if hint else f"; columns are {', '.join(names[:10])}."
        raise InputError(f"Target column {target!r} is not in the data{suggestion}")
    return frame.drop(columns=[target]), frame[target]


def as_frame(X) -> pd.DataFrame:
    """A copy of X as a DataFrame with string column names (numpy arrays get x0, x1, ...).

    Arrays go through scikit-learn's ``check_array`` so that sparse, complex, empty and
    1-D input get the messages scikit-learn users know.
    """
    if isinstance(X, pd.DataFrame):
        if X.shape[0] == 0 or X.shape[1] == 0:
            raise InputError(f"Found a table with {X.shape[0]} sample(s) and {X.shape[1]} feature(s) "
                             f"(shape={X.shape}) while a minimum of 1 is required.")
        frame = X.copy()
    else:
        from sklearn.utils.validation import check_array

        array = check_array(X, dtype=None, ensure_all_finite=False, accept_sparse=False)
        frame = pd.DataFrame(array, columns=[f"x{i}" for i in range(array.shape[1])])
    frame.columns = [str(c) for c in frame.columns]
    if frame.columns.duplicated().any():
        dup = frame.columns[frame.columns.duplicated()][0]
        raise InputError(f"Column {dup!r} appears more than once.")
    return frame


def infer_task(y: pd.Series) -> str:
    """binary for two values; regression for fractional numbers or more than 20 distinct integers.

    >>> infer_task(pd.Series([1, 2, 3] * 10)), infer_task(pd.Series(range(30))), infer_task(pd.Series([0.5, 1, 2]))
    ('multiclass', 'regression', 'regression')
    """
    values = y.dropna()
    n_unique = values.nunique()
    if n_unique <= 2:
        return "binary"
    if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
        numbers = values.to_numpy(dtype=float)
        is_integer = bool(np.all(np.isfinite(numbers))) and np.all(np.mod(numbers, 1) == 0)  # infinity: regression
        if not is_integer or n_unique > MAX_INTEGER_CLASSES:
            return "regression"
    return "multiclass"


def clean_target(X: pd.DataFrame, y, task: str | None) -> tuple[pd.DataFrame, pd.Series, str]:
    """Drop rows whose target is missing and check the target suits the task."""
    y = pd.Series(np.asarray(y) if not isinstance(y, pd.Series) else y.to_numpy(), name=getattr(y, "name", "target"))
    if len(y) != len(X):
        raise InputError(f"The target has {len(y)} rows but the features have {len(X)}.")
    missing = y.isna().to_numpy()
    if missing.all():
        raise InputError("Every row has a missing target value; there is nothing to learn from.")
    if missing.any():
        logger.warning("Dropped %d rows with a missing target value.", int(missing.sum()))
        X = X.loc[~missing]
        y = y.loc[~missing]
    X = X.reset_index(drop=True)
    y = y.reset_index(drop=True)
    if task is None:
        task = infer_task(y)
    if task not in TASKS:
        raise InputError(f"Unknown task {task!r}; choose one of {', '.join(TASKS)}.")
    if task == "regression":
        numeric = pd.to_numeric(y, errors="coerce")
        if numeric.isna().any() or pd.api.types.is_bool_dtype(y):
            bad = y[numeric.isna()].iloc[0] if numeric.isna().any() else y.iloc[0]
            raise InputError(f"Regression needs a numeric target but it holds values like {bad!r}.")
        y = numeric.astype(float)
        infinite = int(np.isinf(y.to_numpy()).sum())
        if infinite:
            raise InputError(f"The target {y.name!r} holds {infinite} infinite value(s); regression needs finite "
                             "numbers (drop or fix those rows).")
    else:
        n_classes = y.nunique()
        if n_classes < 2:
            raise InputError(f"The target has a single class ({y.iloc[0]!r}); classification needs at least two.")
        if task == "binary" and n_classes > 2:
            raise InputError(f"Task 'binary' was asked but the target has {n_classes} classes; use 'multiclass'.")
    return X, y, task



def prepare_features(X: pd.DataFrame, schema: Schema) -> pd.DataFrame:
    """Select the schema's columns: numeric as float64 (float32 where the schema says),
    categorical as object with NaN for missing.

    Raises one sentence naming the columns a model needs but the data lacks.
    """
    missing = [c for c in schema.columns if c not in X.columns]
    if missing:
        raise InputError(f"The data lacks {len(missing)} column(s) the model needs: {', '.join(map(repr, missing))}.")
    out = {}
    narrow = set(schema.float32)
    for name in schema.numeric:
        values = numeric_values(X[name], name)
        infinite = np.isinf(values)
        if infinite.any():
            logger.warning("Column %r holds %d infinite value(s); they are treated as missing.", name, int(infinite.sum()))
            values = np.where(infinite, np.nan, values)
        out[name] = pd.Series(values.astype(np.float32) if name in narrow else values, copy=False)
    for name in schema.categorical + schema.text + schema.dates:
        column = X[name]
        if name in schema.dates and pd.api.types.is_datetime64_any_dtype(column):
            out[name] = column.reset_index(drop=True)  # parsed already: the pipeline takes it as it is
            continue
        values = column.astype(object).to_numpy().astype(str).astype(object)
        values[column.isna().to_numpy()] = None if name in schema.text else np.nan
        out[name] = pd.Series(values, dtype=object)
    return pd.DataFrame(out, columns=list(schema.columns))


def summarise_data(X: pd.DataFrame, y: np.ndarray, schema: Schema, classes: np.ndarray | None) -> dict:
    """What a report shows about the training data: each column's type and missing values, and the
    target's distribution (class counts, or a 20-bin histogram). Plain JSON-ready data."""
    columns = {name: {"type": schema.kind(name),
                      "missing": int(X[name].isna().sum())} for name in schema.columns}
    columns.update({name: {"type": "dropped", "missing": None} for name in schema.dropped})
    if classes is None:
        counts, edges = np.histogram(y, bins=20)
        target = {"kind": "numeric", "counts": counts.tolist(), "edges": edges.tolist(), "mean": float(np.mean(y)),
                  "std": float(np.std(y))}
    else:
        counts = np.bincount(y, minlength=len(classes))
        target = {"kind": "classes", "counts": {str(c): int(n) for c, n in zip(classes, counts)}}
    return {"rows": int(len(X)), "columns": columns, "target": target}


@dataclass(frozen=True)
class TrainingData:
    """The training data as the search sees it: prepared features, the target as class codes
    (classification) or floats, and what a fitted model must remember about its columns."""

    X: pd.DataFrame
    y: np.ndarray
    task: str
    schema: Schema
    columns: list[str]                 # the input columns, in order
    classes: np.ndarray | None         # the class labels, in code order (None for regression)
    named_columns: bool                # X was a DataFrame (its column names are checked at predict)
    target_name: str | None = None
    weights: np.ndarray | None = None  # each row's sample weight (None: every row counts once)
    groups: np.ndarray | None = None   # each row's group code: no group on both sides of a split
    named: dict[str, str] = field(default_factory=dict)  # "weight"/"group" -> the column they came from (a named Series)

    @property
    def n_classes(self) -> int:
        return 0 if self.classes is None else len(self.classes)

    @property
    def category_levels(self) -> tuple[int, ...]:
        """The number of levels (missing counted as one) of each categorical column."""
        return tuple(int(self.X[name].nunique(dropna=False)) for name in self.schema.categorical)


def prepare_training(X, y, task_for, sample_weight=None, groups=None) -> TrainingData:
    """Check and prepare ``fit``'s X and y for the task ``task_for(y)`` names: rows without a target (or
    of weight zero) dropped, column types inferred (float32 where lossless), classes coded 0..k-1. One
    sentence for what cannot be used."""
    from sklearn.preprocessing import LabelEncoder
    from sklearn.utils.validation import column_or_1d

    frame = as_frame(X)
    if not isinstance(y, pd.Series):
        y = column_or_1d(y, warn=True)
    if len(y) != len(frame):
        raise InputError(f"The target has {len(y)} rows but the features have {len(frame)}.")
    columns = list(frame.columns)
    name = str(y.name) if isinstance(y, pd.Series) and y.name is not None else None
    weights = None if sample_weight is None else check_weights(sample_weight, len(frame))
    codes = None if groups is None else check_groups(groups, len(frame))
    if weights is not None and not (weights > 0).all():  # a row of weight zero counts in no fit and no score:
        kept = weights > 0                                # as if it were not there
        logger.info("Left out %d rows of weight zero.", int((~kept).sum()))
        frame = frame.loc[kept].reset_index(drop=True)
        y = y.loc[kept].reset_index(drop=True) if isinstance(y, pd.Series) else np.asarray(y)[kept]
        weights, codes = weights[kept], None if codes is None else codes[kept]
    with_target = ~(y.isna().to_numpy() if isinstance(y, pd.Series) else pd.isna(np.asarray(y)))  # as clean_target
    weights = None if weights is None or np.all(weights[with_target] == 1.0) else weights[with_target]  # all one:
    codes = None if codes is None else codes[with_target]                                              # no weights
    if codes is not None and len(np.unique(codes)) < 2:
        raise InputError("The groups hold a single group among the rows used; validation needs at least two.")
    frame, target, task = clean_target(frame, y, task_for(y))
    if len(frame) < 2:
        raise InputError(f"Need at least 2 rows with a target to learn from, got {len(frame)}.")
    schema = with_float32(frame, infer_schema(frame))
    features = prepare_features(frame, schema)
    named = isinstance(X, pd.DataFrame)
    if task == "regression":
        return TrainingData(features, target.to_numpy(dtype=np.float64), task, schema, columns, None, named, name,
                            weights, codes, _series_names(sample_weight, groups))
    encoder = LabelEncoder().fit(target.to_numpy())
    classes = encoder.transform(target.to_numpy()).astype(np.int64)
    if np.bincount(classes).max() < 2:
        raise InputError("Every class has a single row; validation needs at least two rows of some class.")
    return TrainingData(features, classes, task, schema, columns, encoder.classes_, named, name, weights, codes,
                        _series_names(sample_weight, groups))


def _series_names(sample_weight, groups) -> dict[str, str]:
    """The column names of weights and groups given as named pandas Series: a run records them."""
    given = {"weight": sample_weight, "group": groups}
    return {role: values.name for role, values in given.items()
            if isinstance(values, pd.Series) and isinstance(values.name, str)}


def check_groups(groups, n_rows: int, what: str = "groups") -> np.ndarray:
    """Group labels as codes 0..g-1, or one sentence: one per row, none missing, at least two groups."""
    values = pd.Series(np.asarray(groups, dtype=object).ravel() if not isinstance(groups, pd.Series) else groups.to_numpy())
    if len(values) != n_rows:
        raise InputError(f"{what} has {len(values)} values but X has {n_rows} rows.")
    if values.isna().any():
        raise InputError(f"{what} holds {int(values.isna().sum())} missing value(s); every row needs a group.")
    codes, uniques = pd.factorize(values)
    if len(uniques) < 2:
        raise InputError(f"{what} holds a single group ({uniques[0]!r}); validation by group needs at least two.")
    return codes.astype(np.int64)


def check_weights(sample_weight, n_rows: int, what: str = "sample_weight") -> np.ndarray:
    """Sample weights as float64, or one sentence (naming them ``what``): one per row, numbers, finite,
    none negative, some positive."""
    values = pd.to_numeric(pd.Series(np.asarray(sample_weight).ravel()), errors="coerce").to_numpy(dtype=np.float64)
    if len(values) != n_rows:
        raise InputError(f"{what} has {len(values)} values but X has {n_rows} rows.")
    bad = ~np.isfinite(values)
    if bad.any():
        raise InputError(f"{what} holds {int(bad.sum())} missing, non-numeric or infinite value(s); every row "
                         "needs a finite weight.")
    if (values < 0).any():
        raise InputError(f"{what} holds {int((values < 0).sum())} negative value(s), like {values[values < 0][0]:g}; "
                         "weights must be zero or more.")
    if not (values > 0).any():
        raise InputError(f"Every weight in {what} is zero; at least one row must count.")
    return values
