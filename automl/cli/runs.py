"""``automl leaderboard`` and ``automl report``: read a run directory back (neither loads SMAC)."""

from __future__ import annotations

from pathlib import Path

import click

from automl.cli.common import count, setup_logging
from automl.errors import InputError


@click.command()
@click.argument("run_dir", type=click.Path(path_type=Path))
@click.option("--out", type=click.Path(path_type=Path), help="HTML file to write (default: RUN_DIR/report.html).")
@click.option("--data", "held_out", type=click.Path(path_type=Path), help="Held-out rows (CSV or Parquet, with "
              "the target) for the permutation importance of the final model's features.")
@click.option("--sep", help="The CSV's separator (default: detected from its header: comma, semicolon, tab or pipe).")
@click.option("--target", help="The target column of --data (default: the one the run was fit on).")
def report(run_dir, out, held_out, sep, target):
    """Write one self-contained HTML report of the run in RUN_DIR: data, search, final model, failures."""
    from automl.data import read_table, split_target
    from automl.files import check_output
    from automl.report.html import write_report
    from automl.run.store import read_settings

    setup_logging(False)
    settings = read_settings(run_dir)
    out = check_output(out or Path(run_dir) / "report.html", what="report", inputs=(held_out,) if held_out else (),
                       within=(run_dir,) if out else ())  # its own report.html is the one file it may hold
    pair = None
    if held_out is not None:
        target = target or settings.target
        if not target:
            raise InputError("The run did not record its target column's name; give --target with --data.")
        pair = split_target(read_table(held_out, sep), target)
    path = write_report(run_dir, out, pair)
    click.echo(f"Report written to {path}")


@click.command("leaderboard")
@click.argument("run_dir", type=click.Path(path_type=Path))
@click.option("--top", type=click.IntRange(min=1), help="Rows to show (default: every trial).")
@click.option("--csv", "csv_path", type=click.Path(path_type=Path), help="Also write the whole table, every "
              "hyperparameter and metric included, to this CSV file.")
def leaderboard_command(run_dir, top, csv_path):
    """Show the trials of the run recorded in RUN_DIR, best first (it may still be running)."""
    import pandas as pd

    from automl.files import atomic_path, check_output
    from automl.metrics import recorded_metric
    from automl.report.leaderboard import leaderboard, not_ok, terminal_table
    from automl.run.store import read_final, read_leaderboard_extras, read_run

    setup_logging(False)
    if csv_path:
        check_output(csv_path, what="leaderboard CSV", within=(run_dir,))
    settings, trials = read_run(run_dir)
    if not trials:
        raise InputError(f"{run_dir} holds no finished trial yet.")
    metric = recorded_metric(settings.metric, settings.task)
    board = leaderboard(trials, metric, *read_leaderboard_extras(run_dir))
    final = read_final(run_dir)
    if final is not None:
        click.echo(final.line() + ".\n")
    click.echo(terminal_table(board, metric.name, top))
    click.echo(f"\n{count(len(board), 'trial')} ({not_ok(board['status'])}); {settings.task} task, metric {metric.name}.")
    if csv_path:
        params = pd.DataFrame(list(board["hyperparameters"]), index=board.index).add_prefix("hp:")
        csv_path.parent.mkdir(parents=True, exist_ok=True)
        with atomic_path(csv_path) as temporary:
            board.drop(columns=["key_hyperparameters", "hyperparameters"]).join(params).to_csv(temporary, index=False)
        click.echo(f"Wrote {len(board)} rows to {csv_path}", err=True)
