"""Files that outlive a process: a writer killed at any instant leaves the old file or the new one, whole."""

import hashlib
import os
import random
import signal
import subprocess
import sys
import time

import pytest

from automl.errors import InputError
from automl.files import atomic_path, check_output, copy_atomic, library_versions, load_fitted, save_fitted

WRITER = """
import sys
from pathlib import Path
from automl.files import copy_atomic, save_fitted
old, new, target = map(Path, sys.argv[1:4])
print("ready", flush=True)
while True:  # the target flips between two contents until the writer is killed
    for source in (new, old):
        copy_atomic(source, target)
"""


def _sha(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_a_writer_killed_at_many_points_leaves_the_old_file_or_the_new_one_never_anything_else(tmp_path):
    old, new, target = tmp_path / "old.bin", tmp_path / "new.bin", tmp_path / "model.skops"
    old.write_bytes(os.urandom(8 * 2**20))
    new.write_bytes(os.urandom(8 * 2**20))
    copy_atomic(old, target)
    allowed = {_sha(old), _sha(new)}
    rng, cut_mid_write = random.Random(0), 0
    for _ in range(12):
        writer = subprocess.Popen([sys.executable, "-c", WRITER, str(old), str(new), str(target)],
                                  stdout=subprocess.PIPE, text=True)
        assert writer.stdout.readline().strip() == "ready"
        time.sleep(rng.uniform(0.0, 0.15))
        writer.send_signal(signal.SIGKILL)
        writer.wait()
        assert _sha(target) in allowed
        cut_mid_write += bool(list(tmp_path.glob(".model.skops.*.automl-tmp")))
    assert cut_mid_write >= 3  # the kills did land inside writes
    assert {p.name for p in tmp_path.iterdir() if not p.name.endswith(".automl-tmp")} == {"model.skops", "new.bin",
                                                                                          "old.bin"}


def test_a_failed_write_removes_its_temporary_file_and_keeps_the_old_one(tmp_path):
    target = tmp_path / "a.json"
    target.write_text("old")
    with pytest.raises(ZeroDivisionError), atomic_path(target) as temporary:
        temporary.write_text("half")
        raise ZeroDivisionError
    assert target.read_text() == "old" and list(tmp_path.iterdir()) == [target]


def test_fitted_objects_round_trip_and_other_files_are_one_sentence(tmp_path):
    path = tmp_path / "folds.skops"
    assert save_fitted({"weights": [1.0, 2.0]}, path) == path.stat().st_size
    assert load_fitted(path) == {"weights": [1.0, 2.0]}
    (tmp_path / "not.skops").write_text("plain text")
    with pytest.raises(InputError, match="is not a file written by automl"):
        load_fitted(tmp_path / "not.skops")


def test_check_output_names_what_is_wrong(tmp_path):
    data = tmp_path / "data.csv"
    data.write_text("a\n1\n")
    with pytest.raises(InputError, match="is the input"):
        check_output(data, what="model file", inputs=(data,))
    with pytest.raises(InputError, match="already exists; name it with --out"):
        check_output(data, what="model file", replace=False)
    assert check_output(tmp_path / "new" / "deeper" / "m.skops", what="model file").name == "m.skops"


def test_a_write_keeps_the_old_permissions_follows_a_link_and_never_touches_a_users_tmp_file(tmp_path):
    target, theirs = tmp_path / "model.skops", tmp_path / "model.skops.tmp"
    target.write_text("old")
    theirs.write_text("the user's own file")
    os.chmod(target, 0o640)
    with atomic_path(target) as temporary:
        temporary.write_text("new")
    assert target.read_text() == "new" and oct(target.stat().st_mode & 0o777) == "0o640"
    assert theirs.read_text() == "the user's own file"
    link = tmp_path / "latest.skops"
    link.symlink_to(target)
    with atomic_path(link) as temporary:
        temporary.write_text("through the link")
    assert link.is_symlink() and target.read_text() == "through the link"


def test_a_write_that_must_not_replace_refuses_a_file_that_appeared_meanwhile(tmp_path):
    target, source = tmp_path / "data.skops", tmp_path / "run.skops"
    source.write_text("the model")
    with pytest.raises(InputError, match="appeared while automl was writing it"), \
            atomic_path(target, replace=False) as temporary:
        temporary.write_text("the model")
        target.write_text("another fit's model")  # written by someone else in the meantime
    assert target.read_text() == "another fit's model" and sorted(p.name for p in tmp_path.iterdir()) == [
        "data.skops", "run.skops"]
    copy_atomic(source, tmp_path / "new.skops", replace=False)
    assert (tmp_path / "new.skops").read_text() == "the model"


def test_a_library_installed_under_another_distribution_name_is_still_stamped(monkeypatch):
    import importlib.metadata

    real = importlib.metadata.version
    installed = {"xgboost-cpu": "3.2.0"}  # XGBoost's CPU build: the same module, another distribution

    def version(name):
        if name == "xgboost":
            raise importlib.metadata.PackageNotFoundError(name)
        return installed.get(name) or real(name)

    monkeypatch.setattr(importlib.metadata, "version", version)
    stamped = library_versions()
    assert stamped["xgboost"] == "3.2.0" and stamped["automl"] == real("automl")
    installed.clear()
    monkeypatch.setattr(importlib.metadata, "version", lambda name: (_ for _ in ()).throw(
        importlib.metadata.PackageNotFoundError(name)))
    assert library_versions()["xgboost"] == "unknown"
