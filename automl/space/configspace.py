"""Build ONE conditional ConfigSpace for a task and dataset from the component YAML files.

Top-level choices (``imputer``, ``encoder``, ``scaler``, ``preprocessor``, ``model``) pick one
component per step; every hyperparameter of a component is active only under its component,
and a YAML ``conditions`` entry nests a child under another hyperparameter of the same file.
Bounds that depend on the data are resolved here from a ``DataShape``. The ConfigSpace types
stay inside this module and ``search.py``: elsewhere a configuration is a plain ``dict``.
"""

from __future__ import annotations

import logging
import math
import numbers
from typing import Any

from ConfigSpace import (
    Categorical,
    Configuration,
    ConfigurationSpace,
    EqualsCondition,
    Float,
    ForbiddenAndConjunction,
    ForbiddenEqualsClause,
    ForbiddenInClause,
    InCondition,
    Integer,
)
from ConfigSpace.hyperparameters import UniformIntegerHyperparameter

from automl.errors import InputError
from automl.space.bounds import DataShape, resolve
from automl.space.components import STEPS, Component, Hyperparameter, load_components
from automl.space.steps import StepSpec, import_object

logger = logging.getLogger(__name__)
WARM = "warm start: "  # how the origin of a warm-start configuration begins


class SearchSpace:
    """The ConfigSpace of one run together with the components it was built from."""

    def __init__(self, configspace: ConfigurationSpace, components: dict[str, Component], task: str):
        self.configspace = configspace
        self.components = components
        self.task = task
        self.steps = tuple(step for step in STEPS if step in configspace)

    def default_configs(self) -> list[dict[str, Any]]:
        """The space's default, then the defaults of each ranked model family, without repeats."""
        configs = [self._values_for({})]
        ranked = sorted((c for c in self.components.values() if c.step == "model" and c.initial_rank is not None),
                        key=lambda c: (c.initial_rank, c.name))
        for component in ranked:
            configs.append(self._values_for({"model": component.name, **component.initial_with}))
        unique: list[dict[str, Any]] = []
        for config in configs:
            if config not in unique:
                unique.append(config)
        return unique

    def initial_design(self, extra: tuple | list = ()) -> list[dict[str, Any]]:
        """The configurations evaluated first: ``extra`` (the user's) then the defaults.

        Each extra configuration must be a complete, valid configuration of this space, else one
        sentence says which and why.
        """
        return [config for config, _ in self.design_with_origins(extra)]

    def design_with_origins(self, extra: tuple | list = (), warm: tuple | list = ()) -> list[tuple[dict[str, Any], str]]:
        """The initial design with where each configuration came from: ``extra`` (checked), then
        ``warm``, (configuration, origin) pairs from other datasets adapted by ``project`` (those
        that cannot be are left out), then the defaults; without repeats."""
        checked = []
        for i, values in enumerate(extra):
            try:
                checked.append(plain(Configuration(self.configspace, values=dict(values))))
            except Exception as exc:  # ConfigSpace raises several types for an invalid configuration
                reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
                raise InputError(f"Initial configuration {i} does not fit the search space: {reason}.") from None
        projected = [(self.project(values), origin) for values, origin in warm]
        for (config, origin) in projected:
            if config is None:
                logger.info("Skipped %s: its family or a combination of it is not in this data's space.", origin)
        design: list[tuple[dict[str, Any], str]] = []
        for config, origin in ([(c, "initial design") for c in checked] + [p for p in projected if p[0] is not None]
                               + [(c, "initial design") for c in self.default_configs()]):
            same = next((i for i, (seen, _) in enumerate(design) if seen == config), None)
            if same is None:
                design.append((config, origin))
            elif origin.startswith(WARM) and design[same][1].startswith(WARM):  # two warm starts became one here
                design[same] = (config, f"{design[same][1]} + {origin[len(WARM):]}")
        return design

    def project(self, values: dict[str, Any]) -> dict[str, Any] | None:
        """Adapt a configuration from another dataset's space to this one, or None if it cannot be.

        Spaces differ by data: bounds follow the row and column counts, the encoder step exists
        only with categorical columns, some components leave large data. A step this space has
        but ``values`` lacks takes its default; a numeric value is clipped into this space's
        bounds; a value this space does not offer falls back to the default. A component that
        is not in this space (or a forbidden combination) makes the configuration unusable.
        """
        cs = self.configspace
        default = dict(cs.get_default_configuration())
        family = self.components.get(values.get("model"))
        preferred = family.initial_with if family is not None else {}  # e.g. scaling for a linear model
        picked = {}
        for step in self.steps:
            if step in values and values[step] not in cs[step].choices:
                return None
            fallback = preferred.get(step) if preferred.get(step) in cs[step].choices else default[step]
            picked[step] = values.get(step, fallback)
        merged: dict[str, Any] = dict(picked)
        for name in picked.values():
            merged.update(_component_defaults(cs, self.components[name], self.task))
        for key, value in values.items():
            if key in merged and key not in self.steps:
                merged[key] = _fit_value(cs[key], value, merged[key])
        try:
            return plain(Configuration(cs, values=_drop_inactive(cs, merged)))
        except Exception:  # a forbidden combination, or a value ConfigSpace still refuses
            return None

    def _values_for(self, choices: dict[str, str]) -> dict[str, Any]:
        default = dict(self.configspace.get_default_configuration())
        picked = {step: choices.get(step, default[step]) for step in self.steps}
        picked = {s: (v if v in self.configspace[s].choices else default[s]) for s, v in picked.items()}
        values = dict(picked)
        for name in picked.values():
            for key, value in default.items():
                if key.startswith(f"{name}:"):
                    values[key] = value
            values.update(_component_defaults(self.configspace, self.components[name], self.task))
        config = Configuration(self.configspace, values=_drop_inactive(self.configspace, values))
        return plain(config)

    def to_steps(self, config: dict[str, Any]) -> dict[str, StepSpec]:
        """Turn a configuration into the typed arguments of each step (config_to_params)."""
        steps = {}
        for step in self.steps:
            component = self.components[config[step]]
            params = dict(component.fixed)
            for hp in component.hyperparameters:
                key = f"{component.name}:{hp.name}"
                if hp.none_allowed and config.get(f"{key}:none") is True:
                    params[hp.argument] = None
                elif key in config:
                    params[hp.argument] = _typed(hp, config[key])
            steps[step] = StepSpec(component.name, component.estimator_path(self.task), params,
                                   component.categorical_argument)
        return steps

    def describe(self) -> dict[str, Any]:
        """The space as plain data (ConfigSpace's serialization and each component's estimator and fixed
        arguments): what a run directory records, and what resuming compares."""
        components = {name: {"estimator": c.estimator_path(self.task), "fixed": c.fixed,
                             **({"categorical_argument": c.categorical_argument} if c.categorical_argument else {})}
                      for name, c in sorted(self.components.items())}
        key = {name: list(c.key_hyperparameters) for name, c in sorted(self.components.items()) if c.key_hyperparameters}
        return {"task": self.task, "configspace": self.configspace.to_serialized_dict(), "components": components,
                "key_hyperparameters": key}

    def sample(self, n: int, seed: int) -> list[dict[str, Any]]:
        """n random configurations (random search, tests)."""
        self.configspace.seed(seed)
        if n == 1:
            return [plain(self.configspace.sample_configuration())]
        return [plain(c) for c in self.configspace.sample_configuration(n)]


