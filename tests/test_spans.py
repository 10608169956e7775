"""One span per run, for every run type, with the names, kinds and parents of CONTRACT.md."""

from __future__ import annotations

import inspect
from typing import Any, TypedDict

import pytest
from conftest import Telemetry
from fakes import FakeOpenAIChat, FakeOpenAILLM
from langchain_core.callbacks import dispatch_custom_event
from langchain_core.documents import Document
from langchain_core.messages import AIMessage
from langchain_core.output_parsers import StrOutputParser
from langchain_core.prompts import ChatPromptTemplate
from langchain_core.retrievers import BaseRetriever
from langchain_core.runnables import RunnableLambda
from langchain_core.tools import BaseTool, tool
from langgraph.checkpoint.memory import MemorySaver
from langgraph.graph import END, START, MessagesState, StateGraph
from langgraph.prebuilt import ToolNode, tools_condition
from opentelemetry.trace import SpanKind, StatusCode

# langchain-core passes tool_call_id to on_tool_start since 0.3.x (not in 0.3.0).
_CORE_PASSES_TOOL_CALL_ID = "tool_call_id=tool_call_id," in inspect.getsource(BaseTool.run)


class Docs(BaseRetriever):
    """A small in-memory retriever."""

    def _get_relevant_documents(self, query: str, *, run_manager: Any) -> list[Document]:
        return [Document(page_content=f"doc about {query}", id="d1")]


@tool
def add(a: int, b: int) -> int:
    """Add two numbers."""
    return a + b


class Boom(RuntimeError):
    """The app's own exception."""


def _agent(handler_model: FakeOpenAIChat) -> Any:
    model = handler_model.bind_tools([add])

    def agent(state: MessagesState) -> dict[str, Any]:
        return {"messages": [model.invoke(state["messages"])]}

    graph = StateGraph(MessagesState)
    graph.add_node("agent", agent)
    graph.add_node("tools", ToolNode([add]))
    graph.add_edge(START, "agent")
    graph.add_conditional_edges("agent", tools_condition)
    graph.add_edge("tools", "agent")
    graph.add_edge("agent", END)
    return graph.compile()


def test_chain_tree_names_kinds_and_attributes(telemetry: Telemetry) -> None:
    """prompt | chat model | parser | lambda: one span each under the sequence."""
    handler = telemetry.handler()
    chain = (
        ChatPromptTemplate.from_messages([("human", "{q}")])
        | FakeOpenAIChat()
        | StrOutputParser()
        | RunnableLambda(lambda s: s, name="passthrough")
    )
    chain.invoke(
        {"q": "hi"},
        config={
            "callbacks": [handler],
            "tags": ["prod"],
            "metadata": {"session_id": "s-1", "user_tier": "gold"},
        },
    )
    assert telemetry.tree() == {
        "RunnableSequence": None,
        "ChatPromptTemplate": "RunnableSequence",
        "chat gpt-4o-mini": "RunnableSequence",
        "StrOutputParser": "RunnableSequence",
        "passthrough": "RunnableSequence",
    }
    run_types = {s.name: s.attributes["langchain.run.type"] for s in telemetry.spans()}
    assert run_types == {
        "RunnableSequence": "chain",
        "ChatPromptTemplate": "prompt",
        "chat gpt-4o-mini": "chat_model",
        "StrOutputParser": "parser",
        "passthrough": "chain",
    }
    chat = telemetry.span("chat gpt-4o-mini")
    assert chat.kind is SpanKind.CLIENT
    assert telemetry.span("RunnableSequence").kind is SpanKind.INTERNAL
    root = telemetry.span("RunnableSequence")
    assert root.attributes["gen_ai.conversation.id"] == "s-1"
    assert root.attributes["langchain.metadata.user_tier"] == "gold"
    assert root.attributes["langchain.run.tags"] == ("prod",)
    assert root.attributes["langchain.run.name"] == "RunnableSequence"
    assert len(str(root.attributes["langchain.run.id"])) == 36


