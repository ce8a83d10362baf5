"""``automl report``: one self-contained HTML file about a run (figures embedded as PNG, no links out).

Sections: the data (rows, column types, missing values, target distribution), the search
(best score over time and over trials, score by family, hyperparameter importance), the final
model (ensemble members and weights; permutation feature importance when held-out rows are
given) and the failed trials with their reasons.
"""

from __future__ import annotations

import base64
import html
import io
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from automl.errors import InputError
from automl.files import atomic_path
from automl.metrics import Metric
from automl.report import figures
from automl.report.leaderboard import not_ok
from automl.report.runview import RunView
from automl.run.modelfile import SavedModel

# Marks the body with how many images decoded, so a headless browser can check the page (tests do).
CHECK_IMAGES = ("<script>addEventListener('load',()=>{const i=[...document.images];"
                "document.body.dataset.imagesLoaded=i.filter(x=>x.complete&&x.naturalWidth>0).length+'/'+i.length;})"
                "</script>")
STYLE = """body{font-family:system-ui,sans-serif;max-width:1000px;margin:2em auto;color:#222}
h1{font-size:1.6em}h2{margin-top:1.6em;border-bottom:1px solid #ddd}table{border-collapse:collapse;font-size:.9em}
td,th{padding:2px 8px;border-bottom:1px solid #eee;text-align:left}img{max-width:100%}.note{color:#666}"""


def write_report(run, out: str | Path, held_out: tuple[pd.DataFrame, pd.Series] | None = None,
                 model=None) -> Path:
    """Write the report of ``run`` (a run directory or fitted estimator) to ``out``; returns the path.

    ``held_out`` (rows the model never saw, and their target) adds permutation feature importance
    of ``model`` (by default ``run`` itself when it is a fitted estimator, else the run's model.skops).
    """
    view = RunView.read(run)
    model = model if model is not None else (run if hasattr(run, "best_pipeline_") else None)
    sections = [f"<h1>automl run {html.escape(view.path.name)}</h1>", _overview(view),
                "<h2>Data</h2>", _data_table(view), _image(figures.target_distribution(view)),
                "<h2>Search</h2>", _image(figures.search_history(view)),
                "<h3>Score by model family</h3>", _image(figures.score_by_family(view)),
                "<h3>Hyperparameter importance</h3>",
                '<p class="note">fANOVA-style main effects: a random forest is fitted on the run history '
                "(configuration to validation loss); each bar is the share of its predictions' variance that "
                "one hyperparameter explains alone (see automl/report/importance.py).</p>",
                _image(figures.hyperparameter_importance_figure(view)),
                "<h2>Final model</h2>", _final_model(view, held_out, model), _image(figures.ensemble_weights(view)),
                "<h3>Feature importance</h3>", _feature_importance(view, held_out, model),
                "<h2>Failed trials</h2>", _failures(view)]
    page = (f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>automl report: {html.escape(view.path.name)}"
            f"</title><style>{STYLE}</style></head><body>{''.join(sections)}{CHECK_IMAGES}</body></html>")
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(out) as temporary:
        temporary.write_text(page, encoding="utf-8")
    return out


def _image(figure: Figure) -> str:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=90)
    encoded = base64.b64encode(buffer.getvalue()).decode("ascii")
    return f'<p><img alt="figure" src="data:image/png;base64,{encoded}"></p>'


def _overview(view: RunView) -> str:
    frame = view.frame()
    ok = frame[frame["ok"]]
    metric = view.metric
    best = ok.loc[ok["loss"].idxmin()] if len(ok) else None
    rows = {"task": view.settings.task, "metric": metric.name,
            "validation": _validation(view.settings.validation or {}),
            "trials": f"{len(frame)} ({not_ok(frame['status'])})",
            "search time": f"{frame['finished_s'].max():.1f} s",
            "best trial": "none" if best is None else
            f"{int(best['trial_id'])} ({best['model']}), validation {metric.name} {best['score']:.4f}",
            "versions": ", ".join(f"{k} {v}" for k, v in (view.settings.versions or {}).items())}
    return _table(pd.DataFrame({"": list(rows), "value": list(rows.values())}))


def _validation(validation: dict) -> str:
    if validation.get("kind") == "cv":
        repeats = validation.get("repeats", 1)
        return f"{validation.get('n_splits')}-fold cross-validation" + (f", repeated {repeats} times" if repeats > 1 else "")
    return validation.get("kind") or "unknown"


def _data_table(view: RunView) -> str:
    summary = view.summary
    if not summary:
        return '<p class="note">This run recorded no data summary.</p>'
    columns = pd.DataFrame([{"column": name, "type": c["type"], "missing": c["missing"]}
                            for name, c in summary["columns"].items()])
    counts = columns["type"].value_counts().to_dict()
    kinds = ", ".join(f"{n} {kind}" for kind, n in counts.items())
    return f"<p>{summary['rows']} rows; columns: {kinds}.</p>" + _table(columns)


def _feature_importance(view: RunView, held_out, model) -> str:
    if held_out is None:
        return ('<p class="note">Give held-out rows (<code>automl report RUN_DIR --data HELD_OUT.csv</code>, or '
                "<code>held_out=(X, y)</code>) to see the permutation importance of the final model's features.</p>")
    if model is None:
        model = SavedModel.read(view.path / "model.skops")
    X, y = held_out
    return (f'<p class="note">Permutation importance on {len(X)} held-out rows, 5 shuffles per column.</p>'
            + _image(figures.feature_importance(model, X, y)))


def _final_model(view: RunView, held_out, model) -> str:
    """What was saved and its estimated score; with held-out rows, its score on them beside the estimate."""
    final = view.final
    if final is None:
        return '<p class="note">This run recorded no final model (it is still running, or an older automl fit it).</p>'
    text = f"<p>{html.escape(final.line())}.</p>"
    if final.members:
        text += _table(pd.DataFrame([vars(m) for m in final.members]))
    if held_out is not None:
        model = model if model is not None else SavedModel.read(view.path / "model.skops")
        metric = view.metric
        score = held_out_score(model, *held_out, metric)
        estimate = f"; estimated {final.estimate.value:.4f} ({final.estimate.method})" if final.estimate else ""
        text += f"<p><b>Held-out {metric.name} = {score:.4f}</b> on {len(held_out[0])} rows{estimate}.</p>"
    return text


def held_out_score(model, X: pd.DataFrame, y, metric: Metric) -> float:
    """The metric of ``model`` (a fitted estimator or a saved model) on rows it never saw."""
    if getattr(model, "classes_", None) is None:
        return metric.score(np.asarray(y, dtype=float), model.predict(X))
    classes = list(model.classes_)
    unknown = sorted({str(v) for v in pd.unique(np.asarray(y)) if v not in classes})
    if unknown:
        raise InputError(f"The held-out target holds classes the model never saw: {', '.join(unknown[:5])}.")
    codes = np.array([classes.index(v) for v in np.asarray(y)])
    return metric.score(codes, model.predict_proba(X))


def _failures(view: RunView) -> str:
    frame = view.frame()
    failed = frame[~frame["ok"]]
    if failed.empty:
        return "<p>No trial failed or was skipped.</p>"
    return _table(failed[["trial_id", "model", "origin", "status", "error"]])


def _table(frame: pd.DataFrame) -> str:
    return frame.to_html(index=False, border=0, escape=True, na_rep="")
