"""configure(): global OpenTelemetry providers and exporters from arguments or env."""

from __future__ import annotations

import atexit
import functools
import logging
import os
import re
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import Any
from urllib.parse import unquote, urlparse

from opentelemetry import metrics, trace
from opentelemetry.sdk.metrics import (
    Counter,
    Histogram,
    MeterProvider,
    ObservableCounter,
    ObservableGauge,
    ObservableUpDownCounter,
    UpDownCounter,
)
from opentelemetry.sdk.metrics.export import (
    AggregationTemporality,
    ConsoleMetricExporter,
    MetricExporter,
    MetricExportResult,
    MetricReader,
    MetricsData,
    PeriodicExportingMetricReader,
)
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import (
    BatchSpanProcessor,
    ConsoleSpanExporter,
    SpanExporter,
    SpanExportResult,
)
from opentelemetry.util.types import AttributeValue

from otel_langchain.exporters.file import OTLPJsonFileMetricExporter, OTLPJsonFileSpanExporter

__all__ = ["Telemetry", "configure"]

logger = logging.getLogger(__name__)

_SHUTDOWN_TIMEOUT_MILLIS = 8_000
_ABORT_GRACE_SECONDS = 1.0
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


class _Delivery:
    """What one destination accepted; losses are reported once, at shutdown."""

    def __init__(self, label: str) -> None:
        self.label = label
        self.ok = 0
        self.failed = 0
        self.closing = False
        self._last_failed = False
        self._lock = threading.Lock()

    @property
    def give_up(self) -> bool:
        """During shutdown, a destination that just failed is not retried."""
        return self.closing and self._last_failed

    def record(self, ok: bool, count: int) -> None:
        with self._lock:
            if ok:
                self.ok += count
            else:
                self.failed += count
            self._last_failed = not ok


class _EndedSpans(SpanProcessor):
    """Counts sampled spans that ended: what every span exporter should receive."""

    def __init__(self) -> None:
        self.count = 0
        self._lock = threading.Lock()

    def on_end(self, span: ReadableSpan) -> None:
        if span.context is not None and span.context.trace_flags.sampled:
            with self._lock:
                self.count += 1


class _CountingSpanExporter(SpanExporter):
    """Wraps a span exporter to count what it delivered."""

    def __init__(self, inner: SpanExporter, label: str) -> None:
        self.inner = inner
        self.delivery = _Delivery(label)
        self._stop_once = threading.Lock()

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        result = SpanExportResult.FAILURE
        if not self.delivery.give_up:
            try:
                result = self.inner.export(spans)
            except Exception:
                logger.debug("Span exporter %s raised", self.delivery.label, exc_info=True)
        self.delivery.record(result is SpanExportResult.SUCCESS, len(spans))
        return result

    def shutdown(self) -> None:
        if self._stop_once.acquire(blocking=False):
            self.inner.shutdown()

    abort = shutdown

    def force_flush(self, timeout_millis: int = 30_000) -> bool:
        return self.inner.force_flush(timeout_millis)


class _CountingMetricExporter(MetricExporter):
    """Wraps a metric exporter to count the data points it failed to deliver."""

    def __init__(self, inner: MetricExporter, label: str) -> None:
        super().__init__(
            preferred_temporality=inner._preferred_temporality,
            preferred_aggregation=inner._preferred_aggregation,
        )
        self.inner = inner
        self.delivery = _Delivery(label)
        self._stop_once = threading.Lock()

    def export(
        self, metrics_data: MetricsData, timeout_millis: float = 10_000, **kwargs: Any
    ) -> MetricExportResult:
        result = MetricExportResult.FAILURE
        if not self.delivery.give_up:
            try:
                result = self.inner.export(metrics_data, timeout_millis=timeout_millis)
            except Exception:
                logger.debug("Metric exporter %s raised", self.delivery.label, exc_info=True)
        points = sum(
            len(getattr(metric.data, "data_points", ()))
            for resource in metrics_data.resource_metrics
            for scope in resource.scope_metrics
            for metric in scope.metrics
        )
        self.delivery.record(result is MetricExportResult.SUCCESS, points)
        return result

    def force_flush(self, timeout_millis: float = 10_000) -> bool:
        return self.inner.force_flush(timeout_millis)

    def shutdown(self, timeout_millis: float = 30_000, **kwargs: Any) -> None:
        if self._stop_once.acquire(blocking=False):
            self.inner.shutdown(timeout_millis=timeout_millis)

    def abort(self) -> None:
        self.shutdown(timeout_millis=0)


