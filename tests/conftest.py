from pathlib import Path

import numpy as np
import pandas as pd
import pytest

COMPONENTS = Path(__file__).parent / "components"
REPO = Path(__file__).parent.parent


@pytest.fixture
def mixed_frame():
    """120 rows: numeric, categorical (string) with missing values, a learnable binary target."""
    rng = np.random.default_rng(0)
    n = 120
    x1 = rng.normal(size=n)
    colour = rng.choice(["red", "green", "blue"], size=n).astype(object)
    colour[::17] = None
    x2 = rng.normal(size=n)
    x2[::13] = np.nan
    y = np.where(x1 + (colour == "red") + rng.normal(scale=0.3, size=n) > 0.5, "yes", "no")
    return pd.DataFrame({"x1": x1, "colour": colour, "x2": x2}), pd.Series(y, name="label")


@pytest.fixture
def csv_file(tmp_path, mixed_frame):
    X, y = mixed_frame
    path = tmp_path / "data.csv"
    X.assign(label=y).to_csv(path, index=False)
    return path


@pytest.fixture(autouse=True)
def own_metabase_folder(tmp_path_factory, monkeypatch):
    """Runs remembered by a test go to a folder of its own, never to the user's metabase."""
    folder = tmp_path_factory.mktemp("user-metabase")
    monkeypatch.setenv("AUTOML_METABASE_DIR", str(folder))
    monkeypatch.delenv("AUTOML_REMEMBER_RUNS", raising=False)
    return folder


@pytest.fixture(autouse=True)
def fresh_automl_logger():
    """The CLI sets up automl's logger (its level, its handler, no propagation) for the process; a test
    after a CLI test in the same process starts from the library's defaults again."""
    import logging

    logger = logging.getLogger("automl")
    state = (logger.level, list(logger.handlers), logger.propagate)
    yield
    logger.setLevel(state[0])
    logger.handlers = state[1]
    logger.propagate = state[2]
