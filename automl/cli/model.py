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