def build_space(task: str, shape: DataShape, *, has_categorical: bool, include: tuple[str, ...] = (),
                exclude: tuple[str, ...] = (), extra_dirs: tuple = (), weighted: bool = False,
                has_dates: bool = False, has_text: bool = False) -> SearchSpace:
    """Load the YAML components, keep those that serve this task and data, and build the space.
    ``weighted``: the rows carry sample weights, so only model families whose fit takes them. The
    encoder steps exist only for data with such columns (categorical, dates, text)."""
    components = load_components(tuple(extra_dirs))
    _check_names(include, components, "include")
    _check_names(exclude, components, "exclude")
    by_step: dict[str, list[Component]] = {}
    for step in STEPS:
        if not {"encoder": has_categorical, "date_encoder": has_dates, "text_encoder": has_text}.get(step, True):
            continue
        candidates = [c for c in components.values() if c.step == step]
        included = [c for c in candidates if c.name in include]
        chosen = included or candidates
        chosen = [c for c in chosen if c.name not in exclude and task in c.tasks
                  and (c.max_rows is None or shape.n_rows <= c.max_rows)
                  and (c.min_features is None or shape.n_features >= c.min_features)]
        if weighted and step == "model":
            unweighted = [c.name for c in chosen if not _takes_weights(c, task)]
            if unweighted:
                logger.info("Left out of the space (their fit takes no sample weights): %s.", ", ".join(unweighted))
            chosen = [c for c in chosen if c.name not in unweighted]
            if not chosen:
                raise InputError(f"No model family left takes sample weights (left out: {', '.join(unweighted)}); "
                                 "include one that does, or fit without weights.")
        if not chosen:
            raise InputError(f"No {step} component is left for a {task} task on {shape.n_rows} rows after include/exclude.")
        by_step[step] = sorted(chosen, key=lambda c: (c.initial_rank if c.initial_rank is not None else math.inf, c.name))

    cs = ConfigurationSpace()
    for step, chosen in by_step.items():
        choice = Categorical(step, [c.name for c in chosen], default=chosen[0].name)
        cs.add(choice)
        for component in chosen:
            _add_component(cs, choice, component, task, shape)
    kept = {c.name: c for chosen in by_step.values() for c in chosen}
    for component in kept.values():
        for clause in component.forbidden:
            forbidden = _forbidden(cs, component, clause)
            if forbidden is not None:
                cs.add(forbidden)
    return SearchSpace(cs, kept, task)


