"""Trial records: a line of trials.jsonl round-trips, old lines read, one ranking for every reader."""

import json

from automl.records import TrialRecord, TrialResult, TrialSpec, TrialStatus, rank_key, ranked


def test_a_trial_line_round_trips_and_a_format_1_line_reads_the_same_way():
    record = TrialRecord(4, TrialSpec({"model": "ridge", "ridge:alpha": 0.5}, "warm start: given 1", 1 / 3),
                         TrialResult(TrialStatus.TIMEOUT, None, 2.5, 0.0, {"UserWarning": 2},
                                     "TimeoutError: the trial ran past its limit of 2.0 s", {}, 1.0, 3.5))
    line = json.loads(json.dumps(record.to_json()))
    assert line["status"] == "timeout" and line["config"] == {"model": "ridge", "ridge:alpha": 0.5}
    assert TrialRecord.from_json(line) == record
    old = {"status": "failed", "trial_id": 1, "config": {"model": "m"}, "origin": "smac", "loss": None,
           "fit_seconds": 0.1, "predict_seconds": 0.0, "warnings": {}, "error": "ValueError: x", "started_s": 0.0,
           "finished_s": 0.2}  # no scores, no fraction: written before they existed
    read = TrialRecord.from_json(old)
    assert read.status is TrialStatus.FAILED and not read.ok and read.fraction == 1.0 and read.scores == {}


def test_one_ranking_for_every_reader():
    def trial(i, loss):
        return TrialRecord(i, TrialSpec({"model": "m"}, "smac"),
                           TrialResult(TrialStatus.OK if loss is not None else TrialStatus.FAILED, loss))

    trials = [trial(0, 0.3), trial(1, None), trial(2, 0.1), trial(3, 0.1)]
    assert [t.trial_id for t in ranked(trials)] == [2, 3, 0]
    assert rank_key(trials[2]) < rank_key(trials[3])
