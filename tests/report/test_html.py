"""`automl report` and the figures behind it: a self-contained HTML file, checked in a real browser."""

import base64
import html
import re
import shutil
import subprocess

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from matplotlib.figure import Figure
from sklearn.metrics import roc_auc_score

from automl import AutoClassifier, figures
from automl.cli.main import main
from automl.report import write_report
from automl.report.importance import hyperparameter_importance
from tests.conftest import COMPONENTS


@pytest.fixture(scope="module")
def fitted_run(tmp_path_factory):
    """A small run with an ensemble, and with failed trials (a component that raises)."""
    folder = tmp_path_factory.mktemp("report")
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"a": rng.normal(size=150), "b": rng.normal(size=150), "c": rng.choice(["x", "y"], 150)})
    X.loc[::11, "b"] = np.nan
    y = pd.Series(np.where(X["a"] + (X["c"] == "x") > 0.5, "yes", "no"), name="label")
    model = AutoClassifier(time_budget=None, max_trials=10, ensemble_size=20, run_dir=str(folder / "run"), warm_start="none",
                           search_space_dir=str(COMPONENTS / "raise"),
                           include=("logistic_regression", "lightgbm", "k_nearest_neighbors", "raise_model")).fit(X, y)
    X.assign(label=y).iloc[:60].to_csv(folder / "held_out.csv", index=False)
    return model, folder


def _held_out(folder) -> tuple[pd.DataFrame, pd.Series]:
    held_out = pd.read_csv(folder / "held_out.csv")
    return held_out.drop(columns="label"), held_out["label"]


def _images(page: str) -> list[bytes]:
    return [base64.b64decode(m) for m in re.findall(r'src="data:image/png;base64,([^"]+)"', page)]


def test_the_report_is_one_html_file_with_every_section(fitted_run):
    model, folder = fitted_run
    result = CliRunner().invoke(main, ["report", str(folder / "run"), "--data", str(folder / "held_out.csv"),
                                       "--out", str(folder / "report.html")])
    assert result.exit_code == 0, result.output
    page = (folder / "report.html").read_text()
    for heading in ("Data", "Search", "Score by model family", "Hyperparameter importance", "Final model",
                    "Feature importance", "Failed trials"):
        assert f">{heading}</h" in page
    assert "150 rows; columns: 2 numeric, 1 categorical." in page
    assert "RuntimeError: misbehaving on purpose" in page  # the failed trials and their reasons
    assert "Permutation importance on 60 held-out rows" in page
    assert html.escape(model.final_model_.line()) in page  # what was saved, and its estimate
    score = re.search(r"<b>Held-out roc_auc = ([0-9.]+)</b> on 60 rows; estimated ([0-9.]+) \(nested out-of-fold[^)]*\)", page)
    assert score and float(score[2]) == pytest.approx(model.estimated_score_.value, abs=5e-5)
    X, y = _held_out(folder)
    proba = model.predict_proba(X)[:, list(model.classes_).index("yes")]
    assert float(score[1]) == pytest.approx(roc_auc_score(y == "yes", proba), abs=5e-5)
    images = _images(page)
    assert len(images) == 6 and all(image.startswith(b"\x89PNG") for image in images)
    assert "http://" not in page and "https://" not in page  # nothing to fetch: self-contained


def test_the_python_report_of_a_run_directory_scores_held_out_rows_with_its_saved_model(fitted_run, tmp_path):
    model, folder = fitted_run
    held_out = pd.read_csv(folder / "held_out.csv")
    pair = (held_out.drop(columns="label"), held_out["label"])
    from_dir = write_report(folder / "run", tmp_path / "dir.html", held_out=pair).read_text()
    from_model = write_report(model, tmp_path / "model.html", held_out=pair).read_text()
    assert "Permutation importance on 60 held-out rows" in from_dir
    assert _images(from_dir)[-1] == _images(from_model)[-1]  # the same importance, saved model or estimator


def test_without_held_out_rows_the_report_says_how_to_get_feature_importance(fitted_run, tmp_path):
    model, folder = fitted_run
    result = CliRunner().invoke(main, ["report", str(folder / "run"), "--out", str(tmp_path / "r.html")])
    assert result.exit_code == 0, result.output
    page = (tmp_path / "r.html").read_text()
    assert "--data HELD_OUT.csv" in page and len(_images(page)) == 5


def test_the_figures_are_matplotlib_figures_from_a_model_or_a_run_directory(fitted_run):
    model, folder = fitted_run
    held_out = pd.read_csv(folder / "held_out.csv")
    made = [figures.search_history(model), figures.score_by_family(folder / "run"),
            figures.hyperparameter_importance_figure(model), figures.ensemble_weights(model),
            figures.target_distribution(model),
            figures.feature_importance(model, held_out.drop(columns="label"), held_out["label"])]
    assert all(isinstance(f, Figure) for f in made)
    history = made[0].axes[0]
    assert history.get_xlabel() == "seconds since the run started" and "roc_auc" in history.get_ylabel()
    families = [t.get_text() for t in made[1].axes[0].get_yticklabels()]
    scored = {t.config["model"] for t in model.trials_ if t.ok}
    assert set(families) == scored and "raise_model" not in scored and len(scored) >= 2  # the failures have no score
    weights = [bar.get_width() for bar in made[3].axes[0].patches]
    assert np.isclose(sum(weights), 1) and len(weights) == len(model.ensemble_weights_)
    importance = {t.get_text() for t in made[5].axes[0].get_yticklabels()}
    assert importance == {"a", "b", "c"}


def test_importance_finds_the_hyperparameter_that_drives_the_loss():
    rng = np.random.default_rng(0)
    configs = [{"model": str(rng.choice(["m1", "m2"])), "lr": float(10 ** rng.uniform(-3, 0)),
                "depth": int(rng.integers(1, 10))} for _ in range(60)]
    losses = [abs(np.log10(c["lr"]) + 1.5) + 0.01 * rng.normal() for c in configs]
    shares = hyperparameter_importance(configs, losses)
    assert shares.index[0] == "lr" and shares["lr"] > 0.5 and shares["depth"] < 0.1
    assert hyperparameter_importance(configs[:5], losses[:5]).empty  # too few trials to say


def _chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")


@pytest.mark.skipif(_chromium() is None, reason="no Chromium on this machine (.ci/run installs it where apt-get can)")
def test_the_report_renders_in_a_headless_browser_with_every_image_loaded(fitted_run, tmp_path):
    model, folder = fitted_run
    page = tmp_path / "report.html"
    CliRunner().invoke(main, ["report", str(folder / "run"), "--out", str(page)])
    browser = [_chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars"]
    dom = subprocess.run([*browser, "--dump-dom", page.as_uri()], capture_output=True, text=True, timeout=120)
    assert 'data-images-loaded="5/5"' in dom.stdout, dom.stderr[-2000:]
    shot = tmp_path / "report.png"
    subprocess.run([*browser, "--window-size=1100,3000", f"--screenshot={shot}", page.as_uri()],
                   capture_output=True, timeout=120, check=True)
    from matplotlib.image import imread

    pixels = imread(shot)
    assert pixels.shape[:2] == (3000, 1100)
    assert (pixels[..., :3] < 0.9).any(axis=2).mean() > 0.02  # not a blank page: text and plots drew
