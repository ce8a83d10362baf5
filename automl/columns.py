"""Which kind each training column is (numeric, categorical, date, text, or dropped), and the ``Schema``
a fitted model remembers of them. The rule is written in the README (How it works, Columns).
"""

from __future__ import annotations

import logging
import warnings
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from automl.errors import InputError

logger = logging.getLogger("automl.data")  # the user reads these warnings as the data's

MIN_ROWS_FOR_ID_CHECK = 20
FLOAT32_CELLS = 2_000_000  # numeric cells above which columns are kept as float32 where that loses next to nothing:
FLOAT32_MERGED_SHARE = 0.01  # at most this share of a column's distinct values may become equal to a neighbour


@dataclass(frozen=True)
class Schema:
    """The training columns a fitted model needs, split by the type inferred for each."""

    numeric: tuple[str, ...]
    categorical: tuple[str, ...]
    dropped: tuple[str, ...] = ()
    float32: tuple[str, ...] = ()  # numeric columns kept as float32 (large data, no two values merged)
    dates: tuple[str, ...] = ()    # dates and times (parsed inside the pipeline, then their parts)
    text: tuple[str, ...] = ()     # free text (words and character n-grams inside the pipeline)

    @property
    def columns(self) -> tuple[str, ...]:
        return self.numeric + self.categorical + self.dates + self.text

    def kind(self, column: str) -> str:
        """numeric, categorical, date or text."""
        for kind, names in (("categorical", self.categorical), ("date", self.dates), ("text", self.text)):
            if column in names:
                return kind
        return "numeric"

    def to_json(self) -> dict:
        return {"numeric": list(self.numeric), "categorical": list(self.categorical), "dropped": list(self.dropped),
                "float32": list(self.float32), "dates": list(self.dates), "text": list(self.text)}

    @classmethod
    def from_json(cls, data: dict) -> Schema:
        return cls(tuple(data["numeric"]), tuple(data["categorical"]), tuple(data.get("dropped", ())),
                   tuple(data.get("float32", ())), tuple(data.get("dates", ())), tuple(data.get("text", ())))


def infer_schema(X: pd.DataFrame) -> Schema:
    """Numbers and booleans are numeric; datetimes, and strings that read as dates, are dates; long strings
    of several words with many distinct values are text; constant and ID-like columns drop; every other
    column is categorical (the rule is in the README)."""
    numeric, categorical, dropped, dates, text = [], [], [], [], []
    single, ids = [], []
    n_rows = len(X)
    for name in X.columns:
        column = X[name]
        non_missing = column.dropna()
        n_unique = non_missing.nunique()
        is_numeric = pd.api.types.is_numeric_dtype(column) or pd.api.types.is_bool_dtype(column)
        kind = None if is_numeric or n_unique <= 1 else _string_kind(column, non_missing, n_unique)
        if n_unique <= 1:
            single.append(name)
            dropped.append(name)
        elif kind in ("date", "text"):  # a different date or text on every row is no identifier
            (dates if kind == "date" else text).append(name)
        elif n_rows >= MIN_ROWS_FOR_ID_CHECK and _looks_like_id(non_missing, n_unique, n_rows, is_numeric):
            ids.append(name)
            dropped.append(name)
        elif is_numeric:
            numeric.append(name)
        else:
            categorical.append(name)
    for names, reason in ((single, "holds a single value"), (ids, "looks like an ID (a different value on every row)")):
        if names:  # one line per reason, however many columns (a 784-column image table has 127 constant ones)
            logger.warning("Dropped %s: %s %s.", _some(names), "it" if len(names) == 1 else "each", reason)
    if dates or text:
        logger.info("Read as dates: %s; as text: %s.", _some(dates) if dates else "none", _some(text) if text else "none")
    if not numeric and not categorical and not dates and not text:
        raise InputError("No usable feature columns are left after dropping constant and ID-like columns "
                         f"(0 feature(s) (shape=({n_rows}, 0)) while a minimum of 1 is required).")
    return Schema(tuple(numeric), tuple(categorical), tuple(dropped), (), tuple(dates), tuple(text))


