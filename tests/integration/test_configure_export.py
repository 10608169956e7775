"""configure() exporting to a real OTLP receiver; file export and replay."""

from __future__ import annotations

import contextlib
import json
import os
import select
import socket
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import PeriodicExportingMetricReader
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor

import otel_langchain
from otel_langchain.exporters import (
    OTLPJsonFileMetricExporter,
    OTLPJsonFileSpanExporter,
    ReplayError,
    read_otlp_json,
    replay,
)

from .otlp_receiver import PROTOCOLS, OTLPReceiver

pytestmark = pytest.mark.integration

REPO_ROOT = Path(otel_langchain.__file__).resolve().parent.parent
APP_TIMEOUT_SECONDS = 20  # generous: a hang is the failure, not slowness

# The app under test: the OTel API, a histogram, and a LangChain chain traced by
# instrument(), all exported by configure() to the endpoint given on the command line.
APP = """
import dataclasses
import sys
from langchain_core.output_parsers import StrOutputParser
from langchain_core.prompts import ChatPromptTemplate
from opentelemetry import metrics, trace
from fakes import FakeOpenAIChat
from otel_langchain import instrument
from otel_langchain.configure import configure

endpoint, protocol, pause = sys.argv[1], sys.argv[2], sys.argv[3] == "pause"
telemetry = configure(endpoint=endpoint, protocol=protocol, service_name="it-app")
instrument()
tracer = trace.get_tracer("it-app")
duration = metrics.get_meter("it-app").create_histogram(
    "gen_ai.client.operation.duration", unit="s"
)
chain = ChatPromptTemplate.from_messages([("human", "{q}")]) | FakeOpenAIChat() | StrOutputParser()

with tracer.start_as_current_span("request"):
    with tracer.start_as_current_span("step"):
        duration.record(0.25, {"gen_ai.operation.name": "chat"})
    chain.invoke({"q": "hello"})
if pause:
    telemetry.force_flush()
    print("flushed", flush=True)
    sys.stdin.readline()  # the test stops the receiver, then lets the app go on
    for index in range(3):
        with tracer.start_as_current_span(f"after-{index}"):
            duration.record(0.5, {"gen_ai.operation.name": "chat"})
telemetry.shutdown()
import json
print(json.dumps([dataclasses.asdict(d) for d in telemetry.delivery()]))
print("app finished", flush=True)
"""


@pytest.fixture(params=PROTOCOLS)
def receiver(request: pytest.FixtureRequest) -> Iterator[OTLPReceiver]:
    with OTLPReceiver(request.param) as running:
        yield running


@contextlib.contextmanager
def running_app(receiver: OTLPReceiver, *, pause: bool = False) -> Iterator[subprocess.Popen[str]]:
    """Run APP against ``receiver``; it is killed if the test fails before it exits."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("OTEL_")}
    env["PYTHONPATH"] = os.pathsep.join(
        filter(None, [str(REPO_ROOT), str(REPO_ROOT / "tests"), env.get("PYTHONPATH")])
    )
    args = [receiver.endpoint, receiver.protocol, "pause" if pause else "run"]
    with subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(APP), *args],
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    ) as app:
        try:
            yield app
        finally:
            if app.poll() is None:
                app.kill()
                app.communicate()


def test_app_exports_spans_and_metrics_to_the_receiver(receiver: OTLPReceiver) -> None:
    """configure() sends a real app's spans (parentage, service.name) and metrics via OTLP."""
    with running_app(receiver) as app:
        stdout, stderr = app.communicate(timeout=APP_TIMEOUT_SECONDS)

    assert app.returncode == 0, stderr
    assert "app finished" in stdout
    spans = {span["name"]: span for span in receiver.spans()}
    assert {span["resource"]["service.name"] for span in spans.values()} == {"it-app"}
    assert spans["step"]["parent_span_id"] == spans["request"]["span_id"]
    chat = spans["chat gpt-4o-mini"]
    chain = next(span for span in spans.values() if span["span_id"] == chat["parent_span_id"])
    assert chain["parent_span_id"] == spans["request"]["span_id"]
    assert {span["trace_id"] for span in spans.values()} == {spans["request"]["trace_id"]}
    assert {"gen_ai.client.operation.duration", "gen_ai.client.token.usage"} <= (
        receiver.metric_names()
    )
    assert {m["resource"]["service.name"] for m in receiver.metrics()} == {"it-app"}


