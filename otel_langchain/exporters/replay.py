"""Send an OTLP/JSON Lines file on to an OTLP endpoint (gRPC or HTTP/protobuf)."""

from __future__ import annotations

import os
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlparse

from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import (
    ExportMetricsServiceRequest,
)
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.metrics.v1.metrics_pb2 import Metric

from otel_langchain.config._otlp import Otlp
from otel_langchain.exporters.otlp_json import (
    json_to_metrics_request,
    json_to_trace_request,
    read_otlp_json,
)

__all__ = ["ReplayError", "ReplayResult", "replay"]

_Request = ExportTraceServiceRequest | ExportMetricsServiceRequest
_Sender = Callable[[_Request], None]
_Closer = Callable[[], None]


class ReplayError(ConnectionError):
    """The endpoint could not be reached or refused a request."""


@dataclass(frozen=True)
class ReplayResult:
    """What a replay delivered."""

    spans: int
    metric_points: int


def replay(
    path: str | os.PathLike[str],
    *,
    endpoint: str,
    protocol: str = "grpc",
    headers: Mapping[str, str] | None = None,
    timeout: float = 10.0,
) -> ReplayResult:
    """Send every span and metric in an OTLP/JSON Lines file to an OTLP endpoint.

    The whole file is read and checked before anything is sent; each line then
    goes out as one export request, in file order. Log lines are skipped.

    Args:
        path: the file, as written by ``configure(exporter="file")`` or the
            Collector's file exporter.
        endpoint: base URL of the receiver, e.g. ``http://localhost:4317``
            (gRPC; a bare ``host:port`` means TLS unless
            ``OTEL_EXPORTER_OTLP_INSECURE=true``) or ``http://localhost:4318``
            (HTTP; ``/v1/traces`` and ``/v1/metrics`` are appended).
        protocol: ``grpc`` or ``http/protobuf``.
        headers: extra request headers (gRPC metadata), e.g. for auth; names
            are lowercased.
        timeout: seconds allowed for each request.

    Raises:
        ValueError: bad arguments, or a line of the file that is not OTLP/JSON.
        ReplayError: the endpoint is unreachable or rejected a request.
    """
    from otel_langchain.config._otlp import resolve_otlp

    targets = {
        signal: resolve_otlp(
            signal, endpoint=endpoint, protocol=protocol, headers=headers or {}, timeout=timeout
        )
        for signal in ("traces", "metrics")
    }
    return replay_to(path, traces=targets["traces"], metrics=targets["metrics"])


def replay_to(path: str | os.PathLike[str], *, traces: Otlp, metrics: Otlp) -> ReplayResult:
    """Send a file's spans to ``traces`` and its metrics to ``metrics`` (resolved settings)."""
    requests = _load(path)
    senders: dict[type[_Request], tuple[_Sender, _Closer]] = {
        ExportTraceServiceRequest: _sender(traces),
        ExportMetricsServiceRequest: _sender(metrics),
    }
    spans = points = 0
    try:
        for request in requests:
            senders[type(request)][0](request)
            if isinstance(request, ExportTraceServiceRequest):
                spans += _span_count(request)
            else:
                points += _point_count(request)
    finally:
        for _, close in senders.values():
            close()
    return ReplayResult(spans=spans, metric_points=points)


def _load(path: str | os.PathLike[str]) -> list[_Request]:
    requests: list[_Request] = []
    for number, obj in enumerate(read_otlp_json(path), start=1):
        try:
            if "resourceSpans" in obj:
                requests.append(json_to_trace_request(obj))
            elif "resourceMetrics" in obj:
                requests.append(json_to_metrics_request(obj))
        except ValueError as exc:
            raise ValueError(f"{os.fspath(path)}: object {number}: {exc}") from exc
    return requests


def _span_count(request: ExportTraceServiceRequest) -> int:
    return sum(len(ss.spans) for rs in request.resource_spans for ss in rs.scope_spans)


def _point_count(request: ExportMetricsServiceRequest) -> int:
    metrics = (m for rm in request.resource_metrics for sm in rm.scope_metrics for m in sm.metrics)
    return sum(_metric_points(metric) for metric in metrics)


def _metric_points(metric: Metric) -> int:
    kind = metric.WhichOneof("data")
    return len(getattr(metric, kind).data_points) if kind else 0


def _sender(target: Otlp) -> tuple[_Sender, _Closer]:
    if target.protocol == "grpc":
        return _grpc_sender(target)
    return _http_sender(target), lambda: None


def _grpc_sender(target: Otlp) -> tuple[_Sender, _Closer]:
    import grpc
    from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2_grpc import (
        MetricsServiceStub,
    )
    from opentelemetry.proto.collector.trace.v1.trace_service_pb2_grpc import TraceServiceStub

    # As the SDK's gRPC exporter: the URL's host:port, or a bare host:port as given.
    address = urlparse(target.url).netloc or target.url
    if target.insecure:
        channel = grpc.insecure_channel(address)
    else:
        channel = grpc.secure_channel(address, grpc.ssl_channel_credentials())
    stub_class: Any = TraceServiceStub if target.signal == "traces" else MetricsServiceStub
    stub = stub_class(channel)
    metadata = tuple(target.headers.items())

    def send(request: _Request) -> None:
        try:
            stub.Export(request, metadata=metadata, timeout=target.timeout)
        except grpc.RpcError as exc:
            code = exc.code() if isinstance(exc, grpc.Call) else None
            detail = exc.details() if isinstance(exc, grpc.Call) else str(exc)
            raise ReplayError(f"gRPC export to {target.endpoint} failed: {code}: {detail}") from exc

    return send, channel.close


def _http_sender(target: Otlp) -> _Sender:
    def send(request: _Request) -> None:
        http_request = urllib.request.Request(
            target.url,
            data=request.SerializeToString(),
            headers={**target.headers, "Content-Type": "application/x-protobuf"},
            method="POST",
        )
        try:
            with urllib.request.urlopen(http_request, timeout=target.timeout) as response:
                response.read()
        except urllib.error.HTTPError as exc:
            raise ReplayError(
                f"HTTP export to {target.url} failed: {exc.code} {exc.reason}"
            ) from exc
        except (urllib.error.URLError, OSError) as exc:
            raise ReplayError(f"HTTP export to {target.url} failed: {exc}") from exc

    return send
