"""configure()'s settings: argument, then OTEL_* environment variable, then default."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

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

from otel_langchain.config._batching import Batching, batching
from otel_langchain.config._checks import (
    check_bool,
    check_seconds,
    env,
    env_bool,
    env_number,
    shown,
)
from otel_langchain.config._otlp import CONFIGURE_NAMES, Names, Otlp, resolve_otlp
from otel_langchain.config._resource import build_resource

EXPORTERS = ("otlp", "console", "file", "none")
FILE_ENV = "OTEL_LANGCHAIN_FILE"
DEFAULT_FILE = "otel-langchain-traces.jsonl"
SIGNALS_ENV = "OTEL_LANGCHAIN_FLUSH_ON_SIGNALS"
_INTERVAL_ENV = "OTEL_METRIC_EXPORT_INTERVAL"
_METRIC_TIMEOUT_ENV = "OTEL_METRIC_EXPORT_TIMEOUT"
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
class Settings:
    """Everything configure() builds from, checked."""

    resource: Resource
    traces: tuple[str, ...]
    metrics: tuple[str, ...]
    traces_otlp: Otlp | None
    metrics_otlp: Otlp | None
    file: str
    file_from: str
    interval_millis: float
    metric_timeout_millis: float
    batching: Batching
    temporality: dict[type, AggregationTemporality]
    flush_on_signals: bool


def resolve_settings(
    *,
    service_name: object = None,
    exporter: object = None,
    endpoint: object = None,
    protocol: object = None,
    headers: object = None,
    file: object = None,
    resource_attributes: object = None,
    metric_interval: object = None,
    metrics_exporter: object = None,
    temporality: object = None,
    flush_on_signals: object = None,
    otlp_names: Names = CONFIGURE_NAMES,
) -> Settings:
    """Apply argument > env > default to every setting; ValueError names a bad one."""
    traces = _exporter_names("traces", exporter, "exporter", endpoint)
    metrics = (
        _exporter_names("metrics", metrics_exporter, "metrics_exporter", endpoint)
        if metrics_exporter is not None
        else _exporter_names("metrics", exporter, "exporter", endpoint)
    )
    otlp = {
        signal: resolve_otlp(
            signal, endpoint=endpoint, protocol=protocol, headers=headers, names=otlp_names
        )
        for signal, names in (("traces", traces), ("metrics", metrics))
        if "otlp" in names
    }
    path, path_from = _file(file, check_path="file" in traces + metrics)
    signals = check_bool(flush_on_signals, "flush_on_signals")
    return Settings(
        resource=build_resource(service_name, resource_attributes),
        traces=traces,
        metrics=metrics,
        traces_otlp=otlp.get("traces"),
        metrics_otlp=otlp.get("metrics"),
        file=path,
        file_from=path_from,
        interval_millis=_interval_millis(metric_interval),
        metric_timeout_millis=(env_number(_METRIC_TIMEOUT_ENV, 30_000, "milliseconds") or 30_000),
        batching=batching(),
        temporality=_temporality(temporality),
        flush_on_signals=signals if signals is not None else env_bool(SIGNALS_ENV, False),
    )


def _exporter_names(signal: str, value: object, arg_name: str, endpoint: object) -> tuple[str, ...]:
    env_var = f"OTEL_{signal.upper()}_EXPORTER"
    raw: object = value
    name = arg_name
    if value is None:
        raw, name = env(env_var), env_var
    if raw is None:
        configured = (
            endpoint
            or env("OTEL_EXPORTER_OTLP_ENDPOINT")
            or env(f"OTEL_EXPORTER_OTLP_{signal.upper()}_ENDPOINT")
        )
        return ("otlp",) if configured else ("console",)
    if isinstance(raw, str):
        parts: list[object] = list(raw.split(","))
    elif isinstance(raw, (list, tuple)):
        parts = list(raw)
    else:
        parts = [raw]
    names = tuple(part.strip().lower() for part in parts if isinstance(part, str) and part.strip())
    if len(names) != len(parts) or not names or any(part not in EXPORTERS for part in names):
        raise ValueError(
            f"{name}={shown(raw)} is not an exporter name or a list of them; allowed: "
            f"{', '.join(EXPORTERS)} (several as a list or comma-separated)"
        )
    return tuple(part for part in names if part != "none")


def _file(value: object, *, check_path: bool) -> tuple[str, str]:
    """The file exporter's path: checked now (when used), so a bad one fails at configure()."""
    if value is not None:
        if not isinstance(value, (str, os.PathLike)) or not os.fspath(value):
            raise ValueError(f"file={shown(value)} must be a path (str or os.PathLike)")
        raw, name = os.fspath(value), "file"
        if not isinstance(raw, str):
            raise ValueError(f"file={shown(value)} must be a text path, not bytes")
    else:
        env_value = env(FILE_ENV)
        raw, name = (env_value, FILE_ENV) if env_value else (DEFAULT_FILE, "default")
    path = Path(raw).absolute()
    if not check_path:
        return raw, name
    if path.is_dir():
        raise ValueError(f"{name}={shown(raw)} is a directory; expected the path of a file")
    for parent in path.parents:
        if parent.exists():
            if not parent.is_dir():
                raise ValueError(
                    f"{name}={shown(raw)} lies under {str(parent)!r}, which is a file, not "
                    "a directory"
                )
            break
    return raw, name


def _interval_millis(metric_interval: object) -> float:
    seconds = check_seconds(metric_interval, "metric_interval")
    if seconds is not None:
        return seconds * 1000
    return env_number(_INTERVAL_ENV, 60_000, "milliseconds") or 60_000


def _temporality(value: object) -> dict[type, AggregationTemporality]:
    env_var = "OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE"
    raw, name = (value, "temporality") if value is not None else (env(env_var), env_var)
    key = raw.strip().lower() if isinstance(raw, str) else None if raw is not None else "cumulative"
    if key not in _DELTA_INSTRUMENTS:
        raise ValueError(
            f"{name}={shown(raw)} is not supported; allowed: {', '.join(_DELTA_INSTRUMENTS)}"
        )
    delta = _DELTA_INSTRUMENTS[key]
    return {
        cls: AggregationTemporality.DELTA if cls in delta else AggregationTemporality.CUMULATIVE
        for cls in _INSTRUMENTS
    }
