"""``otel-langchain replay FILE --endpoint URL``: send a file's telemetry to OTLP."""

from __future__ import annotations

import argparse
from pathlib import Path

from otel_langchain.cli._common import CliError, common_options
from otel_langchain.cli._endpoint import endpoint_configured, resolve
from otel_langchain.cli._render import make_console

DESCRIPTION = """\
Send every span and metric in an OTLP/JSON file (written by otel-langchain or by
the Collector's file exporter) to an OTLP endpoint, one export request per line.
The whole file is checked before anything is sent."""


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register the ``replay`` subcommand."""
    parser = subparsers.add_parser(
        "replay",
        help="send an OTLP/JSON file's spans and metrics to an OTLP endpoint",
        description=DESCRIPTION,
        parents=[common_options()],
    )
    parser.add_argument("file", metavar="FILE", type=Path, help="OTLP/JSON file (JSON lines)")
    parser.add_argument(
        "--endpoint",
        metavar="URL",
        help="OTLP receiver, e.g. http://localhost:4317 (default: OTEL_EXPORTER_OTLP_ENDPOINT)",
    )
    parser.add_argument(
        "--protocol",
        choices=("grpc", "http/protobuf"),
        default=None,
        help="OTLP protocol (default: OTEL_EXPORTER_OTLP_PROTOCOL, else grpc)",
    )
    parser.add_argument(
        "--header",
        metavar="KEY=VALUE",
        action="append",
        default=[],
        help="extra request header, repeatable (default: OTEL_EXPORTER_OTLP_HEADERS)",
    )
    parser.add_argument(
        "--timeout",
        type=float,
        help="seconds per request (default: OTEL_EXPORTER_OTLP_TIMEOUT, else 5)",
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Run ``replay``."""
    from otel_langchain.exporters.replay import ReplayError, replay_to

    if not args.endpoint and not endpoint_configured():
        raise CliError(
            "no endpoint: pass --endpoint URL or set OTEL_EXPORTER_OTLP_ENDPOINT", status=2
        )
    if args.timeout is not None and not args.timeout > 0:
        raise CliError("--timeout must be a positive number of seconds", status=2)
    traces, metrics = (
        resolve(
            signal,
            endpoint=args.endpoint,
            protocol=args.protocol,
            headers=args.header,
            timeout=args.timeout,
        )
        for signal in ("traces", "metrics")
    )
    if not args.file.is_file():
        raise CliError(f"{args.file}: no such file", status=2)
    console = make_console(no_color=args.no_color)
    where = f"{traces.endpoint} ({traces.protocol})"
    with console.status(f"Sending {args.file} to {where}..."):
        try:
            result = replay_to(args.file, traces=traces, metrics=metrics)
        except ValueError as exc:
            raise CliError(str(exc), status=2) from None
        except ReplayError as exc:
            raise CliError(str(exc), status=1) from None
    console.print(f"Sent {result.spans} spans and {result.metric_points} metric points to {where}.")
    return 0