class Telemetry:
    """The providers and exporters set up by :func:`configure`.

    ``shutdown()`` (or leaving a ``with`` block) flushes and stops them within
    a bounded time, then logs once per destination what could not be delivered.
    It also runs at interpreter exit, once.
    """

    def __init__(
        self,
        tracer_provider: TracerProvider,
        meter_provider: MeterProvider,
        *,
        span_exporters: Sequence[_CountingSpanExporter] = (),
        metric_exporters: Sequence[_CountingMetricExporter] = (),
        ended: _EndedSpans | None = None,
    ) -> None:
        self.tracer_provider = tracer_provider
        self.meter_provider = meter_provider
        self._span_exporters = tuple(span_exporters)
        self._metric_exporters = tuple(metric_exporters)
        self._ended = ended
        self._lock = threading.Lock()
        self._stopped = False
        atexit.register(self.shutdown)

    def force_flush(self, timeout_millis: int = 10_000) -> bool:
        """Export everything buffered now; False if a provider did not finish."""
        traces_ok = self.tracer_provider.force_flush(timeout_millis)
        try:
            metrics_ok = self.meter_provider.force_flush(timeout_millis)
        except Exception as exc:  # the SDK raises when a reader times out
            logger.warning("Flushing metrics failed: %s", exc)
            metrics_ok = False
        return traces_ok and metrics_ok

    def shutdown(self, timeout_millis: int = _SHUTDOWN_TIMEOUT_MILLIS) -> None:
        """Flush and stop both providers; returns within about ``timeout_millis``.

        Traces and metrics shut down in parallel. Once shutdown starts, a
        destination that already failed is not retried, and when the time is
        up, exports still retrying are cancelled.
        """
        with self._lock:
            if self._stopped:
                return
            self._stopped = True
        atexit.unregister(self.shutdown)
        exporters: tuple[_CountingSpanExporter | _CountingMetricExporter, ...] = (
            *self._span_exporters,
            *self._metric_exporters,
        )
        for exporter in exporters:
            exporter.delivery.closing = True
        workers = [
            _start_quietly(self.tracer_provider.shutdown, "traces"),
            _start_quietly(
                functools.partial(self.meter_provider.shutdown, timeout_millis), "metrics"
            ),
        ]
        deadline = time.monotonic() + timeout_millis / 1000
        for worker in workers:
            worker.join(max(0.0, deadline - time.monotonic()))
        if any(worker.is_alive() for worker in workers):
            for exporter in exporters:
                exporter.abort()
            for worker in workers:
                worker.join(_ABORT_GRACE_SECONDS)
        self._report_losses()

    def _report_losses(self) -> None:
        ended = self._ended.count if self._ended is not None else 0
        for span_exporter in self._span_exporters:
            lost = ended - span_exporter.delivery.ok
            if lost > 0:
                logger.warning(
                    "%d of %d spans were not exported to %s",
                    lost,
                    ended,
                    span_exporter.delivery.label,
                )
        for metric_exporter in self._metric_exporters:
            if metric_exporter.delivery.failed:
                logger.warning(
                    "%d metric data points were not exported to %s",
                    metric_exporter.delivery.failed,
                    metric_exporter.delivery.label,
                )

    def __enter__(self) -> Telemetry:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.shutdown()


