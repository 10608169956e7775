"""configure(): settings precedence, validation, providers, bounded shutdown."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
from opentelemetry.sdk.metrics import Counter, Histogram, UpDownCounter
from opentelemetry.sdk.metrics.export import AggregationTemporality

import otel_langchain
from otel_langchain.config import Telemetry, configure
from otel_langchain.config._configure import build_telemetry as _build_telemetry
from otel_langchain.config._settings import resolve_settings as _resolve_settings
from otel_langchain.exporters import read_otlp_json

REPO_ROOT = Path(otel_langchain.__file__).resolve().parent.parent
NO_ARGS: dict[str, Any] = {
    "service_name": None,
    "exporter": None,
    "endpoint": None,
    "protocol": None,
    "headers": None,
    "file": None,
    "resource_attributes": None,
    "metric_interval": None,
    "metrics_exporter": None,
    "temporality": None,
}


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test starts without OTEL_* settings from the outer environment."""
    for name in list(os.environ):
        if name.startswith("OTEL_"):
            monkeypatch.delenv(name)


def resolve(**kwargs: Any) -> Any:
    return _resolve_settings(**{**NO_ARGS, **kwargs})


def build(**kwargs: Any) -> Telemetry:
    """Providers as configure() builds them, without making them global."""
    return _build_telemetry(resolve(**kwargs))


def run_python(code: str, **env: str) -> subprocess.CompletedProcess[str]:
    """Run ``code`` in a fresh interpreter, where setting global providers is harmless."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("OTEL_")}
    clean["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT), clean.get("PYTHONPATH")]))
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# -- precedence ----------------------------------------------------------------------


def test_exporter_argument_beats_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """An explicit exporter wins over OTEL_TRACES_EXPORTER and OTEL_METRICS_EXPORTER."""
    monkeypatch.setenv("OTEL_TRACES_EXPORTER", "otlp")
    monkeypatch.setenv("OTEL_METRICS_EXPORTER", "otlp")

    settings = resolve(exporter="console")

    assert (settings.traces, settings.metrics) == (("console",), ("console",))


def test_exporter_env_lists_are_read_per_signal(monkeypatch: pytest.MonkeyPatch) -> None:
    """OTEL_TRACES_EXPORTER / OTEL_METRICS_EXPORTER take comma lists; 'none' disables."""
    monkeypatch.setenv("OTEL_TRACES_EXPORTER", "console, file")
    monkeypatch.setenv("OTEL_METRICS_EXPORTER", "none")

    settings = resolve()

    assert (settings.traces, settings.metrics) == (("console", "file"), ())


def test_metrics_exporter_argument_overrides_exporter_for_metrics() -> None:
    """metrics_exporter picks the metrics destination; exporter still picks the traces one."""
    settings = resolve(exporter="file", metrics_exporter=["console"])

    assert (settings.traces, settings.metrics) == (("file",), ("console",))


def test_default_is_console_without_endpoint_and_otlp_with_one(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """With no exporter set, an OTLP endpoint (argument or env) selects otlp, else console."""
    assert resolve().traces == ("console",)
    assert resolve(endpoint="http://collector:4317").traces == ("otlp",)
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4317")
    assert resolve().metrics == ("otlp",)


def test_http_endpoint_argument_gets_signal_paths() -> None:
    """For http/protobuf an explicit base endpoint gets /v1/traces and /v1/metrics."""
    settings = resolve(endpoint="http://collector:4318/", protocol="http/protobuf")

    assert settings.traces_otlp.url == "http://collector:4318/v1/traces"
    assert settings.metrics_otlp.url == "http://collector:4318/v1/metrics"


def test_env_endpoint_and_headers_are_read_with_the_sdk_rules(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The env base endpoint gets the signal path; a per-signal one is used as given."""
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4318")
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_METRICS_ENDPOINT", "http://metrics:9090/otlp")
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf")
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_HEADERS", "Api-Key=secret")

    settings = resolve()

    assert settings.traces_otlp.url == "http://collector:4318/v1/traces"
    assert settings.metrics_otlp.url == "http://metrics:9090/otlp"
    assert settings.traces_otlp.headers == {"api-key": "secret"}
    assert settings.traces_otlp.endpoint_from == "OTEL_EXPORTER_OTLP_ENDPOINT"


