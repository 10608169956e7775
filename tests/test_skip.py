"""Less noise: skipped runs get no span, their children nest under the nearest kept ancestor."""

from __future__ import annotations

import asyncio
import logging
import warnings
from typing import Any

import pytest
from conftest import Telemetry
from fakes import FakeOpenAIChat
from langchain_core.callbacks import dispatch_custom_event
from langchain_core.messages import AIMessage
from langchain_core.output_parsers import StrOutputParser
from langchain_core.prompts import ChatPromptTemplate
from langchain_core.runnables import RunnableConfig, RunnableLambda
from langchain_core.tools import tool
from langgraph.graph import END, START, MessagesState, StateGraph
from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.trace import StatusCode

from otel_langchain import OTelCallbackHandler

SKIP_ENV = "OTEL_LANGCHAIN_SKIP"


@pytest.fixture(autouse=True)
def _no_skip_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(SKIP_ENV, raising=False)


def _chain() -> Any:
    return (
        ChatPromptTemplate.from_messages([("human", "{q}")])
        | FakeOpenAIChat()
        | StrOutputParser()
        | RunnableLambda(lambda s: s, name="passthrough")
    )


def _connected(spans: list[ReadableSpan]) -> None:
    """One trace, one root, and every other span's parent is one of its spans."""
    assert len({s.context.trace_id for s in spans}) == 1
    ids = {s.context.span_id for s in spans}
    roots = [s for s in spans if s.parent is None]
    assert len(roots) == 1, [s.name for s in roots]
    assert all(s.parent.span_id in ids for s in spans if s.parent is not None)


def test_skipping_run_types_reparents_their_children(telemetry: Telemetry) -> None:
    """skip prompt and parser: no spans for them; the model and lambda stay under the sequence."""
    handler = telemetry.handler(skip=["prompt", "parser"])
    _chain().invoke({"q": "hi"}, config={"callbacks": [handler]})
    assert telemetry.tree() == {
        "RunnableSequence": None,
        "chat gpt-4o-mini": "RunnableSequence",
        "passthrough": "RunnableSequence",
    }
    assert handler.open_runs == 0


def test_names_and_glob_patterns(telemetry: Telemetry) -> None:
    """Exact names and fnmatch patterns (a comma-separated string) skip chain runs by name."""
    chain = (
        RunnableLambda(lambda x: x, name="step_a")
        | RunnableLambda(lambda x: x, name="step_b")
        | RunnableLambda(lambda x: x, name="keep_me")
        | RunnableLambda(lambda x: x)
    )
    handler = telemetry.handler(skip="step_*, RunnableLambda")
    chain.invoke(1, config={"callbacks": [handler]})
    assert telemetry.tree() == {"RunnableSequence": None, "keep_me": "RunnableSequence"}


def test_patterns_are_case_sensitive_and_match_whole_names(telemetry: Telemetry) -> None:
    """'Step*' skips neither 'step_a' nor 'my_Step'."""
    chain = RunnableLambda(lambda x: x, name="step_a") | RunnableLambda(lambda x: x, name="my_Step")
    chain.invoke(1, config={"callbacks": [telemetry.handler(skip=["Step*"])]})
    assert set(telemetry.tree()) == {"RunnableSequence", "step_a", "my_Step"}


def test_a_root_run_is_always_kept(telemetry: Telemetry) -> None:
    """A matching run with no traced parent keeps its span, so the trace keeps its root."""
    handler = telemetry.handler(skip=["RunnableSequence", "chain"])
    (ChatPromptTemplate.from_template("{q}") | FakeOpenAIChat()).invoke(
        {"q": "hi"}, config={"callbacks": [handler]}
    )
    assert telemetry.tree() == {
        "RunnableSequence": None,
        "ChatPromptTemplate": "RunnableSequence",
        "chat gpt-4o-mini": "RunnableSequence",
    }


