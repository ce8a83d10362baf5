"""Meta-features, the metabase, warm starts (portfolio, nearest datasets, the user's own runs)."""

import json

import numpy as np
import pandas as pd
from click.testing import CliRunner

from automl.cli.main import main
from automl.metalearning.metabase import load_metabase


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
    first_wall = json.loads((run / "done.json").read_text())["wall_s"]
    (run / "done.json").unlink()
    lines = (run / "trials.jsonl").read_text().splitlines()
    (run / "trials.jsonl").write_text("\n".join(lines[:3]) + "\n")
    kept = [json.loads(line)["finished_s"] for line in lines[:3]]
    again = CliRunner().invoke(main, args)
    assert again.exit_code == 0 and "Pool (classification) 1/1" not in again.output  # the pool is read back
    rerun = [json.loads(line) for line in (run / "trials.jsonl").read_text().splitlines()]
    assert len(rerun) == len(lines) and [t.get("finished_s") for t in rerun[:3]] == kept
    assert load_metabase(tmp_path / "mb").datasets[0].losses == entry.losses
    assert json.loads((run / "done.json").read_text())["wall_s"] > first_wall  # both pieces counted


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
