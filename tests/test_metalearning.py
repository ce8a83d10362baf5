"""Meta-features, the metabase, warm starts (portfolio, nearest datasets, the user's own runs)."""

import gzip
import json
import math

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from automl import AutoClassifier
from automl.space.bounds import DataShape
from automl.cli.main import main
from automl.errors import InputError
from automl.metalearning.metabase import DatasetEntry, Metabase, load_metabase, load_user_runs
from automl.metalearning.metafeatures import NAMES, compute_metafeatures
from automl.metalearning.warmstart import (greedy_portfolio, nearest_datasets, regret_matrix, warm_start_configs,
                                           warm_start_design)
from automl.space.configspace import build_space

SHAPE = DataShape(n_rows=1000, fold_rows=800, n_features=10, n_classes=2)


def _features(**changes) -> dict[str, float]:
    return {**dict.fromkeys(NAMES, 0.0), **changes}


# -- meta-features -------------------------------------------------------------------------------

def test_metafeatures_of_a_tiny_classification_table():
    X = pd.DataFrame({"a": [1.0, 2.0, np.nan, 4.0, 100.0, 3.0], "b": [0.0, 0.0, 0.0, 0.0, 1.0, 0.0],
                      "colour": ["r", "g", "r", None, "b", "r"]})
    y = np.array([0, 0, 0, 0, 1, 2])
    features = compute_metafeatures(X, y, ["colour"], classification=True)
    assert list(features) == list(NAMES)
    assert features["log_rows"] == round(math.log(6), 4) and features["log_features"] == round(math.log(3), 4)
    assert features["log_rows_per_feature"] == round(math.log(2), 4)
    assert features["numeric_share"] == round(2 / 3, 4) and features["categorical_share"] == round(1 / 3, 4)
    assert features["log_categories_mean"] == round(math.log(3), 4)
    assert features["missing_share"] == round(2 / 18, 4) and features["rows_with_missing_share"] == round(2 / 6, 4)
    shares = np.array([4, 1, 1]) / 6
    assert features["log_classes"] == round(math.log(3), 4)
    assert features["class_entropy"] == round(float(-(shares * np.log2(shares)).sum()), 4)
    assert features["class_imbalance"] == 0.75  # 1 - rarest / commonest
    assert features["skewness_max"] > 1.5 and features["skewness_min"] < features["skewness_max"]
    assert all(np.isfinite(list(features.values())))


def test_metafeatures_of_regression_and_of_columns_without_moments():
    X = pd.DataFrame({"constant": [1.0] * 5, "empty": [np.nan] * 5, "word": list("abcab")})
    features = compute_metafeatures(X, np.arange(5.0), ["word"], classification=False)
    assert features["log_classes"] == features["class_entropy"] == features["class_imbalance"] == 0.0
    assert all(np.isfinite(list(features.values())))


# -- adapting configurations to another dataset's space ------------------------------------------

def test_project_adapts_a_configuration_to_another_space():
    wide = build_space("binary", DataShape(5000, 4000, 20, 2), has_categorical=True)
    narrow = build_space("binary", DataShape(100, 80, 3, 2), has_categorical=False)
    config = wide.project({"model": "lightgbm", "encoder": "onehot", "lightgbm:num_leaves": 500,
                           "lightgbm:learning_rate": 0.05, "simple_imputer:strategy": "no-such-strategy"})
    assert config["encoder"] == "onehot" and config["lightgbm:num_leaves"] == 500
    assert config["simple_imputer:strategy"] == wide.configspace["simple_imputer:strategy"].default_value
    moved = narrow.project(config)
    assert "encoder" not in moved and not any(k.startswith("onehot:") for k in moved)
    assert moved["lightgbm:num_leaves"] == narrow.configspace["lightgbm:num_leaves"].upper == 40  # clipped
    assert moved["lightgbm:learning_rate"] == 0.05
    only_trees = build_space("binary", SHAPE, has_categorical=False, include=("random_forest",))
    assert only_trees.project(config) is None  # its family is not in that space
    assert narrow.project({**moved, "lightgbm:num_leaves": np.int64(7)})["lightgbm:num_leaves"] == 7