def test_code_inside_a_skipped_run_sees_the_kept_ancestor(telemetry: Telemetry) -> None:
    """Inside a skipped lambda the nearest kept span is current; the caller's after the call."""
    tracer = telemetry.tracer_provider.get_tracer("app")
    seen: list[str] = []

    def body(x: int) -> int:
        seen.append(getattr(trace.get_current_span(), "name", "?"))
        with tracer.start_as_current_span("app work"):
            pass
        return x

    chain = (
        RunnableLambda(lambda x: x, name="first") | RunnableLambda(body, name="body")
    ).with_config(run_name="pipeline")
    handler = telemetry.handler(skip=["body"])
    with tracer.start_as_current_span("request") as request:
        chain.invoke(1, config={"callbacks": [handler]})
        assert trace.get_current_span() is request
    assert seen == ["pipeline"]
    assert telemetry.tree() == {
        "request": None,
        "pipeline": "request",
        "first": "pipeline",
        "app work": "pipeline",
    }


async def test_async_code_inside_a_skipped_run_sees_the_kept_ancestor(
    telemetry: Telemetry,
) -> None:
    """ainvoke: the same, and the caller's span is current again afterwards."""
    tracer = telemetry.tracer_provider.get_tracer("app")
    seen: list[str] = []

    async def body(x: int) -> int:
        seen.append(getattr(trace.get_current_span(), "name", "?"))
        return x

    chain = (
        RunnableLambda(lambda x: x, name="first") | RunnableLambda(body, name="body")
    ).with_config(run_name="pipeline")
    handler = telemetry.handler(skip=["body"])
    with tracer.start_as_current_span("request") as request:
        await chain.ainvoke(1, config={"callbacks": [handler]})
        assert trace.get_current_span() is request
    assert seen == ["pipeline"]
    assert set(telemetry.tree()) == {"request", "pipeline", "first"}


def test_a_skipped_runs_children_nest_under_the_kept_ancestor(telemetry: Telemetry) -> None:
    """A model called inside a skipped lambda is a child of the lambda's kept parent."""
    model = FakeOpenAIChat()

    def ask(q: str, config: RunnableConfig) -> str:
        return str(model.invoke(q, config).content)

    inner = RunnableLambda(ask, name="ask") | RunnableLambda(lambda s: s, name="wrap")
    chain = RunnableLambda(lambda q: q, name="first") | inner.with_config(run_name="glue")
    handler = telemetry.handler(skip=["glue", "ask"])
    chain.invoke("hi", config={"callbacks": [handler]})
    assert telemetry.tree() == {
        "RunnableSequence": None,
        "first": "RunnableSequence",
        "chat gpt-4o-mini": "RunnableSequence",
        "wrap": "RunnableSequence",
    }


def test_streams_sync_and_async(telemetry: Telemetry) -> None:
    """stream(): skipped steps get no span; nothing is left open or current."""
    handler = telemetry.handler(skip=["parser", "passthrough"])
    assert "".join(_chain().stream({"q": "hi"}, config={"callbacks": [handler]}))
    assert telemetry.tree() == {
        "RunnableSequence": None,
        "ChatPromptTemplate": "RunnableSequence",
        "chat gpt-4o-mini": "RunnableSequence",
    }
    assert handler.open_runs == 0


async def test_astream_abandoned_early(telemetry: Telemetry) -> None:
    """An async stream abandoned early with skipped steps leaves no run open or span current."""
    handler = telemetry.handler(skip=["parser"])
    model = FakeOpenAIChat(responses=["one two three four five"])
    chain = ChatPromptTemplate.from_template("{q}") | model | StrOutputParser()
    stream = chain.astream({"q": "hi"}, config={"callbacks": [handler]})
    async for _ in stream:
        break
    await stream.aclose()
    for _ in range(10):  # LangChain closes its inner generators a few loop turns later
        if handler.open_runs == 0:
            break
        await asyncio.sleep(0)
    handler.close()
    assert "StrOutputParser" not in telemetry.tree()
    assert handler.open_runs == 0


