"""A real OTLP receiver (gRPC or HTTP/protobuf) on 127.0.0.1, for tests.

It stores every export request it accepts and offers flat views of them:

    with OTLPReceiver("grpc") as receiver:
        run_app(endpoint=receiver.endpoint)
        assert receiver.wait_for(lambda r: "gen_ai.client.operation.duration" in r.metric_names())
"""

from __future__ import annotations

import gzip
import threading
import time
import zlib
from collections.abc import Callable
from concurrent import futures
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any

import grpc
from opentelemetry.proto.collector.metrics.v1 import metrics_service_pb2, metrics_service_pb2_grpc
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2, trace_service_pb2_grpc
from opentelemetry.proto.common.v1.common_pb2 import AnyValue

PROTOCOLS = ("grpc", "http/protobuf")


def attributes_to_dict(attributes: Any) -> dict[str, Any]:
    """OTLP ``KeyValue`` list -> plain dict."""
    return {kv.key: any_value(kv.value) for kv in attributes}


def any_value(value: AnyValue) -> Any:
    """OTLP ``AnyValue`` -> the Python value it holds."""
    kind = value.WhichOneof("value")
    if kind is None:
        return None
    if kind == "array_value":
        return [any_value(item) for item in value.array_value.values]
    if kind == "kvlist_value":
        return attributes_to_dict(value.kvlist_value.values)
    return getattr(value, kind)


class OTLPReceiver:
    """Accepts OTLP traces and metrics on a free port until stopped.

    ``delay`` seconds pass before each answer (a slow backend); ``headers``
    holds the request headers (gRPC metadata) of every export, keys lowercased.
    """

    def __init__(self, protocol: str = "grpc", *, delay: float = 0.0) -> None:
        if protocol not in PROTOCOLS:
            raise ValueError(f"protocol must be one of {PROTOCOLS}, not {protocol!r}")
        self.protocol = protocol
        self.delay = delay
        self.trace_requests: list[trace_service_pb2.ExportTraceServiceRequest] = []
        self.metrics_requests: list[metrics_service_pb2.ExportMetricsServiceRequest] = []
        self.headers: list[dict[str, str]] = []
        self._lock = threading.Lock()
        self._stopped = False
        self._grpc_server: grpc.Server | None = None
        self._http_server: ThreadingHTTPServer | None = None
        port = self._start_grpc() if protocol == "grpc" else self._start_http()
        self.endpoint = f"http://127.0.0.1:{port}"

    # -- servers ---------------------------------------------------------------------

    def _store(self, request: Any, headers: dict[str, str]) -> None:
        if self.delay:
            time.sleep(self.delay)
        with self._lock:
            self.headers.append(headers)
            if isinstance(request, trace_service_pb2.ExportTraceServiceRequest):
                self.trace_requests.append(request)
            else:
                self.metrics_requests.append(request)

    def _start_grpc(self) -> int:
        receiver = self

        class Traces(trace_service_pb2_grpc.TraceServiceServicer):  # type: ignore[misc]
            def Export(self, request: Any, context: Any) -> Any:
                receiver._store(request, _metadata(context))
                return trace_service_pb2.ExportTraceServiceResponse()

        class Metrics(metrics_service_pb2_grpc.MetricsServiceServicer):  # type: ignore[misc]
            def Export(self, request: Any, context: Any) -> Any:
                receiver._store(request, _metadata(context))
                return metrics_service_pb2.ExportMetricsServiceResponse()

        server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
        trace_service_pb2_grpc.add_TraceServiceServicer_to_server(Traces(), server)
        metrics_service_pb2_grpc.add_MetricsServiceServicer_to_server(Metrics(), server)
        port = server.add_insecure_port("127.0.0.1:0")
        server.start()
        self._grpc_server = server
        return int(port)

    def _start_http(self) -> int:
        server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        server.daemon_threads = True
        thread = threading.Thread(target=server.serve_forever, name="otlp-http-receiver")
        thread.daemon = True
        thread.start()
        self._http_server = server
        return int(server.server_address[1])

    def stop(self) -> None:
        """Stop accepting; later exports to ``endpoint`` are refused. Idempotent."""
        if self._stopped:
            return
        self._stopped = True
        if self._grpc_server is not None:
            self._grpc_server.stop(grace=None).wait()
        if self._http_server is not None:
            self._http_server.shutdown()
            self._http_server.server_close()

    def __enter__(self) -> OTLPReceiver:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    # -- views -----------------------------------------------------------------------

    def spans(self) -> list[dict[str, Any]]:
        """Every span received, flattened to a dict with hex ids."""
        with self._lock:
            requests = list(self.trace_requests)
        return [
            {
                "name": span.name,
                "trace_id": span.trace_id.hex(),
                "span_id": span.span_id.hex(),
                "parent_span_id": span.parent_span_id.hex(),
                "kind": span.kind,
                "status": span.status.code,
                "status_message": span.status.message,
                "attributes": attributes_to_dict(span.attributes),
                "resource": attributes_to_dict(resource_spans.resource.attributes),
                "scope": scope_spans.scope.name,
            }
            for request in requests
            for resource_spans in request.resource_spans
            for scope_spans in resource_spans.scope_spans
            for span in scope_spans.spans
        ]

    def metrics(self) -> list[dict[str, Any]]:
        """Every metric received (one entry per metric per request)."""
        with self._lock:
            requests = list(self.metrics_requests)
        found = []
        for request in requests:
            for resource_metrics in request.resource_metrics:
                resource = attributes_to_dict(resource_metrics.resource.attributes)
                for scope_metrics in resource_metrics.scope_metrics:
                    for metric in scope_metrics.metrics:
                        found.append(_metric_dict(metric, resource))
        return found

    def metric_names(self) -> set[str]:
        """Names of every metric received."""
        return {metric["name"] for metric in self.metrics()}

    def wait_for(self, predicate: Callable[[OTLPReceiver], bool], timeout: float = 10.0) -> bool:
        """Poll until ``predicate(self)`` holds; False if ``timeout`` seconds pass first."""
        deadline = time.monotonic() + timeout
        while True:
            if predicate(self):
                return True
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.05)


