"""``otel-langchain demo``: a traced LangGraph support agent, offline, in a few seconds."""

from __future__ import annotations

import argparse
import logging
import os
import shlex
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from otel_langchain.cli._common import CliError, command_prefix, common_options
from otel_langchain.cli._endpoint import endpoint_configured, header_flags, resolve
from otel_langchain.cli._render import make_console, summary_table
from otel_langchain.cli._summary import ModelRow, Summary

if TYPE_CHECKING:
    from otel_langchain.config import Telemetry
    from otel_langchain.config._otlp import Otlp
    from otel_langchain.usage import Usage

DEFAULT_SERVICE = "otel-langchain-demo"
DEFAULT_OUT = "otel-langchain-traces.jsonl"
# The demo's spend guard: far above what its conversations cost, so it never stops them.
BUDGET_USD = 0.01
JAEGER_URL = "http://localhost:16686"
GRAFANA_URL = "http://localhost:3000"

DESCRIPTION = f"""\
Run a small LangGraph support agent offline (a scripted chat model that reports
usage like OpenAI, two tools - one fails once and is retried - a retriever,
streaming and a custom progress event) through a few conversations, traced
with otel-langchain. Without an endpoint, spans and metrics go to an OTLP/JSON
file, printed as trace trees with usage and cost per model. With --endpoint or an
OTEL_EXPORTER_OTLP_[TRACES_|METRICS_]ENDPOINT they are exported over OTLP instead. The service
name is {DEFAULT_SERVICE} unless OTEL_SERVICE_NAME or --service-name says otherwise."""


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register the ``demo`` subcommand."""
    parser = subparsers.add_parser(
        "demo",
        help="run a small traced LangGraph agent offline and show its traces",
        description=DESCRIPTION,
        parents=[common_options()],
    )
    parser.add_argument(
        "--out",
        metavar="FILE",
        type=Path,
        help=f"OTLP/JSON output file (default {DEFAULT_OUT}); with --endpoint, also"
        " write what is exported to FILE",
    )
    parser.add_argument(
        "--endpoint", metavar="URL", help="export over OTLP (default: OTEL_EXPORTER_OTLP_ENDPOINT)"
    )
    parser.add_argument("--protocol", choices=("grpc", "http/protobuf"), help="OTLP protocol")
    parser.add_argument(
        "--header", metavar="KEY=VALUE", action="append", default=[], help="OTLP request header"
    )
    parser.add_argument("--service-name", metavar="NAME", help="service.name of the demo")
    parser.add_argument("--html", metavar="OUT", type=Path, help="also write an HTML report")
    parser.set_defaults(run=run)


@contextmanager
def _quiet_configure_warnings() -> Iterator[None]:
    """Hide configure()'s "providers already global" warning: the demo passes them explicitly."""
    configure_logger = logging.getLogger("otel_langchain.config._configure")
    level = configure_logger.level
    configure_logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        configure_logger.setLevel(level)


def _telemetry(args: argparse.Namespace, service: str, otlp: Otlp | None) -> Telemetry:
    from otel_langchain.config import configure

    options: dict[str, Any] = {"service_name": service, "metric_interval": 3600.0}
    if otlp is not None:  # the same flags and env, resolved again by configure()
        options.update(
            exporter="otlp" if args.out is None else ["otlp", "file"],
            file=args.out,
            endpoint=args.endpoint or None,
            protocol=args.protocol,
            headers=header_flags(args.header),
        )
    else:
        options.update(exporter="file", file=args.out)
    try:
        with _quiet_configure_warnings():
            return configure(**options)
    except ValueError as exc:
        raise CliError(str(exc), status=2) from None


def _metric_points(telemetry: Telemetry, over_otlp: bool) -> Callable[[], None]:
    """Over OTLP, export metrics after every turn, a second apart.

    Prometheus computes rate() and increase() from two or more samples of a
    series; one export at exit would leave the dashboards' rate panels empty.
    """
    if not over_otlp:
        return lambda: None

    def flush() -> None:
        telemetry.meter_provider.force_flush(timeout_millis=5000)
        time.sleep(1.0)

    return flush


def _converse(
    console: Console,
    handler: Any,
    demo_agent: ModuleType,
    after_turn: Callable[[], None] = lambda: None,
) -> None:
    """Run every scripted turn, streaming the answers, then record the user's rating of it."""
    from uuid import uuid4

    from otel_langchain import record_feedback

    model = demo_agent.ScriptedChatModel(script={t.question: t.replies for t in demo_agent.TURNS})
    agent = demo_agent.build_agent(
        model, demo_agent.build_tools(demo_agent.DocsRetriever(docs=demo_agent.DOCS))
    )
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn())
    with Progress(*columns, console=console, transient=True) as progress:
        task = progress.add_task("Conversations", total=len(demo_agent.TURNS))
        for turn in demo_agent.TURNS:
            run_id = uuid4()
            config = {
                "callbacks": [handler],
                "configurable": {"thread_id": turn.thread_id},
                "run_id": run_id,
            }
            answer = []
            inputs = {"messages": [("user", turn.question)]}
            for chunk, meta in agent.stream(inputs, config, stream_mode="messages"):
                if meta.get("langgraph_node") == "agent" and isinstance(chunk.content, str):
                    answer.append(chunk.content)
            console.print(f"[bold]{turn.thread_id} >[/bold] {turn.question}")
            console.print(f"  [dim]{''.join(answer)}[/dim]")
            record_feedback(run_id, "user_rating", turn.rating)
            progress.advance(task)
            after_turn()
    console.print()


