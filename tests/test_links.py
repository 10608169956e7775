"""Span links between runs: tool calls and their results, LangGraph fan-in, interrupt -> resume.

Real agents (LangGraph's prebuilt agent, ``langchain.agents.create_agent``, the
classic ``AgentExecutor``) and real graphs drive a model that asks for two tools
at once, as providers do; the links are read back from the spans the SDK exported.
"""

from __future__ import annotations

import operator
import warnings
from collections.abc import Callable, Sequence
from typing import Annotated, Any, TypedDict

import pytest
from conftest import Telemetry
from fakes import FakeOpenAIChat
from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.messages import AIMessage, HumanMessage, ToolMessage
from langchain_core.prompts import ChatPromptTemplate
from langchain_core.tools import BaseTool, tool
from langgraph.checkpoint.memory import MemorySaver
from langgraph.graph import END, START, MessagesState, StateGraph
from opentelemetry.metrics import NoOpMeterProvider
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.sdk.trace.sampling import Decision, Sampler, SamplingResult
from opentelemetry.trace import Link

from otel_langchain import OTelCallbackHandler


@tool
def add(a: int, b: int) -> int:
    """Add two numbers."""
    return a + b


@tool
def mul(a: int, b: int) -> int:
    """Multiply two numbers."""
    return a * b


def _two_calls() -> list[Any]:
    """The scripted model: two parallel tool calls, then an answer."""
    calls = [
        {"name": "add", "args": {"a": 1, "b": 2}, "id": "call_add", "type": "tool_call"},
        {"name": "mul", "args": {"a": 3, "b": 4}, "id": "call_mul", "type": "tool_call"},
    ]
    return [AIMessage(content="", tool_calls=calls), "3 and 12."]


def _prebuilt(model: FakeOpenAIChat, tools: Sequence[BaseTool]) -> Callable[[Any], Any]:
    from langgraph.prebuilt import create_react_agent

    with warnings.catch_warnings():  # moved to langchain.agents in LangGraph 1.0
        warnings.simplefilter("ignore")
        agent = create_react_agent(model, list(tools))
    return lambda config: agent.invoke({"messages": [("human", "go")]}, config=config)


def _create_agent(model: FakeOpenAIChat, tools: Sequence[BaseTool]) -> Callable[[Any], Any]:
    agents = pytest.importorskip("langchain.agents", reason="create_agent needs langchain>=1")
    if not hasattr(agents, "create_agent"):
        pytest.skip("create_agent needs langchain>=1")
    agent = agents.create_agent(model, list(tools))
    return lambda config: agent.invoke({"messages": [("human", "go")]}, config=config)


def _agent_executor(model: FakeOpenAIChat, tools: Sequence[BaseTool]) -> Callable[[Any], Any]:
    classic = pytest.importorskip(
        "langchain_classic.agents", reason="langchain-classic needs langchain-core>=1"
    )
    from langchain_core.prompts import MessagesPlaceholder

    prompt = ChatPromptTemplate.from_messages(
        [("human", "{input}"), MessagesPlaceholder("agent_scratchpad")]
    )
    agent = classic.create_tool_calling_agent(model, list(tools), prompt)
    executor = classic.AgentExecutor(agent=agent, tools=list(tools))
    return lambda config: executor.invoke({"input": "go"}, config=config)


AGENTS = {
    "langgraph-prebuilt": _prebuilt,
    "create_agent": _create_agent,
    "AgentExecutor": _agent_executor,
}


def _named(telemetry: Telemetry, name: str) -> list[ReadableSpan]:
    return sorted((s for s in telemetry.spans() if s.name == name), key=lambda s: s.start_time or 0)


def _links(span: ReadableSpan) -> list[tuple[int, dict[str, Any]]]:
    """(linked span id, link attributes) for each link of ``span``."""
    return [(link.context.span_id, dict(link.attributes or {})) for link in span.links]