DATE_SHARE = 0.95       # strings read as dates when this share of a sample parses as dates ...
DATE_SAMPLE = 500       # ... of this many distinct values
TEXT_MIN_WORDS = 3.0    # strings read as text when they hold this many words on average ...
TEXT_MIN_DISTINCT = 30  # ... and at least this many distinct values ...
TEXT_DISTINCT_SHARE = 0.3  # ... and this share of the non-missing rows


def _string_kind(column: pd.Series, non_missing: pd.Series, n_unique: int) -> str:
    """date, text or category, for a column that is not numeric."""
    if pd.api.types.is_datetime64_any_dtype(column):
        return "date"
    values = pd.Series(non_missing.astype(str).unique()[:DATE_SAMPLE])
    dated = values.str.contains(r"\d{4}|\d{1,2}:\d{2}")  # a year or a time of day: "3/4" is a fraction, not a date
    looks_dated = dated.mean() >= DATE_SHARE and values.str.contains(r"[-/:.]|\d{8}").mean() >= DATE_SHARE
    if looks_dated and pd.to_numeric(values, errors="coerce").isna().all():  # "3.5" is a number, not a date
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            parsed = pd.to_datetime(values, errors="coerce", format="mixed")
        if parsed.notna().mean() >= DATE_SHARE:
            return "date"
    words = values.str.split().str.len().mean()
    if words >= TEXT_MIN_WORDS and n_unique >= max(TEXT_MIN_DISTINCT, TEXT_DISTINCT_SHARE * len(non_missing)):
        return "text"
    return "category"


def _some(names: list[str], shown: int = 5) -> str:
    """``column 'a'``, or ``3 columns ('a', 'b', 'c')``, or ``130 columns ('a', ..., and 125 more)``."""
    if len(names) == 1:
        return f"column {names[0]!r}"
    listed = ", ".join(map(repr, names[:shown]))
    more = f", and {len(names) - shown} more" if len(names) > shown else ""
    return f"{len(names)} columns ({listed}{more})"


def _looks_like_id(values: pd.Series, n_unique: int, n_rows: int, is_numeric: bool) -> bool:
    if n_unique != n_rows:
        return False
    if not is_numeric:
        return True
    if pd.api.types.is_integer_dtype(values):
        return int(values.max()) - int(values.min()) + 1 == n_rows  # a permutation of a range
    return False


def with_float32(X: pd.DataFrame, schema: Schema) -> Schema:
    """The schema with the numeric columns that may be kept as float32, when the table is large.

    Above FLOAT32_CELLS numeric cells, a column is kept as float32 when hardly any two of its
    distinct values become one in float32 (a continuous measurement, yes; timestamps or large IDs
    in seconds or units, no). scikit-learn's trees, LightGBM and XGBoost split on float32 values
    anyway; the data then takes half the memory in the driver, in each worker and in every copy.
    """
    if len(X) * len(schema.numeric) < FLOAT32_CELLS:
        return schema
    kept = tuple(name for name in schema.numeric if _float32_is_lossless(numeric_values(X[name], name)))
    if kept:
        logger.info("Keeping %d of %d numeric columns as float32.", len(kept), len(schema.numeric))
    return replace(schema, float32=kept)


def _float32_is_lossless(values: np.ndarray) -> bool:
    finite = np.sort(values[np.isfinite(values)])
    if finite.size and np.abs(finite[[0, -1]]).max() >= np.finfo(np.float32).max:
        return False
    narrow = finite.astype(np.float32)
    distinct = finite[1:] != finite[:-1]
    merged = np.count_nonzero((narrow[1:] == narrow[:-1]) & distinct)
    return merged <= FLOAT32_MERGED_SHARE * (np.count_nonzero(distinct) + 1)


def numeric_values(column: pd.Series, name: str) -> np.ndarray:
    """A numeric column as float64 values; one sentence naming the first row that is not a number."""
    if pd.api.types.is_bool_dtype(column):
        column = column.astype(float)
    numeric = pd.to_numeric(column, errors="coerce")
    bad = numeric.isna() & column.notna()
    if bad.any():
        raise InputError(f"Column {name!r} should be numeric but row {int(np.flatnonzero(bad)[0])} holds {column[bad].iloc[0]!r}.")
    return numeric.astype("float64").to_numpy()
