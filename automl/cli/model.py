"""``automl predict`` and ``automl export``: use a saved model, or hand it over as plain scikit-learn."""

from __future__ import annotations

from pathlib import Path

import click

from automl.cli.common import setup_logging
from automl.errors import InputError


@click.command()
@click.argument("model_path", metavar="MODEL", type=click.Path(path_type=Path))
@click.argument("data", type=click.Path(path_type=Path))
@click.option("-o", "--output", type=click.Path(path_type=Path), help="CSV file to write (default: print).")
@click.option("--proba", is_flag=True, help="Write class probabilities instead of labels.")
@click.option("--sep", help="The CSV's separator (default: detected from its header: comma, semicolon, tab or pipe).")
@click.option("--id-column", help="A column of DATA copied first into each row of the predictions (an identifier).")
def predict(model_path, data, output, proba, sep, id_column):
    """Predict every row of DATA with a model written by `automl fit`."""
    import pandas as pd

    from automl.data import read_table
    from automl.files import atomic_path, check_output
    from automl.run.modelfile import SavedModel  # the model alone: no search libraries are loaded

    setup_logging(False)
    if output:
        check_output(output, what="predictions file", inputs=(model_path, data),
                     within=(model_path.parent,) if (model_path.parent / "settings.json").is_file() else ())
    model = SavedModel.read(model_path)
    if proba and model.classes_ is None:
        raise InputError("--proba needs a classification model, but this model does regression.")
    frame = read_table(data, sep)
    if id_column is not None and id_column not in frame.columns:
        raise InputError(f"--id-column {id_column!r} is not a column of {data}.")
    if proba:
        result = pd.DataFrame(model.predict_proba(frame), columns=[f"proba_{c}" for c in model.classes_])
    else:
        result = pd.DataFrame({"prediction": model.predict(frame)})
    if id_column is not None:
        result.insert(0, id_column, frame[id_column].to_numpy())
    if output:
        output.parent.mkdir(parents=True, exist_ok=True)
        with atomic_path(output) as temporary:
            result.to_csv(temporary, index=False)
        click.echo(f"Wrote {len(result)} predictions to {output}", err=True)
    else:
        click.echo(result.to_csv(index=False), nl=False)


@click.command()
@click.argument("source", metavar="RUN_DIR_OR_MODEL", type=click.Path(path_type=Path))
@click.option("--out", required=True, type=click.Path(path_type=Path), help="The .skops file to write.")
def export(source, out):
    """Write the final model as plain scikit-learn objects: deploying it needs no automl.

    Load it with skops.io.load(FILE, trusted=skops.io.get_untrusted_types(file=FILE)) after
    checking the listed types; predict on a DataFrame of the training columns.
    """
    from automl.files import check_output
    from automl.run.export import export_model, model_path
    from automl.run.store import describe_size

    setup_logging(False)
    check_output(out, what="exported model", inputs=(model_path(source),),
                 within=(Path(source),) if Path(source).is_dir() else ())
    path = export_model(source, out)
    click.echo(f"Exported to {path} ({describe_size(path.stat().st_size)}): plain scikit-learn, "
               f"loadable without automl.")


@click.command()
@click.argument("model_path", metavar="MODEL", type=click.Path(path_type=Path))
@click.argument("data", type=click.Path(path_type=Path))
@click.option("--target", required=True, help="The column of DATA the model predicts.")
@click.option("--sep", help="The CSV's separator (default: detected from its header: comma, semicolon, tab or pipe).")
@click.option("--top", type=click.IntRange(min=1), default=15, show_default=True, help="Columns to show.")
@click.option("--repeats", type=click.IntRange(min=1), default=5, show_default=True,
              help="Shuffles of each column; the spread over them is the std column.")
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--csv", "csv_path", type=click.Path(path_type=Path), help="Also write every column's row to this CSV file.")
def explain(model_path, data, target, sep, top, repeats, seed, csv_path):
    """Rank the columns of DATA by how much the saved model's score worsens when each is shuffled.

    Permutation importance of MODEL (a model file or a run directory) on the rows of DATA: give rows
    the model was not fit on, or the importances reward what it memorised.
    """
    from automl.data import read_table, split_target
    from automl.files import atomic_path, check_output
    from automl.report.explain import held_out_importance
    from automl.run.export import model_path as model_file
    from automl.run.modelfile import SavedModel

    setup_logging(False)
    path = model_file(model_path)
    if csv_path:
        check_output(csv_path, what="importance CSV", inputs=(path, data),
                     within=(model_path,) if model_path.is_dir() else ())
    model = SavedModel.read(path)
    X, y = split_target(read_table(data, sep), target)
    table = held_out_importance(model, X, y, n_repeats=repeats, seed=seed)
    click.echo(f"Permutation importance on {len(X)} rows of {data.name}: the growth of the {model.metric_} loss when "
               f"a column is shuffled (mean and std over {repeats} shuffles; 0 or below: not used).\n")
    shown = table.head(top).reset_index()
    shown.insert(0, "rank", range(1, len(shown) + 1))
    click.echo(shown.to_string(index=False, float_format=lambda v: f"{v:.4f}"))
    if len(table) > top:
        click.echo(f"... {len(table) - top} more columns (--top, --csv).")
    if csv_path:
        csv_path.parent.mkdir(parents=True, exist_ok=True)
        with atomic_path(csv_path) as temporary:
            table.reset_index().to_csv(temporary, index=False)
        click.echo(f"Wrote {len(table)} rows to {csv_path}", err=True)
