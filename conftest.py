"""Every test and doctest runs in its own empty folder, since fits write run directories to the working
directory; trial processes started there still import the test helpers (``tests.helpers``) from this
checkout (or, in CI, from a copy of it without automl/: there the tests import the installed wheel)."""

import os
from pathlib import Path

import pytest

REPO = Path(__file__).parent


@pytest.fixture(autouse=True)
def _in_empty_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])))