def test_an_error_inside_a_skipped_run_is_recorded_by_the_kept_ancestor(
    telemetry: Telemetry,
) -> None:
    """The app's exception passes through unchanged; the kept parent's span records it."""

    class Boom(RuntimeError):
        """The app's own exception."""

    def fail(x: int) -> int:
        raise Boom("no")

    chain = RunnableLambda(lambda x: x, name="first") | RunnableLambda(fail, name="fail")
    with pytest.raises(Boom, match="no"):
        chain.invoke(1, config={"callbacks": [telemetry.handler(skip=["fail"])]})
    assert set(telemetry.tree()) == {"RunnableSequence", "first"}
    root = telemetry.span("RunnableSequence")
    assert root.status.status_code is StatusCode.ERROR
    assert (root.attributes or {})["error.type"] == "Boom"


def test_custom_events_and_retries_land_on_the_kept_ancestor(telemetry: Telemetry) -> None:
    """dispatch_custom_event inside a skipped run becomes an event of the nearest kept span."""

    def noisy(x: int) -> int:
        dispatch_custom_event("progress", {"done": 1})
        return x

    chain = RunnableLambda(lambda x: x, name="first") | RunnableLambda(noisy, name="noisy")
    chain.invoke(1, config={"callbacks": [telemetry.handler(skip=["noisy"])]})
    root = telemetry.span("RunnableSequence")
    assert [e.name for e in root.events] == ["progress"]


def test_retries_of_a_skipped_step_land_on_the_kept_ancestor(telemetry: Telemetry) -> None:
    """with_retry on a skipped step: its attempts get no spans; the retry events go up."""
    attempts: list[int] = []

    def flaky(x: int) -> int:
        attempts.append(x)
        if len(attempts) < 3:
            raise ValueError("again")
        return x

    step = RunnableLambda(flaky, name="flaky").with_retry(
        stop_after_attempt=3, wait_exponential_jitter=False
    )
    chain = RunnableLambda(lambda x: x, name="first") | step
    chain.invoke(1, config={"callbacks": [telemetry.handler(skip=["flaky"])]})
    assert telemetry.tree() == {"RunnableSequence": None, "first": "RunnableSequence"}
    root = telemetry.span("RunnableSequence")
    assert [e.name for e in root.events] == ["retry", "retry"]
    assert root.status.status_code is StatusCode.UNSET


def test_skipping_every_chain_run_of_a_graph_keeps_the_agent_root(telemetry: Telemetry) -> None:
    """skip='chain' in a named graph: the graph's root stays an agent, the model call under it."""
    model = FakeOpenAIChat()

    def ask(state: MessagesState) -> dict[str, Any]:
        return {"messages": [model.invoke(state["messages"])]}

    graph = StateGraph(MessagesState)
    graph.add_node("ask", ask)
    graph.add_edge(START, "ask")
    graph.add_edge("ask", END)
    handler = telemetry.handler(skip="chain")
    graph.compile().with_config(run_name="support").invoke(
        {"messages": [("user", "hi")]}, config={"callbacks": [handler]}
    )
    assert telemetry.tree() == {
        "invoke_agent support": None,
        "chat gpt-4o-mini": "invoke_agent support",
    }
    assert handler.open_runs == 0


def test_skipped_runs_record_no_run_duration(telemetry: Telemetry) -> None:
    """langchain.run.duration has no series for skipped runs."""
    handler = telemetry.handler(skip=["prompt", "parser", "passthrough"])
    _chain().invoke({"q": "hi"}, config={"callbacks": [handler]})
    points = telemetry.metrics().get("langchain.run.duration", [])
    names = {p.attributes["langchain.run.name"] for p in points}
    assert not names & {"ChatPromptTemplate", "StrOutputParser", "passthrough"}


def test_close_with_a_skipped_run_open(
    telemetry: Telemetry, caplog: pytest.LogCaptureFixture
) -> None:
    """close() inside a skipped run ends each kept span once and reverts every context."""
    handler = telemetry.handler(skip=["inside"])

    def inside(x: int) -> int:
        handler.close()
        assert not trace.get_current_span().get_span_context().is_valid
        return x

    chain = RunnableLambda(lambda x: x, name="first") | RunnableLambda(inside, name="inside")
    with caplog.at_level(logging.WARNING, logger="opentelemetry"):
        chain.invoke(1, config={"callbacks": [handler]})
    assert not [r for r in caplog.records if "ended span" in r.getMessage()]
    root = telemetry.span("RunnableSequence")
    assert (root.attributes or {})["error.type"] == "handler_closed"
    assert handler.open_runs == 0


