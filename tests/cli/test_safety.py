"""Nothing the user did not name is touched: outputs are checked before any work, inputs are never
overwritten, an existing model is replaced only when named, and a run never writes among a user's files."""

import hashlib
import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from automl.cli.main import main

FAST = ["--trials", "2", "--include", "logistic_regression", "--ensemble-size", "0", "--quiet"]


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


def _digest(folder):
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def _refused(result, words):
    lines = result.output.strip().splitlines()
    assert result.exit_code == 2 and lines[-1].startswith("Error: ") and words in lines[-1], result.output
    assert "Traceback" not in result.output and "unexpectedly" not in result.output


def test_a_run_directory_holding_the_users_files_is_refused_and_left_as_it_was(tmp_path, csv_file):
    project = tmp_path / "my_project"
    for name, text in {"docs/thesis.tmp.docx": "chapter 1", "build/cache.tmp": "x", "docs/trial_7.csv": "a,b",
                       "data.json": "{}", "model.skops": "mine", "predictions/trial_00001.npy": "not ours"}.items():
        (project / name).parent.mkdir(parents=True, exist_ok=True)
        (project / name).write_text(text)
    before = _digest(project)
    _refused(run("fit", csv_file, "--target", "label", "--run-dir", project, "--out", tmp_path / "m.skops", *FAST),
             "holds files of its own and no automl run")
    assert _digest(project) == before and not (tmp_path / "m.skops").exists()
    (tmp_path / "empty").mkdir()  # an empty folder is fine
    assert run("fit", csv_file, "--target", "label", "--run-dir", tmp_path / "empty", "--out", tmp_path / "m.skops",
               *FAST).exit_code == 0


def test_outputs_that_are_inputs_are_refused_and_the_inputs_stay(tmp_path, csv_file):
    data = csv_file.read_bytes()
    _refused(run("fit", csv_file, "--target", "label", "--out", csv_file, *FAST), "is the input")
    assert csv_file.read_bytes() == data
    model = tmp_path / "m.skops"
    assert run("fit", csv_file, "--target", "label", "--out", model, *FAST).exit_code == 0
    saved = model.read_bytes()
    _refused(run("predict", model, csv_file, "-o", model), "is the input")
    _refused(run("predict", model, csv_file, "-o", csv_file), "is the input")
    _refused(run("export", model, "--out", model), "is the input")
    assert model.read_bytes() == saved and csv_file.read_bytes() == data


def test_an_existing_model_is_replaced_only_when_named_or_forced(tmp_path, csv_file, monkeypatch):
    monkeypatch.chdir(tmp_path)
    first = run("fit", csv_file, "--target", "label", "--run-dir", tmp_path / "r1", *FAST)
    assert first.exit_code == 0 and (tmp_path / "data.skops").exists()
    saved = (tmp_path / "data.skops").read_bytes()
    _refused(run("fit", csv_file, "--target", "label", "--run-dir", tmp_path / "r2", *FAST), "already exists")
    assert (tmp_path / "data.skops").read_bytes() == saved and not (tmp_path / "r2").exists()
    assert run("fit", csv_file, "--target", "label", "--run-dir", tmp_path / "r3", "--force", *FAST).exit_code == 0
    assert run("fit", csv_file, "--target", "label", "--run-dir", tmp_path / "r4", "--out", "data.skops",
               *FAST).exit_code == 0
    (tmp_path / "elsewhere").mkdir()  # a resume replaces the model its run wrote, wherever it is run from
    monkeypatch.chdir(tmp_path / "elsewhere")
    resumed = run("fit", csv_file, "--target", "label", "--resume", tmp_path / "r1", "--trials", "3")
    assert resumed.exit_code == 0 and f"Model saved to {tmp_path / 'data.skops'}" in resumed.output
    assert not (tmp_path / "elsewhere" / "data.skops").exists()


