import json

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from automl.bench.tables import summarise
from automl.cli.main import main
from automl.metalearning.metabase import load_metabase
from tests.helpers import tiny_metabase


@pytest.fixture
def manifest(tmp_path):
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"a": rng.normal(size=80), "c": rng.choice(["u", "v"], size=80)})
    X.assign(y=(X.a > 0).astype(int)).to_csv(tmp_path / "bin.csv", index=False)
    X.assign(y=X.a * 2 + rng.normal(size=80)).to_csv(tmp_path / "reg.csv", index=False)
    rows = {"name": ["bin", "reg", "gone"], "task": ["binary", "regression", "binary"], "target": ["y", "y", "y"],
            "file": ["bin.csv", "reg.csv", "missing.csv"]}
    pd.DataFrame(rows).to_csv(tmp_path / "manifest.csv", index=False)
    return tmp_path / "manifest.csv"


def test_bench_runs_isolated_resumes_and_writes_tables(tmp_path, manifest):
    out = tmp_path / "out"
    args = ["bench", str(manifest), "--time", "5", "--systems", "dummy,logreg", "--out", str(out), "--jobs", "2"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    runs = [json.loads(line) for line in (out / "runs.jsonl").read_text().splitlines()]
    assert len(runs) == 6
    by_key = {(r["dataset"], r["system"]): r for r in runs}
    assert by_key[("gone", "dummy")]["status"] == "failed" and "File not found" in by_key[("gone", "dummy")]["error"]
    assert by_key[("bin", "dummy")]["test_score"] == pytest.approx(0.5)
    assert by_key[("bin", "logreg")]["test_score"] > 0.9
    assert by_key[("reg", "logreg")]["test_score"] < by_key[("reg", "dummy")]["test_score"]  # rmse
    assert all(r["peak_rss_mb"] > 10 and r["wall_s"] > 0 for r in runs)
    assert "[6/6]" in result.output and "mean_rank" in result.output
    summary = pd.read_csv(out / "summary.csv").set_index("system")
    assert summary.loc["logreg", "mean_rank"] < summary.loc["dummy", "mean_rank"]
    assert (out / "results.md").read_text().startswith("## Test score per dataset")
    assert (out / "searches.csv").exists() and "## Searches" in (out / "results.md").read_text()

    again = CliRunner().invoke(main, args)  # resume: everything is done, nothing runs again
    assert again.exit_code == 0 and "0 runs to do (6 already done)" in again.output
    assert len((out / "runs.jsonl").read_text().splitlines()) == 6


def test_ranks_normalised_scores_and_win_tie_loss():
    def run(dataset, system, score, status="ok", metric="roc_auc", task="binary"):
        return {"dataset": dataset, "seed": 0, "system": system, "test_score": score, "status": status,
                "metric": metric, "task": task, "wall_s": 1.0, "budget_s": 60.0, "peak_rss_mb": 100.0}
    runs = pd.DataFrame([
        run("a", "automl", 0.9), run("a", "rf_default", 0.8), run("a", "dummy", 0.5),
        run("b", "automl", None, status="failed"), run("b", "rf_default", 0.7), run("b", "dummy", 0.5),
        run("c", "automl", 2.0, metric="rmse", task="regression"), run("c", "rf_default", 3.0, metric="rmse", task="regression"),
        run("c", "dummy", 4.0, metric="rmse", task="regression"),
    ])
    tables = summarise(runs)
    summary = tables["summary"].set_index("system")
    assert summary.loc["automl", "mean_rank"] == pytest.approx((1 + 3 + 1) / 3)  # failed: worst rank
    assert summary.loc["rf_default", "mean_normalised"] == pytest.approx(0.0)
    assert summary.loc["automl", "mean_normalised"] == pytest.approx(1.0)
    assert summary.loc["automl", "failed"] == 1
    versus = tables["versus"].set_index("versus")
    assert versus.loc["rf_default"].tolist() == [2, 0, 1]


@pytest.mark.parametrize("args, message", [
    (["nowhere.csv"], "Benchmark source not found"),
    (["{m}", "--systems", "automl,catboost"], "Unknown system 'catboost'"),
    (["{m}", "--time", "-1"], "--time must be a positive number"),
    (["{m}", "--seeds", "a,b"], "--seeds must be comma-separated integers"),
    (["{m}", "--only", "nope"], "Unknown dataset 'nope' in --only"),
    (["{m}", "--metric", "rmse"], "Metric 'rmse' does not fit a binary task"),
])
def test_bench_bad_input_is_one_sentence(tmp_path, manifest, args, message):
    result = CliRunner().invoke(main, ["bench", *[a.format(m=manifest) for a in args], "--out", str(tmp_path / "o")])
    assert result.exit_code == 2 and message in result.output


def test_a_folder_of_tables_with_a_target(tmp_path):
    folder = tmp_path / "tables"
    folder.mkdir()
    pd.DataFrame({"a": range(40), "label": ["x", "y"] * 20}).to_parquet(folder / "one.parquet")
    pd.DataFrame({"b": range(40)}).to_csv(folder / "no_target.csv", index=False)  # lacks the target: skipped
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["bench", str(folder), "--target", "label", "--systems", "dummy",
                                       "--time", "5", "--out", str(out)])
    assert result.exit_code == 0, result.output
    runs = [json.loads(line) for line in (out / "runs.jsonl").read_text().splitlines()]
    assert [(r["dataset"], r["task"], r["status"]) for r in runs] == [("one", "binary", "ok")]
    assert "running dummy on one" in result.output
    missing = CliRunner().invoke(main, ["bench", str(folder), "--out", str(out)])
    assert missing.exit_code == 2 and "needs --target" in missing.output


def test_a_hanging_run_is_killed_and_recorded(tmp_path, monkeypatch):
    import os

    import automl.bench.runner

    monkeypatch.setattr(automl.bench.runner, "GRACE_S", 0.0)
    os.mkfifo(tmp_path / "hang.csv")  # reading a FIFO nobody writes to blocks forever
    pd.DataFrame({"name": ["hang"], "task": ["binary"], "target": ["y"], "file": ["hang.csv"]}).to_csv(
        tmp_path / "manifest.csv", index=False)
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["bench", str(tmp_path / "manifest.csv"), "--systems", "dummy",
                                       "--time", "1", "--out", str(out)])
    assert result.exit_code == 0, result.output
    (run,) = [json.loads(line) for line in (out / "runs.jsonl").read_text().splitlines()]
    assert run["status"] == "timeout" and run["wall_s"] < 30


def test_bench_leaves_the_tested_dataset_out_of_the_metabase(tmp_path, monkeypatch):
    import automl.metalearning.metabase as metabase_module
    from automl.bench.runner import Dataset, _leave_one_out

    tiny_metabase().save(tmp_path / "shipped.json.gz")
    monkeypatch.setattr(metabase_module, "shipped_path", lambda: tmp_path / "shipped.json.gz")
    datasets = [Dataset("trees", tmp_path / "t.csv", "y", "binary"), Dataset("other", tmp_path / "o.csv", "y", "binary")]
    options = _leave_one_out(datasets, tmp_path / "loo")
    assert options(datasets[1], "automl") == {} and options(datasets[0], "rf_default") == {}
    used = load_metabase(options(datasets[0], "automl")["metabase"])
    assert "trees" not in [d.name for d in used.datasets] and "smac trees" not in used.pool_origins["classification"]