def test_eviction_of_skipped_runs_ends_each_kept_span_once(
    telemetry: Telemetry, caplog: pytest.LogCaptureFixture
) -> None:
    """Past max_open_runs skipped runs are dropped like any other; no kept span ends twice."""
    handler = telemetry.handler(skip=["deep"], max_open_runs=2)

    def deep(x: int, config: RunnableConfig) -> int:
        if x == 0:
            return x
        return RunnableLambda(deep).invoke(x - 1, config)

    chain = RunnableLambda(lambda x: x, name="first") | RunnableLambda(deep)
    with caplog.at_level(logging.WARNING, logger="opentelemetry"):
        chain.invoke(4, config={"callbacks": [handler]})
    assert not [r for r in caplog.records if "ended span" in r.getMessage()]
    assert set(telemetry.tree()) == {"RunnableSequence", "first"}
    root = telemetry.span("RunnableSequence")
    assert (root.attributes or {})["error.type"] == "evicted"
    assert handler.open_runs == 0


def _agent() -> Any:
    from langgraph.prebuilt import create_react_agent

    @tool
    def weather(city: str) -> str:
        """The weather in a city."""
        return f"sunny in {city}"

    call = {"name": "weather", "args": {"city": "Paris"}, "id": "call-1"}
    model = FakeOpenAIChat(responses=[AIMessage(content="", tool_calls=[call]), "done"])
    with warnings.catch_warnings():  # moved to langchain.agents in langgraph 1.0
        warnings.simplefilter("ignore", DeprecationWarning)
        return create_react_agent(model, [weather])


def test_langgraph_preset_on_the_prebuilt_agent(telemetry: Telemetry) -> None:
    """skip='langgraph': graph, nodes, model and tool spans only, all in one connected trace."""
    handler = telemetry.handler(skip="langgraph")
    _agent().invoke({"messages": [("user", "hi")]}, config={"callbacks": [handler]})
    spans = telemetry.spans()
    names = sorted(s.name for s in spans)
    assert names == sorted(
        [
            "invoke_agent LangGraph",
            "agent",
            "agent",
            "tools",
            "chat gpt-4o-mini",
            "chat gpt-4o-mini",
            "execute_tool weather",
        ]
    )
    _connected(spans)
    by_id = {s.context.span_id: s.name for s in spans}
    parents = {(s.name, by_id.get(s.parent.span_id) if s.parent else None) for s in spans}
    assert ("chat gpt-4o-mini", "agent") in parents
    assert ("execute_tool weather", "tools") in parents
    assert ("agent", "invoke_agent LangGraph") in parents


def test_links_and_usage_rollups_see_through_skipped_runs(telemetry: Telemetry) -> None:
    """With the preset the tool still links to the chat that asked; nodes still sum usage."""
    handler = telemetry.handler(skip="langgraph")
    _agent().invoke({"messages": [("user", "hi")]}, config={"callbacks": [handler]})
    asked = min(
        (s for s in telemetry.spans() if s.name == "chat gpt-4o-mini"),
        key=lambda s: s.start_time or 0,
    )
    (tool_span,) = [s for s in telemetry.spans() if s.name == "execute_tool weather"]
    assert [(link.context.span_id, dict(link.attributes or {})) for link in tool_span.links] == [
        (
            asked.context.span_id,
            {"langchain.link.type": "tool_call", "gen_ai.tool.call.id": "call-1"},
        )
    ]
    root = telemetry.span("invoke_agent LangGraph")
    calls = [s for s in telemetry.spans() if s.name == "chat gpt-4o-mini"]
    assert (root.attributes or {})["langchain.usage.total.calls"] == len(calls) == 2
    assert (root.attributes or {})["langchain.usage.total.input_tokens"] == sum(
        int((s.attributes or {})["gen_ai.usage.input_tokens"]) for s in calls
    )


