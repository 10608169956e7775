"""traced_checkpointer(): checkpoints carry the trace of the run that wrote them, nothing else."""

from __future__ import annotations

import asyncio
import inspect
from typing import Any

import pytest
from conftest import Telemetry
from langgraph.checkpoint.memory import MemorySaver
from langgraph.graph import START, MessagesState, StateGraph

from otel_langchain import checkpoints, traced_checkpointer


def _graph(checkpointer: Any) -> Any:
    types = pytest.importorskip("langgraph.types", reason="interrupt() needs langgraph>=0.2.57")

    def ask(state: MessagesState) -> dict[str, Any]:
        return {"messages": [("ai", str(types.interrupt("approve?")))]}

    graph = StateGraph(MessagesState)
    graph.add_node("ask", ask)
    graph.add_edge(START, "ask")
    return graph.compile(checkpointer=checkpointer)


def _traceparent(span: Any) -> str:
    """version-trace id-span id of the span's W3C traceparent (the flags vary by SDK)."""
    ctx = span.context
    return f"00-{ctx.trace_id:032x}-{ctx.span_id:016x}"


def test_checkpoints_are_stamped_with_the_run_that_wrote_them(telemetry: Telemetry) -> None:
    """Each checkpoint's metadata names the graph run's span; state and values are untouched."""
    saver = MemorySaver()
    app = _graph(traced_checkpointer(saver))
    config = {"callbacks": [telemetry.handler()], "configurable": {"thread_id": "t"}}
    app.invoke({"messages": [("human", "hi")]}, config=config)
    (agent,) = [s for s in telemetry.spans() if s.name.startswith("invoke_agent")]
    stored = list(saver.list({"configurable": {"thread_id": "t"}}))
    assert stored
    for found in stored:
        stamp = found.metadata[checkpoints.METADATA_KEY]
        assert stamp.rsplit("-", 1)[0] == _traceparent(agent)
    state = app.get_state({"configurable": {"thread_id": "t"}})
    assert [m.content for m in state.values["messages"]] == ["hi"]
    assert state.next == ("ask",)


def test_a_loaded_checkpoint_names_its_writer_once(telemetry: Telemetry) -> None:
    """Loading a thread's checkpoint remembers the writer's span context, taken on first use."""
    saver = traced_checkpointer(MemorySaver())
    _graph(saver).invoke(
        {"messages": [("human", "hi")]},
        config={"callbacks": [telemetry.handler()], "configurable": {"thread_id": "loaded"}},
    )
    (agent,) = [s for s in telemetry.spans() if s.name.startswith("invoke_agent")]
    found = saver.get_tuple({"configurable": {"thread_id": "loaded"}})
    assert found is not None
    context, checkpoint_id = checkpoints.loaded_run("loaded") or (None, None)
    assert context is not None
    assert (context.trace_id, context.span_id) == (agent.context.trace_id, agent.context.span_id)
    assert checkpoint_id == found.config["configurable"]["checkpoint_id"]
    assert checkpoints.loaded_run("loaded") is None


def test_without_a_current_span_metadata_is_unchanged() -> None:
    """Untraced runs write the metadata LangGraph gave, without a stamp."""
    saver = MemorySaver()
    _graph(traced_checkpointer(saver)).invoke(
        {"messages": [("human", "hi")]}, config={"configurable": {"thread_id": "plain"}}
    )
    for found in saver.list({"configurable": {"thread_id": "plain"}}):
        assert checkpoints.METADATA_KEY not in found.metadata


def test_async_runs_go_through_the_async_methods(telemetry: Telemetry) -> None:
    """ainvoke stamps and resumes through aput / aget_tuple like invoke does."""
    saver = MemorySaver()
    app = _graph(traced_checkpointer(saver))
    from langgraph.types import Command

    config = {"callbacks": [telemetry.handler()], "configurable": {"thread_id": "async"}}

    async def run() -> Any:
        await app.ainvoke({"messages": [("human", "hi")]}, config=config)
        return await app.ainvoke(Command(resume="yes"), config=config)

    out = asyncio.run(run())
    assert [m.content for m in out["messages"]] == ["hi", "yes"]
    assert all(
        checkpoints.METADATA_KEY in found.metadata
        for found in saver.list({"configurable": {"thread_id": "async"}})
    )


def test_the_wrapper_keeps_the_savers_methods_and_signatures() -> None:
    """Every public method answers as the saver's (LangGraph inspects some signatures)."""
    saver = MemorySaver()
    wrapped = traced_checkpointer(saver)
    for name in ("put_writes", "list", "get_next_version", "delete_thread"):
        if not hasattr(saver, name):  # delete_thread: LangGraph 0.2.42 and later
            continue
        assert inspect.signature(getattr(wrapped, name)) == inspect.signature(
            getattr(saver, name)
        ), name
    assert wrapped.serde is saver.serde
    assert wrapped.config_specs == saver.config_specs


@pytest.mark.parametrize("bad", [None, "sqlite:///x.db", MemorySaver])
def test_a_non_saver_is_rejected_naming_the_argument(bad: Any) -> None:
    """Anything but a checkpoint saver instance is a ValueError naming `saver`."""
    with pytest.raises(ValueError, match="saver must be a LangGraph BaseCheckpointSaver"):
        traced_checkpointer(bad)
