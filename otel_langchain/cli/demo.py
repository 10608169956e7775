"""``otel-langchain demo``: placeholder."""

from __future__ import annotations

import argparse


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register the ``demo`` subcommand."""
    parser = subparsers.add_parser("demo", help="run a small traced LangGraph agent offline")
    parser.set_defaults(run=lambda args: 0)
