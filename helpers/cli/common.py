"""What every part of the command-line tool shares: its name, exit codes and error type."""

from __future__ import annotations

__all__ = ["EXIT_ERROR", "EXIT_MISMATCH", "EXIT_OK", "PROG", "CliError"]

PROG = "train-convert-predict"
EXIT_OK, EXIT_MISMATCH, EXIT_ERROR = 0, 1, 2


class CliError(Exception):
    """A bad input or option: ``main`` prints the message as one line and returns 2."""
