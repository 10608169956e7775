"""User identity: user_id / user.id metadata becomes user.id, opt-in (personal data)."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from conftest import Telemetry
from fakes import FakeOpenAIChat
from langchain_core.prompts import ChatPromptTemplate
from langgraph.graph import START, MessagesState, StateGraph
from opentelemetry.semconv._incubating.attributes import user_attributes

from otel_langchain import _semconv as sc
from otel_langchain._attributes import USER_ID_ENV


def _invoke(handler: Any, metadata: dict[str, Any]) -> None:
    chain = ChatPromptTemplate.from_messages([("user", "{q}")]) | FakeOpenAIChat()
    chain.invoke({"q": "hi"}, config={"callbacks": [handler], "metadata": metadata})


def test_attribute_name_is_semconv() -> None:
    """user.id is the semconv attribute name."""
    assert sc.USER_ID == user_attributes.USER_ID


def test_off_by_default_and_never_as_plain_metadata(
    telemetry: Telemetry, monkeypatch: pytest.MonkeyPatch
) -> None:
    """By default no span carries the user id, not even as langchain.metadata.*."""
    monkeypatch.delenv(USER_ID_ENV, raising=False)
    _invoke(telemetry.handler(), {"user_id": "u-42", "user.id": "u-43", "tenant": "acme"})
    for span in telemetry.spans():
        assert sc.USER_ID not in span.attributes
        assert not [k for k in span.attributes if "user" in k]
        assert span.attributes["langchain.metadata.tenant"] == "acme"


@pytest.mark.parametrize("key", ["user_id", "user.id"])
def test_opt_in_records_user_id_on_every_span(telemetry: Telemetry, key: str) -> None:
    """capture_user_id=True: every span of the run carries user.id."""
    _invoke(telemetry.handler(capture_user_id=True), {key: "u-42"})
    spans = telemetry.spans()
    assert len(spans) == 3
    assert {s.attributes.get(sc.USER_ID) for s in spans} == {"u-42"}


def test_env_var_opts_in_and_a_bad_value_warns(
    telemetry: Telemetry, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """OTEL_LANGCHAIN_CAPTURE_USER_ID=true opts in; a bad value warns and stays off."""
    monkeypatch.setenv(USER_ID_ENV, "true")
    _invoke(telemetry.handler(), {"user_id": 7})
    assert telemetry.span("RunnableSequence").attributes[sc.USER_ID] == "7"
    telemetry.exporter.clear()
    monkeypatch.setenv(USER_ID_ENV, "maybe")
    with caplog.at_level(logging.WARNING):
        handler = telemetry.handler()
    assert any(USER_ID_ENV in r.getMessage() for r in caplog.records)
    _invoke(handler, {"user_id": 7})
    assert sc.USER_ID not in telemetry.span("RunnableSequence").attributes


def test_langgraph_metadata_user_id(telemetry: Telemetry) -> None:
    """A LangGraph run's metadata user_id reaches the model span, next to the thread id."""
    model = FakeOpenAIChat()
    graph = StateGraph(MessagesState)
    graph.add_node("agent", lambda state: {"messages": [model.invoke(state["messages"])]})
    graph.add_edge(START, "agent")
    app = graph.compile()
    app.name = "assistant"  # compile(name=...) needs langgraph >= 0.3
    config = {
        "callbacks": [telemetry.handler(capture_user_id=True)],
        "configurable": {"thread_id": "t-1"},
        "metadata": {"user_id": "u-9"},
    }
    app.invoke({"messages": [("user", "hi")]}, config=config)
    model_span = telemetry.span("chat gpt-4o-mini")
    assert model_span.attributes[sc.USER_ID] == "u-9"
    assert model_span.attributes[sc.GEN_AI_CONVERSATION_ID] == "t-1"


def test_bad_argument_is_refused(telemetry: Telemetry) -> None:
    """capture_user_id must be a bool or None."""
    with pytest.raises(ValueError, match="capture_user_id"):
        telemetry.handler(capture_user_id="yes")


def test_instrumentor_passes_the_new_settings(telemetry: Telemetry) -> None:
    """opentelemetry-instrument's entry point accepts capture_user_id and dedupe."""
    from otel_langchain import LangChainInstrumentor, instrument

    instrumentor = LangChainInstrumentor()
    instrumentor.instrument(
        tracer_provider=telemetry.tracer_provider,
        meter_provider=telemetry.meter_provider,
        capture_user_id=True,
        dedupe=False,
    )
    try:
        handler = instrument()  # the active handler
        assert handler is not None
        assert handler._tracing.user_ids is True
        assert handler._tracing.dedupe is None
    finally:
        instrumentor.uninstrument()
