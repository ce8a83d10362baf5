"""``python -m automl.cli``: the same as the ``automl`` command."""

from automl.cli.main import main

main()
