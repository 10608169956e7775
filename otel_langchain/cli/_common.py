"""What every subcommand shares: the error type, the parser class, common options."""

from __future__ import annotations

import argparse
import sys
from typing import NoReturn


class CliError(Exception):
    """A failure reported to the user as one line, with an exit status."""

    def __init__(self, message: str, *, status: int = 1) -> None:
        super().__init__(message)
        self.status = status


class Parser(argparse.ArgumentParser):
    """An ArgumentParser whose usage errors are one line and exit status 2."""

    def error(self, message: str) -> NoReturn:
        """Print ``prog: error: message`` and a pointer to --help, then exit 2."""
        sys.stderr.write(f"{self.prog}: error: {message} (see --help)\n")
        raise SystemExit(2)


def common_options() -> argparse.ArgumentParser:
    """Options every subcommand accepts (used as an argparse parent)."""
    parent = argparse.ArgumentParser(add_help=False)
    parent.add_argument(
        "--no-color",
        action="store_true",
        help="plain output without colours (also when NO_COLOR is set)",
    )
    return parent
