"""What every command shares: bad input as one sentence and exit status 2, logging as plain lines."""

from __future__ import annotations

import logging
import os
import sys

import click

from automl.errors import InputError


class AutomlGroup(click.Group):
    """Turns every InputError into one 'Error: ...' line and exit status 2, never a traceback."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except InputError as exc:
            click.echo(f"Error: {exc}", err=True)
            sys.exit(2)
        except (click.exceptions.Exit, click.ClickException, KeyboardInterrupt):
            raise
        except BrokenPipeError:  # the reader left (`automl leaderboard RUN | head`): stop without a word
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # Python's docs, "Note on SIGPIPE"
            sys.exit(1)
        except Exception as exc:  # a bug of ours: still one line, with a way to see the traceback
            if os.environ.get("AUTOML_DEBUG"):
                raise
            click.echo(f"Error: automl failed unexpectedly ({type(exc).__name__}: {exc}); "
                       "set AUTOML_DEBUG=1 to see the traceback and please report it.", err=True)
            sys.exit(1)


class _WarningLines(logging.Handler):
    def emit(self, record: logging.LogRecord) -> None:
        prefix = "Warning: " if record.levelno >= logging.WARNING else ""
        click.echo(f"{prefix}{record.getMessage()}", err=True)


def setup_logging(verbose: bool, quiet: bool = False) -> None:
    """automl's log records become plain lines on stderr (warnings prefixed), INFO only with ``verbose``,
    errors only with ``quiet``."""
    logger = logging.getLogger("automl")
    logger.handlers = [_WarningLines()]
    logger.setLevel(logging.ERROR if quiet else logging.INFO if verbose else logging.WARNING)
    logger.propagate = False


def count(n: int, noun: str) -> str:
    """``1 trial``, ``2 trials``."""
    return f"{n} {noun}{'' if n == 1 else 's'}"


def names(value: str | None) -> tuple[str, ...]:
    """``"a, b,,c"`` -> ``("a", "b", "c")``."""
    return tuple(n.strip() for n in value.split(",") if n.strip()) if value else ()
