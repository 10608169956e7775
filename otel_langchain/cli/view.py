"""``otel-langchain view FILE``: trace trees and usage for an OTLP/JSON file."""

from __future__ import annotations

import argparse
from pathlib import Path

from rich.console import Console

from otel_langchain.cli._common import CliError
from otel_langchain.cli._render import make_console, print_report, span_index
from otel_langchain.cli._summary import summarize
from otel_langchain.cli._trace_model import TraceFile, TraceFileError, read_trace_file

DESCRIPTION = """\
Print each trace in an OTLP/JSON file (written by otel-langchain or by the
OpenTelemetry Collector's file exporter) as a tree - name, duration, tokens,
cost, errors - followed by usage and cost per model. With --html, also write a
self-contained HTML page with a waterfall per trace."""


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register the ``view`` subcommand."""
    from otel_langchain.cli._common import common_options

    parser = subparsers.add_parser(
        "view",
        help="show the traces and usage in an OTLP/JSON file",
        description=DESCRIPTION,
        parents=[common_options()],
    )
    parser.add_argument("file", metavar="FILE", type=Path, help="OTLP/JSON file (JSON lines)")
    parser.add_argument("--html", metavar="OUT", type=Path, help="also write an HTML report")
    parser.add_argument(
        "--limit", metavar="N", type=int, default=None, help="print at most N trace trees"
    )
    parser.add_argument(
        "--summary-only", action="store_true", help="print only the usage table, no trees"
    )
    parser.set_defaults(run=run)


def load(path: Path) -> TraceFile:
    """Read ``path``, turning a bad file into a one-line CLI error (status 2)."""
    try:
        return read_trace_file(path)
    except TraceFileError as exc:
        raise CliError(str(exc), status=2) from None


def show(
    console: Console, data: TraceFile, *, limit: int | None = None, trees: bool = True
) -> None:
    """Print trees (the first ``limit``, or none) and the usage summary for ``data``."""
    traces = data.traces if limit is None else data.traces[: max(limit, 0)]
    index = span_index(data.traces)
    print_report(console, traces if trees else [], summarize(data), index)
    if trees and len(traces) < len(data.traces):
        console.print(f"({len(data.traces) - len(traces)} more traces not shown)")


def write_html(console: Console, data: TraceFile, out: Path, *, title: str) -> None:
    """Write the HTML report for ``data`` to ``out`` and say where it is."""
    from otel_langchain.cli.html import render_html

    try:
        out.write_text(render_html(data, title=title), encoding="utf-8")
    except OSError as exc:
        raise CliError(f"cannot write {out}: {exc.strerror or exc}", status=2) from None
    console.print(f"HTML report: {out}")


def run(args: argparse.Namespace) -> int:
    """Run ``view``."""
    console = make_console(no_color=args.no_color)
    with console.status(f"Reading {args.file}..."):
        data = load(args.file)
    show(console, data, limit=args.limit, trees=not args.summary_only)
    if args.html is not None:
        write_html(console, data, args.html, title=args.file.name)
    return 0
