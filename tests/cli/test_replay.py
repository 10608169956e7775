"""``otel-langchain replay``: a file's spans and metrics sent to a real OTLP receiver."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from otel_langchain.cli import main


@pytest.mark.integration
@pytest.mark.parametrize("protocol", ["grpc", "http/protobuf"])
def test_replay_sends_spans_and_metrics(
    protocol: str,
    fixture_file: Path,
    otlp_receiver: Callable[[str], Any],
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Every span and metric point of the file reaches the receiver, parents intact."""
    receiver = otlp_receiver(protocol)
    args = ["replay", str(fixture_file), "--endpoint", receiver.endpoint, "--protocol", protocol]
    assert main(args) == 0
    assert "Sent 11 spans and 1 metric points" in capsys.readouterr().out
    spans = receiver.spans()
    assert len(spans) == 11
    ids = {s["span_id"] for s in spans}
    assert all(s["parent_span_id"] in ids for s in spans if s["parent_span_id"])
    assert {s["resource"]["service.name"] for s in spans} == {"fixture-service"}
    assert receiver.metric_names() == {"langchain.llm.cost"}


def test_replay_to_a_closed_port_is_one_line(
    fixture_file: Path, closed_port: int, capsys: pytest.CaptureFixture[str]
) -> None:
    """An unreachable endpoint: exit 1 and one line with the reason."""
    assert (
        main(
            [
                "replay",
                str(fixture_file),
                "--endpoint",
                f"http://127.0.0.1:{closed_port}",
                "--timeout",
                "2",
            ]
        )
        == 1
    )
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "failed" in err and "Traceback" not in err


def test_replay_needs_an_endpoint_and_a_file(
    tmp_path: Path, fixture_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Missing endpoint, missing file or a bad URL: exit 2 with one line each."""
    assert main(["replay", str(fixture_file)]) == 2
    assert "no endpoint" in capsys.readouterr().err
    assert main(["replay", str(tmp_path / "none.jsonl"), "--endpoint", "http://127.0.0.1:1"]) == 2
    assert "no such file" in capsys.readouterr().err
    bad = ["--endpoint", "127.0.0.1:4318", "--protocol", "http/protobuf"]
    assert main(["replay", str(fixture_file), *bad]) == 2
    assert "--endpoint='127.0.0.1:4318' is not a valid http/protobuf endpoint" in (
        capsys.readouterr().err
    )


@pytest.mark.integration
def test_replay_reads_endpoint_and_headers_from_env_like_configure(
    fixture_file: Path,
    otlp_receiver: Callable[[str], Any],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A bare host:port (with OTEL_EXPORTER_OTLP_INSECURE) and env headers work as in the SDK."""
    receiver = otlp_receiver("grpc")
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", receiver.endpoint.removeprefix("http://"))
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_INSECURE", "true")
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_HEADERS", "X-Tenant=team%20a")

    assert main(["replay", str(fixture_file)]) == 0

    assert len(receiver.spans()) == 11
    assert {h.get("x-tenant") for h in receiver.headers} == {"team a"}
