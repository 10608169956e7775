"""configure()'s settings: argument, then OTEL_* environment variable, then default."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from urllib.parse import unquote, urlparse

from opentelemetry.sdk.metrics import (
    Counter,
    Histogram,
    ObservableCounter,
    ObservableGauge,
    ObservableUpDownCounter,
    UpDownCounter,
)
from opentelemetry.sdk.metrics.export import AggregationTemporality
from opentelemetry.sdk.resources import Resource
from opentelemetry.util.types import AttributeValue

_EXPORTERS = ("otlp", "console", "file", "none")
_PROTOCOLS = ("grpc", "http/protobuf")
_FILE_ENV = "OTEL_LANGCHAIN_FILE"
_DEFAULT_FILE = "otel-langchain-traces.jsonl"
# Short enough that an unreachable endpoint cannot stall shutdown for long.
_EXPORT_TIMEOUT_SECONDS = 5.0
_INSTRUMENTS = (
    Counter,
    UpDownCounter,
    Histogram,
    ObservableCounter,
    ObservableUpDownCounter,
    ObservableGauge,
)
_DELTA_INSTRUMENTS: dict[str, tuple[type, ...]] = {
    "cumulative": (),
    "delta": (Counter, Histogram, ObservableCounter),
    "lowmemory": (Counter, Histogram),
}


@dataclass(frozen=True)
class _Otlp:
    """How one signal's OTLP exporter is built; None leaves a value to the SDK's env."""

    protocol: str
    endpoint: str | None
    headers: dict[str, str] | None
    timeout: float | None
    label: str


@dataclass(frozen=True)
class _Settings:
    resource: Resource
    traces: tuple[str, ...]
    metrics: tuple[str, ...]
    traces_otlp: _Otlp | None
    metrics_otlp: _Otlp | None
    file: str
    interval_millis: float | None
    temporality: dict[type, AggregationTemporality]


def _pick(value: object, name: str, *env_vars: str) -> tuple[object, str]:
    """The explicit value, else the first env var set; with the setting's name."""
    if value is not None:
        return value, name
    for env_var in env_vars:
        raw = os.environ.get(env_var, "").strip()
        if raw:
            return raw, env_var
    return None, name


def _resolve_settings(
    *,
    service_name: str | None,
    exporter: str | Sequence[str] | None,
    endpoint: str | None,
    protocol: str | None,
    headers: Mapping[str, str] | str | None,
    file: str | os.PathLike[str] | None,
    resource_attributes: Mapping[str, AttributeValue] | None,
    metric_interval: float | None,
    metrics_exporter: str | Sequence[str] | None,
    temporality: str | None,
) -> _Settings:
    """Apply argument > env > default to every setting; ValueError names a bad one."""
    attributes = dict(resource_attributes or {})
    if service_name:
        attributes["service.name"] = service_name
    traces = _exporter_names("traces", exporter, "exporter", endpoint)
    metrics = (
        _exporter_names("metrics", metrics_exporter, "metrics_exporter", endpoint)
        if metrics_exporter is not None
        else _exporter_names("metrics", exporter, "exporter", endpoint)
    )
    return _Settings(
        resource=Resource.create(attributes),
        traces=traces,
        metrics=metrics,
        traces_otlp=_otlp("traces", endpoint, protocol, headers) if "otlp" in traces else None,
        metrics_otlp=_otlp("metrics", endpoint, protocol, headers) if "otlp" in metrics else None,
        file=os.fspath(file) if file is not None else os.environ.get(_FILE_ENV) or _DEFAULT_FILE,
        interval_millis=_interval_millis(metric_interval),
        temporality=_temporality(temporality),
    )


def _exporter_names(
    signal: str, value: str | Sequence[str] | None, arg_name: str, endpoint: str | None
) -> tuple[str, ...]:
    raw, name = _pick(value, arg_name, f"OTEL_{signal.upper()}_EXPORTER")
    if raw is None:
        configured = (
            endpoint
            or os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT")
            or (os.environ.get(f"OTEL_EXPORTER_OTLP_{signal.upper()}_ENDPOINT"))
        )
        return ("otlp",) if configured else ("console",)
    parts = raw.split(",") if isinstance(raw, str) else list(raw)  # type: ignore[call-overload]
    names = tuple(str(part).strip().lower() for part in parts if str(part).strip())
    if not names or any(part not in _EXPORTERS for part in names):
        raise ValueError(
            f"{name}={raw!r} names an unknown exporter; allowed: {', '.join(_EXPORTERS)} "
            "(several may be given, comma-separated)"
        )
    return tuple(part for part in names if part != "none")


