"""The CASH search: ask a proposer for configurations, run them as trials, tell it the losses,
within the budget.

    loop.py              ``run_search``: the sequential and the parallel ask/tell loops
    result.py            ``SearchResult`` and which out-of-fold predictions are kept
    smac_proposer.py     SMAC's random-forest SMBO (and successive halving over data fractions)
    random_proposer.py   random search over the same space: the ablation baseline
    interrupt.py         a first Ctrl-C stops the search cleanly
    design.py            the initial design: the user's configurations and the warm start

Only this package (and ``automl.space.configspace``) imports SMAC.
"""