def test_protocol_argument_beats_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """protocol= wins over OTEL_EXPORTER_OTLP_PROTOCOL; the default is grpc."""
    assert resolve(exporter="otlp").traces_otlp.protocol == "grpc"
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf")
    assert resolve(exporter="otlp").traces_otlp.protocol == "http/protobuf"
    assert resolve(exporter="otlp", protocol="grpc").traces_otlp.protocol == "grpc"


def test_header_argument_is_parsed_and_lowercased() -> None:
    """headers= accepts a mapping or 'k=v,k2=v2' (percent-decoded); keys are lowercased."""
    from_string = resolve(exporter="otlp", headers="Api-Key=a%20b, tenant=t1").traces_otlp
    from_mapping = resolve(exporter="otlp", headers={"Api-Key": "a b"}).traces_otlp

    assert from_string.headers == {"api-key": "a b", "tenant": "t1"}
    assert from_mapping.headers == {"api-key": "a b"}


def test_export_timeout_is_short_unless_env_sets_one(monkeypatch: pytest.MonkeyPatch) -> None:
    """OTLP exports get a 5 s timeout unless OTEL_EXPORTER_OTLP_[SIGNAL_]TIMEOUT says otherwise."""
    assert resolve(exporter="otlp").traces_otlp.timeout == 5.0
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_TIMEOUT", "30")
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_METRICS_TIMEOUT", "12.5")
    settings = resolve(exporter="otlp")
    assert (settings.traces_otlp.timeout, settings.metrics_otlp.timeout) == (30.0, 12.5)