def test_text_llm_tool_and_retriever_spans(telemetry: Telemetry) -> None:
    """Text LLMs, tools and retrievers get their semconv span names and operations."""
    handler = telemetry.handler()
    FakeOpenAILLM().invoke("tell me", config={"callbacks": [handler]})
    add.invoke(
        {"name": "add", "args": {"a": 1, "b": 2}, "id": "call_7", "type": "tool_call"},
        config={"callbacks": [handler]},
    )
    Docs().invoke("cats", config={"callbacks": [handler]})
    llm = telemetry.span("text_completion gpt-3.5-turbo-instruct")
    assert llm.attributes["gen_ai.operation.name"] == "text_completion"
    assert llm.attributes["gen_ai.usage.input_tokens"] == 5
    tool_span = telemetry.span("execute_tool add")
    assert tool_span.attributes["gen_ai.tool.name"] == "add"
    if _CORE_PASSES_TOOL_CALL_ID:
        assert tool_span.attributes["gen_ai.tool.call.id"] == "call_7"
    assert tool_span.attributes["gen_ai.operation.name"] == "execute_tool"
    retrieval = telemetry.span("retrieval Docs")
    assert retrieval.attributes["gen_ai.operation.name"] == "retrieval"
    assert retrieval.attributes["langchain.run.type"] == "retriever"


def test_langgraph_agent_with_tool(telemetry: Telemetry) -> None:
    """A LangGraph agent is invoke_agent; nodes, model calls and the tool nest under it."""
    handler = telemetry.handler()
    model = FakeOpenAIChat(
        responses=[
            AIMessage(
                content="", tool_calls=[{"name": "add", "args": {"a": 2, "b": 3}, "id": "call_1"}]
            ),
            "The answer is 5.",
        ]
    )
    out = _agent(model).invoke(
        {"messages": [("human", "2+3?")]},
        config={"callbacks": [handler], "configurable": {"thread_id": "conv-9"}},
    )
    assert out["messages"][-1].content == "The answer is 5."
    spans = telemetry.spans()
    by_id = {s.context.span_id: s for s in spans}
    root = telemetry.span("invoke_agent LangGraph")
    assert root.parent is None
    assert root.attributes["gen_ai.operation.name"] == "invoke_agent"
    assert root.attributes["gen_ai.agent.name"] == "LangGraph"
    assert root.attributes["gen_ai.conversation.id"] == "conv-9"
    tool_span = telemetry.span("execute_tool add")
    if _CORE_PASSES_TOOL_CALL_ID:
        assert tool_span.attributes["gen_ai.tool.call.id"] == "call_1"
    assert tool_span.attributes["langgraph.node"] == "tools"
    assert by_id[tool_span.parent.span_id].name == "tools"  # type: ignore[union-attr]
    chats = [s for s in spans if s.name == "chat gpt-4o-mini"]
    assert len(chats) == 2
    for chat in chats:
        assert by_id[chat.parent.span_id].name == "agent"  # type: ignore[union-attr]
        assert chat.attributes["langgraph.node"] == "agent"
        assert chat.attributes["gen_ai.conversation.id"] == "conv-9"
    assert {s.attributes.get("langgraph.step") for s in spans if s.name == "agent"} == {1, 3}
    assert all(s.context.trace_id == root.context.trace_id for s in spans)
    assert handler.open_runs == 0


def test_named_graph_is_an_agent_and_its_subgraph_and_caller_are_not(telemetry: Telemetry) -> None:
    """A graph with its own name is invoke_agent {name}, on every supported LangGraph.

    LangGraph before 1.1 marks a graph's root run in no way (no metadata, no
    serialized form); its node runs are what identify it. A subgraph running
    inside a node and a chain that calls the graph are not agents.
    """

    class State(TypedDict):
        n: int

    inner = StateGraph(State)
    inner.add_node("double", lambda s: {"n": s["n"] * 2})
    inner.add_edge(START, "double")
    inner.add_edge("double", END)
    sub = inner.compile()
    sub.name = "doubler"

    outer = StateGraph(State)
    outer.add_node("inc", lambda s: {"n": s["n"] + 1})
    outer.add_node("sub", sub)
    outer.add_edge(START, "inc")
    outer.add_edge("inc", "sub")
    outer.add_edge("sub", END)
    graph = outer.compile()
    graph.name = "support_agent"  # compile(name=...) needs langgraph >= 0.3

    chain = RunnableLambda(lambda n: {"n": n}, name="wrap") | graph
    handler = telemetry.handler()
    assert chain.invoke(1, config={"callbacks": [handler]}) == {"n": 4}
    root = telemetry.span("invoke_agent support_agent")
    assert root.attributes["gen_ai.operation.name"] == "invoke_agent"
    assert root.attributes["gen_ai.agent.name"] == "support_agent"
    assert root.attributes["langchain.run.name"] == "support_agent"
    names = {s.name for s in telemetry.spans()}
    assert "RunnableSequence" in names
    assert {"doubler", "inc", "double"} <= names
    agents = [s for s in telemetry.spans() if s.attributes.get("gen_ai.operation.name")]
    assert agents == [root]
    assert handler.open_runs == 0


