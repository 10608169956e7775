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

from otel_langchain.exporters.otlp_json import (
    json_to_metrics_request,
    json_to_trace_request,
    read_otlp_json,
)

__all__ = ["ReplayError", "ReplayResult", "replay"]

_PROTOCOLS = ("grpc", "http/protobuf")
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
            (gRPC) or ``http://localhost:4318`` (HTTP; ``/v1/traces`` and
            ``/v1/metrics`` are appended).
        protocol: ``grpc`` or ``http/protobuf``.
        headers: extra request headers (gRPC metadata), e.g. for auth.
        timeout: seconds allowed for each request.

    Raises:
        ValueError: bad arguments, or a line of the file that is not OTLP/JSON.
        ReplayError: the endpoint is unreachable or rejected a request.
    """
    _check_endpoint(endpoint)
    if protocol not in _PROTOCOLS:
        allowed = ", ".join(_PROTOCOLS)
        raise ValueError(f"protocol={protocol!r} is not supported; allowed: {allowed}")
    requests = _load(path)
    send, close = _sender(endpoint, protocol, dict(headers or {}), timeout)
    spans = points = 0
    try:
        for request in requests:
            send(request)
            if isinstance(request, ExportTraceServiceRequest):
                spans += _span_count(request)
            else:
                points += _point_count(request)
    finally:
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


def _check_endpoint(endpoint: str) -> None:
    parsed = urlparse(endpoint)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise ValueError(
            f"endpoint={endpoint!r} is not a URL; expected http://host:port or https://host:port"
        )


def _sender(
    endpoint: str, protocol: str, headers: dict[str, str], timeout: float
) -> tuple[_Sender, _Closer]:
    if protocol == "grpc":
        return _grpc_sender(endpoint, headers, timeout)
    return _http_sender(endpoint, headers, timeout), lambda: None


def _grpc_sender(endpoint: str, headers: dict[str, str], timeout: float) -> tuple[_Sender, _Closer]:
    import grpc
    from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2_grpc import (
        MetricsServiceStub,
    )
    from opentelemetry.proto.collector.trace.v1.trace_service_pb2_grpc import TraceServiceStub

    parsed = urlparse(endpoint)
    if parsed.scheme == "https":
        channel = grpc.secure_channel(parsed.netloc, grpc.ssl_channel_credentials())
    else:
        channel = grpc.insecure_channel(parsed.netloc)
    stubs: dict[type[_Request], Any] = {
        ExportTraceServiceRequest: TraceServiceStub(channel),  # type: ignore[no-untyped-call]
        ExportMetricsServiceRequest: MetricsServiceStub(channel),  # type: ignore[no-untyped-call]
    }
    metadata = tuple((key.lower(), value) for key, value in headers.items())

    def send(request: _Request) -> None:
        try:
            stubs[type(request)].Export(request, metadata=metadata, timeout=timeout)
        except grpc.RpcError as exc:
            code = exc.code() if isinstance(exc, grpc.Call) else None
            detail = exc.details() if isinstance(exc, grpc.Call) else str(exc)
            raise ReplayError(f"gRPC export to {endpoint} failed: {code}: {detail}") from exc

    return send, channel.close


def _http_sender(endpoint: str, headers: dict[str, str], timeout: float) -> _Sender:
    base = endpoint.rstrip("/")
    paths: dict[type[_Request], str] = {
        ExportTraceServiceRequest: "/v1/traces",
        ExportMetricsServiceRequest: "/v1/metrics",
    }

    def send(request: _Request) -> None:
        url = base + paths[type(request)]
        http_request = urllib.request.Request(
            url,
            data=request.SerializeToString(),
            headers={**headers, "Content-Type": "application/x-protobuf"},
            method="POST",
        )
        try:
            with urllib.request.urlopen(http_request, timeout=timeout) as response:
                response.read()
        except urllib.error.HTTPError as exc:
            raise ReplayError(f"HTTP export to {url} failed: {exc.code} {exc.reason}") from exc
        except (urllib.error.URLError, OSError) as exc:
            raise ReplayError(f"HTTP export to {url} failed: {exc}") from exc

    return send
