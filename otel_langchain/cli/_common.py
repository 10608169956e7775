"""What every subcommand shares: the error type, the parser class, common options."""

from __future__ import annotations

import argparse
import os
import shlex
import shutil
import sys
from pathlib import Path
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


def command_prefix(argv0: str | None = None) -> str:
    """This command as the user can run it again from the same shell.

    ``otel-langchain`` when that name on PATH is this program; else the path it
    was started by (a venv's ``bin/otel-langchain`` that is not activated), or
    ``python -m otel_langchain.cli`` with this interpreter.
    """
    argv0 = sys.argv[0] if argv0 is None else argv0
    path = Path(argv0)
    if path.suffix == ".py" or not path.name:
        return f"{shlex.quote(sys.executable)} -m otel_langchain.cli"
    found = shutil.which(path.name)
    if found and Path(found).resolve() == path.resolve():
        return path.name
    return shlex.quote(argv0 if os.sep in argv0 else str(path.absolute()))