@pytest.mark.parametrize("build", AGENTS.values(), ids=AGENTS.keys())
def test_tool_spans_link_to_the_chat_that_asked_and_the_next_chat_links_back(
    telemetry: Telemetry, build: Callable[..., Callable[[Any], Any]]
) -> None:
    """Parallel tool calls: each tool links to the asking chat; the next chat links to both."""
    invoke = build(FakeOpenAIChat(responses=_two_calls()), [add, mul])
    handler = telemetry.handler()
    invoke({"callbacks": [handler]})
    assert handler.open_runs == 0

    asked, answered = _named(telemetry, "chat gpt-4o-mini")
    assert asked.attributes["langchain.llm.tool_call_ids"] == ("call_add", "call_mul")
    assert "langchain.llm.tool_call_ids" not in answered.attributes
    (add_span,) = _named(telemetry, "execute_tool add")
    (mul_span,) = _named(telemetry, "execute_tool mul")
    assert add_span.attributes["gen_ai.tool.call.id"] == "call_add"
    assert mul_span.attributes["gen_ai.tool.call.id"] == "call_mul"
    asked_id = asked.context.span_id
    assert _links(add_span) == [
        (asked_id, {"langchain.link.type": "tool_call", "gen_ai.tool.call.id": "call_add"})
    ]
    assert _links(mul_span) == [
        (asked_id, {"langchain.link.type": "tool_call", "gen_ai.tool.call.id": "call_mul"})
    ]
    assert sorted(_links(answered)) == sorted(
        [
            (
                add_span.context.span_id,
                {"langchain.link.type": "tool_result", "gen_ai.tool.call.id": "call_add"},
            ),
            (
                mul_span.context.span_id,
                {"langchain.link.type": "tool_result", "gen_ai.tool.call.id": "call_mul"},
            ),
        ]
    )
    assert asked.links == ()
    for link in [*add_span.links, *mul_span.links, *answered.links]:
        assert link.context.trace_id == asked.context.trace_id


def test_tool_results_link_only_from_the_chat_that_first_reads_them(
    telemetry: Telemetry,
) -> None:
    """A later chat that sees the same tool messages in its history adds no second link."""
    model = FakeOpenAIChat(responses=[*_two_calls(), "Anything else?"])
    invoke = _prebuilt(model, [add, mul])
    handler = telemetry.handler()
    invoke({"callbacks": [handler]})
    first = telemetry.spans()
    history = [
        HumanMessage("go"),
        AIMessage(content="", tool_calls=_two_calls()[0].tool_calls),
        ToolMessage("3", tool_call_id="call_add"),
        ToolMessage("12", tool_call_id="call_mul"),
    ]
    model.invoke(history, config={"callbacks": [handler]})
    later = [s for s in telemetry.spans() if s not in first]
    assert [s.name for s in later] == ["chat gpt-4o-mini"]
    assert later[0].links == ()


def test_tool_call_ids_are_forgotten_when_the_agent_run_ends(telemetry: Telemetry) -> None:
    """A new agent run whose model repeats old call ids links only within its own run."""
    handler = telemetry.handler()
    for _ in range(2):
        _prebuilt(FakeOpenAIChat(responses=_two_calls()), [add, mul])({"callbacks": [handler]})
    chats = _named(telemetry, "chat gpt-4o-mini")
    tools = _named(telemetry, "execute_tool add") + _named(telemetry, "execute_tool mul")
    assert len(chats) == 4 and len(tools) == 4
    for span in [*chats, *tools]:
        for link in span.links:
            assert link.context.trace_id == span.context.trace_id, span.name


class _LinkSeeingSampler(Sampler):
    """Samples everything; remembers the links each span was started with, by span name."""

    def __init__(self) -> None:
        self.seen: dict[str, list[dict[str, Any]]] = {}

    def should_sample(
        self,
        parent_context: Any,
        trace_id: int,
        name: str,
        kind: Any = None,
        attributes: Any = None,
        links: Sequence[Link] | None = None,
        trace_state: Any = None,
    ) -> SamplingResult:
        self.seen[name] = [dict(link.attributes or {}) for link in links or ()]
        return SamplingResult(Decision.RECORD_AND_SAMPLE, attributes)

    def get_description(self) -> str:
        return "LinkSeeingSampler"


