"""Read search-space YAML files into typed ``Component`` records; a broken file is one sentence.

A component is one choice of one pipeline step (an imputer, an encoder, a scaler, a feature
preprocessor or a model family). Adding a model family is adding a YAML file: there is no
registry code. The format, with every key a file may use::

    name: lightgbm                  # unique across all steps
    step: model                     # imputer | encoder | scaler | preprocessor | model
    estimator:                      # import path, or one per kind of task, or null (passthrough)
      classifier: lightgbm.LGBMClassifier
      regressor: lightgbm.LGBMRegressor
    tasks: [binary, multiclass, regression]
    max_rows: 50000                 # optional: left out of the space on larger data
    min_features: 2                 # optional: left out of the space on narrower data
    initial_design: {rank: 1, with: {scaler: none}}   # optional: its defaults are tried first
    categorical_argument: cat_features  # optional, models only: the argument that names the categorical
                                    # columns; the model then gets them as integer codes (CatBoost)
    fit_cost: {scales_with: [n_estimators], per_class: true, doubles_every: {max_depth: 1.5},
               step_size: learning_rate}
                                    # optional, models only: fit time grows in proportion to these
                                    # hyperparameters (and to the classes), and doubles every 1.5 levels
                                    # of max_depth; a cut in the trees raises learning_rate in
                                    # proportion; target_encoded: {above: one_hot_max_size,
                                    # column_cost: 4}: a categorical column of more levels costs 4
                                    # plain columns per class: automl.search.cost
    fixed: {verbose: -1}            # arguments that are not searched
    key_hyperparameters: [learning_rate, num_leaves]  # optional: what the leaderboard shows first
    hyperparameters:
      learning_rate: {type: float, low: 0.005, high: 0.3, log: true, default: 0.1}
      num_leaves: {type: int, low: 4, high: "min(1024, fold_rows // 2)", log: true, default: 31}
      max_depth: {type: int, low: 2, high: 40, default: null, none_allowed: true}
      bootstrap: {type: bool, default: true}
      criterion: {type: categorical, choices: [gini, entropy], default: gini, tasks: [binary, multiclass]}
      score_func: {type: callable, module: sklearn.feature_selection, choices: [f_classif], default: f_classif}
      criterion_regression: {type: categorical, choices: [squared_error], default: squared_error,
                             tasks: [regression], param: criterion}   # param: the argument it sets
    conditions:                     # a child is active only when its parent takes one of the values
      - {child: rate_drop, parent: booster, values: [dart]}
    forbidden:                      # combinations that must never be sampled; keys are this
      - {score_func: chi2, scaler: [none, standard]}   # file's hyperparameters or step names
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from automl.errors import InputError
from automl.settings import TASKS

_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml's safe loader when present: 10x faster

STEPS = ("imputer", "encoder", "date_encoder", "text_encoder", "scaler", "preprocessor", "model")
HP_TYPES = ("float", "int", "categorical", "bool", "callable")
_TOP_KEYS = {"name", "step", "estimator", "tasks", "max_rows", "min_features", "initial_design", "fixed",
             "key_hyperparameters", "categorical_argument", "fit_cost",
             "hyperparameters", "conditions", "forbidden", "description"}
_HP_KEYS = {"type", "low", "high", "log", "default", "choices", "none_allowed", "tasks", "module", "param"}


@dataclass(frozen=True)
class Hyperparameter:
    name: str
    type: str
    default: Any
    low: Any = None
    high: Any = None
    log: bool = False
    choices: tuple = ()
    none_allowed: bool = False
    tasks: tuple[str, ...] = TASKS
    module: str | None = None
    param: str | None = None  # the estimator argument it sets, when it differs from the name

    @property
    def argument(self) -> str:
        return self.param or self.name


@dataclass(frozen=True)
class Component:
    name: str
    step: str
    estimator: dict[str, str | None]  # "classifier"/"regressor" -> import path (None: passthrough)
    tasks: tuple[str, ...]
    source: str
    fixed: dict[str, Any] = field(default_factory=dict)
    hyperparameters: tuple[Hyperparameter, ...] = ()
    conditions: tuple[dict, ...] = ()
    forbidden: tuple[dict, ...] = ()
    max_rows: int | None = None
    min_features: int | None = None
    initial_rank: int | None = None
    initial_with: dict[str, str] = field(default_factory=dict)
    key_hyperparameters: tuple[str, ...] = ()
    categorical_argument: str | None = None
    cost_scales_with: tuple[str, ...] = ()  # hyperparameters (or fixed arguments) fit time is proportional to
    cost_per_class: bool = False            # ... and to the number of classes beyond two (one tree per class)
    cost_doubles_every: dict[str, float] = field(default_factory=dict)  # ... and doubles every this much of these
    cost_step_size: str | None = None       # the boosting step a cut in rounds raises in proportion
    cost_target_encoded: tuple[str, float] | None = None  # (levels above which a categorical column is
    # target-encoded, what such a column costs in plain columns per class)

    def estimator_path(self, task: str) -> str | None:
        return self.estimator["regressor" if task == "regression" else "classifier"]


def builtin_dir() -> Path:
    """The folder of YAML files: installed as automl/search_spaces, or search_spaces/ in a checkout (CI tests
    the installed wheel from a copy without the checkout's folders, so a wheel without them fails)."""
    package = Path(__file__).resolve().parent.parent  # automl/
    installed = package / "search_spaces"
    return installed if installed.is_dir() else package.parent / "search_spaces"


def load_components(extra_dirs: tuple[str | Path, ...] = ()) -> dict[str, Component]:
    """All components of the built-in folder, then of each extra folder (same name replaces)."""
    components: dict[str, Component] = {}
    for folder in (builtin_dir(), *map(Path, extra_dirs)):
        if not folder.is_dir():
            raise InputError(f"Search-space folder {folder} does not exist.")
        files = sorted(folder.glob("*.yaml")) + sorted(folder.glob("*.yml"))
        if not files and folder != builtin_dir():
            raise InputError(f"Search-space folder {folder} holds no .yaml files.")
        for path in files:
            stat = path.stat()
            component = _parse_cached(path.resolve(), stat.st_mtime_ns, stat.st_size)
            components[component.name] = component
    return components


@functools.lru_cache(maxsize=256)
def _parse_cached(path: Path, mtime_ns: int, size: int) -> Component:
    """Parse each file once per version: repeated fits (cross-validation, tests) skip the YAML."""
    return parse_component(path)


def parse_component(path: Path) -> Component:
    """One YAML file to a Component; every problem names the file and the key."""
    try:
        raw = yaml.load(path.read_text(), Loader=_YAML_LOADER)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark else ""
        raise InputError(f"Search-space file {path} is not valid YAML{where}.") from None
    if not isinstance(raw, dict):
        raise InputError(f"Search-space file {path} must hold a mapping of keys such as name, step and estimator.")

    def fail(key: str, problem: str):
        raise InputError(f"Search-space file {path}, key {key!r}: {problem}.")

    for key in raw:
        if key not in _TOP_KEYS:
            fail(key, f"unknown key (allowed: {', '.join(sorted(_TOP_KEYS))})")
    for key in ("name", "step"):
        if not isinstance(raw.get(key), str):
            fail(key, "required, and must be a string")
    if raw["step"] not in STEPS:
        fail("step", f"must be one of {', '.join(STEPS)}")
    estimator = raw.get("estimator")
    if isinstance(estimator, str) or estimator is None:
        estimator = {"classifier": estimator, "regressor": estimator}
    elif isinstance(estimator, dict) and set(estimator) <= {"classifier", "regressor"}:
        estimator = {"classifier": estimator.get("classifier"), "regressor": estimator.get("regressor")}
    else:
        fail("estimator", "must be an import path, null, or a mapping with keys classifier and regressor")
    tasks = tuple(raw.get("tasks", TASKS))
    if not set(tasks) <= set(TASKS):
        fail("tasks", f"must be a list drawn from {', '.join(TASKS)}")
    for key in ("max_rows", "min_features"):
        if raw.get(key) is not None and (isinstance(raw[key], bool) or not isinstance(raw[key], int) or raw[key] < 1):
            fail(key, "must be a positive whole number")
    fixed = raw.get("fixed") or {}
    if not isinstance(fixed, dict):
        fail("fixed", "must be a mapping of argument names to values")
    hps = tuple(_parse_hyperparameter(name, spec, fail) for name, spec in (raw.get("hyperparameters") or {}).items())
    names = {hp.name for hp in hps}
    conditions = tuple(raw.get("conditions") or ())
    for cond in conditions:
        if not isinstance(cond, dict) or set(cond) != {"child", "parent", "values"}:
            fail("conditions", "each entry needs exactly child, parent and values")
        if cond["child"] not in names or cond["parent"] not in names:
            fail("conditions", f"{cond['child']!r} and {cond['parent']!r} must both be hyperparameters of this file")
    forbidden = tuple(raw.get("forbidden") or ())
    for clause in forbidden:
        if not isinstance(clause, dict) or not clause:
            fail("forbidden", "each entry must be a mapping of hyperparameter or step names to values")
        for key in clause:
            if key not in names and key not in STEPS:
                fail("forbidden", f"{key!r} is neither a hyperparameter of this file nor a step")
    key = tuple(raw.get("key_hyperparameters") or ())
    if any(name not in names for name in key):
        fail("key_hyperparameters", "must name hyperparameters of this file")
    categorical_argument = raw.get("categorical_argument")
    if categorical_argument is not None and (raw["step"] != "model" or not isinstance(categorical_argument, str)):
        fail("categorical_argument", "only a model may set it, to the name of one argument")
    fit_cost = raw.get("fit_cost") or {}
    if not isinstance(fit_cost, dict) or not set(fit_cost) <= {"scales_with", "per_class", "doubles_every", "step_size",
                                                               "target_encoded"}:
        fail("fit_cost", "must be a mapping with keys scales_with, per_class, doubles_every, step_size and target_encoded")
    scales_with = tuple(fit_cost.get("scales_with") or ())
    doubles_every = fit_cost.get("doubles_every") or {}
    if not isinstance(doubles_every, dict) or not all(
            isinstance(step, (int, float)) and not isinstance(step, bool) and step > 0 for step in doubles_every.values()):
        fail("fit_cost", "doubles_every must map hyperparameters to a positive step")
    if any(name not in names and name not in fixed for name in (*scales_with, *doubles_every)):
        fail("fit_cost", "scales_with and doubles_every must name hyperparameters or fixed arguments of this file")
    step_size = fit_cost.get("step_size")
    if step_size is not None and not any(h.name == step_size and h.type == "float" and isinstance(h.high, (int, float))
                                         for h in hps):
        fail("fit_cost", "step_size must name a float hyperparameter of this file with a numeric upper bound")
    encoded = fit_cost.get("target_encoded")
    if encoded is not None and not (
            isinstance(encoded, dict) and set(encoded) == {"above", "column_cost"}
            and (encoded["above"] in fixed or any(h.name == encoded["above"] and h.type == "int" for h in hps))
            and isinstance(encoded["column_cost"], (int, float)) and not isinstance(encoded["column_cost"], bool)
            and encoded["column_cost"] > 0):
        fail("fit_cost", "target_encoded must be {above: an int hyperparameter or fixed argument of this file, "
                         "column_cost: a positive number}")
    initial = raw.get("initial_design") or {}
    if not isinstance(initial, dict) or not set(initial) <= {"rank", "with"}:
        fail("initial_design", "must be a mapping with keys rank and with")
    return Component(
        name=raw["name"], step=raw["step"], estimator=estimator, tasks=tasks, source=str(path),
        fixed=dict(fixed), hyperparameters=hps, conditions=conditions, forbidden=forbidden,
        max_rows=raw.get("max_rows"), min_features=raw.get("min_features"), initial_rank=initial.get("rank"), initial_with=dict(initial.get("with") or {}), key_hyperparameters=key,
        categorical_argument=categorical_argument, cost_scales_with=scales_with,
        cost_per_class=bool(fit_cost.get("per_class", False)), cost_doubles_every=dict(doubles_every),
        cost_step_size=step_size,
        cost_target_encoded=None if encoded is None else (encoded["above"], float(encoded["column_cost"])),
    )


def _parse_hyperparameter(name: str, spec: Any, fail) -> Hyperparameter:
    key = f"hyperparameters.{name}"
    if not isinstance(spec, dict):
        fail(key, "must be a mapping with at least a type")
    unknown = set(spec) - _HP_KEYS
    if unknown:
        fail(key, f"unknown field {sorted(unknown)[0]!r} (allowed: {', '.join(sorted(_HP_KEYS))})")
    kind = spec.get("type")
    if kind not in HP_TYPES:
        fail(key, f"type must be one of {', '.join(HP_TYPES)}")
    if "default" not in spec:
        fail(key, "needs a default")
    if kind in ("float", "int"):
        if "low" not in spec or "high" not in spec:
            fail(key, "numeric hyperparameters need low and high")
    if kind in ("categorical", "callable"):
        choices = spec.get("choices")
        if not isinstance(choices, list) or not choices:
            fail(key, "needs a non-empty list of choices")
        if spec["default"] not in choices and not (spec["default"] is None and spec.get("none_allowed")):
            fail(key, f"default {spec['default']!r} is not among the choices")
    if kind == "callable" and not spec.get("module"):
        fail(key, "callable hyperparameters need the module their choices live in")
    if spec["default"] is None and not spec.get("none_allowed"):
        fail(key, "default is null but none_allowed is not set")
    return Hyperparameter(
        name=name, type=kind, default=spec["default"], low=spec.get("low"), high=spec.get("high"),
        log=bool(spec.get("log", False)), choices=tuple(spec.get("choices") or ()),
        none_allowed=bool(spec.get("none_allowed", False)), tasks=tuple(spec.get("tasks", TASKS)),
        module=spec.get("module"), param=spec.get("param"),
    )