@pytest.mark.parametrize("command", ["fit", "predict", "run_dir"])
def test_an_output_under_a_file_or_that_is_a_folder_is_one_sentence_before_any_work(tmp_path, csv_file, command):
    blocker = tmp_path / "a_file"
    blocker.write_text("x")
    if command == "fit":
        _refused(run("fit", csv_file, "--target", "label", "--out", blocker / "m.skops", *FAST), "is a file, not a folder")
        _refused(run("fit", csv_file, "--target", "label", "--out", tmp_path, *FAST), "is a folder")
    elif command == "predict":
        model = tmp_path / "m.skops"
        model.write_text("not even a model")  # the output is refused before the model is read
        _refused(run("predict", model, csv_file, "-o", blocker / "p.csv"), "is a file, not a folder")
        _refused(run("predict", model, csv_file, "-o", tmp_path), "is a folder")
    else:
        _refused(run("fit", csv_file, "--target", "label", "--run-dir", blocker, "--out", tmp_path / "m.skops", *FAST),
                 "is a file")
        _refused(run("fit", csv_file, "--target", "label", "--run-dir", blocker / "run", "--out", tmp_path / "m.skops",
                     *FAST), "is a file, not a folder")
    assert [p.name for p in tmp_path.iterdir()] == [p.name for p in tmp_path.iterdir() if p.name in
                                                     ("a_file", "m.skops", "data.csv")]


def test_a_read_only_folder_is_refused_before_the_search(tmp_path, csv_file, monkeypatch):
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o500)
    real_access = os.access  # root may write anywhere: the folder's permission is what the check reads
    monkeypatch.setattr(os, "access", lambda path, mode: Path(path) != locked and real_access(path, mode))
    _refused(run("fit", csv_file, "--target", "label", "--out", locked / "m.skops", *FAST), "permission denied")
    assert not any(locked.iterdir())


def test_bad_inputs_are_one_sentence_naming_what_is_wrong(tmp_path, csv_file):
    (tmp_path / "inf.csv").write_text("x,y\n" + "".join(f"{i},{i if i % 7 else 'inf'}\n" for i in range(1, 30)))
    _refused(run("fit", tmp_path / "inf.csv", "--target", "y", "--out", tmp_path / "m.skops", *FAST),
             "The target 'y' holds 4 infinite value(s)")
    (tmp_path / "dup.csv").write_text("a,b,a,y\n" + "".join(f"{i},{i % 3},{i % 5},{i % 2}\n" for i in range(30)))
    _refused(run("fit", tmp_path / "dup.csv", "--target", "y", "--out", tmp_path / "m.skops", *FAST),
             "has more than one column named 'a'")
    for bound, words in (("min()", "cannot be evaluated"), ("1/0", "cannot be evaluated"), ("(", "cannot be evaluated")):
        space = tmp_path / f"space{len(bound)}{bound.count('/')}"
        space.mkdir()
        (space / "odd.yaml").write_text(
            "name: odd\nstep: model\nestimator: sklearn.linear_model.LogisticRegression\ntasks: [binary]\n"
            f"hyperparameters:\n  C: {{type: float, low: 0.01, high: '{bound}', log: true, default: 1.0}}\n")
        _refused(run("fit", csv_file, "--target", "label", "--space-dir", space, "--include", "odd", "--trials", "2",
                     "--out", tmp_path / "m.skops"), words)
    assert not (tmp_path / "m.skops").exists()  # refused before anything was written


def test_a_model_file_whose_predictor_cannot_predict_is_refused(tmp_path, csv_file):
    from automl.files import save_fitted

    model = tmp_path / "m.skops"
    assert run("fit", csv_file, "--target", "label", "--out", model, *FAST).exit_code == 0
    from automl.files import load_fitted

    payload = load_fitted(model)
    save_fitted({**payload, "pipeline": "a string"}, tmp_path / "odd.skops")
    _refused(run("predict", tmp_path / "odd.skops", csv_file), "its predictor is a str, which cannot predict")


def test_resume_with_another_target_or_task_names_it(tmp_path, csv_file, mixed_frame):
    X, y = mixed_frame
    X.assign(label=y, other=X["x1"] * 2).to_csv(tmp_path / "two.csv", index=False)
    assert run("fit", tmp_path / "two.csv", "--target", "label", "--run-dir", tmp_path / "run",
               "--out", tmp_path / "m.skops", *FAST).exit_code == 0
    _refused(run("fit", tmp_path / "two.csv", "--target", "other", "--resume", tmp_path / "run"),
             "its run was fit on the target 'label', not 'other'")
    _refused(run("fit", tmp_path / "two.csv", "--target", "label", "--task", "multiclass", "--resume", tmp_path / "run"),
             "its run is a binary task, not multiclass")


