"""Stop a boosted model's or a forest's fit between its rounds when the trial is on course to pass its limit.

A trial validated on one fold (a holdout: the large tables) has no second fold to learn its pace
from: it ran to its limit and was killed there, a quarter of a 60 s budget gone. LightGBM,
XGBoost and CatBoost call back after every round; scikit-learn's forests are grown in FOREST_CHUNKS
chunks of trees (``warm_start``: the same trees as one fit); its perceptrons are told after every epoch
(the hook that counts epochs without improvement). From the pace of the rounds so far (after
the first, which carries the binning and the set-up) ``RoundClock`` projects the fold's end and raises
``OnCourseOver`` as soon as the trial is heading past its limit (from its first few rounds, only when
heading far past it). Other models run as before.
"""

from __future__ import annotations

import time
from contextlib import contextmanager
from dataclasses import dataclass

from sklearn.ensemble import ExtraTreesClassifier, ExtraTreesRegressor, RandomForestClassifier, RandomForestRegressor
from sklearn.neural_network import MLPClassifier, MLPRegressor

FORESTS = (RandomForestClassifier, RandomForestRegressor, ExtraTreesClassifier, ExtraTreesRegressor)
PERCEPTRONS = (MLPClassifier, MLPRegressor)

MIN_SHARE = 0.05   # rounds done before a projection is trusted (a share of them, and at least ...)
MIN_ROUNDS = 3     # ... this many after the first)
STOP_MARGIN = 1.1  # a trial stops when heading past this multiple of its limit ...
FAR_MARGIN = 3.0   # ... and, after MIN_ROUNDS alone (before MIN_SHARE of them), past this multiple (a CatBoost
# at 0.4 s an iteration, on course for 125 s against a 15 s limit, ran 6.8 s before MIN_SHARE of its 300 were done)
DART_GROWTH = 1.5   # XGBoost's dart rounds: time grows as rounds to this power (RoundClock)
FOREST_CHUNKS = 20  # a forest is grown in this many chunks of its trees (after its first few), told to the clock
MIN_SPENT = 0.2    # ... once it has spent this share of it: a first fold carries first-call costs that
# fifteen folds multiply (under load, a 15-fold logistic regression whose first fold took 0.18 s headed for
# 2.7 s against its 2 s limit; it would have finished)


def on_course_past(limit_s: float | None, spent_s: float, heading_s: float) -> float | None:
    """``heading_s`` when a trial that has spent ``spent_s`` seconds is on course to pass its limit, else None."""
    if limit_s is None or spent_s < MIN_SPENT * limit_s or heading_s <= STOP_MARGIN * limit_s:
        return None
    return heading_s


class OnCourseOver(Exception):
    """The trial's rounds so far put it on course for ``heading_s`` seconds, past its limit."""

    def __init__(self, heading_s: float):
        super().__init__(f"on course for {heading_s:.1f} s")
        self.heading_s = heading_s


@dataclass(frozen=True)
class TrialPace:
    """Where a fold's fit stands in its trial: the trial's ``limit_s``, the seconds its earlier folds
    took, and the folds left (this one included), each as long as this one."""

    limit_s: float
    before_s: float
    folds_left: int

    def past(self, fold_spent_s: float, fold_heading_s: float) -> float | None:
        """The trial's projected seconds when on course to pass its limit (``on_course_past``), else None."""
        return on_course_past(self.limit_s, self.before_s + fold_spent_s,
                              self.before_s + fold_heading_s * self.folds_left)


class RoundClock:
    """Told each finished round (``tick(done)``) of a fit of ``rounds`` rounds started at ``started``
    (``time.perf_counter()``); raises ``OnCourseOver`` when the ``pace`` says the trial would pass its limit.
    The time of the first k rounds grows as k to the power ``growth``: 1, or more where each round costs
    more than the last (XGBoost's dart predicts with all its trees each round: 50, 100 and 200 rounds took
    1.9, 4.9 and 14.8 s on 2,000 x 60, 3 classes, about rounds^1.5; projected linearly, a dart model on a
    2,100-row, 3-class holdout ran into its 15 s limit)."""

    def __init__(self, rounds: int, pace: TrialPace, started: float, growth: float = 1.0, min_share: float = MIN_SHARE):
        self.rounds, self.pace, self.started, self.growth = max(int(rounds), 1), pace, started, growth
        self.min_share = min_share
        self.first: tuple[int, float] | None = None  # (rounds done, when) at the first call: set-up behind

    def tick(self, done: int) -> None:
        now = time.perf_counter()
        if self.first is None:
            self.first = (done, now)
            return
        first_done, first_at = self.first
        if done - first_done < MIN_ROUNDS or done >= self.rounds:
            return
        g = self.growth
        fold_s = (first_at - self.started) + (now - first_at) * (self.rounds ** g - first_done ** g) / (done ** g - first_done ** g)
        heading = self.pace.past(now - self.started, fold_s)
        few = done - first_done < self.min_share * self.rounds  # a projection from a few rounds: only when far past
        if heading is not None and (not few or heading > FAR_MARGIN * self.pace.limit_s):
            raise OnCourseOver(heading)

    def at_least(self, done: int, more: int) -> None:
        """Told that a fit which has done ``done`` rounds will do at least ``more`` others: raises ``OnCourseOver``
        when those alone, at the pace of the rounds since the first (MIN_ROUNDS of them at least), put the
        trial past its limit. A lower bound, so the usual margin applies however few rounds told it."""
        if self.first is None or done - self.first[0] < MIN_ROUNDS or more <= 0:
            return
        now = time.perf_counter()
        first_done, first_at = self.first
        fold_s = (now - self.started) + more * (now - first_at) / (done - first_done)
        heading = self.pace.past(now - self.started, fold_s)
        if heading is not None:
            raise OnCourseOver(heading)


