"""The benchmark scripts' resumable loop: each spec runs once, in its own process, and results survive a stop."""

import json
import os

from automl.bench.runner import run_in_pieces


def _square(spec: dict) -> dict:  # module level: a spawned process imports it
    return {"dataset": spec["name"], "square": spec["x"] ** 2, "pid": os.getpid()}


def test_run_in_pieces_runs_what_is_missing_in_fresh_processes_and_keeps_what_was_done(tmp_path):
    runs = tmp_path / "out" / "runs.jsonl"
    runs.parent.mkdir()
    runs.write_text(json.dumps({"dataset": "a", "square": -1}) + "\n" + '{"dataset": "cut by a ki')  # done, and a torn line
    seen = []
    results = run_in_pieces(runs, _square, [{"name": n, "x": x} for n, x in (("a", 2), ("b", 3), ("c", 4))], jobs=2,
                            on_result=lambda result: seen.append(result["dataset"]))
    assert sorted(seen) == ["b", "c"]  # "a" was done: not run again
    by_name = {r["dataset"]: r for r in results}
    assert by_name["a"]["square"] == -1 and by_name["b"]["square"] == 9 and by_name["c"]["square"] == 16
    assert by_name["b"]["pid"] != os.getpid() and by_name["b"]["pid"] != by_name["c"]["pid"]  # one process each
    assert run_in_pieces(runs, _square, [{"name": "b", "x": 3}]) == results  # nothing left: nothing runs