def configure(
    *,
    service_name: str | None = None,
    exporter: str | Sequence[str] | None = None,
    endpoint: str | None = None,
    protocol: str | None = None,
    headers: Mapping[str, str] | str | None = None,
    file: str | os.PathLike[str] | None = None,
    resource_attributes: Mapping[str, AttributeValue] | None = None,
    metric_interval: float | None = None,
    metrics_exporter: str | Sequence[str] | None = None,
    temporality: str | None = None,
) -> Telemetry:
    """Set up global TracerProvider and MeterProvider with batching exporters.

    Every argument falls back to the standard environment variable, read with
    the SDK's semantics, then to a default.

    Args:
        service_name: ``service.name``; else ``OTEL_SERVICE_NAME``, else
            ``OTEL_RESOURCE_ATTRIBUTES``, else the SDK's ``unknown_service``.
        exporter: ``otlp``, ``console``, ``file`` or ``none``, or several (a
            list or a comma-separated string), for traces and, unless
            ``metrics_exporter`` is given, metrics. Else ``OTEL_TRACES_EXPORTER``
            (``OTEL_METRICS_EXPORTER`` for metrics). Default: ``otlp`` when an
            OTLP endpoint is configured (argument or env), else ``console``.
        endpoint: OTLP base URL, e.g. ``http://localhost:4317`` (gRPC) or
            ``http://localhost:4318`` (HTTP; ``/v1/traces`` and ``/v1/metrics``
            are appended). Else ``OTEL_EXPORTER_OTLP_ENDPOINT`` and the
            per-signal variables, read by the SDK exporters.
        protocol: ``grpc`` or ``http/protobuf``; else
            ``OTEL_EXPORTER_OTLP_{TRACES,METRICS}_PROTOCOL``, then
            ``OTEL_EXPORTER_OTLP_PROTOCOL``, else ``grpc`` (the Python SDK's default).
        headers: mapping or ``"k1=v1,k2=v2"``; else ``OTEL_EXPORTER_OTLP_HEADERS``.
        file: OTLP/JSON Lines file for the ``file`` exporter (spans and
            metrics); else ``OTEL_LANGCHAIN_FILE``, else ``otel-langchain-traces.jsonl``.
        resource_attributes: merged over ``OTEL_RESOURCE_ATTRIBUTES``.
        metric_interval: seconds between metric exports; else
            ``OTEL_METRIC_EXPORT_INTERVAL`` (milliseconds), else 60 s.
        metrics_exporter: exporters for metrics only, as ``exporter``.
        temporality: ``cumulative`` (default, what Prometheus needs), ``delta``
            or ``lowmemory``; else ``OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE``.

    Returns:
        The providers, with ``shutdown()`` and ``force_flush()``. If global
        providers were already set (say, by an earlier call), a warning is
        logged and the returned providers work but are not global.

    Raises:
        ValueError: a bad argument or environment variable; the message names
            the setting and the allowed values.
    """
    settings = _resolve_settings(
        service_name=service_name,
        exporter=exporter,
        endpoint=endpoint,
        protocol=protocol,
        headers=headers,
        file=file,
        resource_attributes=resource_attributes,
        metric_interval=metric_interval,
        metrics_exporter=metrics_exporter,
        temporality=temporality,
    )
    telemetry = _build_telemetry(settings)
    _install_globally(telemetry)
    return telemetry


def _build_telemetry(settings: _Settings) -> Telemetry:
    """Build providers and exporters from resolved settings, without touching globals."""
    ended = _EndedSpans()
    tracer_provider = TracerProvider(resource=settings.resource, shutdown_on_exit=False)
    tracer_provider.add_span_processor(ended)
    span_exporters = [_span_exporter(name, settings) for name in settings.traces]
    for span_exporter in span_exporters:
        tracer_provider.add_span_processor(BatchSpanProcessor(span_exporter))
    metric_exporters = [_metric_exporter(name, settings) for name in settings.metrics]
    readers: list[MetricReader] = [
        PeriodicExportingMetricReader(metric_exporter, settings.interval_millis)
        for metric_exporter in metric_exporters
    ]
    meter_provider = MeterProvider(
        resource=settings.resource, metric_readers=readers, shutdown_on_exit=False
    )
    return Telemetry(
        tracer_provider,
        meter_provider,
        span_exporters=span_exporters,
        metric_exporters=metric_exporters,
        ended=ended,
    )


