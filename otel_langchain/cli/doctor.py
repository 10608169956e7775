"""``otel-langchain doctor``: effective configuration, versions, and a delivery check."""

from __future__ import annotations

import argparse
import dataclasses
import platform
from collections.abc import Sequence
from importlib import metadata

from rich.console import Console
from rich.table import Table

from otel_langchain.cli._check import ProbeResult, probe
from otel_langchain.cli._common import CliError, common_options
from otel_langchain.cli._endpoint import header_flags, mask
from otel_langchain.cli._render import make_console
from otel_langchain.config._checks import env
from otel_langchain.config._otlp import CLI_NAMES, Otlp
from otel_langchain.config._settings import SIGNALS_ENV, Settings, resolve_settings

DESCRIPTION = """\
Print the configuration configure() would use here (from flags and OTEL_*
variables, secrets in headers masked) and the versions of the packages involved,
then send one span and one metric point (service.name otel-langchain-doctor)
through the same OTLP exporters configure() builds, and report what each
destination accepted or lost. Exits 1, with the reason, when something was lost.
doctor runs in its own process: it cannot see what a running app has lost; the
app's counts are on the handle configure() returns (telemetry.delivery()) and
in the warning it logs at shutdown."""

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
        help="show the configuration and check what the OTLP endpoint accepts",
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
    parser.add_argument(
        "--timeout",
        type=float,
        help="seconds per export (default: OTEL_EXPORTER_OTLP_TIMEOUT, else 5)",
    )
    parser.set_defaults(run=run)


def _settings(args: argparse.Namespace) -> Settings:
    try:
        return resolve_settings(
            exporter="otlp" if args.endpoint else None,
            endpoint=args.endpoint or None,
            protocol=args.protocol,
            headers=header_flags(args.header),
            otlp_names=CLI_NAMES,
        )
    except ValueError as exc:
        raise CliError(str(exc), status=2) from None


def _source(env_var: str, flag_given: bool, flag: str) -> str:
    if flag_given:
        return flag
    return env_var if env(env_var) else "default"


def _config_rows(args: argparse.Namespace, settings: Settings) -> list[tuple[str, str, str]]:
    attributes = settings.resource.attributes
    rows = [
        (
            "service.name",
            str(attributes.get("service.name", "")),
            "OTEL_SERVICE_NAME"
            if env("OTEL_SERVICE_NAME")
            else "OTEL_RESOURCE_ATTRIBUTES"
            if "service.name=" in (env("OTEL_RESOURCE_ATTRIBUTES") or "")
            else "default",
        ),
    ]
    for signal, names in (("traces", settings.traces), ("metrics", settings.metrics)):
        source = _source(f"OTEL_{signal.upper()}_EXPORTER", bool(args.endpoint), "--endpoint")
        rows.append((f"{signal} exporter", ", ".join(names) or "none", source))
    for otlp in (settings.traces_otlp, settings.metrics_otlp):
        if otlp is None:
            continue
        headers = ", ".join(f"{key}={mask(value)}" for key, value in otlp.headers.items())
        rows += [
            (f"{otlp.signal} endpoint", otlp.url, otlp.endpoint_from),
            (f"{otlp.signal} protocol", otlp.protocol, otlp.protocol_from),
            (f"{otlp.signal} headers", headers, otlp.headers_from),
            (f"{otlp.signal} timeout", f"{otlp.timeout:g} s", otlp.timeout_from),
        ]
    if "file" in settings.traces + settings.metrics:
        rows.append(("file", settings.file, settings.file_from))
    rows += [
        (
            "resource attributes",
            env("OTEL_RESOURCE_ATTRIBUTES") or "",
            _source("OTEL_RESOURCE_ATTRIBUTES", False, ""),
        ),
        (
            "capture content",
            env("OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT") or "false",
            _source("OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT", False, ""),
        ),
        (
            "flush on SIGTERM",
            str(settings.flush_on_signals).lower(),
            _source(SIGNALS_ENV, False, ""),
        ),
    ]
    return rows


def _table(title: str, rows: Sequence[Sequence[str]]) -> Table:
    table = Table(title=title, title_justify="left", show_header=False, box=None)
    for index, _ in enumerate(rows[0] if rows else ()):
        table.add_column(style="bold" if index == 0 else "dim" if index == 2 else None)
    for row in rows:
        table.add_row(*(value or "-" for value in row))
    return table


def _versions() -> list[tuple[str, str]]:
    rows = [("python", f"{platform.python_version()} ({platform.python_implementation()})")]
    for name in _PACKAGES:
        try:
            version = metadata.version(name)
        except metadata.PackageNotFoundError:
            version = "not installed"
        rows.append((name, version))
    return rows


def _delivery_rows(result: ProbeResult) -> list[tuple[str, str, str]]:
    rows = []
    for report in result.deliveries:
        unit = "span" if report.signal == "traces" else "metric point"
        outcome = f"{report.exported} {unit}{'' if report.exported == 1 else 's'} exported"
        if report.lost:
            reasons = ", ".join(report.lost_by_reason)
            outcome += f", {report.lost} lost ({reasons})"
        rows.append((report.signal, report.destination, outcome))
    return rows


def _report_check(console: Console, args: argparse.Namespace, settings: Settings) -> int:
    if settings.traces_otlp is None and settings.metrics_otlp is None:
        console.print(
            "Export check skipped: no OTLP exporter is configured (traces: "
            f"{', '.join(settings.traces) or 'none'}; metrics: "
            f"{', '.join(settings.metrics) or 'none'}). Pass --endpoint URL or set "
            "OTEL_EXPORTER_OTLP_ENDPOINT to check one."
        )
        return 0
    timeout = max(otlp.timeout for otlp in (settings.traces_otlp, settings.metrics_otlp) if otlp)
    with console.status("Sending one span and one metric point..."):
        result = probe(settings, timeout)
    console.print(_table("Delivery check", _delivery_rows(result)))
    console.print(
        "[dim]doctor sees only its own probe; your app's counts are on the handle "
        "configure() returns (telemetry.delivery()) and in its shutdown warning.[/dim]"
    )
    if not result.ok:
        failed = next(d for d in result.deliveries if d.lost or not d.exported)
        endpoint = failed.destination.split(" ", 1)[-1]
        raise CliError(f"{endpoint} did not accept an OTLP export: {result.reason}")
    took = f"{result.seconds * 1000:.0f} ms"
    console.print(f"[green]OK[/green] every OTLP destination accepted the probe ({took}).")
    return 0


def _with_timeout(settings: Settings, seconds: float) -> Settings:
    def changed(otlp: Otlp | None) -> Otlp | None:
        if otlp is None:
            return None
        return dataclasses.replace(otlp, timeout=seconds, timeout_from="--timeout")

    return dataclasses.replace(
        settings,
        traces_otlp=changed(settings.traces_otlp),
        metrics_otlp=changed(settings.metrics_otlp),
    )


def run(args: argparse.Namespace) -> int:
    """Run ``doctor``."""
    if args.timeout is not None and not args.timeout > 0:
        raise CliError("--timeout must be a positive number of seconds", status=2)
    console = make_console(no_color=args.no_color)
    settings = _settings(args)
    if args.timeout:
        settings = _with_timeout(settings, args.timeout)
    console.print(_table("Configuration", list(_config_rows(args, settings))))
    console.print()
    console.print(_table("Versions", _versions()))
    console.print()
    return _report_check(console, args, settings)