def _metadata(context: Any) -> dict[str, str]:
    return {str(key).lower(): str(value) for key, value in context.invocation_metadata()}


def _metric_dict(metric: Any, resource: dict[str, Any]) -> dict[str, Any]:
    kind = metric.WhichOneof("data")
    data = getattr(metric, kind) if kind else None
    points = []
    for point in getattr(data, "data_points", ()):
        entry: dict[str, Any] = {"attributes": attributes_to_dict(point.attributes)}
        if kind in ("sum", "gauge"):
            number = point.WhichOneof("value")
            entry["value"] = getattr(point, number) if number else None
        else:
            entry["count"], entry["sum"] = point.count, point.sum
        points.append(entry)
    return {
        "name": metric.name,
        "unit": metric.unit,
        "type": kind,
        "temporality": getattr(data, "aggregation_temporality", None),
        "points": points,
        "resource": resource,
    }


_HTTP_PATHS = {
    "/v1/traces": (
        trace_service_pb2.ExportTraceServiceRequest,
        trace_service_pb2.ExportTraceServiceResponse,
    ),
    "/v1/metrics": (
        metrics_service_pb2.ExportMetricsServiceRequest,
        metrics_service_pb2.ExportMetricsServiceResponse,
    ),
}


def _handler_for(receiver: OTLPReceiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            types = _HTTP_PATHS.get(self.path)
            if types is None:
                self.send_error(404)
                return
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            encoding = (self.headers.get("Content-Encoding") or "").lower()
            if encoding == "gzip":
                body = gzip.decompress(body)
            elif encoding == "deflate":
                body = zlib.decompress(body)
            request = types[0]()
            request.ParseFromString(body)
            receiver._store(request, {k.lower(): v for k, v in self.headers.items()})
            payload = types[1]().SerializeToString()
            self.send_response(200)
            self.send_header("Content-Type", "application/x-protobuf")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, format: str, *args: Any) -> None:
            """Keep test output quiet."""

    return Handler


__all__ = ["PROTOCOLS", "OTLPReceiver", "any_value", "attributes_to_dict"]