def _span_exporter(name: str, settings: _Settings) -> _CountingSpanExporter:
    inner: SpanExporter
    if name == "console":
        inner, label = ConsoleSpanExporter(), "console"
    elif name == "file":
        inner = OTLPJsonFileSpanExporter(settings.file)
        label = f"file {inner.path}"
    else:
        otlp = settings.traces_otlp
        assert otlp is not None  # resolved whenever "otlp" is chosen
        inner, label = _otlp_span_exporter(otlp), otlp.label
    return _CountingSpanExporter(inner, label)


def _metric_exporter(name: str, settings: _Settings) -> _CountingMetricExporter:
    inner: MetricExporter
    temporality = dict(settings.temporality)
    if name == "console":
        inner, label = ConsoleMetricExporter(preferred_temporality=temporality), "console"
    elif name == "file":
        inner = OTLPJsonFileMetricExporter(settings.file, preferred_temporality=temporality)
        label = f"file {inner.path}"
    else:
        otlp = settings.metrics_otlp
        assert otlp is not None  # resolved whenever "otlp" is chosen
        inner, label = _otlp_metric_exporter(otlp, settings), otlp.label
    return _CountingMetricExporter(inner, label)


def _otlp_span_exporter(otlp: _Otlp) -> SpanExporter:
    if otlp.protocol == "grpc":
        from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter

        return OTLPSpanExporter(endpoint=otlp.endpoint, headers=otlp.headers, timeout=otlp.timeout)
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import (
        OTLPSpanExporter as HTTPSpanExporter,
    )

    return HTTPSpanExporter(endpoint=otlp.endpoint, headers=otlp.headers, timeout=otlp.timeout)


def _otlp_metric_exporter(otlp: _Otlp, settings: _Settings) -> MetricExporter:
    temporality = dict(settings.temporality)
    if otlp.protocol == "grpc":
        from opentelemetry.exporter.otlp.proto.grpc.metric_exporter import OTLPMetricExporter

        return OTLPMetricExporter(
            endpoint=otlp.endpoint,
            headers=otlp.headers,
            timeout=otlp.timeout,
            preferred_temporality=temporality,
        )
    from opentelemetry.exporter.otlp.proto.http.metric_exporter import (
        OTLPMetricExporter as HTTPMetricExporter,
    )

    return HTTPMetricExporter(
        endpoint=otlp.endpoint,
        headers=otlp.headers,
        timeout=otlp.timeout,
        preferred_temporality=temporality,
    )


def _install_globally(telemetry: Telemetry) -> None:
    """Make the providers global; OTel allows that once per process."""
    if isinstance(trace.get_tracer_provider(), trace.ProxyTracerProvider):
        trace.set_tracer_provider(telemetry.tracer_provider)
    if not isinstance(metrics.get_meter_provider(), MeterProvider):
        metrics.set_meter_provider(telemetry.meter_provider)
    tracing_global = trace.get_tracer_provider() is telemetry.tracer_provider
    metrics_global = metrics.get_meter_provider() is telemetry.meter_provider
    if not (tracing_global and metrics_global):
        logger.warning(
            "Global OpenTelemetry providers were already set (configure() called twice?); "
            "the providers returned by this call work but are not global, "
            "so pass them explicitly where they are needed"
        )


def _start_quietly(stop: Callable[[], object], signal: str) -> threading.Thread:
    def run() -> None:
        try:
            stop()
        except Exception as exc:  # the SDK raises when a metric reader fails to stop
            logger.warning("Shutting down %s failed: %s", signal, exc)

    worker = threading.Thread(target=run, name=f"otel-langchain-shutdown-{signal}", daemon=True)
    worker.start()
    return worker
