"""Random search over the same space, after the same initial design: the ablation baseline."""

from __future__ import annotations

from automl.records import TrialRecord, config_key
from automl.space.configspace import SearchSpace


class RandomProposer:
    """Random search over the same space, after the same initial design: the ablation baseline."""

    ask_ahead = True

    def __init__(self, space: SearchSpace, seed: int, initial: list[dict]):
        self._queue = list(initial)
        self.origins: dict[tuple, str] = {}
        self._space = space
        self._rng_seed = seed
        self._drawn = 0
        self._seen: set[tuple] = set()

    def ask(self) -> tuple[dict, str, float]:
        if self._queue:
            config = self._queue.pop(0)
            return config, self.origins.get(config_key(config), "initial design"), 1.0
        for _ in range(1000):  # a small discrete space may repeat itself: never evaluate twice
            self._drawn += 1
            config = self._space.sample(1, seed=self._rng_seed * 100_003 + self._drawn)[0]
            if config_key(config) not in self._seen:
                self._seen.add(config_key(config))
                return config, "random", 1.0
        raise StopIteration

    def adopt(self, config: dict, fraction: float) -> bool:
        """Whether a configuration not asked for (a too-slow one, shrunk) may run: unless seen before."""
        if config_key(config) in self._seen:
            return False
        self._seen.add(config_key(config))
        return True

    def tell(self, record: TrialRecord, worst: float) -> None:
        self._seen.add(config_key(record.config))

    def replay(self, history: list[TrialRecord], failure_loss: float) -> None:
        self._seen.update(config_key(t.config) for t in history)
        self._drawn = len(history)  # draw on from there rather than re-drawing what was evaluated