def plain(config: Configuration | dict) -> dict[str, Any]:
    """A configuration as a dict of Python scalars (ConfigSpace hands out numpy types)."""
    return {k: (v.item() if hasattr(v, "item") else v) for k, v in dict(config).items()}


def to_configuration(space: SearchSpace, values: dict[str, Any]) -> Configuration:
    return Configuration(space.configspace, values=values)


def _check_names(names: tuple[str, ...], components: dict[str, Component], option: str) -> None:
    unknown = [n for n in names if n not in components]
    if unknown:
        raise InputError(f"Unknown component {unknown[0]!r} in {option}; known names are {', '.join(sorted(components))}.")


def _add_component(cs: ConfigurationSpace, choice: Categorical, component: Component, task: str, shape: DataShape) -> None:
    entries = {}  # hyperparameter name -> the ConfigSpace object its condition hangs on
    for hp in component.hyperparameters:
        if task not in hp.tasks:
            continue
        key = f"{component.name}:{hp.name}"
        try:
            value_hp = _make_hyperparameter(key, hp, shape)
        except ValueError as exc:
            raise InputError(f"Search-space file {component.source}, key 'hyperparameters.{hp.name}': {exc}.") from None
        if hp.none_allowed:
            switch = Categorical(f"{key}:none", [True, False], default=hp.default is None)
            cs.add([switch, value_hp, EqualsCondition(value_hp, switch, False)])
            entries[hp.name] = (switch, value_hp)
        else:
            cs.add(value_hp)
            entries[hp.name] = (value_hp, value_hp)
    children = {cond["child"]: cond for cond in component.conditions if cond["child"] in entries and cond["parent"] in entries}
    for name, (entry, _) in entries.items():
        cond = children.get(name)
        if cond is None:
            cs.add(EqualsCondition(entry, choice, component.name))
            continue
        parent = entries[cond["parent"]][1]
        values = [v for v in cond["values"] if v in parent.choices]
        cs.add(InCondition(entry, parent, values) if len(values) > 1 else EqualsCondition(entry, parent, values[0]))