def test_without_the_preset_the_agent_has_more_spans(telemetry: Telemetry) -> None:
    """The preset drops LangGraph's and the prebuilt agent's glue (the same agent, untouched)."""
    handler = telemetry.handler()
    _agent().invoke({"messages": [("user", "hi")]}, config={"callbacks": [handler]})
    names = [s.name for s in telemetry.spans()]
    assert "should_continue" in names and "call_model" in names
    assert len(names) > 7


def test_langgraph_preset_keeps_user_code_and_routing(telemetry: Telemetry) -> None:
    """A node's own runnables and a user's routing function are not LangGraph's plumbing."""
    helper = RunnableLambda(lambda s: {"messages": []}, name="helper")

    def work(state: MessagesState, config: RunnableConfig) -> dict[str, Any]:
        return helper.invoke(state, config)

    def route(state: MessagesState) -> str:
        return END

    graph = StateGraph(MessagesState)
    graph.add_node("work", work)
    graph.add_edge(START, "work")
    graph.add_conditional_edges("work", route)
    handler = telemetry.handler(skip=["langgraph"])
    graph.compile().invoke({"messages": [("user", "hi")]}, config={"callbacks": [handler]})
    assert telemetry.tree() == {
        "invoke_agent LangGraph": None,
        "work": "invoke_agent LangGraph",
        "helper": "work",
        "route": "work",
    }


def test_skip_and_subtree_capture_together(telemetry: Telemetry) -> None:
    """A skipped run's capture setting still covers the runs beneath it."""
    model = FakeOpenAIChat()

    def ask(q: str, config: RunnableConfig) -> str:
        return str(model.invoke(q, config).content)

    step = RunnableLambda(ask, name="ask").with_config(
        metadata={"otel_langchain.capture_content": False}
    )
    chain = RunnableLambda(lambda q: q, name="first") | step
    handler = telemetry.handler(skip=["ask"], capture_content=True)
    chain.invoke("hi", config={"callbacks": [handler]})
    chat = telemetry.span("chat gpt-4o-mini")
    assert "gen_ai.input.messages" not in (chat.attributes or {})
    assert "langchain.chain.inputs" in (telemetry.span("first").attributes or {})


def test_env_var_and_explicit_precedence(
    telemetry: Telemetry, monkeypatch: pytest.MonkeyPatch
) -> None:
    """OTEL_LANGCHAIN_SKIP applies when skip= is not given; skip=[] skips nothing."""
    monkeypatch.setenv(SKIP_ENV, " prompt , parser, ")
    _chain().invoke({"q": "hi"}, config={"callbacks": [telemetry.handler()]})
    assert set(telemetry.tree()) == {"RunnableSequence", "chat gpt-4o-mini", "passthrough"}
    telemetry.exporter.clear()
    _chain().invoke({"q": "hi"}, config={"callbacks": [telemetry.handler(skip=[])]})
    assert len(telemetry.spans()) == 5


def test_a_bad_env_value_warns_and_skips_nothing(
    telemetry: Telemetry, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """An env value naming a run type that cannot be skipped is logged; nothing is skipped."""
    monkeypatch.setenv(SKIP_ENV, "prompt,tool")
    with caplog.at_level(logging.WARNING):
        handler = telemetry.handler()
    assert any(SKIP_ENV in r.getMessage() for r in caplog.records)
    _chain().invoke({"q": "hi"}, config={"callbacks": [handler]})
    assert len(telemetry.spans()) == 5


@pytest.mark.parametrize(
    "value",
    [123, b"prompt", {"prompt": True}, ["prompt", 3], [""], ["tool"], "chat_model", ["llm"]],
)
def test_bad_skip_values_raise_naming_skip(value: Any) -> None:
    """skip= that is not strings, holds an empty entry or names a kept run type: ValueError."""
    with pytest.raises(ValueError, match="skip"):
        OTelCallbackHandler(skip=value)
