"""The search space: YAML components, data-dependent bounds, the ConfigSpace built from them, and
the pipelines a configuration stands for.

    components.py   one YAML file per component, parsed and checked (``search_spaces/``)
    bounds.py       bounds written as expressions of the data's shape, resolved safely
    configspace.py  ``SearchSpace``: the conditional ConfigSpace, its defaults, samples and designs
    steps.py        ``StepSpec``: a configuration as typed pipeline steps (no ConfigSpace)
    pipeline.py     a scikit-learn Pipeline built from those steps
    memory.py       the memory a configuration's trial will need, estimated before it runs

Only ``configspace.py`` imports ConfigSpace; trial processes import ``steps`` and ``pipeline``.
"""
