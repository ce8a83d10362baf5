"""A fuzz of the front door: whatever small table a user brings, `automl fit` either fits a model or
answers with exit code 2 and one `Error:` line; never a traceback, never "failed unexpectedly"."""

import itertools

import numpy as np
import pandas as pd
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from automl.cli.main import main

NAMES = ["a", "b", "x 1", "größe", "列", "ünïcode ✓"]
KINDS = ["float", "int", "category", "constant", "missing", "mixed", "bool", "text_numbers"]
TARGETS = ["binary", "multiclass", "numeric", "single_class", "with_missing", "infinite", "strings_numbers"]
COUNTER = itertools.count()


def _column(kind: str, rows: int, rng: np.random.Generator) -> list:
    if kind == "float":
        values = rng.normal(size=rows).round(3).tolist()
        return [None if i % 5 == 0 else v for i, v in enumerate(values)]
    if kind == "int":
        return rng.integers(-3, 4, size=rows).tolist()
    if kind == "category":
        return rng.choice(["red", "grün", "", "blue"], size=rows).tolist()
    if kind == "constant":
        return [7] * rows
    if kind == "missing":
        return [None] * rows
    if kind == "mixed":
        return [str(v) if i % 4 else "oops" for i, v in enumerate(rng.normal(size=rows).round(2))]
    if kind == "bool":
        return rng.choice([True, False], size=rows).tolist()
    return [f"{v:.2f}" for v in rng.normal(size=rows)]  # numbers written as text


def _target(kind: str, rows: int, rng: np.random.Generator) -> list:
    if kind == "binary":
        return rng.choice(["yes", "no"], size=rows).tolist()
    if kind == "multiclass":
        return rng.choice(["a", "b", "c"], size=rows).tolist()
    if kind == "numeric":
        return rng.normal(size=rows).round(3).tolist()
    if kind == "single_class":
        return ["only"] * rows
    if kind == "with_missing":
        return [None if i % 3 == 0 else v for i, v in enumerate(rng.choice([0, 1], size=rows).tolist())]
    if kind == "infinite":
        return [float("inf") if i == 0 else float(v) for i, v in enumerate(rng.normal(size=rows))]
    return [str(v) if i % 2 else "n/a" for i, v in enumerate(rng.integers(0, 9, size=rows))]


@settings(max_examples=40, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
@given(rows=st.integers(min_value=2, max_value=30),
       kinds=st.lists(st.sampled_from(KINDS), min_size=1, max_size=4), duplicate=st.booleans(),
       target=st.sampled_from(TARGETS), target_name=st.sampled_from(["label", "label", "label", "missing_column"]),
       seed=st.integers(min_value=0, max_value=3))
def test_fit_answers_every_small_table_with_a_model_or_one_sentence(tmp_path_factory, rows, kinds, duplicate, target,
                                                                     target_name, seed):
    folder = tmp_path_factory.mktemp(f"fuzz{next(COUNTER)}")
    rng = np.random.default_rng(seed)
    names = NAMES[:len(kinds)]
    if duplicate and len(names) > 1:  # two columns of one name
        names[-1] = names[0]
    header = [*names, "label"]
    body = [_column(kind, rows, rng) for kind in kinds] + [_target(target, rows, rng)]
    pd.DataFrame(dict(enumerate(body))).set_axis(header, axis=1).to_csv(folder / "data.csv", index=False)
    result = CliRunner().invoke(main, ["fit", str(folder / "data.csv"), "--target", target_name, "--trials", "2",
                                       "--include", "logistic_regression,ridge", "--ensemble-size", "0", "--quiet",
                                       "--warm-start", "none", "--run-dir", str(folder / "run"),
                                       "--out", str(folder / "m.skops")])
    if result.exit_code == 0:
        assert (folder / "m.skops").exists(), result.output
        return
    lines = [line for line in result.output.strip().splitlines() if line.startswith("Error:")]
    assert result.exit_code == 2 and len(lines) == 1, result.output
    assert "Traceback" not in result.output and "unexpectedly" not in result.output, result.output