def test_receiver_stopped_mid_run_app_finishes_and_logs_losses_once(
    receiver: OTLPReceiver,
) -> None:
    """When the receiver goes away mid-run the app still finishes and logs its losses once."""
    with running_app(receiver, pause=True) as app:
        assert app.stdout is not None
        ready, _, _ = select.select([app.stdout], [], [], APP_TIMEOUT_SECONDS)
        assert ready, "the app did not reach its pause"
        assert app.stdout.readline().strip() == "flushed"
        assert receiver.wait_for(lambda r: "request" in {s["name"] for s in r.spans()})
        sent_before = len(receiver.spans())
        receiver.stop()

        stdout, stderr = app.communicate("go\n", timeout=APP_TIMEOUT_SECONDS)

    assert app.returncode == 0, stderr
    assert "app finished" in stdout
    lost_spans = [line for line in stderr.splitlines() if "spans were not exported" in line]
    assert lost_spans == [
        f"3 of {sent_before + 3} spans were not exported to "
        f"OTLP/{receiver.protocol} {receiver.endpoint} (export_failed: 3)"
    ]
    traces, metrics = json.loads(stdout.splitlines()[-2])
    assert traces == {
        "signal": "traces",
        "destination": f"OTLP/{receiver.protocol} {receiver.endpoint}",
        "exported": sent_before,
        "lost": 3,
        "lost_by_reason": {"export_failed": 3},
        "pending": 0,
    }
    assert metrics["signal"] == "metrics" and metrics["exported"] > 0
    assert metrics["lost"] > 0 and set(metrics["lost_by_reason"]) == {"export_failed"}
    lost_points = [line for line in stderr.splitlines() if "metric data points were" in line]
    assert len(lost_points) == 1
    assert f"to OTLP/{receiver.protocol} {receiver.endpoint} (export_failed: " in lost_points[0]


def _write_file(path: Path) -> tuple[set[str], int]:
    """Write spans and metrics with the file exporters; return span ids and point count."""
    resource = Resource.create({"service.name": "replayed-app"})
    tracer_provider = TracerProvider(resource=resource)
    tracer_provider.add_span_processor(SimpleSpanProcessor(OTLPJsonFileSpanExporter(path)))
    reader = PeriodicExportingMetricReader(OTLPJsonFileMetricExporter(path), 60_000)
    meter_provider = MeterProvider(resource=resource, metric_readers=[reader])
    tracer = tracer_provider.get_tracer("replay")
    histogram = meter_provider.get_meter("replay").create_histogram(
        "gen_ai.client.operation.duration"
    )
    for index in range(5):
        with tracer.start_as_current_span(f"root-{index}"), tracer.start_as_current_span("leaf"):
            histogram.record(0.1 * index, {"run": str(index % 2)})
    tracer_provider.shutdown()
    meter_provider.shutdown()
    span_ids = {
        span["spanId"]
        for obj in read_otlp_json(path)
        for rs in obj.get("resourceSpans", [])
        for ss in rs["scopeSpans"]
        for span in ss["spans"]
    }
    return span_ids, 2  # two attribute sets -> two histogram points


def test_file_replayed_into_the_receiver_arrives_whole(
    receiver: OTLPReceiver, tmp_path: Path
) -> None:
    """A file written by the file exporters, replayed, arrives with the same spans and metrics."""
    path = tmp_path / "telemetry.jsonl"
    span_ids, points = _write_file(path)

    result = replay(path, endpoint=receiver.endpoint, protocol=receiver.protocol, timeout=5)

    assert (result.spans, result.metric_points) == (len(span_ids), points) == (10, 2)
    received = receiver.spans()
    assert {span["span_id"] for span in received} == span_ids
    assert len(received) == len(span_ids)
    assert {span["resource"]["service.name"] for span in received} == {"replayed-app"}
    (metric,) = receiver.metrics()
    assert metric["name"] == "gen_ai.client.operation.duration"
    assert sorted(point["count"] for point in metric["points"]) == [2, 3]


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_replay_to_nothing_listening_raises_replay_error(protocol: str, tmp_path: Path) -> None:
    """Replaying to a closed port raises ReplayError, a ConnectionError naming the endpoint."""
    path = tmp_path / "telemetry.jsonl"
    _write_file(path)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]

    with pytest.raises(ReplayError, match=f"127.0.0.1:{port}") as raised:
        replay(path, endpoint=f"http://127.0.0.1:{port}", protocol=protocol, timeout=2)
    assert isinstance(raised.value, ConnectionError)
