import pytest

from automl.errors import InputError
from automl.space.bounds import DataShape
from automl.space.components import STEPS, builtin_dir, load_components
from automl.space.configspace import build_space
from tests.conftest import COMPONENTS

SHAPE = DataShape(n_rows=1000, fold_rows=800, n_features=10, n_classes=2)


def test_every_builtin_yaml_parses_and_names_are_unique():
    files = sorted(builtin_dir().glob("*.yaml"))
    components = load_components()
    assert len(components) == len(files) >= 19
    assert {c.step for c in components.values()} == set(STEPS)


def test_user_folder_adds_a_family():
    space = build_space("binary", SHAPE, has_categorical=False, extra_dirs=(COMPONENTS / "sleep",))
    assert "sleep_model" in space.configspace["model"].choices
    assert space.default_configs()[0]["model"] == "sleep_model"  # rank 0 comes first


@pytest.mark.parametrize("text, message", [
    ("name: x\nstep: model\nestimator: a.B\nhyperparameters:\n  lr: {type: float, low: 1, default: 1}\n",
     r"key 'hyperparameters.lr': numeric hyperparameters need low and high"),
    ("name: x\nstep: modle\nestimator: a.B\n", r"key 'step': must be one of"),
    ("name: x\nstep: model\nestimator: a.B\nhyperparameters:\n  k: {type: categorical, choices: [a], default: b}\n",
     r"key 'hyperparameters.k': default 'b' is not among the choices"),
    ("name: x\nstep: model\nestimator: a.B\ncolor: red\n", r"key 'color': unknown key"),
    ("name: [x\n", r"is not valid YAML at line"),
    ("name: x\nstep: model\nestimator: a.B\nfit_cost: {scales_with: [trees]}\n",
     r"key 'fit_cost': scales_with and doubles_every must name hyperparameters or fixed arguments"),
    ("name: x\nstep: model\nestimator: a.B\nfixed: {depth: 3}\nfit_cost: {doubles_every: {depth: 0}}\n",
     r"key 'fit_cost': doubles_every must map hyperparameters to a positive step"),
    ("name: x\nstep: model\nestimator: a.B\nfixed: {rate: 0.1}\nfit_cost: {step_size: rate}\n",
     r"key 'fit_cost': step_size must name a float hyperparameter of this file"),
    ("name: x\nstep: model\nestimator: a.B\nhyperparameters:\n  rate: {type: float, low: 0.1, high: 'max(1, fold_rows)', default: 0.1}\n"
     "fit_cost: {step_size: rate}\n", r"key 'fit_cost': step_size must name a float hyperparameter .* numeric upper bound"),
    ("name: x\nstep: model\nestimator: a.B\nhyperparameters:\n  size: {type: int, low: 2, high: 9, default: 2}\n"
     "fit_cost: {target_encoded: {above: levels, column_cost: 4}}\n",
     r"key 'fit_cost': target_encoded must be \{above: an int hyperparameter"),
    ("name: x\nstep: model\nestimator: a.B\nhyperparameters:\n  size: {type: int, low: 2, high: 9, default: 2}\n"
     "fit_cost: {target_encoded: {above: size, column_cost: -1}}\n", r"key 'fit_cost': target_encoded must be"),
    ("name: x\nstep: scaler\nestimator: a.B\ncategorical_argument: cat_features\n",
     r"key 'categorical_argument': only a model may set it"),
])
def test_broken_user_yaml_names_file_and_key(tmp_path, text, message):
    (tmp_path / "broken.yaml").write_text(text)
    with pytest.raises(InputError, match=message) as info:
        build_space("binary", SHAPE, has_categorical=False, extra_dirs=(tmp_path,))
    assert "broken.yaml" in str(info.value)


def test_a_bad_min_features_names_the_file_and_key(tmp_path):
    (tmp_path / "mine.yaml").write_text("name: mine\nstep: model\nestimator: a.B\nmin_features: two\n")
    with pytest.raises(InputError, match="mine.yaml, key 'min_features': must be a positive whole number"):
        load_components((tmp_path,))
