"""The ``otel-langchain`` command: demo, view, replay, doctor.

Every failure the user can cause is reported as one line on stderr with a
non-zero exit status; tracebacks are for our own bugs only, and even those are
shortened to one line unless ``OTEL_LANGCHAIN_DEBUG`` is set.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from otel_langchain import __version__
from otel_langchain.cli._common import CliError, Parser

__all__ = ["main"]

_PROG = "otel-langchain"


def _parser() -> Parser:
    from otel_langchain.cli import demo, doctor, replay, view

    parser = Parser(
        prog=_PROG,
        description="OpenTelemetry for LangChain: try it, look at traces, check the setup.",
        epilog="Run 'otel-langchain demo' first; 'otel-langchain COMMAND --help' for details.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    subparsers = parser.add_subparsers(
        title="commands", dest="command", metavar="COMMAND", parser_class=Parser
    )
    for module in (demo, view, replay, doctor):
        module.add_parser(subparsers)
    return parser


def _fail(message: str, status: int) -> int:
    sys.stderr.write(f"{_PROG}: error: {message}\n")
    return status


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line ``argv`` (default ``sys.argv[1:]``); return the exit status."""
    parser = _parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help, --version, usage errors
        return exc.code if isinstance(exc.code, int) else 0 if exc.code is None else 2
    if args.command is None:
        parser.print_help(sys.stderr)
        return 2
    return _run(args)


def _run(args: argparse.Namespace) -> int:
    try:
        status: int = args.run(args)
    except CliError as exc:
        return _fail(str(exc), exc.status)
    except KeyboardInterrupt:
        return _fail("interrupted", 130)
    except Exception as exc:
        if os.environ.get("OTEL_LANGCHAIN_DEBUG"):
            raise
        return _fail(f"unexpected {type(exc).__name__}: {exc} (set OTEL_LANGCHAIN_DEBUG=1)", 1)
    return status
