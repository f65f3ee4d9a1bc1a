"""``python -m helpers``: the command-line tool of :mod:`helpers.cli` (see ``--help``)."""

from helpers.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
