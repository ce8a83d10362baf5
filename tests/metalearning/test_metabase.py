"""Meta-features, the metabase, warm starts (portfolio, nearest datasets, the user's own runs)."""

import gzip

import pytest
from click.testing import CliRunner

from automl import AutoClassifier
from automl.cli.main import main
from automl.errors import InputError
from automl.metalearning.metabase import load_metabase, load_user_runs
from automl.metalearning.warmstart import (
    warm_start_design,
)
from tests.helpers import features, tiny_metabase


def test_metabase_round_trip_and_unreadable_files(tmp_path):
    tiny_metabase().save(tmp_path / "metabase.json.gz")
    loaded = load_metabase(tmp_path)  # a folder means the metabase.json.gz in it
    assert loaded.datasets == tiny_metabase().datasets and loaded.pools == tiny_metabase().pools
    (tmp_path / "broken.json.gz").write_bytes(gzip.compress(b"{not json"))
    with pytest.raises(InputError, match=r"^Metabase .*broken.json.gz cannot be read: .*\.$"):
        load_metabase(tmp_path / "broken.json.gz")
    with pytest.raises(InputError, match="Metabase not found"):
        warm_start_design("both", "binary", features(), tmp_path / "nothing.json.gz")
    whole = (tmp_path / "metabase.json.gz").read_bytes()
    for name, content, reason in (("cut.json.gz", whole[: len(whole) // 2], "not a gzipped JSON file"),
                                  ("list.json.gz", gzip.compress(b"[1, 2]"), "not a metabase of format 1"),
                                  ("partial.json.gz", gzip.compress(b'{"format": 1, "pools": {}}'), "lacks 'datasets'")):
        (tmp_path / name).write_bytes(content)
        with pytest.raises(InputError, match=f"^Metabase .*{name} cannot be read: .*{reason}.*\\.$"):
            load_metabase(tmp_path / name)


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
    tiny_metabase().save(tmp_path / "mb.json.gz")
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
