"""Resolve data-dependent bounds such as ``"min(1024, fold_rows // 2)"`` from a dataset's shape.

A bound in a search-space YAML is either a number or a small arithmetic expression over the
names in ``DataShape``; this module evaluates it without ``eval``: only numbers, those names,
``+ - * / //``, ``min``, ``max`` and ``int`` are allowed.

>>> resolve("min(1024, fold_rows // 2)", DataShape(n_rows=300, fold_rows=240, n_features=4, n_classes=2))
120
"""

from __future__ import annotations

import ast
import operator
from dataclasses import asdict, dataclass

_BINARY = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul,
           ast.Div: operator.truediv, ast.FloorDiv: operator.floordiv}
_CALLS = {"min": min, "max": max, "int": int}


@dataclass(frozen=True)
class DataShape:
    """What bounds may depend on: rows, rows in one training fold, feature columns, classes, and for a
    binary task the rows of the first class per row of the second (1 otherwise)."""

    n_rows: int
    fold_rows: int
    n_features: int
    n_classes: int
    negative_per_positive: float = 1.0


def resolve(bound: int | float | str, shape: DataShape) -> int | float:
    """The value of a bound for this data; raises ValueError naming what is not allowed."""
    if isinstance(bound, (int, float)) and not isinstance(bound, bool):
        return bound
    if not isinstance(bound, str):
        raise ValueError(f"a bound must be a number or an expression, not {bound!r}")
    names = asdict(shape)
    try:
        value = _evaluate(ast.parse(bound, mode="eval").body, names)
    except (SyntaxError, TypeError, ZeroDivisionError, OverflowError, RecursionError) as exc:
        raise ValueError(f"the bound {bound!r} cannot be evaluated ({type(exc).__name__}: {exc})") from None
    if not isinstance(value, (int, float)) or value != value or value in (float("inf"), float("-inf")):
        raise ValueError(f"the bound {bound!r} is not a finite number for this data ({value!r})")
    return value


def _evaluate(node: ast.AST, names: dict) -> int | float:
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)):
        return node.value
    if isinstance(node, ast.Name) and node.id in names:
        return names[node.id]
    if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
        return _BINARY[type(node.op)](_evaluate(node.left, names), _evaluate(node.right, names))
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        return -_evaluate(node.operand, names)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in _CALLS and not node.keywords:
        return _CALLS[node.func.id](*[_evaluate(arg, names) for arg in node.args])
    allowed = ", ".join(names)
    raise ValueError(f"unsupported expression {ast.unparse(node)!r} (allowed: numbers, {allowed}, min, max, int)")
