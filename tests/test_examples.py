"""Every example runs as a user would run it, on a tiny budget."""

import subprocess
import sys

import pytest

from tests.conftest import REPO


@pytest.mark.parametrize("script, args, expected", [
    ("classify_csv.py", ["8"], "Final model: "),
    ("regress_dataframe.py", ["4"], "test rmse"),
    ("custom_space.py", ["4"], "adaboost"),
    ("resume_run.py", ["6"], "resumed: 2 trials read back, 4 new"),
    ("parallel_dask.py", ["4"], "dask_address: "),
])
def test_example_runs(tmp_path, script, args, expected):
    done = subprocess.run([sys.executable, str(REPO / "examples" / script), *args], cwd=tmp_path,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert expected in done.stdout
