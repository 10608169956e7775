"""OTLP endpoint settings as the OpenTelemetry SDK reads them: flags, then env, then defaults."""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import unquote, urlparse

from otel_langchain.cli._common import CliError

PROTOCOLS = ("grpc", "http/protobuf")
DEFAULT_ENDPOINTS = {"grpc": "http://localhost:4317", "http/protobuf": "http://localhost:4318"}
_AUTH_SCHEMES = ("bearer ", "basic ", "apikey ", "api-key ")


@dataclass(frozen=True)
class Setting:
    """A value and where it came from (``--flag``, an env var name, or ``default``)."""

    value: str
    source: str


def _first(explicit: str | None, flag: str, names: Iterable[str], default: str) -> Setting:
    if explicit:
        return Setting(explicit, flag)
    for name in names:
        value = os.environ.get(name, "").strip()
        if value:
            return Setting(value, name)
    return Setting(default, "default")


def protocol_setting(explicit: str | None = None) -> Setting:
    """The OTLP protocol: ``--protocol``, the traces/general env var, else ``grpc``."""
    setting = _first(
        explicit,
        "--protocol",
        ("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "OTEL_EXPORTER_OTLP_PROTOCOL"),
        "grpc",
    )
    if setting.value not in PROTOCOLS:
        raise CliError(
            f"{setting.source}={setting.value!r} is not an OTLP protocol; "
            f"use one of: {', '.join(PROTOCOLS)}",
            status=2,
        )
    return setting


def resolve_protocol(explicit: str | None = None) -> str:
    """The OTLP protocol name (see :func:`protocol_setting`)."""
    return protocol_setting(explicit).value


def endpoint_setting(explicit: str | None, protocol: str) -> Setting:
    """The base endpoint: ``--endpoint``, ``OTEL_EXPORTER_OTLP_ENDPOINT``, else the default."""
    setting = _first(
        explicit, "--endpoint", ("OTEL_EXPORTER_OTLP_ENDPOINT",), DEFAULT_ENDPOINTS[protocol]
    )
    parsed = urlparse(setting.value)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise CliError(
            f"{setting.source}={setting.value!r} is not a URL; expected http(s)://host:port",
            status=2,
        )
    return setting


def parse_headers(pairs: Iterable[str]) -> dict[str, str]:
    """``KEY=VALUE`` flags, else ``OTEL_EXPORTER_OTLP_HEADERS`` (comma separated, URL-encoded)."""
    items = list(pairs)
    source = "--header"
    if not items:
        env = os.environ.get("OTEL_EXPORTER_OTLP_HEADERS", "")
        items = [item for item in env.split(",") if item.strip()]
        source = "OTEL_EXPORTER_OTLP_HEADERS"
    headers: dict[str, str] = {}
    for number, item in enumerate(items, start=1):
        key, sep, value = item.partition("=")
        if not sep or not key.strip():  # never echo the entry: it may hold a secret
            raise CliError(f"{source}: header #{number} is not KEY=VALUE", status=2)
        headers[unquote(key.strip())] = unquote(value.strip())
    return headers


def mask(value: str) -> str:
    """A header value with its secret part hidden (an auth scheme word stays visible)."""
    lowered = value.lower()
    for scheme in _AUTH_SCHEMES:
        if lowered.startswith(scheme):
            return value[: len(scheme)] + "****"
    return "****" if value else ""