def test_errors_are_recorded_and_propagate_unchanged(telemetry: Telemetry) -> None:
    """A failing step: ERROR status, error.type, exception event; the app's exception passes."""
    handler = telemetry.handler()
    error = Boom("disk on fire")

    def fail(_: Any) -> None:
        raise error

    chain = ChatPromptTemplate.from_messages([("human", "{q}")]) | RunnableLambda(fail, name="fail")
    with pytest.raises(Boom) as caught:
        chain.invoke({"q": "x"}, config={"callbacks": [handler]})
    assert caught.value is error
    for name in ("fail", "RunnableSequence"):
        span = telemetry.span(name)
        assert span.status.status_code is StatusCode.ERROR
        assert span.status.description == "Boom: disk on fire"
        assert span.attributes["error.type"] == "Boom"
        (event,) = [e for e in span.events if e.name == "exception"]
        assert event.attributes["exception.type"].endswith("Boom")
        assert "disk on fire" in event.attributes["exception.message"]
        assert "Traceback" in event.attributes["exception.stacktrace"]
    durations = telemetry.metrics()["langchain.run.duration"]
    assert any(p.attributes.get("error.type") == "Boom" for p in durations)


def test_langgraph_interrupt_is_not_an_error(telemetry: Telemetry) -> None:
    """GraphInterrupt (human-in-the-loop) bubbles through runs without marking them failed."""
    interrupt = pytest.importorskip(
        "langgraph.types", reason="interrupt() needs langgraph>=0.2.57"
    ).interrupt

    def ask(state: MessagesState) -> dict[str, Any]:
        answer = interrupt("approve?")
        return {"messages": [("ai", str(answer))]}

    graph = StateGraph(MessagesState)
    graph.add_node("ask", ask)
    graph.add_edge(START, "ask")
    app = graph.compile(checkpointer=MemorySaver())
    handler = telemetry.handler()
    app.invoke(
        {"messages": [("human", "hi")]},
        config={"callbacks": [handler], "configurable": {"thread_id": "t"}},
    )
    assert handler.open_runs == 0
    for span in telemetry.spans():
        assert span.status.status_code is not StatusCode.ERROR, span.name
    assert telemetry.span("ask").attributes["langchain.run.control_flow"] == "GraphInterrupt"


def test_custom_events_become_span_events_on_the_dispatching_run(telemetry: Telemetry) -> None:
    """dispatch_custom_event -> an event of that name on the dispatching run, data flattened."""
    handler = telemetry.handler()

    def step(x: str) -> str:
        dispatch_custom_event(
            "progress",
            {"done": 2, "of": 5, "stage": {"name": "fetch"}, "api_key": "sk-never-recorded-123456"},
        )
        return x

    chain = RunnableLambda(lambda x: x, name="first") | RunnableLambda(step, name="worker")
    chain.invoke("go", config={"callbacks": [handler]})
    (event,) = [e for e in telemetry.span("worker").events if e.name == "progress"]
    assert dict(event.attributes) == {"done": 2, "of": 5, "stage.name": "fetch"}
    assert not any(e.name == "progress" for e in telemetry.span("RunnableSequence").events)


async def test_async_custom_event(telemetry: Telemetry) -> None:
    """adispatch_custom_event works the same in async runs."""
    from langchain_core.callbacks import adispatch_custom_event

    async def step(x: str) -> str:
        await adispatch_custom_event("checkpoint", {"n": 1})
        return x

    await RunnableLambda(step, name="worker").ainvoke(
        "go", config={"callbacks": [telemetry.handler()]}
    )
    assert [e.name for e in telemetry.span("worker").events] == ["checkpoint"]


