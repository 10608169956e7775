"""OTLP settings for the CLI: flags, then the environment, resolved as configure() does."""

from __future__ import annotations

import os
from collections.abc import Iterable
from urllib.parse import unquote

from otel_langchain._secrets import AUTH_SCHEMES
from otel_langchain.cli._common import CliError
from otel_langchain.config._otlp import CLI_NAMES, Otlp, resolve_otlp

#: The environment variables that name an OTLP endpoint, for both signals or for one.
ENDPOINT_VARIABLES = (
    "OTEL_EXPORTER_OTLP_ENDPOINT",
    "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
    "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT",
)


def endpoint_configured() -> bool:
    """Whether any of :data:`ENDPOINT_VARIABLES` is set (not blank)."""
    return any(os.environ.get(name, "").strip() for name in ENDPOINT_VARIABLES)


def header_flags(pairs: Iterable[str]) -> dict[str, str] | None:
    """Repeated ``--header KEY=VALUE`` flags (percent-decoded); None when there are none.

    A value may hold commas: each flag is one header.
    """
    items = list(pairs)
    if not items:
        return None
    headers: dict[str, str] = {}
    for number, item in enumerate(items, start=1):
        key, sep, value = item.partition("=")
        if not sep or not key.strip():  # never echo the entry: it may hold a secret
            raise CliError(f"--header: header #{number} is not KEY=VALUE", status=2)
        headers[unquote(key)] = unquote(value)
    return headers


def resolve(
    signal: str,
    *,
    endpoint: str | None,
    protocol: str | None,
    headers: Iterable[str] = (),
    timeout: float | None = None,
) -> Otlp:
    """One signal's OTLP destination from the flags and env; CliError (status 2) names a bad one."""
    try:
        return resolve_otlp(
            signal,
            endpoint=endpoint or None,
            protocol=protocol,
            headers=header_flags(headers),
            timeout=timeout,
            names=CLI_NAMES,
        )
    except ValueError as exc:
        raise CliError(str(exc), status=2) from None


def mask(value: str) -> str:
    """A header value with its secret part hidden (an auth scheme word stays visible)."""
    lowered = value.lower()
    for scheme in AUTH_SCHEMES:
        if lowered.startswith(scheme):
            return value[: len(scheme)] + "****"
    return "****" if value else ""
