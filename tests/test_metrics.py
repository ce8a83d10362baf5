import numpy as np
import pytest

from automl.errors import InputError
from automl.metrics import DEFAULT_METRIC, get_metric


def test_every_metric_is_a_loss_with_zero_at_the_optimum():
    y = np.array([0, 1, 1, 0])
    perfect = np.eye(2)[y]
    for name in ["roc_auc", "accuracy", "balanced_accuracy", "f1", "f1_macro"]:
        assert get_metric(name, "binary").loss(y, perfect) == pytest.approx(0.0)
    assert get_metric("log_loss", "binary").loss(y, perfect) < 1e-9
    worse = np.full((4, 2), 0.5)
    assert get_metric("log_loss", "binary").loss(y, worse) > 0.5
    yr = np.array([1.0, 2.0, 3.0])
    for name in ["rmse", "mae", "r2"]:
        assert get_metric(name, "regression").loss(yr, yr) == pytest.approx(0.0)
    assert get_metric("rmse", "regression").loss(yr, yr + 1) == pytest.approx(1.0)


def test_score_from_loss_restores_the_usual_direction():
    auc = get_metric("roc_auc", "binary")
    assert auc.score_from_loss(0.25) == 0.75
    assert get_metric("rmse", "regression").score_from_loss(2.0) == 2.0


def test_defaults_follow_the_automl_benchmark():
    assert DEFAULT_METRIC == {"binary": "roc_auc", "multiclass": "log_loss", "regression": "rmse"}
    assert get_metric(None, "multiclass").name == "log_loss"


def test_bad_metric_names_and_pairs_are_one_sentence():
    with pytest.raises(InputError, match="Unknown metric 'auc'"):
        get_metric("auc", "binary")
    with pytest.raises(InputError, match="'rmse' does not fit a binary task"):
        get_metric("rmse", "binary")
    with pytest.raises(InputError, match="'f1' does not fit a multiclass task"):
        get_metric("f1", "multiclass")


@pytest.mark.parametrize("n_classes", [2, 3, 7])
def test_fast_auc_and_log_loss_equal_scikit_learns_with_ties_and_extreme_probabilities(n_classes):
    from sklearn.metrics import log_loss, roc_auc_score

    rng = np.random.default_rng(n_classes)
    y = np.concatenate([np.arange(n_classes), rng.integers(0, n_classes, 300)])
    proba = np.stack([rng.multinomial(20, p) for p in rng.dirichlet(np.ones(n_classes) * 0.3, len(y))]) / 20  # ties, zeros
    task = "binary" if n_classes == 2 else "multiclass"
    expected_auc = (roc_auc_score(y, proba[:, 1]) if n_classes == 2
                    else roc_auc_score(y, proba, multi_class="ovr", labels=np.arange(n_classes)))
    assert get_metric("roc_auc", task).score(y, proba) == pytest.approx(expected_auc, abs=1e-12)
    expected_loss = log_loss(y, np.clip(proba, 1e-15, 1.0), labels=np.arange(n_classes))
    assert get_metric("log_loss", task).score(y, proba) == pytest.approx(expected_loss, rel=1e-12)
    labels = np.array([f"c{k}" for k in range(n_classes)])[y]  # not class codes: scikit-learn's own path
    if n_classes == 2:
        assert get_metric("roc_auc", task).score(labels, proba) == pytest.approx(expected_auc, abs=1e-12)
