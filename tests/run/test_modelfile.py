import fractions

import numpy as np
import pandas as pd
import pytest
import skops.io as sio

from automl import AutoClassifier, AutoRegressor, load_model, save_model
from automl.data import infer_schema, prepare_features
from automl.errors import InputError
from automl.files import TRUSTED_TYPES
from automl.space.bounds import DataShape
from automl.space.configspace import build_space
from automl.space.pipeline import build_pipeline


def test_round_trip_keeps_predictions(tmp_path, mixed_frame):
    X, y = mixed_frame
    model = AutoClassifier(time_budget=None, max_trials=2, include=("lightgbm", "xgboost")).fit(X, y)
    path = save_model(model, tmp_path / "m.skops")
    loaded = load_model(path)
    np.testing.assert_allclose(loaded.predict_proba(X), model.predict_proba(X))
    assert list(loaded.classes_) == ["no", "yes"] and loaded.metric_ == "roc_auc"
    assert loaded.final_model_ == model.final_model_ and loaded.estimated_score_ == model.estimated_score_


@pytest.mark.parametrize("task", ["binary", "regression"])
@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")  # a sampled MLP; only its types matter
def test_every_family_saves_with_only_trusted_types(task):
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"a": rng.normal(size=80), "c": rng.choice(["u", "v", "w"], size=80)})
    y = (frame["a"] > 0).astype(int).to_numpy() if task == "binary" else frame["a"].to_numpy()
    schema = infer_schema(frame)
    X = prepare_features(frame, schema)
    space = build_space(task, DataShape(80, 64, 2, 2), has_categorical=True, exclude=("nystroem",))  # slow, no new types
    configs = space.default_configs()
    for name in space.configspace["model"].choices:  # at least one configuration of each family
        configs.append(next(c for c in space.sample(300, seed=1) if c["model"] == name))
    for config in configs:
        pipeline = build_pipeline(space.to_steps(config), schema, seed=0).fit(X, y)
        untrusted = set(sio.get_untrusted_types(data=sio.dumps(pipeline)))
        assert untrusted <= TRUSTED_TYPES, (config["model"], untrusted - TRUSTED_TYPES)


def test_untrusted_types_are_refused(tmp_path):
    path = tmp_path / "evil.skops"
    sio.dump({"kind": "AutoClassifier", "payload": fractions.Fraction(1, 3)}, path)
    with pytest.raises(InputError, match="Refusing to load .*untrusted type fractions.Fraction"):
        load_model(path)


def test_a_skops_file_of_another_origin_is_refused(tmp_path):
    path = tmp_path / "other.skops"
    sio.dump({"hello": 1}, path)
    with pytest.raises(InputError, match="is not a model file written by automl"):
        load_model(path)


def test_version_drift_warns_in_one_sentence(tmp_path, caplog, monkeypatch):
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"a": rng.normal(size=40)})
    model = AutoRegressor(time_budget=None, max_trials=1, include=("ridge",)).fit(X, X["a"])
    monkeypatch.setattr("automl.run.modelfile.library_versions", lambda: {"automl": "0.0.1", "scikit-learn": "1.0.0"})
    path = save_model(model, tmp_path / "old.skops")
    monkeypatch.undo()
    load_model(path)
    assert "was written with automl 0.0.1" in caplog.text


def test_the_file_is_stamped_with_versions_and_typed_columns(tmp_path, mixed_frame):
    X, y = mixed_frame
    model = AutoClassifier(time_budget=None, max_trials=1, include=("logistic_regression",)).fit(X, y)
    path = save_model(model, tmp_path / "m.skops")
    payload = sio.load(path, trusted=sio.get_untrusted_types(file=path))
    assert set(payload["versions"]) == {"automl", "scikit-learn", "lightgbm", "xgboost", "catboost", "skrub", "numpy"}
    assert payload["columns"] == {"x1": "numeric", "x2": "numeric", "colour": "categorical"}


def test_a_file_that_is_not_a_skops_file_is_refused(tmp_path):
    path = tmp_path / "notes.skops"
    path.write_text("name,value\na,1\n")
    with pytest.raises(InputError, match=r"^.*notes.skops is not a model file written by automl\.$"):
        load_model(path)