def test_project_takes_the_family_preprocessing_and_refuses_forbidden_combinations():
    space = build_space("binary", SHAPE, has_categorical=True)
    linear = space.project({"model": "logistic_regression"})
    assert linear["scaler"] == "standard" and linear["encoder"] == "onehot"  # its initial_design.with
    assert space.project({"model": "logistic_regression", "scaler": "no_scaling"})["scaler"] == "no_scaling"
    chi2 = {"model": "lightgbm", "preprocessor": "select_percentile", "select_percentile:score_func": "chi2"}
    assert space.project({**chi2, "scaler": "quantile"}) is not None
    assert space.project({**chi2, "scaler": "standard"}) is None  # chi2 needs non-negative features


def test_warm_configurations_come_first_labelled_and_without_repeats():
    space = build_space("binary", SHAPE, has_categorical=False)
    warm = [({"model": "extra_trees"}, "warm start: a"), ({"model": "extra_trees"}, "warm start: b"),
            ({"model": "no_such_family"}, "warm start: c")]
    design = space.design_with_origins((), warm)
    assert [origin for _, origin in design[:1]] == ["warm start: a + b"]  # both became the same configuration
    assert all(origin == "initial design" for _, origin in design[1:])
    assert len(design) == len({json.dumps(c, sort_keys=True) for c, _ in design})


# -- portfolio and nearest datasets --------------------------------------------------------------

def test_regret_is_normalised_per_dataset_and_failures_count_as_the_worst():
    entries = [DatasetEntry("a", "binary", "roc_auc", {}, [0.1, 0.3, None]),
               DatasetEntry("b", "binary", "rmse", {}, [50.0, 10.0, 30.0])]
    np.testing.assert_allclose(regret_matrix(entries), [[0.0, 1.0, 1.0], [1.0, 0.0, 0.5]])


def test_greedy_portfolio_prefers_complementary_configurations():
    regret = np.array([[0.0, 0.2, 1.0, 0.1],
                       [1.0, 0.2, 0.0, 0.1],
                       [1.0, 0.2, 0.0, 0.1]])
    assert greedy_portfolio(regret, 2) == [3, 2]  # the best on average, then what covers its weakness
    assert greedy_portfolio(regret, 10) == [3, 2, 0]  # stops once every dataset has regret 0


def test_nearest_datasets_by_scaled_metafeatures_and_task():
    entries = [DatasetEntry("far", "binary", "roc_auc", _features(log_rows=12.0), [0.1]),
               DatasetEntry("near", "binary", "roc_auc", _features(log_rows=5.1), [0.1]),
               DatasetEntry("near_multiclass", "multiclass", "log_loss", _features(log_rows=5.0), [0.1]),
               DatasetEntry("far_in_much", "binary", "roc_auc", _features(log_rows=12.0, missing_share=1.0,
                                                                          numeric_share=1.0), [0.1])]
    ranked = [e.name for e, _ in nearest_datasets(entries, _features(log_rows=5.0), "binary", 4)]
    assert ranked == ["near", "far", "near_multiclass", "far_in_much"]  # another task costs two features' worth


def _metabase() -> Metabase:
    pool = [{"model": "lightgbm"}, {"model": "random_forest"}, {"model": "extra_trees"}, {"model": "mlp"}]
    origins = ["default", "default", "smac trees", "random"]
    datasets = [DatasetEntry("trees", "binary", "roc_auc", _features(log_rows=8.0), [0.2, 0.1, 0.05, 0.5]),
                DatasetEntry("boosting", "binary", "roc_auc", _features(log_rows=4.0), [0.1, 0.3, 0.3, None]),
                DatasetEntry("prices", "regression", "rmse", _features(log_rows=6.0), [1.0, 2.0])]
    return Metabase({"classification": pool, "regression": [{"model": "ridge"}, {"model": "lightgbm"}]},
                    {"classification": origins, "regression": ["default", "default"]}, datasets, {"command": "test"})