def _otlp(
    signal: str,
    endpoint: str | None,
    protocol: str | None,
    headers: Mapping[str, str] | str | None,
) -> _Otlp:
    sig = signal.upper()
    raw_protocol, protocol_name = _pick(
        protocol, "protocol", f"OTEL_EXPORTER_OTLP_{sig}_PROTOCOL", "OTEL_EXPORTER_OTLP_PROTOCOL"
    )
    chosen = str(raw_protocol or "grpc").strip().lower()
    if chosen not in _PROTOCOLS:
        raise ValueError(
            f"{protocol_name}={raw_protocol!r} is not supported; allowed: {', '.join(_PROTOCOLS)}"
        )
    raw_endpoint, endpoint_name = _pick(endpoint, "endpoint", "OTEL_EXPORTER_OTLP_ENDPOINT")
    if raw_endpoint is not None:
        _check_endpoint(str(raw_endpoint), endpoint_name, chosen)
    url = endpoint
    if endpoint is not None and chosen == "http/protobuf":
        # The SDK appends the signal path only to the env var, not to an explicit URL.
        url = f"{endpoint.rstrip('/')}/v1/{signal}"
    parsed_headers = _parse_headers(*_pick(headers, "headers", "OTEL_EXPORTER_OTLP_HEADERS"))
    timeout_env = ("OTEL_EXPORTER_OTLP_TIMEOUT", f"OTEL_EXPORTER_OTLP_{sig}_TIMEOUT")
    shown = endpoint or os.environ.get(f"OTEL_EXPORTER_OTLP_{sig}_ENDPOINT") or raw_endpoint
    return _Otlp(
        protocol=chosen,
        endpoint=url,
        # Headers and timeout from env are left to the SDK, which also reads the
        # per-signal variables.
        headers=parsed_headers if headers is not None else None,
        timeout=None if any(os.environ.get(v) for v in timeout_env) else _EXPORT_TIMEOUT_SECONDS,
        label=f"OTLP/{chosen} {shown or 'default endpoint'}",
    )


def _check_endpoint(value: str, name: str, protocol: str) -> None:
    parsed = urlparse(value)
    try:
        valid = (
            parsed.scheme in ("http", "https")
            and bool(parsed.hostname)
            and (parsed.port is None or parsed.port > 0)
        )
    except ValueError:  # a port that is not a number
        valid = False
    # Like the SDK's gRPC exporter, accept a bare host:port for gRPC (TLS unless insecure).
    if not valid and protocol == "grpc":
        valid = re.fullmatch(r"[A-Za-z0-9.\-]+:\d+", value) is not None
    if not valid:
        expected = "http://host:port or https://host:port"
        if protocol == "grpc":
            expected += " (or host:port)"
        raise ValueError(
            f"{name}={value!r} is not a valid {protocol} endpoint; expected {expected}"
        )


def _parse_headers(value: object, name: str) -> dict[str, str] | None:
    if value is None:
        return None
    if isinstance(value, Mapping):
        pairs = [(str(key), str(item)) for key, item in value.items()]
    else:
        pairs = []
        for part in str(value).split(","):
            key, sep, item = part.partition("=")
            if not part.strip():
                continue
            if not sep or not key.strip():
                shown = part.strip() if not sep else "=..."  # never echo a header value
                raise ValueError(
                    f"{name}: malformed header {shown!r}; expected key=value pairs "
                    "separated by commas, e.g. 'api-key=secret,tenant=a'"
                )
            pairs.append((unquote(key), unquote(item)))
    # gRPC metadata keys must be lowercase; HTTP header names are case-insensitive.
    return {key.strip().lower(): item.strip() for key, item in pairs}


def _interval_millis(metric_interval: float | None) -> float | None:
    if metric_interval is not None:
        name, raw, unit, scale = "metric_interval", metric_interval, "seconds", 1000.0
    else:
        name, unit, scale = "OTEL_METRIC_EXPORT_INTERVAL", "milliseconds", 1.0
        raw = os.environ.get(name, "").strip()  # type: ignore[assignment]
        if not raw:
            return None  # the SDK's default, 60 s
    try:
        millis = float(raw) * scale
    except (TypeError, ValueError):
        millis = float("nan")
    if not 0 < millis < float("inf"):
        raise ValueError(f"{name}={raw!r} must be a positive number of {unit}")
    return millis


def _temporality(value: str | None) -> dict[type, AggregationTemporality]:
    raw, name = _pick(value, "temporality", "OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE")
    key = str(raw or "cumulative").strip().lower()
    if key not in _DELTA_INSTRUMENTS:
        raise ValueError(
            f"{name}={raw!r} is not supported; allowed: {', '.join(_DELTA_INSTRUMENTS)}"
        )
    delta = _DELTA_INSTRUMENTS[key]
    return {
        cls: AggregationTemporality.DELTA if cls in delta else AggregationTemporality.CUMULATIVE
        for cls in _INSTRUMENTS
    }
