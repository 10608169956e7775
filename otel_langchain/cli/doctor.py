"""``otel-langchain doctor``: effective configuration, versions, and an export check."""

from __future__ import annotations

import argparse
import json
import os
import platform
import tempfile
import time
from importlib import metadata
from pathlib import Path

from rich.console import Console
from rich.table import Table

from otel_langchain.cli._common import CliError, common_options
from otel_langchain.cli._endpoint import (
    Setting,
    endpoint_setting,
    mask,
    parse_headers,
    protocol_setting,
)
from otel_langchain.cli._render import make_console

DESCRIPTION = """\
Print the effective OpenTelemetry configuration (from flags and OTEL_* variables,
secrets in headers masked) and the versions of the packages involved, then send
one span (service.name otel-langchain-doctor) to the OTLP endpoint. Exits 1,
with the reason, when the endpoint does not accept it."""

_PACKAGES = (
    "otel-langchain",
    "langchain-core",
    "langgraph",
    "opentelemetry-api",
    "opentelemetry-sdk",
    "opentelemetry-exporter-otlp-proto-grpc",
    "opentelemetry-exporter-otlp-proto-http",
    "opentelemetry-semantic-conventions",
    "grpcio",
    "rich",
)


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register the ``doctor`` subcommand."""
    parser = subparsers.add_parser(
        "doctor",
        help="show the configuration and check that the OTLP endpoint accepts exports",
        description=DESCRIPTION,
        parents=[common_options()],
    )
    parser.add_argument(
        "--endpoint", metavar="URL", help="OTLP endpoint (default: OTEL_EXPORTER_OTLP_ENDPOINT)"
    )
    parser.add_argument("--protocol", choices=("grpc", "http/protobuf"), help="OTLP protocol")
    parser.add_argument(
        "--header", metavar="KEY=VALUE", action="append", default=[], help="request header"
    )
    parser.add_argument("--timeout", type=float, default=5.0, help="seconds for the check")
    parser.set_defaults(run=run)


def _env_setting(name: str, default: str) -> Setting:
    value = os.environ.get(name, "").strip()
    return Setting(value, name) if value else Setting(default, "default")


def _service_name() -> Setting:
    setting = _env_setting("OTEL_SERVICE_NAME", "")
    if setting.value:
        return setting
    for item in os.environ.get("OTEL_RESOURCE_ATTRIBUTES", "").split(","):
        key, _, value = item.partition("=")
        if key.strip() == "service.name" and value.strip():
            return Setting(value.strip(), "OTEL_RESOURCE_ATTRIBUTES")
    return Setting("unknown_service", "default")


def _config_table(rows: list[tuple[str, Setting]]) -> Table:
    table = Table(title="Configuration", title_justify="left", show_header=False, box=None)
    table.add_column("setting", style="bold")
    table.add_column("value")
    table.add_column("from", style="dim")
    for name, setting in rows:
        table.add_row(name, setting.value or "-", setting.source)
    return table


def _versions_table() -> Table:
    table = Table(title="Versions", title_justify="left", show_header=False, box=None)
    table.add_column("package", style="bold")
    table.add_column("version")
    table.add_row("python", f"{platform.python_version()} ({platform.python_implementation()})")
    for name in _PACKAGES:
        try:
            version = metadata.version(name)
        except metadata.PackageNotFoundError:
            version = "not installed"
        table.add_row(name, version)
    return table


def _probe_file(directory: Path, *, with_span: bool) -> Path:
    """One finished span (or an empty request), as OTLP/JSON, to send as the check."""
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    from otel_langchain.exporters.otlp_json import spans_to_json

    path = directory / "doctor.jsonl"
    if not with_span:
        path.write_text(json.dumps({"resourceSpans": []}) + "\n", "utf-8")
        return path
    exporter = InMemorySpanExporter()
    provider = TracerProvider(resource=Resource.create({"service.name": "otel-langchain-doctor"}))
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    with provider.get_tracer("otel_langchain.cli").start_as_current_span("otel-langchain doctor"):
        pass
    provider.shutdown()
    path.write_text(json.dumps(spans_to_json(exporter.get_finished_spans())) + "\n", "utf-8")
    return path


def check_export(
    endpoint: str, protocol: str, headers: dict[str, str], timeout: float, *, with_span: bool = True
) -> float:
    """Send one span (or an empty export); return the seconds it took, or raise CliError."""
    from otel_langchain.exporters.replay import ReplayError, replay

    with tempfile.TemporaryDirectory(prefix="otel-langchain-doctor-") as tmp:
        probe = _probe_file(Path(tmp), with_span=with_span)
        started = time.perf_counter()
        try:
            replay(probe, endpoint=endpoint, protocol=protocol, headers=headers, timeout=timeout)
        except (ReplayError, ValueError) as exc:
            raise CliError(f"{endpoint} did not accept an OTLP export: {exc}") from None
    return time.perf_counter() - started


def _report_check(console: Console, args: argparse.Namespace, exporter: str) -> int:
    protocol = protocol_setting(args.protocol).value
    endpoint = endpoint_setting(args.endpoint, protocol).value
    if "otlp" not in exporter.split(",") and not args.endpoint:
        console.print(f"Export check skipped: traces exporter is {exporter!r}, not otlp.")
        return 0
    headers = parse_headers(args.header)
    with console.status(f"Sending one span to {endpoint} ({protocol})..."):
        seconds = check_export(endpoint, protocol, headers, args.timeout)
    took = f"{protocol}, {seconds * 1000:.0f} ms"
    console.print(f"[green]OK[/green] {endpoint} accepted an OTLP export ({took}).")
    return 0


def run(args: argparse.Namespace) -> int:
    """Run ``doctor``."""
    console = make_console(no_color=args.no_color)
    protocol = protocol_setting(args.protocol)
    endpoint = endpoint_setting(args.endpoint, protocol.value)
    headers = parse_headers(args.header)
    header_text = ", ".join(f"{k}={mask(v)}" for k, v in headers.items())
    header_source = "--header" if args.header else "OTEL_EXPORTER_OTLP_HEADERS"
    exporter = _env_setting("OTEL_TRACES_EXPORTER", "otlp")
    rows = [
        ("service.name", _service_name()),
        ("traces exporter", exporter),
        ("metrics exporter", _env_setting("OTEL_METRICS_EXPORTER", "otlp")),
        ("endpoint", endpoint),
        ("protocol", protocol),
        ("headers", Setting(header_text, header_source if headers else "-")),
        ("resource attributes", _env_setting("OTEL_RESOURCE_ATTRIBUTES", "")),
        (
            "capture content",
            _env_setting("OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT", "false"),
        ),
    ]
    console.print(_config_table(rows))
    console.print()
    console.print(_versions_table())
    console.print()
    return _report_check(console, args, exporter.value)
