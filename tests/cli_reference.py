"""The README's CLI reference, generated from click's own help so that it cannot drift.

    python tests/cli_reference.py      # rewrite the block in README.md

tests/test_cli.py checks that README.md holds exactly what this renders.
"""

from __future__ import annotations

import sys
from pathlib import Path

from click.testing import CliRunner

README = Path(__file__).resolve().parent.parent / "README.md"
START, END = "<!-- cli-reference:start -->", "<!-- cli-reference:end -->"


def render() -> str:
    """Every command's --help, as README sections, in the order `automl --help` lists them."""
    import click

    from automl.cli.main import main

    parts = []
    for name in main.list_commands(None):
        command = main.get_command(None, name)
        words = [[name]] + ([[name, sub] for sub in command.list_commands(None)] if isinstance(command, click.Group) else [])
        for args in words:
            text = CliRunner().invoke(main, [*args, "--help"], prog_name="automl", terminal_width=100).output.rstrip()
            parts.append(f"### automl {' '.join(args)}\n\n```text\n{text}\n```\n")
    return "\n".join(parts)


def updated(readme: str) -> str:
    head, rest = readme.split(START, 1)
    _, tail = rest.split(END, 1)
    return f"{head}{START}\n{render()}{END}{tail}"


if __name__ == "__main__":
    README.write_text(updated(README.read_text()))
    print(f"Updated the CLI reference in {README}", file=sys.stderr)