def _tool_start_names_the_call() -> bool:
    """Whether this langchain-core passes ``tool_call_id`` to ``on_tool_start`` (0.3.x does not)."""
    seen: dict[str, Any] = {}

    class Recorder(BaseCallbackHandler):
        def on_tool_start(self, serialized: Any, input_str: str, **kwargs: Any) -> None:
            seen.update(kwargs)

    call = {"name": "add", "args": {"a": 1, "b": 2}, "id": "call_x", "type": "tool_call"}
    add.invoke(call, {"callbacks": [Recorder()]})
    return seen.get("tool_call_id") == "call_x"


@pytest.mark.parametrize(
    "build", [_prebuilt, _agent_executor], ids=["langgraph-prebuilt", "AgentExecutor"]
)
def test_the_sampler_sees_the_tool_call_links_when_the_spans_start(
    build: Callable[..., Callable[[Any], Any]],
) -> None:
    """Links known at a run's start are the span's start links, as a sampler needs them."""
    sampler = _LinkSeeingSampler()
    provider = TracerProvider(sampler=sampler)
    provider.add_span_processor(SimpleSpanProcessor(InMemorySpanExporter()))
    handler = OTelCallbackHandler(tracer_provider=provider, meter_provider=NoOpMeterProvider())
    build(FakeOpenAIChat(responses=_two_calls()), [add, mul])({"callbacks": [handler]})
    if build is _agent_executor or _tool_start_names_the_call():
        assert sampler.seen["execute_tool add"] == [
            {"langchain.link.type": "tool_call", "gen_ai.tool.call.id": "call_add"}
        ]
        assert sampler.seen["execute_tool mul"] == [
            {"langchain.link.type": "tool_call", "gen_ai.tool.call.id": "call_mul"}
        ]
    else:  # the call id comes only with the result: the link is added when the run ends
        assert sampler.seen["execute_tool add"] == sampler.seen["execute_tool mul"] == []
    # The chat that reads both results: the last chat span started.
    assert sorted(link["gen_ai.tool.call.id"] for link in sampler.seen["chat gpt-4o-mini"]) == [
        "call_add",
        "call_mul",
    ]
    provider.shutdown()


def test_a_chain_without_tools_has_no_links(telemetry: Telemetry) -> None:
    """prompt | model: no span carries a link or a tool-call attribute."""
    chain = ChatPromptTemplate.from_template("Say {x}") | FakeOpenAIChat()
    chain.invoke({"x": "hi"}, config={"callbacks": [telemetry.handler()]})
    for span in telemetry.spans():
        assert span.links == (), span.name
        assert "langchain.llm.tool_call_ids" not in (span.attributes or {})


# -- fan-out / fan-in ---------------------------------------------------------------------


class _Topics(TypedDict):
    topics: list[str]
    results: Annotated[list[str], operator.add]


def _send_graph() -> Any:
    """plan -> Send x3 to work, and side, in one superstep -> join."""
    try:
        from langgraph.types import Send
    except ImportError:  # LangGraph before 0.2.57
        from langgraph.constants import Send  # type: ignore[no-redef,attr-defined]

    def plan(state: _Topics) -> dict[str, Any]:
        return {"topics": ["a", "b", "c"]}

    def fan(state: _Topics) -> list[Any]:
        return [Send("work", {"topics": [t], "results": []}) for t in state["topics"]]

    def work(state: _Topics) -> dict[str, Any]:
        return {"results": [state["topics"][0].upper()]}

    def side(state: _Topics) -> dict[str, Any]:
        return {"results": ["side"]}

    def join(state: _Topics) -> dict[str, Any]:
        return {"results": ["joined"]}

    graph = StateGraph(_Topics)
    for name, fn in (("plan", plan), ("work", work), ("side", side), ("join", join)):
        graph.add_node(name, fn)
    graph.add_edge(START, "plan")
    graph.add_conditional_edges("plan", fan, ["work"])
    graph.add_edge("plan", "side")
    graph.add_edge("work", "join")
    graph.add_edge("side", "join")
    graph.add_edge("join", END)
    return graph.compile()


