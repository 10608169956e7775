"""Fixtures for the CLI tests: the fixture file, a clean OTel environment."""

from __future__ import annotations

import importlib
import socket
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, cast

import pytest
from opentelemetry import metrics, trace
from opentelemetry.util._once import Once

FIXTURE = Path(__file__).parent / "data" / "small.jsonl"

_OTEL_ENV = (
    "OTEL_EXPORTER_OTLP_ENDPOINT",
    "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
    "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT",
    "OTEL_EXPORTER_OTLP_PROTOCOL",
    "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL",
    "OTEL_EXPORTER_OTLP_HEADERS",
    "OTEL_SERVICE_NAME",
    "OTEL_RESOURCE_ATTRIBUTES",
    "OTEL_TRACES_EXPORTER",
    "OTEL_METRICS_EXPORTER",
    "NO_COLOR",
)


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test starts without OTEL_* settings from the outer environment."""
    for name in _OTEL_ENV:
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def fresh_globals() -> Iterator[None]:
    """Undo the global providers that ``demo`` (via configure()) installs."""
    yield
    trace._TRACER_PROVIDER_SET_ONCE = Once()
    trace._TRACER_PROVIDER = None
    metrics._internal._METER_PROVIDER_SET_ONCE = Once()
    metrics._internal._METER_PROVIDER = None


@pytest.fixture
def fixture_file() -> Path:
    """The small OTLP/JSON file recorded from a real SDK run (see make_fixture.py)."""
    return FIXTURE


def _receiver_class() -> type[Any]:
    """``OTLPReceiver`` from tests/integration, whichever way pytest named the tests tree."""
    try:
        module = importlib.import_module("tests.integration.otlp_receiver")
    except ImportError:
        module = importlib.import_module("integration.otlp_receiver")
    return cast(type[Any], module.OTLPReceiver)


@pytest.fixture
def otlp_receiver() -> Iterator[Callable[[str], Any]]:
    """Start real OTLP receivers (``"grpc"`` or ``"http/protobuf"``); all stop after the test."""
    started: list[Any] = []

    def start(protocol: str = "grpc") -> Any:
        receiver = _receiver_class()(protocol)
        started.append(receiver)
        return receiver

    yield start
    for receiver in started:
        receiver.stop()


@pytest.fixture
def closed_port() -> int:
    """A local TCP port nothing listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