def test_warm_start_modes():
    metabase = _metabase()
    near_boosting = _features(log_rows=4.1)
    portfolio = warm_start_configs("portfolio", "binary", near_boosting, metabase)
    assert [c["model"] for c, _ in portfolio] == ["lightgbm", "extra_trees"]
    assert portfolio[0][1] == "warm start: portfolio 1"
    knn = warm_start_configs("knn", "binary", near_boosting, metabase)
    assert [(c["model"], o) for c, o in knn] == [("lightgbm", "warm start: knn boosting"),
                                                  ("extra_trees", "warm start: knn trees")]
    both = warm_start_configs("both", "binary", near_boosting, metabase)
    assert [c["model"] for c, _ in both] == ["lightgbm", "extra_trees"]  # portfolio, then the nearest, once each
    mine = DatasetEntry("my run", "binary", "roc_auc", near_boosting, [0.3, 0.2], [{"model": "mlp"}, {"model": "xgboost"}])
    with_mine = warm_start_configs("both", "binary", near_boosting, metabase, [mine])
    assert [(c["model"], o) for c, o in with_mine[:3]] == [("xgboost", "warm start: knn my run"),
                                                            ("mlp", "warm start: knn my run"),
                                                            ("lightgbm", "warm start: portfolio 1")]
    assert warm_start_configs("portfolio", "binary", near_boosting, metabase, [mine]) == portfolio
    assert warm_start_configs("none", "binary", near_boosting, metabase) == []
    regression = warm_start_configs("both", "regression", _features(), metabase)
    assert [c["model"] for c, _ in regression] == ["ridge"]


def test_leaving_a_dataset_out_removes_its_row_and_its_smac_configurations():
    without = _metabase().without("trees")
    assert [d.name for d in without.datasets] == ["boosting", "prices"]
    assert [c["model"] for c in without.pools["classification"]] == ["lightgbm", "random_forest", "mlp"]
    assert without.datasets[0].losses == [0.1, 0.3, None]


