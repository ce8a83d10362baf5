import numpy as np
import pandas as pd
import pytest

from automl import columns as columns_module
from automl.data import (
    Schema,
    clean_target,
    infer_schema,
    infer_task,
    prepare_features,
    read_table,
    split_target,
    with_float32,
)
from automl.errors import InputError


def test_read_table_reads_csv_and_parquet(tmp_path):
    frame = pd.DataFrame({"a": [1, 2], "b": ["x", "y"]})
    frame.to_csv(tmp_path / "t.csv", index=False)
    frame.to_parquet(tmp_path / "t.parquet")
    assert read_table(tmp_path / "t.csv").shape == (2, 2)
    assert read_table(tmp_path / "t.parquet")["b"].tolist() == ["x", "y"]


@pytest.mark.parametrize("content, message", [
    ("", "is empty"),
    ("a,b\n", "has no data rows"),
    ('a,b\n1,"unterminated\n', "Could not parse"),
])
def test_read_table_bad_files_get_one_sentence(tmp_path, content, message):
    path = tmp_path / "bad.csv"
    path.write_text(content)
    with pytest.raises(InputError, match=message):
        read_table(path)


def test_read_table_missing_file_and_folder(tmp_path):
    with pytest.raises(InputError, match="File not found"):
        read_table(tmp_path / "nope.csv")
    with pytest.raises(InputError, match="is a folder"):
        read_table(tmp_path)


def test_split_target_suggests_close_names():
    frame = pd.DataFrame({"survived": [1, 0], "age": [3, 4]})
    with pytest.raises(InputError, match="did you mean 'survived'"):
        split_target(frame, "survivd")


def test_clean_target_drops_missing_target_rows_with_a_warning(caplog):
    X = pd.DataFrame({"a": range(4)})
    X2, y2, task = clean_target(X, pd.Series(["a", None, "b", "a"]), None)
    assert len(X2) == len(y2) == 3 and task == "binary"
    assert "Dropped 1 rows with a missing target" in caplog.text


@pytest.mark.parametrize("y, task, message", [
    ([None, None], None, "Every row has a missing target"),
    (["a", "a", "a"], "binary", "single class"),
    (["a", "b", "c"], "regression", "numeric target"),
    (["a", "b", "c"], "binary", "use 'multiclass'"),
])
def test_clean_target_rejects_bad_targets(y, task, message):
    with pytest.raises(InputError, match=message):
        clean_target(pd.DataFrame({"a": range(len(y))}), pd.Series(y), task)


def test_infer_task():
    assert infer_task(pd.Series([0, 1, 1])) == "binary"
    assert infer_task(pd.Series(["a", "b", "c"])) == "multiclass"
    assert infer_task(pd.Series(np.linspace(0, 1, 50))) == "regression"


def test_infer_schema_drops_constant_and_id_columns(caplog):
    n = 30
    frame = pd.DataFrame({"id": np.arange(n), "name": [f"p{i}" for i in range(n)], "const": 1,
                          "num": np.random.default_rng(0).normal(size=n), "cat": ["a", "b"] * 15})
    schema = infer_schema(frame)
    assert schema.numeric == ("num",) and schema.categorical == ("cat",)
    assert set(schema.dropped) == {"id", "name", "const"}
    assert "looks like an ID" in caplog.text and "single value" in caplog.text


def test_prepare_features_names_missing_columns_and_bad_values():
    schema = Schema(("a", "b"), ("c",))
    with pytest.raises(InputError, match="lacks 2 column.*'b', 'c'"):
        prepare_features(pd.DataFrame({"a": [1.0]}), schema)
    with pytest.raises(InputError, match="Column 'a' should be numeric but row 1 holds 'x'"):
        prepare_features(pd.DataFrame({"a": [1, "x"], "b": [1, 2], "c": ["u", "v"]}), schema)


def test_prepare_features_does_not_modify_input():
    frame = pd.DataFrame({"a": [1, None], "c": ["u", None]})
    before = frame.copy()
    out = prepare_features(frame, Schema(("a",), ("c",)))
    pd.testing.assert_frame_equal(frame, before)
    assert out["c"].dtype == object and pd.isna(out["c"][1])


def test_schema_round_trips_through_json():
    schema = Schema(("a",), ("b",), ("c",))
    assert Schema.from_json(schema.to_json()) == schema


def test_large_continuous_columns_are_kept_as_float32_but_not_timestamps(monkeypatch):
    monkeypatch.setattr(columns_module, "FLOAT32_CELLS", 1000)
    rng = np.random.default_rng(0)
    n = 20_000
    X = pd.DataFrame({"measure": rng.normal(size=n), "seconds": 1.7e9 + rng.integers(0, 10**7, size=n).astype(float),
                      "colour": rng.choice(["red", "blue"], size=n)})
    schema = with_float32(X, infer_schema(X))
    assert schema.float32 == ("measure",)
    features = prepare_features(X, schema)
    assert features["measure"].dtype == np.float32 and features["seconds"].dtype == np.float64
    assert Schema.from_json(schema.to_json()) == schema


def test_small_tables_stay_float64():
    X = pd.DataFrame({"a": np.linspace(0, 1, 50), "b": np.arange(50.0)})
    assert with_float32(X, infer_schema(X)).float32 == ()


def test_many_dropped_columns_are_one_line_per_reason(caplog):
    frame = pd.DataFrame({**{f"pixel{i}": [0] * 30 for i in range(130)}, "x": np.arange(30) % 3})
    with caplog.at_level("WARNING", logger="automl"):
        infer_schema(frame)
    assert [r.getMessage() for r in caplog.records] == [
        "Dropped 130 columns ('pixel0', 'pixel1', 'pixel2', 'pixel3', 'pixel4', and 125 more): each holds a single value."]
