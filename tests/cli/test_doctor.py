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
    assert "Authorization=Bearer ****" in captured.out
    assert "x-team=****" in captured.out
    assert "sk-very-secret" not in captured.out + captured.err
    assert "hunter2" not in captured.out + captured.err
    assert "checkout" in captured.out and "OTEL_SERVICE_NAME" in captured.out


def test_doctor_rejects_bad_settings_in_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A bad protocol or endpoint in the environment is named, with exit status 2."""
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_PROTOCOL", "carrier-pigeon")
    assert main(["doctor"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "OTEL_EXPORTER_OTLP_PROTOCOL='carrier-pigeon'" in err
    monkeypatch.delenv("OTEL_EXPORTER_OTLP_PROTOCOL")
    assert main(["doctor", "--endpoint", "localhost:4317"]) == 2
    assert "is not a URL" in capsys.readouterr().err


def test_doctor_skips_the_check_for_non_otlp_exporters(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """With OTEL_TRACES_EXPORTER=console there is no endpoint to check: exit 0, said so."""
    monkeypatch.setenv("OTEL_TRACES_EXPORTER", "console")
    assert main(["doctor"]) == 0
    assert "Export check skipped" in capsys.readouterr().out


@pytest.mark.integration
@pytest.mark.parametrize("protocol", ["grpc", "http/protobuf"])
def test_doctor_passes_against_a_real_receiver(
    protocol: str, otlp_receiver: Callable[[str], Any], capsys: pytest.CaptureFixture[str]
) -> None:
    """A live OTLP receiver accepts the check span: exit 0, and the span arrives."""
    receiver = otlp_receiver(protocol)
    assert main(["doctor", "--endpoint", receiver.endpoint, "--protocol", protocol]) == 0
    assert f"{receiver.endpoint} accepted an OTLP export" in capsys.readouterr().out
    (span,) = receiver.spans()
    assert span["name"] == "otel-langchain doctor"
    assert span["resource"]["service.name"] == "otel-langchain-doctor"