@contextmanager
def rounds_watched(model, fit_params: dict, pace: TrialPace | None):
    """Within the block, ``fit_params`` (the pipeline's) make ``model`` (its last step) report its rounds to
    a ``RoundClock``, which raises ``OnCourseOver`` out of the fit; nothing changes for a model that does
    not boost, or without a ``pace``. The model keeps no trace of it after the block (it may be saved)."""
    library = type(model).__module__.split(".")[0]
    forest = isinstance(model, FORESTS)
    if pace is not None and isinstance(model, PERCEPTRONS) and model.get_params()["solver"] != "lbfgs":
        with _epochs_watched(model, pace):
            yield fit_params
        return
    if pace is None or not (forest or library in ("lightgbm", "xgboost", "catboost")):
        yield fit_params
        return
    params = model.get_params()
    clock = RoundClock(params.get("n_estimators") or params.get("iterations") or 100, pace, time.perf_counter(),
                       growth=DART_GROWTH if library == "xgboost" and params.get("booster") == "dart" else 1.0,
                       min_share=0.0 if forest else MIN_SHARE)  # a forest's trees take alike: three of them tell
    if forest:
        model.fit = _forest_in_chunks(model, clock)  # the pipeline calls its last step's fit: this one
        try:
            yield fit_params
        finally:
            del model.fit
    elif library == "lightgbm":
        yield {**fit_params, "model__callbacks": [lambda env: clock.tick(env.iteration - env.begin_iteration + 1)]}
    elif library == "catboost":
        watcher = _CatBoostRounds(clock)
        yield {**fit_params, "model__callbacks": [watcher]}
        if watcher.stopped is not None:  # CatBoost cannot carry an exception out of its C++ loop: it stops, then we raise
            raise watcher.stopped
    else:
        model.set_params(callbacks=[_xgboost_rounds(clock)])
        try:
            yield fit_params
        finally:
            model.set_params(callbacks=None)


class _CatBoostRounds:
    """CatBoost's callback: ``after_iteration`` returns False to stop."""

    def __init__(self, clock: RoundClock):
        self.clock, self.stopped = clock, None

    def after_iteration(self, info) -> bool:
        try:
            self.clock.tick(info.iteration)
        except OnCourseOver as over:
            self.stopped = over
            return False
        return True


def _xgboost_rounds(clock: RoundClock):
    from xgboost.callback import TrainingCallback

    class XGBoostRounds(TrainingCallback):
        def after_iteration(self, model, epoch: int, evals_log) -> bool:
            clock.tick(epoch + 1)  # raises out of xgboost.train's loop
            return False

    return XGBoostRounds()


def _forest_in_chunks(model, clock: RoundClock):
    """``model.fit`` growing the forest a tree, two, four and eight trees, then FOREST_CHUNKS chunks at a time
    (``warm_start`` draws each new tree's seed as one fit would: the same forest), telling ``clock`` the trees
    done after each chunk, and 0 as it starts (the steps before it are the set-up: with the first chunk of
    a twentieth as the set-up, 400 trees on an 8,190 x 1,502 table had run twice their 6 s limit)."""
    fit, trees, warm = type(model).fit, model.get_params()["n_estimators"], model.get_params()["warm_start"]
    chunks = {1, 2, 4, 8} | {max(1, round(trees * k / FOREST_CHUNKS)) for k in range(1, FOREST_CHUNKS + 1)}

    def chunked(X, y, sample_weight=None):
        model.set_params(warm_start=True)
        clock.tick(0)
        try:
            for done in sorted(n for n in chunks if n <= trees):
                fit(model.set_params(n_estimators=done), X, y, sample_weight=sample_weight)
                clock.tick(done)
        finally:
            model.set_params(warm_start=warm, n_estimators=trees)
        return model

    return chunked


@contextmanager
def _epochs_watched(model, pace: TrialPace):
    """A perceptron tells a clock its epochs through the hook scikit-learn calls after each of them. Its
    ``max_iter`` is where it stops at the latest (it stops once its loss no longer improves, mostly long
    before): projected to it, the clock stops the fit only when heading far past the limit. Where it stops
    at the earliest is known too: only after ``n_iter_no_change`` + 1 epochs in a row without improvement,
    so the epochs it still needs for that alone stop it at the usual margin (a 476-unit perceptron on
    budget_food, 0.3 s an epoch and 27 epochs to wait, ran into its 15 s limit before)."""
    params = model.get_params()
    clock = RoundClock(params["max_iter"], pace, time.perf_counter(), min_share=1.0)
    hook = model._update_no_improvement_count

    def counted(*args, **kwargs):
        clock.tick(model.n_iter_)
        result = hook(*args, **kwargs)
        waiting = params["n_iter_no_change"] + 1 - model._no_improvement_count
        clock.at_least(model.n_iter_, min(params["max_iter"] - model.n_iter_, waiting))
        return result

    model._update_no_improvement_count = counted
    try:
        yield
    finally:
        del model._update_no_improvement_count
