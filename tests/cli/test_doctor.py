"""``otel-langchain doctor``: configuration, versions, and a real export check."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from otel_langchain.cli import main


def test_doctor_fails_clearly_on_a_closed_port(
    closed_port: int, capsys: pytest.CaptureFixture[str]
) -> None:
    """Nothing listening: exit 1 with one line naming the endpoint and the reason."""
    endpoint = f"http://127.0.0.1:{closed_port}"
    assert main(["doctor", "--endpoint", endpoint, "--timeout", "3"]) == 1
    captured = capsys.readouterr()
    assert "Configuration" in captured.out and "Versions" in captured.out
    assert captured.err.count("\n") == 1
    assert captured.err.startswith(
        f"otel-langchain: error: {endpoint} did not accept an OTLP export"
    )
    assert "UNAVAILABLE" in captured.err
    assert "Traceback" not in captured.err
    assert "0 spans exported, 1 lost (export_failed)" in captured.out


def test_doctor_masks_header_secrets(
    closed_port: int, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Header values from OTEL_EXPORTER_OTLP_HEADERS are shown masked, never in clear."""
    monkeypatch.setenv(
        "OTEL_EXPORTER_OTLP_HEADERS", "Authorization=Bearer%20sk-very-secret,x-team=hunter2"
    )
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", f"http://127.0.0.1:{closed_port}")
    monkeypatch.setenv("OTEL_SERVICE_NAME", "checkout")
    assert main(["doctor", "--timeout", "2"]) == 1
    captured = capsys.readouterr()
    assert "authorization=Bearer ****" in captured.out
    assert "x-team=****" in captured.out
    assert "sk-very-secret" not in captured.out + captured.err
    assert "hunter2" not in captured.out + captured.err
    assert "checkout" in captured.out and "OTEL_SERVICE_NAME" in captured.out


def test_doctor_rejects_bad_settings_in_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A bad protocol or endpoint in the environment is named, with exit status 2."""
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_PROTOCOL", "carrier-pigeon")
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:1")
    assert main(["doctor"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "OTEL_EXPORTER_OTLP_PROTOCOL='carrier-pigeon'" in err
    monkeypatch.delenv("OTEL_EXPORTER_OTLP_PROTOCOL")
    monkeypatch.delenv("OTEL_EXPORTER_OTLP_ENDPOINT")
    assert main(["doctor", "--endpoint", "localhost:4318", "--protocol", "http/protobuf"]) == 2
    assert "--endpoint='localhost:4318' is not a valid http/protobuf endpoint" in (
        capsys.readouterr().err
    )
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_HEADERS", "x-key=a%0D%0Ab")
    assert main(["doctor", "--endpoint", "http://127.0.0.1:1"]) == 2
    err = capsys.readouterr().err
    assert "OTEL_EXPORTER_OTLP_HEADERS: the value of header 'x-key' contains a control" in err


def test_doctor_skips_the_check_for_non_otlp_exporters(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """With OTEL_TRACES_EXPORTER=console there is no endpoint to check: exit 0, said so."""
    monkeypatch.setenv("OTEL_TRACES_EXPORTER", "console")
    monkeypatch.setenv("OTEL_METRICS_EXPORTER", "none")
    assert main(["doctor"]) == 0
    out = capsys.readouterr().out
    assert "Export check skipped: no OTLP exporter is configured" in out
    assert "traces: console; metrics: none" in out


def test_doctor_without_any_endpoint_reports_configure_defaults(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """No endpoint anywhere: doctor says configure() would print to the console, as it does."""
    assert main(["doctor"]) == 0
    assert "traces: console; metrics: console" in capsys.readouterr().out


@pytest.mark.integration
@pytest.mark.parametrize("protocol", ["grpc", "http/protobuf"])
def test_doctor_passes_against_a_real_receiver(
    protocol: str, otlp_receiver: Callable[[str], Any], capsys: pytest.CaptureFixture[str]
) -> None:
    """A live OTLP receiver accepts the check span: exit 0, and the span arrives."""
    receiver = otlp_receiver(protocol)
    assert main(["doctor", "--endpoint", receiver.endpoint, "--protocol", protocol]) == 0
    out = capsys.readouterr().out
    assert "every OTLP destination accepted the probe" in out
    assert f"OTLP/{protocol} {receiver.endpoint}  1 span exported" in out
    assert "1 metric point exported" in out
    assert "doctor sees only its own probe" in out
    (span,) = receiver.spans()
    assert span["name"] == "otel-langchain doctor"
    assert span["resource"]["service.name"] == "otel-langchain-doctor"
    (metric,) = receiver.metrics()
    assert metric["name"] == "otel_langchain.doctor.probe"


@pytest.mark.integration
def test_doctor_checks_each_signal_where_the_env_sends_it(
    otlp_receiver: Callable[[str], Any],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Per-signal endpoints and headers from env are what doctor checks, as configure() uses."""
    traces, metrics = otlp_receiver("http/protobuf"), otlp_receiver("http/protobuf")
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf")
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", f"{traces.endpoint}/v1/traces")
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_METRICS_ENDPOINT", f"{metrics.endpoint}/v1/metrics")
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_HEADERS", "X-Tenant=blue")

    assert main(["doctor"]) == 0

    assert "otel-langchain doctor" in {s["name"] for s in traces.spans()}
    assert metrics.metric_names() == {"otel_langchain.doctor.probe"}
    assert not traces.metrics() and not metrics.spans()
    assert {h["x-tenant"] for h in traces.headers + metrics.headers} == {"blue"}
    assert "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT" in capsys.readouterr().out