@pytest.mark.parametrize("args", [
    ["bench", "{data}", "--target", "label", "--systems", "dummy", "--out", "{file}"],
    ["metabase", "build", "{data}", "--out", "{file}"],
    ["metabase", "build", "{data}", "--out", "{file}/sub"],
])
def test_an_output_folder_that_is_a_file_is_one_sentence(tmp_path, csv_file, args):
    blocker = tmp_path / "a_file"
    blocker.write_text("x")
    _refused(run(*[a.format(data=csv_file, file=blocker) for a in args]), "is a file")
    assert blocker.read_text() == "x"


def test_a_refused_run_never_removes_the_users_empty_folder(tmp_path, csv_file, monkeypatch):
    (tmp_path / "mine").mkdir()
    _refused(run("fit", csv_file, "--target", "label", "--run-dir", tmp_path / "mine", "--include", "nosuch",
                 "--out", tmp_path / "m.skops", "--trials", "2"), "Unknown component 'nosuch'")
    assert (tmp_path / "mine").is_dir()
    monkeypatch.chdir(tmp_path / "mine")
    _refused(run("fit", csv_file, "--target", "label", "--run-dir", ".", "--include", "nosuch",
                 "--out", tmp_path / "m.skops", "--trials", "2"), "Unknown component 'nosuch'")
    assert (tmp_path / "mine").is_dir()


def test_outputs_inside_a_run_directory_or_onto_its_inputs_are_refused(tmp_path, csv_file):
    run_dir, model = tmp_path / "run", tmp_path / "m.skops"
    assert run("fit", csv_file, "--target", "label", "--run-dir", run_dir, "--out", model, *FAST).exit_code == 0
    before = _digest(run_dir)
    _refused(run("leaderboard", run_dir, "--csv", run_dir / "trials.jsonl"), "is inside")
    _refused(run("report", run_dir, "--out", run_dir / "model.skops"), "is inside")
    _refused(run("export", run_dir, "--out", run_dir / "settings.json"), "is inside")
    _refused(run("fit", csv_file, "--target", "label", "--resume", run_dir, "--out", run_dir / "data.json"), "is inside")
    assert _digest(run_dir) == before
    metabase = tmp_path / "mb.json.gz"
    metabase.write_bytes(b"not read")
    _refused(run("fit", csv_file, "--target", "label", "--metabase", metabase, "--out", metabase, *FAST), "is the input")
    (tmp_path / "tables").mkdir()
    (tmp_path / "tables" / "scores.csv").write_text("mine")
    _refused(run("bench", csv_file.parent, "--target", "label", "--systems", "dummy", "--out", tmp_path / "tables"),
             "holds files of its own and no bench runs")
    assert (tmp_path / "tables" / "scores.csv").read_text() == "mine"


def test_damaged_run_files_are_one_sentence(tmp_path, csv_file):
    run_dir = tmp_path / "run"
    assert run("fit", csv_file, "--target", "label", "--run-dir", run_dir, "--out", tmp_path / "m.skops",
               *FAST).exit_code == 0
    log = (run_dir / "trials.jsonl").read_bytes()
    (run_dir / "trials.jsonl").write_bytes(b'[1, 2]\n' + log)
    _refused(run("leaderboard", run_dir), "trials.jsonl is damaged at line 1")
    (run_dir / "trials.jsonl").write_bytes(b"\xff\xfe\n" + log)
    _refused(run("fit", csv_file, "--target", "label", "--resume", run_dir, "--out", tmp_path / "m2.skops"),
             "trials.jsonl is damaged at line 1")
    (run_dir / "trials.jsonl").write_bytes(log)
    final = (run_dir / "final.json").read_text()
    for damage in ('{"members": 3}', '{"members": [{"trial_id": 1}]}', "[]", "{"):
        (run_dir / "final.json").write_text(damage)
        _refused(run("leaderboard", run_dir), "final.json is damaged")
    (run_dir / "final.json").write_text(final)
    (run_dir / "ensemble.json").write_text('{"a": "b"}')
    _refused(run("leaderboard", run_dir), "ensemble.json is damaged")
    (run_dir / "settings.json").write_text("[]")
    _refused(run("report", run_dir), "settings.json is damaged")
    _refused(run("fit", csv_file, "--target", "label", "--resume", tmp_path / "typo"), "is not an automl run directory")