def test_the_node_after_a_parallel_step_links_to_every_branch(telemetry: Telemetry) -> None:
    """Send fan-out: `join` links (fan_in) to the three `work` branches and `side`."""
    out = _send_graph().invoke(
        {"topics": [], "results": []}, config={"callbacks": [telemetry.handler()]}
    )
    assert sorted(out["results"]) == ["A", "B", "C", "joined", "side"]
    (join,) = _named(telemetry, "join")
    works = _named(telemetry, "work")
    (side,) = _named(telemetry, "side")
    assert len(works) == 3
    expected = sorted(
        (s.context.span_id, {"langchain.link.type": "fan_in", "langgraph.node": s.name})
        for s in [*works, side]
    )
    assert sorted(_links(join)) == expected
    for name in ("plan", "work", "side"):
        for span in _named(telemetry, name):
            assert span.links == (), name  # plan is one node: nothing to join


# -- interrupt -> resume ------------------------------------------------------------------


def _approval_graph(checkpointer: Any) -> Any:
    types = pytest.importorskip("langgraph.types", reason="interrupt() needs langgraph>=0.2.57")

    def ask(state: MessagesState) -> dict[str, Any]:
        return {"messages": [("ai", str(types.interrupt("approve?")))]}

    def after(state: MessagesState) -> dict[str, Any]:
        return {"messages": [("ai", "done")]}

    graph = StateGraph(MessagesState)
    graph.add_node("ask", ask)
    graph.add_node("after", after)
    graph.add_edge(START, "ask")
    graph.add_edge("ask", "after")
    return graph.compile(checkpointer=checkpointer)


def _resume(value: str) -> Any:
    from langgraph.types import Command

    return Command(resume=value)


def test_the_resuming_run_links_to_the_interrupted_run(telemetry: Telemetry) -> None:
    """interrupt, then Command(resume=...) on the same thread: a resume link, same conversation."""
    app = _approval_graph(MemorySaver())
    handler = telemetry.handler()
    config = {"callbacks": [handler], "configurable": {"thread_id": "t-1"}}
    app.invoke({"messages": [("human", "hi")]}, config=config)
    (interrupted,) = _named(telemetry, "invoke_agent LangGraph")
    out = app.invoke(_resume("yes"), config=config)
    assert [m.content for m in out["messages"]] == ["hi", "yes", "done"]
    assert handler.open_runs == 0

    first, resumed = _named(telemetry, "invoke_agent LangGraph")
    assert first is interrupted
    assert interrupted.attributes["langgraph.interrupted"] is True
    assert "langgraph.interrupted" not in resumed.attributes
    assert resumed.attributes["langgraph.resumed"] is True
    for span in (interrupted, resumed):
        assert span.attributes["gen_ai.conversation.id"] == "t-1"
    assert resumed.context.trace_id != interrupted.context.trace_id
    ((linked, attrs),) = _links(resumed)
    assert linked == interrupted.context.span_id
    assert resumed.links[0].context.trace_id == interrupted.context.trace_id
    assert attrs["langchain.link.type"] == "resume"
    assert attrs["gen_ai.conversation.id"] == "t-1"
    if "langgraph.checkpoint.id" in interrupted.attributes:  # LangGraph with on_interrupt
        checkpoint = interrupted.attributes["langgraph.checkpoint.id"]
        assert attrs["langgraph.checkpoint.id"] == checkpoint
    assert interrupted.links == ()


def test_resume_links_stay_on_their_thread(telemetry: Telemetry) -> None:
    """Two interrupted threads resume in reverse order; a fresh run on a thread gets no link."""
    app = _approval_graph(MemorySaver())
    handler = telemetry.handler()

    def config(thread: str) -> dict[str, Any]:
        return {"callbacks": [handler], "configurable": {"thread_id": thread}}

    app.invoke({"messages": [("human", "hi")]}, config=config("a"))
    app.invoke({"messages": [("human", "hi")]}, config=config("b"))
    app.invoke(_resume("yes"), config=config("b"))
    app.invoke(_resume("yes"), config=config("a"))
    app.invoke({"messages": [("human", "again")]}, config=config("a"))  # a new turn

    a1, b1, b2, a2, a3 = _named(telemetry, "invoke_agent LangGraph")
    assert [link.context.span_id for link in b2.links] == [b1.context.span_id]
    assert [link.context.span_id for link in a2.links] == [a1.context.span_id]
    assert a3.links == ()  # the thread's interrupt was already resumed
    assert "langgraph.resumed" not in a3.attributes


