"""What every part of the command-line tool shares: its name, exit codes, error type and the
words for ``--preset auto``."""

from __future__ import annotations

from helpers.session import AUTO_BATCH, SMALL_BATCH

__all__ = ["AUTO_TEXT", "EXIT_ERROR", "EXIT_MISMATCH", "EXIT_OK", "PROG", "CliError"]

PROG = "train-convert-predict"
EXIT_OK, EXIT_MISMATCH, EXIT_ERROR = 0, 1, 2
AUTO_TEXT = f"latency below {SMALL_BATCH} rows per call, default below {AUTO_BATCH:,}, throughput from there"


class CliError(Exception):
    """A bad input or option: ``main`` prints the message as one line and returns 2."""