def test_retries_become_retry_events(telemetry: Telemetry) -> None:
    """with_retry: each failed attempt is a retry event; the final success is not an error."""
    attempts = {"n": 0}

    def flaky(x: str) -> str:
        attempts["n"] += 1
        if attempts["n"] < 3:
            raise ConnectionError("try again")
        return x

    runnable = RunnableLambda(flaky, name="flaky").with_retry(
        stop_after_attempt=3,
        wait_exponential_jitter=False,
        retry_if_exception_type=(ConnectionError,),
    )
    handler = telemetry.handler()
    assert runnable.invoke("ok", config={"callbacks": [handler]}) == "ok"
    (retry_span,) = [s for s in telemetry.spans() if s.parent is None]
    retries = [e for e in retry_span.events if e.name == "retry"]
    assert [e.attributes["retry.attempt"] for e in retries] == [1, 2]
    assert retry_span.status.status_code is StatusCode.UNSET
    attempts_spans = [s for s in telemetry.spans() if s.parent is not None]
    assert [s.status.status_code for s in attempts_spans].count(StatusCode.ERROR) == 2
    assert len(attempts_spans) == 3


def test_first_chunk_event_on_stream(telemetry: Telemetry) -> None:
    """The first streamed chunk is a gen_ai.first_chunk event; usage comes from the last chunk."""
    handler = telemetry.handler()
    chunks = list(FakeOpenAIChat().stream("hi", config={"callbacks": [handler]}))
    assert len(chunks) > 2
    chat = telemetry.span("chat gpt-4o-mini")
    assert [e.name for e in chat.events] == ["gen_ai.first_chunk"]
    assert chat.attributes["gen_ai.usage.input_tokens"] == 12
    assert chat.attributes["gen_ai.usage.output_tokens"] == 7
    assert chat.attributes["gen_ai.response.finish_reasons"] == ("stop",)
    assert "gen_ai.client.operation.time_to_first_chunk" in telemetry.metrics()


def test_custom_event_strings_go_through_redact(telemetry: Telemetry) -> None:
    """The user's redact applies to custom event data as to every recorded string."""

    def step(x: str) -> str:
        dispatch_custom_event("note", {"who": "alice", "tags": ["alice", "bob"]})
        return x

    handler = telemetry.handler(redact=lambda s: s.replace("alice", "[name]"))
    RunnableLambda(step, name="worker").invoke("go", config={"callbacks": [handler]})
    (event,) = telemetry.span("worker").events
    assert dict(event.attributes) == {"who": "[name]", "tags": ("[name]", "bob")}


def test_agent_actions_and_finish_are_events_on_the_agent_span(telemetry: Telemetry) -> None:
    """AgentExecutor-style on_agent_action / on_agent_finish become events on the agent's span."""
    from uuid import uuid4

    from langchain_core.agents import AgentAction, AgentFinish

    handler = telemetry.handler()
    run_id = uuid4()
    handler.on_chain_start(None, {"input": "hi"}, run_id=run_id, name="AgentExecutor")
    handler.on_agent_action(AgentAction(tool="search", tool_input="cats", log=""), run_id=run_id)
    handler.on_agent_finish(AgentFinish(return_values={"output": "done"}, log=""), run_id=run_id)
    handler.on_chain_end({"output": "done"}, run_id=run_id)
    span = telemetry.span("invoke_agent AgentExecutor")
    assert [e.name for e in span.events] == ["gen_ai.agent.action", "gen_ai.agent.finish"]
    assert span.events[0].attributes["gen_ai.tool.name"] == "search"
    assert "gen_ai.tool.call.arguments" not in span.events[0].attributes


def test_parent_command_bubbling_is_not_an_error(telemetry: Telemetry) -> None:
    """Command(graph=PARENT) bubbles out of a subgraph as ParentCommand: no span fails."""
    types = pytest.importorskip("langgraph.types", reason="Command needs langgraph>=0.2.57")

    def hop(state: MessagesState) -> Any:
        return types.Command(
            graph=types.Command.PARENT, goto="finish", update={"messages": [("ai", "hopped")]}
        )

    def finish(state: MessagesState) -> dict[str, Any]:
        return {"messages": [("ai", "done")]}

    sub = StateGraph(MessagesState)
    sub.add_node("hop", hop)
    sub.add_edge(START, "hop")
    graph = StateGraph(MessagesState)
    graph.add_node("child", sub.compile())
    graph.add_node("finish", finish)
    graph.add_edge(START, "child")
    graph.add_edge("finish", END)
    handler = telemetry.handler()
    out = graph.compile().invoke({"messages": [("human", "x")]}, config={"callbacks": [handler]})
    assert [m.content for m in out["messages"]] == ["x", "hopped", "done"]
    assert handler.open_runs == 0
    assert all(s.status.status_code is not StatusCode.ERROR for s in telemetry.spans())
    assert telemetry.span("hop").attributes["langchain.run.control_flow"] == "ParentCommand"
