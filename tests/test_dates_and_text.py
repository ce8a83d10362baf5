"""Dates and free text become features (skrub's encoders, chosen in the search space, fit in each fold)."""

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

from automl import AutoClassifier
from automl.data import infer_schema, read_table
from automl.run.export import export_model
from tests.run.test_export import _deploy

WORDS = ["good", "bad", "movie", "plot", "actor", "boring", "music", "scene", "story", "long", "short", "fun"]


def _dated(n: int, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(seed)
    days = pd.Timestamp("2020-01-01") + pd.to_timedelta(rng.integers(0, 1500, n), unit="D")  # ~ every day differs
    X = pd.DataFrame({"when": days.strftime("%Y-%m-%d"), "noise": rng.normal(size=n)})
    return X, np.where(days.month.isin([6, 7, 8]), "summer", "rest")  # only the month matters


def _worded(n: int, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(seed)
    reviews = [" ".join(rng.choice(WORDS, 7)) + (" great" if rng.random() < 0.4 else "") for _ in range(n)]
    X = pd.DataFrame({"review": reviews, "noise": rng.normal(size=n)})
    return X, np.array(["yes" if "great" in r.split() else "no" for r in reviews])  # only one word matters


def test_the_schema_rule_reads_dates_text_categories_and_identifiers():
    rng = np.random.default_rng(0)
    n = 300
    X = pd.DataFrame({
        "day": pd.date_range("2021-01-01", periods=n).strftime("%d/%m/%Y"),       # unique dates: not an identifier
        "stamp": pd.date_range("2021-01-01", periods=n, freq="h"),               # parsed already
        "review": [" ".join(rng.choice(WORDS, 5)) for _ in range(n)],           # words, many distinct values
        "colour": rng.choice(["red", "green", "blue"], n),                      # few distinct values
        "code": [f"C{i:05d}" for i in range(n)],                                # unique, one word: an identifier
        "version": rng.choice(["1.2", "3.4"], n),                               # dotted numbers are no dates
        "size": rng.normal(size=n)})
    schema = infer_schema(X)
    assert schema.dates == ("day", "stamp") and schema.text == ("review",)
    assert schema.categorical == ("colour", "version") and schema.dropped == ("code",) and schema.numeric == ("size",)
    assert [schema.kind(c) for c in ("day", "review", "colour", "size")] == ["date", "text", "categorical", "numeric"]


def test_a_target_that_depends_only_on_the_month_of_a_date_is_learned(tmp_path):
    X, y = _dated(900)
    X.iloc[:600].assign(label=y[:600]).to_csv(tmp_path / "train.csv", index=False)  # from a CSV, as a user has it
    frame = read_table(tmp_path / "train.csv")
    model = AutoClassifier(time_budget=None, max_trials=4, seed=0, run_dir=str(tmp_path / "run"))
    model.fit(frame.drop(columns="label"), frame["label"])
    assert model.schema_.dates == ("when",) and "date_encoder" in model.best_config_
    assert roc_auc_score(y[600:] == "summer", model.predict_proba(X.iloc[600:])[:, 1]) > 0.9
    X.iloc[600:].to_csv(tmp_path / "new.csv", index=False)
    _, proba, _ = _deploy(export_model(tmp_path / "run", tmp_path / "plain.skops"), tmp_path / "new.csv", tmp_path)
    np.testing.assert_allclose(proba, model.predict_proba(X.iloc[600:]), rtol=1e-6, atol=1e-9)  # no automl needed


def test_a_target_that_depends_only_on_one_word_of_a_text_is_learned():
    X, y = _worded(900)
    model = AutoClassifier(time_budget=None, max_trials=4, seed=0).fit(X.iloc[:600], y[:600])
    assert model.schema_.text == ("review",) and model.best_config_["text_encoder"] == "string_encoder"
    assert roc_auc_score(y[600:] == "yes", model.predict_proba(X.iloc[600:])[:, 1]) > 0.9
    missing = X.iloc[600:610].assign(review=None)  # a missing text predicts, as no words
    assert model.predict_proba(missing).shape == (10, 2)


@pytest.mark.parametrize("make", [_dated, _worded])
def test_dropping_the_column_leaves_nothing_to_learn(make):
    """The yardstick the two tests above beat: without reading the column, the AUC is a coin's."""
    X, y = make(900)
    model = AutoClassifier(time_budget=None, max_trials=2, seed=0).fit(X[["noise"]].iloc[:600], y[:600])
    positive = model.classes_[1]
    assert roc_auc_score(y[600:] == positive, model.predict_proba(X[["noise"]].iloc[600:])[:, 1]) < 0.65


def test_messy_dates_and_awkward_names_still_make_working_trials():
    """Dates with and without a time, an impossible day and a gap parse value by value (the odd ones
    become missing); a column name holding "__" is no problem for the pipeline's branches."""
    X, y = _dated(300)
    when = X["when"].to_numpy(dtype=object)
    when[::7] = [f"{d} 10:30:00" for d in when[::7]]
    when[3], when[5] = "2021-02-30", None
    X = pd.DataFrame({"sold__on": when, "notes__free": _worded(300)[0]["review"]})
    assert infer_schema(X).dates == ("sold__on",) and infer_schema(X).text == ("notes__free",)
    model = AutoClassifier(time_budget=None, max_trials=2, seed=0).fit(X, y)
    assert all(t.ok for t in model.trials_), [t.error for t in model.trials_]
    fractions = pd.DataFrame({"share": np.random.default_rng(0).choice(["3/4", "1/2", "2/3"], 300)})
    assert infer_schema(fractions).categorical == ("share",)  # "3/4" is no date