def test_metabase_round_trip_and_unreadable_files(tmp_path):
    _metabase().save(tmp_path / "metabase.json.gz")
    loaded = load_metabase(tmp_path)  # a folder means the metabase.json.gz in it
    assert loaded.datasets == _metabase().datasets and loaded.pools == _metabase().pools
    (tmp_path / "broken.json.gz").write_bytes(gzip.compress(b"{not json"))
    with pytest.raises(InputError, match=r"^Metabase .*broken.json.gz cannot be read: .*\.$"):
        load_metabase(tmp_path / "broken.json.gz")
    with pytest.raises(InputError, match="Metabase not found"):
        warm_start_design("both", "binary", _features(), tmp_path / "nothing.json.gz")
    whole = (tmp_path / "metabase.json.gz").read_bytes()
    for name, content, reason in (("cut.json.gz", whole[: len(whole) // 2], "not a gzipped JSON file"),
                                  ("list.json.gz", gzip.compress(b"[1, 2]"), "not a metabase of format 1"),
                                  ("partial.json.gz", gzip.compress(b'{"format": 1, "pools": {}}'), "lacks 'datasets'")):
        (tmp_path / name).write_bytes(content)
        with pytest.raises(InputError, match=f"^Metabase .*{name} cannot be read: .*{reason}.*\\.$"):
            load_metabase(tmp_path / name)


def test_pool_results_read_merged_origins(tmp_path):
    from automl.metalearning.build import pool_results
    from automl.run.store import RunStore
    from automl.settings import RunSettings
    from tests.helpers import make_record as TrialRecord

    store = RunStore.create(tmp_path / "run", RunSettings("AutoClassifier", "binary", "roc_auc", {}), {})
    store.begin({})
    for i, (origin, loss) in enumerate([("warm start: given 0 + given 2", 0.1), ("warm start: given 1", None),
                                        ("initial design", 0.05)]):
        store.add(TrialRecord(i, {"model": "m"}, origin, loss, 1.5, 0.1, {}, None, float(i), i + 1.0), None)
    store.close()
    assert pool_results(tmp_path / "run", 4) == ([0.1, None, 0.1, None], [1.5, 1.5, 1.5, None])


# -- the estimators and the command line ---------------------------------------------------------

def test_fit_evaluates_given_warm_starts_first_and_records_metafeatures(tmp_path, mixed_frame):
    X, y = mixed_frame
    warm = [{"model": "extra_trees", "extra_trees:n_estimators": 60}, {"model": "logistic_regression"}]
    model = AutoClassifier(time_budget=None, max_trials=3, warm_start=warm, ensemble_size=0,
                           run_dir=str(tmp_path / "run")).fit(X, y)
    assert model.leaderboard_.sort_values("trial_id")["origin"].tolist() == \
        ["warm start: given 0", "warm start: given 1", "initial design"]
    assert model.trials_[0].config["extra_trees:n_estimators"] == 60
    recorded = json.loads((tmp_path / "run" / "metafeatures.json").read_text())
    assert list(recorded) == list(NAMES) and recorded["log_rows"] == round(math.log(len(X)), 4)


def test_bad_warm_start_is_one_sentence():
    X, y = pd.DataFrame({"a": range(10)}), [0, 1] * 5
    with pytest.raises(InputError, match=r"^Unknown warm_start 'bogus'; choose one of both, portfolio, knn, none"):
        AutoClassifier(warm_start="bogus").fit(X, y)
    with pytest.raises(InputError, match="list of configuration dicts"):
        AutoClassifier(warm_start=[{"no": "model"}]).fit(X, y)
    assert AutoClassifier(warm_start=False).get_params()["warm_start"] is False  # scikit-learn's checks set it
    assert warm_start_design(False, "binary", _features(), None) == []
    with pytest.raises(InputError, match="remember must be True, False or None"):
        AutoClassifier(remember="yes").fit(X, y)


def test_a_remembered_run_warm_starts_the_next_fit_on_similar_data(tmp_path, mixed_frame, own_metabase_folder):
    X, y = mixed_frame
    first = AutoClassifier(time_budget=None, max_trials=2, warm_start="none", ensemble_size=0, remember=True,
                           run_dir=str(tmp_path / "first")).fit(X, y)
    remembered = load_user_runs(own_metabase_folder)
    assert len(remembered) == 1 and remembered[0].task == "binary"
    assert remembered[0].configs[0] == first.best_config_
    second = AutoClassifier(time_budget=None, max_trials=1, warm_start="knn", metabase=str(tmp_path / "none.json.gz"),
                            ensemble_size=0, run_dir=str(tmp_path / "second"))
    with pytest.raises(InputError, match="Metabase not found"):
        second.fit(X, y)
    _metabase().save(tmp_path / "mb.json.gz")
    second.set_params(metabase=str(tmp_path / "mb.json.gz")).fit(X.iloc[:100], y.iloc[:100])
    assert second.trials_[0].origin == "warm start: knn first (your run)"  # the same kind of data is nearest
    assert second.trials_[0].config == first.best_config_


def test_metabase_add_through_the_cli_and_every_run_through_the_environment(tmp_path, csv_file, monkeypatch,
                                                                             own_metabase_folder):
    monkeypatch.setenv("AUTOML_REMEMBER_RUNS", "1")
    runner = CliRunner()
    fit = runner.invoke(main, ["fit", str(csv_file), "--target", "label", "--trials", "2", "--warm-start", "none",
                               "--ensemble-size", "0", "--run-dir", str(tmp_path / "run"),
                               "--out", str(tmp_path / "m.skops"), "-q"])
    assert fit.exit_code == 0, fit.output
    assert [e.task for e in load_user_runs(own_metabase_folder)] == ["binary"]  # remembered as it finished
    added = runner.invoke(main, ["metabase", "add", str(tmp_path / "run"), "--to", str(tmp_path / "mine")])
    assert added.exit_code == 0 and "Added" in added.output
    assert len(list((tmp_path / "mine").glob("*.json"))) == 1
    again = runner.invoke(main, ["metabase", "add", str(tmp_path / "run"), "--to", str(tmp_path / "mine")])
    assert again.exit_code == 0 and len(list((tmp_path / "mine").glob("*.json"))) == 1  # replaced, not doubled
    bad = runner.invoke(main, ["metabase", "add", str(tmp_path)])
    assert bad.exit_code == 2 and bad.output.strip().count("\n") == 0
    assert "is not an automl run directory" in bad.output


def test_metabase_build_resumes_and_feeds_warm_starts(tmp_path):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(50, 3))
    pd.DataFrame(X, columns=list("abc")).assign(label=(X[:, 0] > 0).astype(int)).to_csv(tmp_path / "tiny.csv", index=False)
    (tmp_path / "manifest.csv").write_text("name,task,target,n_rows,file\ntiny,binary,label,50,tiny.csv\n")
    args = ["metabase", "build", str(tmp_path / "manifest.csv"), "--out", str(tmp_path / "mb"), "--random-configs", "1",
            "--smac-datasets", "1", "--smac-trials", "9", "--trial-time-limit", "20"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    assert "Pool (classification)" in result.output and "tiny: done" in result.output
    metabase = load_metabase(tmp_path / "mb")
    pool = metabase.pools["classification"]
    origins = metabase.pool_origins["classification"]
    assert origins.count("random") == 1 and "smac tiny" in origins and origins[0] == "default"
    (entry,) = metabase.datasets
    assert entry.name == "tiny" and len(entry.losses) == len(pool) and entry.metric == "roc_auc"
    assert all(v is not None for v in entry.losses)
    # a killed build: the dataset's run lost its marker and its last trials; the next build resumes it
    run = tmp_path / "mb" / "runs" / "tiny"
    (run / "done.json").unlink()
    lines = (run / "trials.jsonl").read_text().splitlines()
    (run / "trials.jsonl").write_text("\n".join(lines[:3]) + "\n")
    kept = [json.loads(line)["finished_s"] for line in lines[:3]]
    again = CliRunner().invoke(main, args)
    assert again.exit_code == 0 and "Pool (classification) 1/1" not in again.output  # the pool is read back
    rerun = [json.loads(line) for line in (run / "trials.jsonl").read_text().splitlines()]
    assert len(rerun) == len(lines) and [t.get("finished_s") for t in rerun[:3]] == kept
    assert load_metabase(tmp_path / "mb").datasets[0].losses == entry.losses


def test_metabase_build_in_pieces_stops_at_its_time_limit(tmp_path):
    (tmp_path / "tiny.csv").write_text("a,label\n" + "".join(f"{i},{i % 2}\n" for i in range(40)))
    (tmp_path / "manifest.csv").write_text("name,task,target,file\ntiny,binary,label,tiny.csv\n")
    result = CliRunner().invoke(main, ["metabase", "build", str(tmp_path / "manifest.csv"), "--out", str(tmp_path / "mb"),
                                       "--limit-minutes", "0.01"])
    assert result.exit_code == 0 and "Stopped while building the classification pool" in result.output
    assert not (tmp_path / "mb" / "pool-classification.json").exists() and not (tmp_path / "mb" / "runs").exists()
    assert load_metabase(tmp_path / "mb").datasets == []  # what is finished (nothing yet) is still written
    unknown = CliRunner().invoke(main, ["metabase", "build", str(tmp_path / "manifest.csv"), "--out", str(tmp_path / "mb"),
                                        "--only", "nope"])
    assert unknown.exit_code == 2 and "Unknown dataset 'nope' in --only." in unknown.output


def test_bench_leaves_the_tested_dataset_out_of_the_metabase(tmp_path, monkeypatch):
    import automl.metalearning.metabase as metabase_module
    from automl.bench.runner import Dataset, _leave_one_out

    _metabase().save(tmp_path / "shipped.json.gz")
    monkeypatch.setattr(metabase_module, "shipped_path", lambda: tmp_path / "shipped.json.gz")
    datasets = [Dataset("trees", tmp_path / "t.csv", "y", "binary"), Dataset("other", tmp_path / "o.csv", "y", "binary")]
    options = _leave_one_out(datasets, tmp_path / "loo")
    assert options(datasets[1], "automl") == {} and options(datasets[0], "rf_default") == {}
    used = load_metabase(options(datasets[0], "automl")["metabase"])
    assert "trees" not in [d.name for d in used.datasets] and "smac trees" not in used.pool_origins["classification"]
