"""langchain.run.duration: which runs get a point by default, run_duration='all', the setting."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from conftest import Telemetry
from fakes import FakeOpenAIChat
from langchain_core.documents import Document
from langchain_core.messages import AIMessage
from langchain_core.retrievers import BaseRetriever
from langchain_core.runnables import RunnableLambda
from langchain_core.tools import tool
from langgraph.graph import END, START, MessagesState, StateGraph
from langgraph.prebuilt import ToolNode, tools_condition

from otel_langchain import LangChainInstrumentor, instrument
from otel_langchain._metrics import RUN_DURATION_ENV


@tool
def add(a: int, b: int) -> int:
    """Add two numbers."""
    return a + b


class Docs(BaseRetriever):
    """A small in-memory retriever."""

    def _get_relevant_documents(self, query: str, *, run_manager: Any) -> list[Document]:
        return [Document(page_content=f"doc about {query}")]


def _timed(telemetry: Telemetry) -> dict[tuple[str, str], int]:
    """(run type, run name) -> points of langchain.run.duration."""
    return {
        (p.attributes["langchain.run.type"], p.attributes["langchain.run.name"]): p.count
        for p in telemetry.metrics().get("langchain.run.duration", [])
    }


def _agent() -> Any:
    model = FakeOpenAIChat(
        responses=[
            AIMessage(
                content="", tool_calls=[{"name": "add", "args": {"a": 2, "b": 3}, "id": "call_1"}]
            ),
            "The answer is 5.",
        ]
    ).bind_tools([add])

    def agent(state: MessagesState) -> dict[str, Any]:
        prepared = RunnableLambda(lambda m: m, name="prepare").invoke(state["messages"])
        return {"messages": [model.invoke(prepared)]}

    graph = StateGraph(MessagesState)
    graph.add_node("agent", agent)
    graph.add_node("tools", ToolNode([add]))
    graph.add_edge(START, "agent")
    graph.add_conditional_edges("agent", tools_condition)
    graph.add_edge("tools", "agent")
    graph.add_edge("agent", END)
    return graph.compile()


def test_agent_nodes_and_tools_are_timed_not_their_inner_steps(telemetry: Telemetry) -> None:
    """A LangGraph agent, its nodes and its tool get points; models and inner runnables do not."""
    _agent().invoke({"messages": [("human", "2+3?")]}, config={"callbacks": [telemetry.handler()]})

    timed = _timed(telemetry)
    assert timed == {
        ("chain", "LangGraph"): 1,
        ("chain", "agent"): 2,
        ("chain", "tools"): 1,
        ("tool", "add"): 1,
    }
    names = {s.name for s in telemetry.spans()}
    assert {"prepare", "chat gpt-4o-mini"} <= names  # traced, not timed


def test_retriever_and_a_tool_called_alone_are_timed(telemetry: Telemetry) -> None:
    """A retriever's run and a tool's run get a point wherever they are."""
    handler = telemetry.handler()
    Docs().invoke("cats", config={"callbacks": [handler]})
    RunnableLambda(lambda x: add.invoke({"a": x, "b": 1}), name="outer").invoke(
        1, config={"callbacks": [handler]}
    )

    assert _timed(telemetry) == {
        ("retriever", "Docs"): 1,
        ("chain", "outer"): 1,
        ("tool", "add"): 1,
    }


def test_a_failing_inner_step_is_timed_through_its_root(telemetry: Telemetry) -> None:
    """An inner step that fails has no point of its own; the root's point carries error.type."""

    def fail(_: Any) -> None:
        raise ValueError("bad input")

    chain = RunnableLambda(lambda x: x, name="first") | RunnableLambda(fail, name="fail")
    with pytest.raises(ValueError):
        chain.invoke(1, config={"callbacks": [telemetry.handler()]})

    [point] = telemetry.metrics()["langchain.run.duration"]
    assert dict(point.attributes) == {
        "langchain.run.type": "chain",
        "langchain.run.name": "RunnableSequence",
        "error.type": "ValueError",
    }


def test_run_duration_all_times_every_run(telemetry: Telemetry) -> None:
    """run_duration='all': every run, models and inner steps included."""
    handler = telemetry.handler(run_duration="all")
    _agent().invoke({"messages": [("human", "2+3?")]}, config={"callbacks": [handler]})

    timed = _timed(telemetry)
    assert timed[("chat_model", "FakeOpenAIChat")] == 2
    assert timed[("chain", "prepare")] == 2
    assert sum(timed.values()) == len(telemetry.spans())


def test_env_var_sets_run_duration(telemetry: Telemetry, monkeypatch: pytest.MonkeyPatch) -> None:
    """OTEL_LANGCHAIN_RUN_DURATION=all applies when the argument is not given; it loses to it."""
    monkeypatch.setenv(RUN_DURATION_ENV, "all")
    chain = RunnableLambda(lambda x: x, name="a") | RunnableLambda(lambda x: x, name="b")
    chain.invoke(1, config={"callbacks": [telemetry.handler()]})
    assert set(_timed(telemetry)) == {
        ("chain", "RunnableSequence"),
        ("chain", "a"),
        ("chain", "b"),
    }

    other = Telemetry()
    chain.invoke(1, config={"callbacks": [other.handler(run_duration="default")]})
    assert set(_timed(other)) == {("chain", "RunnableSequence")}


def test_bad_env_value_warns_and_uses_the_default(
    telemetry: Telemetry, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """A bad OTEL_LANGCHAIN_RUN_DURATION logs a warning naming it; the default applies."""
    monkeypatch.setenv(RUN_DURATION_ENV, "every")
    with caplog.at_level(logging.WARNING):
        handler = telemetry.handler()
    assert any(RUN_DURATION_ENV in r.getMessage() for r in caplog.records)
    (RunnableLambda(lambda x: x, name="a") | RunnableLambda(lambda x: x, name="b")).invoke(
        1, config={"callbacks": [handler]}
    )
    assert set(_timed(telemetry)) == {("chain", "RunnableSequence")}


def test_bad_argument_raises_naming_it(telemetry: Telemetry) -> None:
    """run_duration must be 'default', 'all' or None; anything else is a ValueError naming it."""
    with pytest.raises(ValueError, match="run_duration"):
        telemetry.handler(run_duration="every")  # type: ignore[arg-type]


def test_instrumentor_passes_run_duration(telemetry: Telemetry) -> None:
    """opentelemetry-instrument's entry point accepts run_duration."""
    instrumentor = LangChainInstrumentor()
    instrumentor.instrument(
        tracer_provider=telemetry.tracer_provider,
        meter_provider=telemetry.meter_provider,
        run_duration="all",
    )
    try:
        assert instrument()._tracing.all_durations is True  # the active handler
    finally:
        instrumentor.uninstrument()
