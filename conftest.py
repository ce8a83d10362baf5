"""Every test and doctest runs in its own empty folder, since fits write run directories to the working
directory; trial processes started there still import the test helpers (``tests.helpers``) from this
checkout. The package itself is under src/, never on this path: the tests import the installed automl."""

import os
from pathlib import Path

import pytest

REPO = Path(__file__).parent


@pytest.fixture(autouse=True)
def _in_empty_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])))