def _make_hyperparameter(key: str, hp: Hyperparameter, shape: DataShape):
    if hp.type in ("categorical", "callable"):
        return Categorical(key, list(hp.choices), default=hp.choices[0] if hp.default is None else hp.default)
    if hp.type == "bool":
        return Categorical(key, [True, False], default=bool(hp.default))
    low, high = resolve(hp.low, shape), resolve(hp.high, shape)
    if hp.type == "int":
        low, high = int(low), int(high)
        high = max(high, low + 1)
    else:
        low, high = float(low), float(high)
        high = max(high, low * 1.001 if low > 0 else low + 1e-6)
    default = resolve(hp.default, shape) if hp.default is not None else None
    if default is None:  # none_allowed: the value used when "none" is switched off
        default = math.sqrt(low * high) if hp.log else (low + high) / 2
    default = min(max(default, low), high)
    if hp.type == "int":
        return Integer(key, (low, high), log=hp.log, default=int(round(default)))
    return Float(key, (low, high), log=hp.log, default=float(default))


def _component_defaults(cs: ConfigurationSpace, component: Component, task: str) -> dict[str, Any]:
    values = {}
    for hp in component.hyperparameters:
        key = f"{component.name}:{hp.name}"
        if key in cs:
            values[key] = cs[key].default_value
        if f"{key}:none" in cs:
            values[f"{key}:none"] = cs[f"{key}:none"].default_value
    return values


def _fit_value(hp, value: Any, default: Any) -> Any:
    """``value`` made valid for ``hp``: clipped into a numeric range, else ``default``."""
    if hasattr(hp, "choices"):
        return value if value in hp.choices else default
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or value != value:
        return default
    value = min(max(value, hp.lower), hp.upper)
    return int(round(value)) if isinstance(hp, UniformIntegerHyperparameter) else float(value)


def _drop_inactive(cs: ConfigurationSpace, values: dict[str, Any]) -> dict[str, Any]:
    """Keep only the values whose conditions hold, walking parents before children."""
    active: dict[str, Any] = {}
    for name in cs.keys():  # ConfigSpace keeps hyperparameters in topological order
        if name not in values:
            continue
        parents = cs.parent_conditions_of[name]
        if all(_holds(cond, active) for cond in parents):
            active[name] = values[name]
    return active


def _holds(condition, active: dict[str, Any]) -> bool:
    parent = condition.parent.name
    if parent not in active:
        return False
    if isinstance(condition, InCondition):
        return active[parent] in condition.values
    return active[parent] == condition.value


def _forbidden(cs: ConfigurationSpace, component: Component, clause: dict):
    parts = []
    for key, value in clause.items():
        name = key if key in STEPS else f"{component.name}:{key}"
        if name not in cs:
            return None  # the step or hyperparameter is not in this space: the clause cannot trigger
        hp = cs[name]
        wanted = value if isinstance(value, list) else [value]
        wanted = [v for v in wanted if v in hp.choices]
        if not wanted:
            return None
        parts.append(ForbiddenInClause(hp, wanted) if len(wanted) > 1 else ForbiddenEqualsClause(hp, wanted[0]))
    return parts[0] if len(parts) == 1 else ForbiddenAndConjunction(*parts)


def _typed(hp: Hyperparameter, value: Any) -> Any:
    if hp.type == "int":
        return int(value)
    if hp.type == "float":
        return float(value)
    if hp.type == "bool":
        return bool(value)
    if hp.type == "callable":
        return import_object(f"{hp.module}.{value}")
    return value


def _takes_weights(component: Component, task: str) -> bool:
    """Whether the family's estimator accepts ``sample_weight`` in ``fit``."""
    from sklearn.utils.validation import has_fit_parameter

    path = component.estimator_path(task)
    return path is not None and has_fit_parameter(import_object(path), "sample_weight")
