"""One OTLP settings resolver: configure() and the CLI read the same env the same way."""

from __future__ import annotations

import os
from typing import Any

import pytest

from otel_langchain.cli._common import CliError
from otel_langchain.cli._endpoint import resolve as cli_resolve
from otel_langchain.config._otlp import Otlp
from otel_langchain.config._settings import resolve_settings


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test starts without OTEL_* settings from the outer environment."""
    for name in list(os.environ):
        if name.startswith("OTEL_"):
            monkeypatch.delenv(name)


def configure_view(signal: str) -> Otlp:
    settings = resolve_settings(exporter="otlp")
    otlp = settings.traces_otlp if signal == "traces" else settings.metrics_otlp
    assert otlp is not None
    return otlp


def cli_view(signal: str) -> Otlp:
    return cli_resolve(signal, endpoint=None, protocol=None)


def shape(otlp: Otlp) -> dict[str, Any]:
    return {
        "protocol": otlp.protocol,
        "url": otlp.url,
        "headers": otlp.headers,
        "timeout": otlp.timeout,
        "insecure": otlp.insecure,
        "from": (otlp.protocol_from, otlp.endpoint_from, otlp.headers_from, otlp.timeout_from),
    }


SAME_ENV = [
    pytest.param(
        {"OTEL_EXPORTER_OTLP_ENDPOINT": "collector:4317"},
        {"url": "collector:4317", "insecure": False},
        id="bare-grpc-host-port-is-tls",
    ),
    pytest.param(
        {"OTEL_EXPORTER_OTLP_ENDPOINT": "collector:4317", "OTEL_EXPORTER_OTLP_INSECURE": "true"},
        {"url": "collector:4317", "insecure": True},
        id="bare-grpc-host-port-insecure",
    ),
    pytest.param(
        {"OTEL_EXPORTER_OTLP_HEADERS": "Api-Key=s%20t,X-Tenant=A"},
        {"headers": {"api-key": "s t", "x-tenant": "A"}},
        id="header-keys-lowercased-values-decoded",
    ),
    pytest.param(
        {
            "OTEL_EXPORTER_OTLP_PROTOCOL": "HTTP/protobuf",
            "OTEL_EXPORTER_OTLP_ENDPOINT": "https://collector:4318/",
        },
        {"protocol": "http/protobuf", "url": "https://collector:4318/v1/traces"},
        id="http-base-gets-the-signal-path",
    ),
    pytest.param(
        {
            "OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf",
            "OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318",
            "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://traces:9999/custom",
            "OTEL_EXPORTER_OTLP_TRACES_HEADERS": "only=traces",
            "OTEL_EXPORTER_OTLP_HEADERS": "general=1",
            "OTEL_EXPORTER_OTLP_TRACES_TIMEOUT": "2.5",
        },
        {"url": "http://traces:9999/custom", "headers": {"only": "traces"}, "timeout": 2.5},
        id="per-signal-variables-win-and-are-used-as-given",
    ),
    pytest.param(
        {"OTEL_EXPORTER_OTLP_TIMEOUT": "not-a-number"},
        {"timeout": 5.0},
        id="bad-timeout-falls-back-to-the-default",
    ),
]


@pytest.mark.parametrize(("env", "expected"), SAME_ENV)
@pytest.mark.parametrize("signal", ["traces", "metrics"])
def test_configure_and_cli_resolve_the_same_env_identically(
    signal: str, env: dict[str, str], expected: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same OTEL_EXPORTER_OTLP_* env gives configure() and the CLI the same destination."""
    for name, value in env.items():
        monkeypatch.setenv(name, value)

    from_configure, from_cli = shape(configure_view(signal)), shape(cli_view(signal))

    assert from_configure == from_cli
    if signal == "traces":
        assert {key: from_cli[key] for key in expected} == expected


SAME_ERROR = [
    ({"OTEL_EXPORTER_OTLP_PROTOCOL": "udp"}, "OTEL_EXPORTER_OTLP_PROTOCOL='udp' is not an OTLP"),
    (
        {"OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf", "OTEL_EXPORTER_OTLP_ENDPOINT": "c:4318"},
        "OTEL_EXPORTER_OTLP_ENDPOINT='c:4318' is not a valid http/protobuf endpoint",
    ),
    ({"OTEL_EXPORTER_OTLP_HEADERS": "ok=1,broken"}, "OTEL_EXPORTER_OTLP_HEADERS: malformed"),
    (
        {"OTEL_EXPORTER_OTLP_HEADERS": "k=a%0Ab"},
        "OTEL_EXPORTER_OTLP_HEADERS: the value of header 'k' contains a control character",
    ),
]


@pytest.mark.parametrize(("env", "message"), SAME_ERROR)
def test_configure_and_cli_reject_the_same_env_with_the_same_message(
    env: dict[str, str], message: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A bad OTLP variable is a ValueError from configure() and a CliError (2) from the CLI."""
    for name, value in env.items():
        monkeypatch.setenv(name, value)

    with pytest.raises(ValueError) as from_configure:
        configure_view("traces")
    with pytest.raises(CliError) as from_cli:
        cli_view("traces")

    assert str(from_configure.value) == str(from_cli.value)
    assert str(from_cli.value).startswith(message)
    assert from_cli.value.status == 2


def test_cli_flags_beat_env_and_are_named_in_errors(monkeypatch: pytest.MonkeyPatch) -> None:
    """--endpoint / --protocol / --header win over env, and a bad flag is named as a flag."""
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://env:4317")
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_HEADERS", "from=env")

    otlp = cli_resolve(
        "traces", endpoint="http://flag:4318", protocol="http/protobuf", headers=["A=1,2"]
    )

    assert (otlp.url, otlp.headers) == ("http://flag:4318/v1/traces", {"a": "1,2"})
    assert (otlp.endpoint_from, otlp.protocol_from, otlp.headers_from) == (
        "--endpoint",
        "--protocol",
        "--header",
    )
    with pytest.raises(CliError, match=r"^--endpoint='flag:4318' is not a valid http/protobuf"):
        cli_resolve("traces", endpoint="flag:4318", protocol="http/protobuf")
    with pytest.raises(CliError, match=r"^--header: the value of header 'a' contains a control"):
        cli_resolve("traces", endpoint=None, protocol=None, headers=["a=x%0Dy"])
