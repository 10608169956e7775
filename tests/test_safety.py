"""The safety boundary itself: when something inside the handler does fail, the app
never sees it, the failure is logged once, and the handler keeps working.

The other modules keep the boundary strict (any internal error fails the test);
here it is switched to production behaviour, and real failures are provoked: a
span processor that raises (a buggy exporter plugin) and a ``redact`` callable
that raises.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import pytest
from conftest import Telemetry
from fakes import FakeOpenAIChat
from langchain_core.output_parsers import StrOutputParser
from langchain_core.prompts import ChatPromptTemplate
from langchain_core.runnables import Runnable, RunnableLambda
from opentelemetry.sdk.trace import SpanProcessor

from otel_langchain import _safety
from otel_langchain._content import REDACTION_FAILED


@pytest.fixture(autouse=True)
def _production_boundary() -> Iterator[None]:
    _safety.set_strict(False)
    _safety._reported.clear()  # "logged once" starts afresh in each test
    yield
    _safety.set_strict(True)


class ProcessorBug(RuntimeError):
    """Raised by the failing span processor (a type no other test reports)."""


class FailingProcessor(SpanProcessor):
    """A span processor whose on_start raises while ``failing`` is set."""

    def __init__(self) -> None:
        self.failing = True

    def on_start(self, span: Any, parent_context: Any = None) -> None:
        if self.failing:
            raise ProcessorBug("processor bug")


def _chain() -> Runnable[Any, str]:
    prompt = ChatPromptTemplate.from_messages([("human", "{q}")])
    return prompt | FakeOpenAIChat() | StrOutputParser() | RunnableLambda(str.upper, name="up")


def _warnings(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "otel_langchain"]


def test_internal_failure_is_logged_once_and_the_app_runs_on(
    telemetry: Telemetry, caplog: pytest.LogCaptureFixture
) -> None:
    """Every start hook fails; the chain's result is unchanged and each place logs once."""
    failing = FailingProcessor()
    telemetry.tracer_provider.add_span_processor(failing)
    handler = telemetry.handler()
    chain = _chain()
    with caplog.at_level(logging.WARNING, logger="otel_langchain"):
        for _ in range(3):
            assert chain.invoke({"q": "hi"}, config={"callbacks": [handler]}) == (
                "HELLO FROM THE FAKE MODEL."
            )
    logged = _warnings(caplog)
    places = sorted(r.getMessage().split(" in ")[1].split(" ")[0] for r in logged)
    assert places == ["on_chain_start", "on_chat_model_start"]
    assert all(r.exc_info and r.exc_info[0] is ProcessorBug for r in logged)
    assert telemetry.spans() == []
    assert handler.open_runs == 0

    failing.failing = False  # the same handler works once the fault is gone
    chain.invoke({"q": "hi"}, config={"callbacks": [handler]})
    assert len(telemetry.spans()) == 5
    assert handler.open_runs == 0


def test_app_exception_passes_through_a_failing_handler(telemetry: Telemetry) -> None:
    """With every hook of ours failing, the app's own exception still arrives unchanged."""
    telemetry.tracer_provider.add_span_processor(FailingProcessor())
    handler = telemetry.handler()

    class AppError(Exception):
        pass

    error = AppError("the app's own")

    def fail(_: Any) -> str:
        raise error

    chain = _chain() | RunnableLambda(fail)
    with pytest.raises(AppError) as raised:
        chain.invoke({"q": "hi"}, config={"callbacks": [handler]})
    assert raised.value is error
    assert handler.open_runs == 0


def test_failing_redact_records_no_content_and_keeps_the_spans(
    telemetry: Telemetry, caplog: pytest.LogCaptureFixture
) -> None:
    """A raising ``redact`` replaces captured text by a marker; spans and metrics stay."""

    def redact(text: str) -> str:
        raise ValueError("redactor bug")

    handler = telemetry.handler(capture_content=True, redact=redact)
    with caplog.at_level(logging.WARNING, logger="otel_langchain"):
        for _ in range(2):
            _chain().invoke(
                {"q": "my card is 4111 1111 1111 1111"}, config={"callbacks": [handler]}
            )
    spans = telemetry.spans()
    assert len(spans) == 10
    captured = [
        v
        for s in spans
        for k, v in (s.attributes or {}).items()
        if k.endswith(("inputs", "outputs", ".messages"))
    ]
    assert len(captured) == 20  # chain inputs/outputs on 4 runs, messages in/out on the model
    assert all(REDACTION_FAILED in v for v in captured)
    everything = " ".join(str(v) for s in spans for v in (s.attributes or {}).values())
    assert "4111" not in everything
    assert "HELLO" not in everything and "Hello from the fake model" not in everything
    chat = [s for s in spans if s.name == "chat gpt-4o-mini"]
    assert all(s.attributes["gen_ai.usage.input_tokens"] for s in chat)  # type: ignore[index]
    logged = [r.getMessage() for r in _warnings(caplog)]
    assert len(logged) == 1 and "redact callable raised" in logged[0]
    assert handler.open_runs == 0