def test_metric_interval_argument_seconds_env_milliseconds(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """metric_interval is in seconds, OTEL_METRIC_EXPORT_INTERVAL in milliseconds."""
    assert resolve().interval_millis == 60_000.0
    monkeypatch.setenv("OTEL_METRIC_EXPORT_INTERVAL", "1500")
    assert resolve().interval_millis == 1500.0
    assert resolve(metric_interval=2).interval_millis == 2000.0


def test_temporality_is_cumulative_unless_delta_is_asked(monkeypatch: pytest.MonkeyPatch) -> None:
    """Cumulative by default; delta from the argument or the SDK's env preference."""
    assert set(resolve().temporality.values()) == {AggregationTemporality.CUMULATIVE}
    delta = resolve(temporality="delta").temporality
    assert delta[Histogram] is delta[Counter] is AggregationTemporality.DELTA
    assert delta[UpDownCounter] is AggregationTemporality.CUMULATIVE
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE", "DELTA")
    assert resolve().temporality[Histogram] is AggregationTemporality.DELTA


def test_file_path_argument_beats_env_beats_default(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """file= wins over OTEL_LANGCHAIN_FILE, which wins over otel-langchain-traces.jsonl."""
    assert resolve().file == "otel-langchain-traces.jsonl"
    monkeypatch.setenv("OTEL_LANGCHAIN_FILE", str(tmp_path / "env.jsonl"))
    assert resolve().file == str(tmp_path / "env.jsonl")
    assert resolve(file=tmp_path / "arg.jsonl").file == str(tmp_path / "arg.jsonl")


# -- resource ------------------------------------------------------------------------


def test_service_name_argument_beats_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """service.name comes from service_name=, else OTEL_SERVICE_NAME."""
    monkeypatch.setenv("OTEL_SERVICE_NAME", "from-env")
    assert resolve().resource.attributes["service.name"] == "from-env"
    assert resolve(service_name="from-arg").resource.attributes["service.name"] == "from-arg"


def test_resource_attributes_env_and_argument_merge(monkeypatch: pytest.MonkeyPatch) -> None:
    """OTEL_RESOURCE_ATTRIBUTES is honoured; resource_attributes= adds and overrides."""
    monkeypatch.setenv("OTEL_RESOURCE_ATTRIBUTES", "deployment.environment=prod,team=ml")

    attributes = resolve(resource_attributes={"team": "search"}).resource.attributes

    assert attributes["deployment.environment"] == "prod"
    assert attributes["team"] == "search"


# -- validation ----------------------------------------------------------------------

BAD_CONFIG = [
    ({"exporter": "zipkin"}, {}, "exporter='zipkin'.*allowed: otlp, console, file, none"),
    ({}, {"OTEL_TRACES_EXPORTER": "jaeger"}, "OTEL_TRACES_EXPORTER='jaeger'.*allowed: otlp"),
    ({"metrics_exporter": "prometheus"}, {}, "metrics_exporter='prometheus'.*allowed"),
    (
        {"endpoint": "localhost:4318", "protocol": "http/protobuf"},
        {},
        "endpoint='localhost:4318'.*expected http://host:port",
    ),
    ({"endpoint": "http//x"}, {}, "endpoint='http//x'.*expected http://host:port"),
    ({}, {"OTEL_EXPORTER_OTLP_ENDPOINT": "http//x"}, "OTEL_EXPORTER_OTLP_ENDPOINT='http//x'"),
    ({"exporter": "otlp", "headers": "a"}, {}, "headers: malformed header 'a'.*key=value"),
    (
        {"exporter": "otlp"},
        {"OTEL_EXPORTER_OTLP_HEADERS": "x=1,broken"},
        "OTEL_EXPORTER_OTLP_HEADERS: malformed header 'broken'",
    ),
    (
        {"exporter": "otlp", "protocol": "http/json"},
        {},
        "protocol='http/json'.*allowed: grpc, http/protobuf",
    ),
    ({"exporter": "otlp"}, {"OTEL_EXPORTER_OTLP_PROTOCOL": "udp"}, "OTEL_EXPORTER_OTLP_PROTOCOL"),
    ({"metric_interval": 0}, {}, "metric_interval=0 must be a positive number of seconds"),
    ({"metric_interval": -5}, {}, "metric_interval=-5"),
    ({"temporality": "sideways"}, {}, "temporality='sideways'.*allowed: cumulative, delta"),
    ({"temporality": 3}, {}, "temporality=3 is not supported; allowed: cumulative"),
    ({"service_name": 123}, {}, "service_name=123 must be a non-empty string"),
    ({"service_name": " "}, {}, "service_name=' ' must be a non-empty string"),
    ({"exporter": 123}, {}, "exporter=123 is not an exporter name.*allowed: otlp"),
    (
        {"exporter": ["console", None]},
        {},
        r"exporter=\['console', None\] is not an exporter name.*allowed: otlp",
    ),
    ({"exporter": "file", "file": 123}, {}, r"file=123 must be a path \(str or os.PathLike\)"),
    ({"file": b"t.jsonl"}, {}, "file=b't.jsonl' must be a path"),
    ({"resource_attributes": "a=b"}, {}, "resource_attributes='a=b' must be a mapping"),
    ({"resource_attributes": {1: "x"}}, {}, "resource_attributes: the key 1 is not allowed"),
    ({"metric_interval": True}, {}, "metric_interval=True must be a positive number of seconds"),
    ({"metric_interval": "5"}, {}, "metric_interval='5' must be a positive number of seconds"),
    ({"metric_interval": float("inf")}, {}, "metric_interval=inf must be a positive number"),
    ({"endpoint": 4317}, {}, "endpoint=4317 must be a URL string"),
    ({"endpoint": "not a url"}, {}, "endpoint='not a url' is not a valid grpc endpoint"),
    ({"endpoint": "http://:4317"}, {}, "endpoint='http://:4317' is not a valid grpc endpoint"),
    (
        {"exporter": "otlp"},
        {"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "collector/v1/traces"},
        "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT='collector/v1/traces' is not a valid grpc endpoint",
    ),
    ({"exporter": "otlp", "protocol": 1}, {}, "protocol=1 is not an OTLP protocol; allowed: grpc"),
    ({"exporter": "otlp", "headers": 5}, {}, "headers must be a mapping or a 'key=value"),
    (
        {"exporter": "otlp", "headers": {"x-key": "a\r\nInjected: 1"}},
        {},
        "headers: the value of header 'x-key' contains a control character",
    ),
    (
        {"exporter": "otlp"},
        {"OTEL_EXPORTER_OTLP_HEADERS": "x-key=a%0D%0AInjected:1"},
        "OTEL_EXPORTER_OTLP_HEADERS: the value of header 'x-key' contains a control character",
    ),
    (
        {"exporter": "otlp"},
        {"OTEL_EXPORTER_OTLP_METRICS_HEADERS": "bad key=1"},
        "OTEL_EXPORTER_OTLP_METRICS_HEADERS: header name 'bad key' is not allowed",
    ),
    ({"exporter": "otlp", "headers": {"k": 1}}, {}, "headers: header names and values must be"),
    ({"flush_on_signals": "yes"}, {}, "flush_on_signals='yes' must be True, False or None"),
    (
        {"exporter": "otlp", "protocol": "grpc"},
        {"OTEL_EXPORTER_OTLP_TRACES_TIMEOUT": "abc"},
        "OTEL_EXPORTER_OTLP_TRACES_TIMEOUT='abc' is not a number of seconds; the OTLP gRPC",
    ),
]


@pytest.mark.parametrize(("kwargs", "env", "message"), BAD_CONFIG)
def test_bad_configuration_raises_naming_the_setting(
    monkeypatch: pytest.MonkeyPatch, kwargs: dict[str, Any], env: dict[str, str], message: str
) -> None:
    """Each bad argument or env var raises ValueError naming it and the allowed values."""
    for name, value in env.items():
        monkeypatch.setenv(name, value)

    with pytest.raises(ValueError, match=message):
        configure(**kwargs)


def test_header_errors_never_echo_the_value() -> None:
    """A rejected header names the setting and the key, never the (secret) value."""
    with pytest.raises(ValueError) as raised:
        configure(exporter="otlp", headers={"authorization": "Bearer sk-secret\nX-Evil: 1"})
    assert "authorization" in str(raised.value)
    assert "sk-secret" not in str(raised.value)


@pytest.mark.parametrize("env_name", ["file", "OTEL_LANGCHAIN_FILE"])
def test_file_that_is_a_directory_or_under_a_file_is_rejected(
    env_name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A file path that is a directory, or lies under a regular file, fails at configure()."""
    regular = tmp_path / "regular.txt"
    regular.write_text("not a directory")
    for bad, message in (
        (tmp_path, "is a directory; expected the path of a file"),
        (regular / "sub" / "t.jsonl", "lies under .*regular.txt', which is a file"),
    ):
        if env_name == "file":
            with pytest.raises(ValueError, match=f"^file=.*{message}"):
                configure(exporter="file", file=bad)
        else:
            monkeypatch.setenv("OTEL_LANGCHAIN_FILE", str(bad))
            with pytest.raises(ValueError, match=f"^OTEL_LANGCHAIN_FILE=.*{message}"):
                configure(exporter="file")


def test_file_path_is_not_checked_when_no_file_exporter_is_used(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """OTEL_LANGCHAIN_FILE only matters to the file exporter: a directory there is harmless."""
    monkeypatch.setenv("OTEL_LANGCHAIN_FILE", str(tmp_path))
    assert resolve(exporter="console").traces == ("console",)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"tracer_provider": "x"}, "tracer_provider='x' is not an OpenTelemetry TracerProvider"),
        ({"meter_provider": 42}, "meter_provider=42 is not an OpenTelemetry MeterProvider"),
    ],
)
def test_handler_rejects_a_provider_of_the_wrong_type(kwargs: dict[str, Any], message: str) -> None:
    """The handler names a provider argument that is not a provider, at construction."""
    from otel_langchain import OTelCallbackHandler

    with pytest.raises(ValueError, match=message):
        OTelCallbackHandler(**kwargs)


# -- bad tuning values in the environment warn once --------------------------------------

TUNING = [
    ("OTEL_EXPORTER_OTLP_TIMEOUT", "abc", "a positive number of seconds; using the default, 5 s"),
    ("OTEL_EXPORTER_OTLP_METRICS_TIMEOUT", "-3", "a positive number of seconds"),
    (
        "OTEL_METRIC_EXPORT_INTERVAL",
        "soon",
        "a positive number of milliseconds; using the default, 60000 milliseconds",
    ),
    ("OTEL_METRIC_EXPORT_TIMEOUT", "0", "using the default, 30000 milliseconds"),
    ("OTEL_BSP_SCHEDULE_DELAY", "0", "using the default, 5000 milliseconds"),
    ("OTEL_BSP_EXPORT_TIMEOUT", "later", "using the default, 30000 milliseconds"),
    ("OTEL_BSP_MAX_QUEUE_SIZE", "lots", "a positive integer; using the default, 2048"),
    ("OTEL_BSP_MAX_EXPORT_BATCH_SIZE", "1.5", "a positive integer; using the default, 512"),
    ("OTEL_LANGCHAIN_FLUSH_ON_SIGNALS", "perhaps", "true or false; using the default, false"),
]


@pytest.mark.parametrize(("name", "value", "message"), TUNING)
def test_bad_tuning_env_warns_once_and_uses_the_default(
    name: str,
    value: str,
    message: str,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    tmp_path: Path,
) -> None:
    """A bad timeout, interval or switch in the env warns once, naming it and the default."""
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", f"http://127.0.0.1:{closed_port()}")
    monkeypatch.setenv(name, value)

    for _ in range(2):
        with caplog.at_level("WARNING", logger="otel_langchain"):
            build().shutdown(timeout_millis=100)

    ours = [r.getMessage() for r in caplog.records if r.name.startswith("otel_langchain")]
    warned = [m for m in ours if m.startswith(f"{name}={value!r} is not")]
    assert len(warned) == 1, ours
    assert message in warned[0]


def test_tuning_defaults_reach_the_sdk_objects(monkeypatch: pytest.MonkeyPatch) -> None:
    """After a bad value, the SDK objects run with the named default, not the bad value."""
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_TIMEOUT", "abc!")
    monkeypatch.setenv("OTEL_BSP_SCHEDULE_DELAY", "-1")
    monkeypatch.setenv("OTEL_METRIC_EXPORT_INTERVAL", "-1")
    settings = resolve(exporter="otlp")

    assert settings.traces_otlp.timeout == settings.metrics_otlp.timeout == 5.0
    assert settings.batching.schedule_delay_millis == 5000.0
    assert settings.interval_millis == 60_000.0


def test_batch_larger_than_queue_is_clamped_with_a_warning(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """OTEL_BSP_MAX_EXPORT_BATCH_SIZE above the queue size warns and uses the queue size."""
    monkeypatch.setenv("OTEL_BSP_MAX_QUEUE_SIZE", "64")
    with caplog.at_level("WARNING", logger="otel_langchain"):
        batching = resolve().batching
    assert (batching.max_queue_size, batching.max_export_batch_size) == (64, 64)
    assert "OTEL_BSP_MAX_EXPORT_BATCH_SIZE='512' is not at most OTEL_BSP_MAX_QUEUE_SIZE" in (
        caplog.text
    )


def test_malformed_resource_attributes_env_warns_once_naming_it(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """OTEL_RESOURCE_ATTRIBUTES with entries that are not key=value warns once, naming it."""
    monkeypatch.setenv("OTEL_RESOURCE_ATTRIBUTES", "team=ml,oops,=x")

    with caplog.at_level("WARNING", logger="otel_langchain"):
        attributes = resolve().resource.attributes
        resolve()

    ours = [r.getMessage() for r in caplog.records if r.name == "otel_langchain"]
    assert len(ours) == 1
    assert ours[0].startswith("OTEL_RESOURCE_ATTRIBUTES has 2 malformed entries ('oops', '=x')")
    assert attributes["team"] == "ml"


def test_resource_attribute_of_unsupported_type_warns_naming_the_key(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A resource attribute value a resource cannot hold is left out with one warning."""
    given = {"ok": 1, "tags": ["a", "b"], "nested-config": {"x": 1}, "mixed-list": [1, "a"]}

    with caplog.at_level("WARNING", logger="otel_langchain"):
        attributes = resolve(resource_attributes=given).resource.attributes
        resolve(resource_attributes=given)

    assert attributes["ok"] == 1 and tuple(attributes["tags"]) == ("a", "b")
    assert "nested-config" not in attributes and "mixed-list" not in attributes
    ours = [r.getMessage() for r in caplog.records if r.name == "otel_langchain"]
    assert len(ours) == 2
    assert ours[0].startswith("resource_attributes['nested-config'] is a dict")
    assert ours[1].startswith("resource_attributes['mixed-list'] is a list")


def test_grpc_accepts_bare_host_port_like_the_sdk() -> None:
    """For gRPC a scheme-less host:port is valid and means TLS, as in the SDK's gRPC exporter."""
    otlp = resolve(endpoint="collector:4317").traces_otlp
    assert (otlp.url, otlp.insecure) == ("collector:4317", False)
    assert resolve(endpoint="http://collector:4317").traces_otlp.insecure is True


# -- providers and shutdown ----------------------------------------------------------


def test_file_exporter_receives_spans_and_metrics(tmp_path: Path) -> None:
    """exporter='file' sends spans and metrics to one OTLP/JSON file, flushed on shutdown."""
    path = tmp_path / "telemetry.jsonl"
    with build(exporter="file", file=path, service_name="svc") as telemetry:
        with telemetry.tracer_provider.get_tracer("t").start_as_current_span("root"):
            pass
        telemetry.meter_provider.get_meter("m").create_counter("langchain.llm.cost").add(2)

    kinds = sorted(next(iter(obj)) for obj in read_otlp_json(path))
    assert kinds == ["resourceMetrics", "resourceSpans"]


def test_force_flush_writes_without_shutting_down(tmp_path: Path) -> None:
    """force_flush() exports buffered spans now and the providers keep working."""
    path = tmp_path / "flushed.jsonl"
    telemetry = build(exporter="file", file=path)
    tracer = telemetry.tracer_provider.get_tracer("t")
    with tracer.start_as_current_span("first"):
        pass

    assert telemetry.force_flush(5_000)
    assert path.exists()
    with tracer.start_as_current_span("second"):
        pass
    telemetry.shutdown()
    telemetry.shutdown()  # idempotent
    names = [
        span["name"]
        for obj in read_otlp_json(path)
        for rs in obj.get("resourceSpans", [])
        for ss in rs["scopeSpans"]
        for span in ss["spans"]
    ]
    assert names == ["first", "second"]


@pytest.mark.parametrize("protocol", ["grpc", "http/protobuf"])
def test_unreachable_endpoint_shutdown_is_bounded_and_logs_losses_once(protocol: str) -> None:
    """With nothing listening, shutdown() returns promptly and logs each lost count once."""
    # In a subprocess: the SDK exporters' own export-failure errors are expected here.
    endpoint = f"http://127.0.0.1:{closed_port()}"
    result = run_python(
        f"""
        import logging, time
        logging.basicConfig(level=logging.WARNING, format="%(name)s: %(message)s")
        from otel_langchain.configure import configure
        telemetry = configure(endpoint={endpoint!r}, protocol={protocol!r})
        tracer = telemetry.tracer_provider.get_tracer("t")
        for index in range(3):
            with tracer.start_as_current_span(f"span-{{index}}"):
                pass
        telemetry.meter_provider.get_meter("m").create_counter("c").add(1)
        started = time.monotonic()
        telemetry.shutdown()
        print(f"shutdown took {{time.monotonic() - started:.1f}} s")
        """
    )

    assert result.returncode == 0, result.stderr
    assert float(result.stdout.split()[2]) < 20  # a hang is the failure; the target is seconds
    ours = [line for line in result.stderr.splitlines() if line.startswith("otel_langchain")]
    assert ours == [
        f"otel_langchain.config._telemetry: 3 of 3 spans were not exported to "
        f"OTLP/{protocol} {endpoint} (export_failed: 3)",
        f"otel_langchain.config._telemetry: 1 of 1 metric data points were not exported to "
        f"OTLP/{protocol} {endpoint} (export_failed: 1)",
    ]


def test_console_exporter_prints_spans_and_sets_globals() -> None:
    """configure(exporter='console') makes global providers that print spans to stdout."""
    result = run_python(
        """
        from opentelemetry import trace, metrics
        from otel_langchain.configure import configure
        telemetry = configure(exporter="console", service_name="console-app")
        assert trace.get_tracer_provider() is telemetry.tracer_provider
        assert metrics.get_meter_provider() is telemetry.meter_provider
        with trace.get_tracer("t").start_as_current_span("hello-console"):
            pass
        telemetry.shutdown()
        """
    )

    assert result.returncode == 0, result.stderr
    assert '"name": "hello-console"' in result.stdout
    assert '"service.name": "console-app"' in result.stdout


def test_second_configure_warns_and_returns_working_providers(tmp_path: Path) -> None:
    """A second configure() keeps the first globals, warns once, and its providers still work."""
    path = tmp_path / "second.jsonl"
    result = run_python(
        f"""
        from opentelemetry import trace
        from otel_langchain.configure import configure
        first = configure(exporter="none")
        second = configure(exporter="file", file={str(path)!r})
        assert trace.get_tracer_provider() is first.tracer_provider
        with second.tracer_provider.get_tracer("t").start_as_current_span("still-works"):
            pass
        second.shutdown()
        """,
    )

    assert result.returncode == 0, result.stderr
    assert path.read_text(encoding="utf-8").count("still-works") == 1
    assert result.stderr.count("Global OpenTelemetry providers were already set") == 1


def test_exit_flushes_once_without_an_explicit_shutdown(tmp_path: Path) -> None:
    """At interpreter exit the telemetry is flushed once, with no double-shutdown warning."""
    path = tmp_path / "atexit.jsonl"
    result = run_python(
        f"""
        import logging
        logging.basicConfig(level=logging.WARNING)
        from opentelemetry import trace, metrics
        from otel_langchain.configure import configure
        configure(exporter="file", file={str(path)!r})
        with trace.get_tracer("t").start_as_current_span("at-exit"):
            pass
        metrics.get_meter("m").create_histogram("gen_ai.client.operation.duration").record(1.0)
        """
    )

    assert result.returncode == 0, result.stderr
    assert "shutdown" not in result.stderr.lower(), result.stderr
    objects = list(read_otlp_json(path))
    assert json.dumps(objects).count('"at-exit"') == 1
    assert any("resourceMetrics" in obj for obj in objects)


def test_configure_module_path_stays_importable_without_shadowing_the_function() -> None:
    """Importing the module otel_langchain.configure keeps otel_langchain.configure a function."""
    result = run_python(
        """
        import importlib
        module = importlib.import_module("otel_langchain.configure")
        import otel_langchain
        from otel_langchain import configure
        from otel_langchain.config import configure as real
        assert configure is real is module.configure is otel_langchain.configure
        print("ok")
        """
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"
