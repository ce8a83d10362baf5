"""The CASH search: ask a proposer for configurations, run them as trials, tell it the losses,
within the budget.

    loop.py              ``run_search``: the sequential and the parallel ask/tell loops
    protocols.py         what the loop runs trials on: one at a time (``Trials``) or a pool (``TrialPool``)
    cost.py              each configuration's predicted seconds, and how to shrink one that would not fit
    result.py            ``SearchResult`` and which out-of-fold predictions are kept
    smac_proposer.py     SMAC's random-forest SMBO (and successive halving over data fractions)
    random_proposer.py   random search over the same space: the ablation baseline
    interrupt.py         a first Ctrl-C stops the search cleanly
    design.py            the initial design: the user's configurations and the warm start

Only this package (and ``automl.space.configspace``) imports SMAC.
"""