_PROCESS = """
import json, sqlite3, sys
from typing import Any
from langgraph.checkpoint.sqlite import SqliteSaver
from langgraph.graph import START, MessagesState, StateGraph
from langgraph.types import Command, interrupt
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from otel_langchain import OTelCallbackHandler, traced_checkpointer

def ask(state: MessagesState) -> dict[str, Any]:
    return {"messages": [("ai", str(interrupt("approve?")))]}

path, phase, traced = sys.argv[1], sys.argv[2], sys.argv[3] == "traced"
exporter = InMemorySpanExporter()
provider = TracerProvider()
provider.add_span_processor(SimpleSpanProcessor(exporter))
saver = SqliteSaver(sqlite3.connect(path, check_same_thread=False))
graph = StateGraph(MessagesState)
graph.add_node("ask", ask)
graph.add_edge(START, "ask")
app = graph.compile(checkpointer=traced_checkpointer(saver) if traced else saver)
config = {
    "callbacks": [OTelCallbackHandler(tracer_provider=provider)],
    "configurable": {"thread_id": "shared-thread"},
}
app.invoke({"messages": [("human", "hi")]} if phase == "first" else Command(resume="yes"), config)
print(json.dumps([
    {
        "name": s.name,
        "trace_id": s.context.trace_id,
        "span_id": s.context.span_id,
        "attributes": dict(s.attributes),
        "links": [
            {"trace_id": l.context.trace_id, "span_id": l.context.span_id,
             "attributes": dict(l.attributes)}
            for l in s.links
        ],
    }
    for s in exporter.get_finished_spans()
]))
"""


def _run_process(tmp_path: Any, db: Any, phase: str, mode: str) -> dict[str, Any]:
    """Run one phase in a fresh interpreter; its `invoke_agent` span as a dict."""
    import json
    import subprocess
    import sys

    script = tmp_path / "process.py"
    script.write_text(_PROCESS)
    done = subprocess.run(
        [sys.executable, str(script), str(db), phase, mode],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    spans = json.loads(done.stdout.splitlines()[-1])
    (agent,) = [s for s in spans if s["name"] == "invoke_agent LangGraph"]
    return agent  # type: ignore[no-any-return]


def test_resume_in_another_process_links_through_a_shared_sqlite_checkpointer(
    tmp_path: Any,
) -> None:
    """Process 1 interrupts, process 2 resumes from the same SQLite file: a resume link."""
    pytest.importorskip("langgraph.types", reason="interrupt() needs langgraph>=0.2.57")
    pytest.importorskip("langgraph.checkpoint.sqlite", reason="langgraph-checkpoint-sqlite")
    db = tmp_path / "checkpoints.sqlite"
    interrupted = _run_process(tmp_path, db, "first", "traced")
    resumed = _run_process(tmp_path, db, "resume", "traced")
    assert interrupted["attributes"]["langgraph.interrupted"] is True
    assert resumed["attributes"]["langgraph.resumed"] is True
    assert resumed["trace_id"] != interrupted["trace_id"]
    (link,) = resumed["links"]
    assert (link["trace_id"], link["span_id"]) == (
        interrupted["trace_id"],
        interrupted["span_id"],
    )
    assert link["attributes"]["langchain.link.type"] == "resume"
    for span in (interrupted, resumed):
        assert span["attributes"]["gen_ai.conversation.id"] == "shared-thread"


def test_resume_in_another_process_without_traced_checkpointer_has_no_link(
    tmp_path: Any,
) -> None:
    """With the bare checkpointer the resumed run is marked resumed but cannot link."""
    pytest.importorskip("langgraph.types", reason="interrupt() needs langgraph>=0.2.57")
    pytest.importorskip("langgraph.checkpoint.sqlite", reason="langgraph-checkpoint-sqlite")
    db = tmp_path / "checkpoints.sqlite"
    _run_process(tmp_path, db, "first", "plain")
    resumed = _run_process(tmp_path, db, "resume", "plain")
    assert resumed["attributes"]["langgraph.resumed"] is True
    assert resumed["links"] == []
