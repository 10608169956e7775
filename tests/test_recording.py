"""One recording path: every string the handler records is scrubbed, content capture or not."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fakes import FakeOpenAIChat
from langchain_core.callbacks import dispatch_custom_event
from langchain_core.runnables import RunnableLambda
from langchain_core.tools import tool

import otel_langchain
from otel_langchain import _scrub
from otel_langchain._content import CAPTURE_ENV

PACKAGE = Path(otel_langchain.__file__).parent
# Span and instrument calls that record something; only _record.py may make them.
RECORDING_CALL = re.compile(
    r"(?<!\brecord)\.(set_attributes?|add_event|set_status|update_name|start_span|"
    r"start_as_current_span|"
    r"record_exception|add_link)\("
    r"|\.(tokens|duration|ttfc|cost|run_duration|budget_exceeded|histogram)\.(record|add)\("
)
URL_PW, URL_TOKEN = "urlpw7Qm2x", "urltokZ8k3x"
CAPTURE = pytest.mark.parametrize("capture", [False, True], ids=["capture-off", "capture-on"])


@pytest.fixture(autouse=True)
def _clean(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.delenv(CAPTURE_ENV, raising=False)
    _scrub.forget_learned()
    yield
    _scrub.forget_learned()


def _recorded(telemetry: Any) -> str:
    """Every string the spans and metric points carry, joined."""
    texts: list[str] = []
    for span in telemetry.spans():
        texts += [span.name, span.status.description or ""]
        texts += [f"{k}={v}" for k, v in (span.attributes or {}).items()]
        for event in span.events:
            texts.append(event.name)
            texts += [f"{k}={v}" for k, v in (event.attributes or {}).items()]
    for points in telemetry.metrics().values():
        for point in points:
            texts += [f"{k}={v}" for k, v in (point.attributes or {}).items()]
    return "\n".join(texts)


def test_no_module_records_around_the_recording_layer() -> None:
    """Only _record.py calls span / instrument recording methods (the CLI's demo app aside)."""
    offenders = []
    for path in PACKAGE.rglob("*.py"):
        relative = path.relative_to(PACKAGE).as_posix()
        if relative in ("_record.py",) or relative.startswith(("cli/", "exporters/")):
            continue
        for number, line in enumerate(path.read_text().splitlines(), 1):
            code = line.split("#", 1)[0]
            if RECORDING_CALL.search(code):
                offenders.append(f"{relative}:{number}: {line.strip()}")
    assert offenders == []


def test_the_grep_finds_direct_calls() -> None:
    """The pattern of the test above matches the calls it must catch."""
    for call in (
        "span.set_attribute(k, v)",
        "state.span.add_event(name, attrs)",
        "span.set_status(Status(StatusCode.ERROR))",
        "self._tracer.start_span(name)",
        "self._metrics.cost.add(1.0, attrs)",
    ):
        assert RECORDING_CALL.search(call), call


@tool
def fetch_report(name: str) -> str:
    """Fetch a report from the reporting service."""
    raise ConnectionError(
        f"GET https://admin:{URL_PW}@reports.internal/api?token={URL_TOKEN} failed"
    )


@CAPTURE
def test_url_credentials_in_an_exception_are_masked(telemetry: Any, capture: bool) -> None:
    """URL userinfo and a token query parameter in an error never reach status or events."""
    with pytest.raises(ConnectionError):
        fetch_report.invoke(
            {"name": "q3"}, config={"callbacks": [telemetry.handler(capture_content=capture)]}
        )

    span = telemetry.span("execute_tool fetch_report")
    [event] = [e for e in span.events if e.name == "exception"]
    for text in (
        span.status.description,
        event.attributes["exception.message"],
        event.attributes["exception.stacktrace"],
    ):
        assert "reports.internal" in text
        assert URL_PW not in text and URL_TOKEN not in text and "admin" not in text
    assert URL_PW not in _recorded(telemetry)


def test_a_long_stack_trace_keeps_its_head_and_the_error_at_its_end(telemetry: Any) -> None:
    """A stack trace over the limit is cut in the middle: the message at its end survives."""

    def fail(_: Any) -> None:
        raise ValueError("x" * 40_000 + " THE-END-OF-MESSAGE")

    with pytest.raises(ValueError):
        RunnableLambda(fail).invoke(1, config={"callbacks": [telemetry.handler()]})
    [event] = [e for e in telemetry.span("fail").events if e.name == "exception"]
    stack = event.attributes["exception.stacktrace"]
    assert stack.startswith("Traceback")
    assert stack.rstrip().endswith("THE-END-OF-MESSAGE")
    assert "...[truncated]" in stack


@CAPTURE
def test_metadata_tags_and_events_are_masked(telemetry: Any, capture: bool) -> None:
    """Credentials in metadata values, tags and custom event values are masked."""

    def step(x: str) -> str:
        dispatch_custom_event("progress", {"detail": "retrying with token=evtokW2m7q"})
        return x

    RunnableLambda(step).invoke(
        "hi",
        config={
            "callbacks": [telemetry.handler(capture_content=capture)],
            "metadata": {"db": "postgres://user:dbpwK9v2q@db/app", "note": "token=metaP3z9q"},
            "tags": ["password=tagpwR5t8", "team-a"],
        },
    )

    span = telemetry.span("step")
    assert span.attributes["langchain.metadata.db"] == "postgres://[REDACTED]@db/app"
    assert span.attributes["langchain.metadata.note"] == "token=[REDACTED]"
    assert list(span.attributes["langchain.run.tags"]) == ["password=[REDACTED]", "team-a"]
    [event] = [e for e in span.events if e.name == "progress"]
    assert event.attributes["detail"] == "retrying with token=[REDACTED]"
    recorded = _recorded(telemetry)
    for secret in ("dbpwK9v2q", "metaP3z9q", "tagpwR5t8", "evtokW2m7q"):
        assert secret not in recorded


def test_metric_attributes_are_masked(telemetry: Any) -> None:
    """A credential in a model name reaches no metric attribute (and no span)."""
    model = FakeOpenAIChat(model_name="https://u:mdlpwQ1w2e@gw/gpt-4o-mini")
    model.invoke("hi", config={"callbacks": [telemetry.handler()]})

    assert telemetry.metrics()["gen_ai.client.operation.duration"]
    assert "mdlpwQ1w2e" not in _recorded(telemetry)
    assert "https://[REDACTED]@gw/gpt-4o-mini" in _recorded(telemetry)


def test_secret_metadata_values_are_masked_where_echoed(telemetry: Any) -> None:
    """A value under a credential metadata key is dropped, and masked where else it shows."""

    def step(x: str) -> str:
        raise PermissionError("key echo-key-T5y7 rejected")

    with pytest.raises(PermissionError):
        RunnableLambda(step).invoke(
            "hi",
            config={"callbacks": [telemetry.handler()], "metadata": {"api_key": "echo-key-T5y7"}},
        )

    assert "echo-key-T5y7" not in _recorded(telemetry)
    assert "key [REDACTED] rejected" in telemetry.span("step").status.description


def test_key_like_environment_variables_are_masked(
    telemetry: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The value of a *_API_KEY environment variable is masked in every recorded string."""
    monkeypatch.setenv("ACME_API_KEY", "acmekeyT6y8u0")
    handler = telemetry.handler()

    def step(x: str) -> str:
        raise RuntimeError("acme rejected acmekeyT6y8u0")

    with pytest.raises(RuntimeError):
        RunnableLambda(step).invoke("hi", config={"callbacks": [handler]})

    assert "acmekeyT6y8u0" not in _recorded(telemetry)
    assert telemetry.span("step").status.description == "RuntimeError: acme rejected [REDACTED]"


def test_model_constructor_secrets_are_masked(telemetry: Any) -> None:
    """A model's own key (a plain field here, SecretStr on real clients) is masked by value."""
    key = "ctorkeyZ9x8c7v6"
    model = FakeOpenAIChat(openai_api_key=key, error=PermissionError(f"key {key} not allowed"))
    with pytest.raises(PermissionError):
        model.invoke("hi", config={"callbacks": [telemetry.handler()]})

    assert key not in _recorded(telemetry)
    assert "key [REDACTED] not allowed" in telemetry.span("chat gpt-4o-mini").status.description
