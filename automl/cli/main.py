"""The ``automl`` command line. User-facing output lives in this package and only here.

Each command group is a module of its own (fit, model, runs, bench, metabase); this one only
assembles them. Nothing heavy is imported until a command runs: ``automl --help`` loads click alone.
"""

from __future__ import annotations

import click

from automl.cli.bench import bench
from automl.cli.common import AutomlGroup
from automl.cli.fit import fit
from automl.cli.metabase import metabase
from automl.cli.model import explain, export, predict
from automl.cli.runs import leaderboard_command, report


@click.group(cls=AutomlGroup)
@click.version_option(package_name="automl")
def main() -> None:
    """AutoML for tabular data: a CASH search over scikit-learn, LightGBM and XGBoost pipelines."""




for command in (fit, predict, explain, export, report, leaderboard_command, bench, metabase):
    main.add_command(command)

if __name__ == "__main__":
    main()