def _usage_summary(usage: Usage) -> Summary:
    rows = [
        ModelRow(
            model=name,
            calls=m.calls,
            input_tokens=m.input_tokens,
            output_tokens=m.output_tokens,
            cache_read_tokens=m.cache_read_tokens,
            cost_usd=m.cost_usd,
            cost_unknown_calls=m.unpriced_calls,
        )
        for name, m in sorted(usage.by_model.items())
    ]
    total = ModelRow(model="total")
    for row in rows:
        total.merge(row)
    return Summary(rows, total, traces=0, spans=0, error_spans=0, metric_points=0)


def _fresh(out: Path) -> None:
    """Remove an earlier run's file, so the report shows this run only."""
    try:
        out.unlink(missing_ok=True)
    except OSError as exc:
        raise CliError(f"cannot replace {out}: {exc.strerror or exc}", status=2) from None


def _guard_line(console: Console, usage: Usage, rated: int) -> None:
    console.print(
        f"Spent ${usage.cost_usd:.6f} of track_usage(budget_usd={BUDGET_USD}); "
        f"{rated} answers rated with record_feedback()."
    )


def _report_otlp(
    console: Console, usage: Usage, rated: int, telemetry: Telemetry, service: str
) -> None:
    console.print(summary_table(_usage_summary(usage)))
    _guard_line(console, usage, rated)
    console.print()
    for report in telemetry.delivery():
        what = "spans" if report.signal == "traces" else "metric points"
        line = f"Exported {report.exported} {what} to {report.destination}"
        if report.lost:
            reasons = ", ".join(f"{r}: {n}" for r, n in report.lost_by_reason.items())
            line += f"; [red]{report.lost} lost[/red] ({reasons})"
        console.print(line + ".")
    console.print(f"  Jaeger:  {JAEGER_URL}/search?service={service}")
    console.print(f"  Grafana: {GRAFANA_URL}")


def _report_file(console: Console, args: argparse.Namespace, usage: Usage, rated: int) -> None:
    from otel_langchain.cli import view

    data = view.load(args.out)
    view.show(console, data)
    _guard_line(console, usage, rated)
    if args.html is not None:
        view.write_html(console, data, args.html, title=f"otel-langchain demo ({args.out.name})")
    command = command_prefix()
    out = shlex.quote(str(args.out))
    report = shlex.quote(str(args.out.with_suffix(".html")))
    console.print(f"\nWrote {args.out}. Next:")
    # soft_wrap: a command is never broken across lines (rich 13 wraps at the console width).
    console.print(
        f"  {command} view {out} --html {report}", markup=False, highlight=False, soft_wrap=True
    )
    console.print(
        f"  {command} replay {out} --endpoint http://localhost:4317",
        markup=False,
        highlight=False,
        soft_wrap=True,
    )


def _otlp_targets(args: argparse.Namespace) -> tuple[Otlp, Otlp] | None:
    """Where traces and metrics go over OTLP (--endpoint or any endpoint variable), else None."""
    if not (args.endpoint or endpoint_configured()):
        return None
    traces, metrics = (
        resolve(signal, endpoint=args.endpoint, protocol=args.protocol, headers=args.header)
        for signal in ("traces", "metrics")
    )
    return traces, metrics


def run(args: argparse.Namespace) -> int:
    """Run ``demo``."""
    try:
        from otel_langchain import OTelCallbackHandler
        from otel_langchain.cli import _demo_agent
        from otel_langchain.usage import track_usage
    except ImportError as exc:  # langgraph is an extra
        raise CliError(f"the demo needs {exc.name}: pip install 'otel-langchain[demo]'") from None
    console = make_console(no_color=args.no_color)
    service = args.service_name or os.environ.get("OTEL_SERVICE_NAME") or DEFAULT_SERVICE
    targets = _otlp_targets(args)
    otlp = None
    if targets is not None:  # both receivers checked first (a metrics one of its own too)
        from otel_langchain.cli._check import check_reachable

        otlp, metrics = targets
        check_reachable(otlp, metrics if metrics.endpoint != otlp.endpoint else None)
    else:
        args.out = args.out or Path(DEFAULT_OUT)
    if args.out is not None:
        _fresh(args.out)
    telemetry = _telemetry(args, service, otlp)
    handler = OTelCallbackHandler(
        tracer_provider=telemetry.tracer_provider, meter_provider=telemetry.meter_provider
    )
    try:
        with track_usage(budget_usd=BUDGET_USD, on_exceed="raise") as usage:
            _converse(console, handler, _demo_agent, _metric_points(telemetry, otlp is not None))
    finally:
        telemetry.shutdown()
    rated = len(_demo_agent.TURNS)
    if otlp is not None:
        _report_otlp(console, usage, rated, telemetry, service)
    else:
        _report_file(console, args, usage, rated)
    return 0
