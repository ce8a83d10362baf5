"""``automl metabase build`` and ``automl metabase add``: the command line of the meta-learning base."""

from __future__ import annotations

from pathlib import Path

import click

from automl.cli.common import names, setup_logging
from automl.errors import InputError


@click.group()
def metabase() -> None:
    """Build a metabase from a manifest of datasets, or add your own runs to the one warm starts read."""


@metabase.command()
@click.argument("manifest", type=click.Path(path_type=Path))
@click.option("--out", type=click.Path(path_type=Path), required=True,
              help="Folder of the build: metabase.json.gz, the pools and every run (kept to resume).")
@click.option("--only", multiple=True, help="Dataset name(s) to evaluate now (repeat, or comma-separate); "
              "the pools are built from the whole manifest.")
@click.option("--limit-minutes", type=click.FloatRange(min=0, min_open=True),
              help="Stop after this many minutes (a dataset in progress is cut); the next build goes on from there.")
@click.option("--max-rows", type=click.IntRange(min=50), default=2000, show_default=True,
              help="Larger datasets are subsampled to this many rows (stratified, seed 0).")
@click.option("--random-configs", type=click.IntRange(min=0), default=8, show_default=True,
              help="Random configurations in each pool, beside the defaults.")
@click.option("--smac-datasets", type=click.IntRange(min=0), default=4, show_default=True,
              help="Datasets per kind of task whose short SMAC run gives the pool its two best configurations.")
@click.option("--smac-trials", type=click.IntRange(min=1), default=30, show_default=True,
              help="Trials of each short SMAC run.")
@click.option("--trial-time-limit", type=click.FloatRange(min=0, min_open=True), default=30.0, show_default=True,
              help="Seconds one evaluation may take.")
def build(manifest, out, only, limit_minutes, max_rows, random_configs, smac_datasets, smac_trials, trial_time_limit):
    """Evaluate one pool of configurations on every dataset of MANIFEST and write OUT/metabase.json.gz.

    Resumable: finished datasets are kept and an interrupted one continues.
    """
    from automl.files import check_output_folder
    from automl.metalearning.build import BuildOptions, build_metabase

    setup_logging(False)
    check_output_folder(out, what="metabase build folder")
    chosen = tuple(n for value in only for n in names(value))
    options = BuildOptions(only=chosen, limit_minutes=limit_minutes, max_rows=max_rows, random_configs=random_configs,
                           smac_datasets=smac_datasets, smac_trials=smac_trials, trial_time_limit=trial_time_limit)
    path = build_metabase(manifest, out, _estimator_for, options, progress=lambda line: click.echo(line, err=True))
    click.echo(str(path))


def _estimator_for(task: str) -> type:
    from automl.estimators import AutoClassifier, AutoRegressor

    return AutoRegressor if task == "regression" else AutoClassifier


@metabase.command()
@click.argument("run_dir", type=click.Path(path_type=Path))
@click.option("--to", "folder", type=click.Path(path_type=Path),
              help="The metabase folder to add to (default: $AUTOML_METABASE_DIR, else ~/.local/share/automl/metabase).")
def add(run_dir, folder):
    """Remember the finished run in RUN_DIR: later warm starts on similar data begin from its best configurations."""
    from automl.files import check_output_folder
    from automl.metalearning.metabase import remember_run

    if not run_dir.exists():
        raise InputError(f"Run directory not found: {run_dir}.")
    if folder is not None:
        check_output_folder(folder, what="metabase folder")
    path = remember_run(run_dir, folder)
    click.echo(f"Added {run_dir} to your metabase ({path}).")
