"""OTel context both ways: the app's span parents the root run, code inside a run sees
the run's span as current, and the caller's context is restored afterwards, in sync,
async, thread-pool and streaming runs alike."""

from __future__ import annotations

import asyncio
import gc
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from conftest import Telemetry
from fakes import FakeOpenAIChat
from langchain_core.output_parsers import StrOutputParser
from langchain_core.prompts import ChatPromptTemplate
from langchain_core.runnables import Runnable, RunnableLambda, RunnableParallel
from langchain_core.tools import tool
from opentelemetry import context as context_api
from opentelemetry import trace

from otel_langchain import _context

_providers: list[Any] = []


@pytest.fixture(autouse=True)
def _inner_tracer_provider(telemetry: Telemetry) -> Iterator[None]:
    """Code inside runs (the 'HTTP client', the lambda, the tool) uses the test's provider."""
    _providers.append(telemetry.tracer_provider)
    yield
    _providers.pop()


def _inner(name: str) -> trace.Tracer:
    return _providers[-1].get_tracer(name)  # type: ignore[no-any-return]


class SpanSeenModel(FakeOpenAIChat):
    """A chat model whose 'HTTP call' opens a span, like an instrumented HTTP client."""

    def _generate(self, *args: Any, **kwargs: Any) -> Any:
        with _inner("http").start_as_current_span("POST /v1/chat/completions"):
            return super()._generate(*args, **kwargs)


def _chain(seen: dict[str, str]) -> Runnable[Any, Any]:
    def inner(text: str) -> str:
        seen["lambda"] = trace.get_current_span().name  # type: ignore[attr-defined]
        with _inner("app").start_as_current_span("work inside lambda"):
            pass
        return text.upper()

    prompt = ChatPromptTemplate.from_messages([("human", "{q}")])
    return prompt | SpanSeenModel() | StrOutputParser() | RunnableLambda(inner, name="shout")


def _app_tracer(t: Telemetry) -> trace.Tracer:
    return t.tracer_provider.get_tracer("app")


def test_sync_invoke_nests_under_app_span_and_restores(telemetry: Telemetry) -> None:
    """Sync: root run under the app span, inner code under its run, caller restored."""
    seen: dict[str, str] = {}
    handler = telemetry.handler()
    with _app_tracer(telemetry).start_as_current_span("request") as request:
        _chain(seen).invoke({"q": "hi"}, config={"callbacks": [handler]})
        assert trace.get_current_span() is request
    assert seen["lambda"] == "shout"
    tree = telemetry.tree()
    assert tree["RunnableSequence"] == "request"
    assert tree["work inside lambda"] == "shout"
    assert tree["POST /v1/chat/completions"] == "chat gpt-4o-mini"
    assert tree["chat gpt-4o-mini"] == "RunnableSequence"
    assert not trace.get_current_span().is_recording()


async def test_async_invoke_restores_caller_context(telemetry: Telemetry) -> None:
    """Async: the shielded end callbacks cannot detach, yet the caller's span is current again."""
    seen: dict[str, str] = {}
    handler = telemetry.handler()
    with _app_tracer(telemetry).start_as_current_span("request") as request:
        await _chain(seen).ainvoke({"q": "hi"}, config={"callbacks": [handler]})
        assert trace.get_current_span() is request
        await _chain(seen).ainvoke({"q": "again"}, config={"callbacks": [handler]})
        assert trace.get_current_span() is request
    tree = telemetry.tree()
    assert seen["lambda"] == "shout"
    roots = [s for s in telemetry.spans() if s.name == "RunnableSequence"]
    request_span = telemetry.span("request")
    assert all(r.parent.span_id == request_span.context.span_id for r in roots)  # type: ignore[union-attr]
    assert {s.context.trace_id for s in telemetry.spans()} == {request_span.context.trace_id}
    assert tree["request"] is None
    assert handler.open_runs == 0


async def test_astream_and_astream_events_nest_and_restore(telemetry: Telemetry) -> None:
    """astream / astream_events: spans nest under the app span and the caller is restored."""
    seen: dict[str, str] = {}
    handler = telemetry.handler()
    with _app_tracer(telemetry).start_as_current_span("request") as request:
        chunks = [
            c async for c in _chain(seen).astream({"q": "hi"}, config={"callbacks": [handler]})
        ]
        assert "".join(chunks) == "HELLO FROM THE FAKE MODEL."
        assert trace.get_current_span() is request
        events = [
            e
            async for e in _chain(seen).astream_events(
                {"q": "hi"}, config={"callbacks": [handler]}, version="v2"
            )
        ]
        assert events
        assert trace.get_current_span() is request
    await asyncio.sleep(0)
    assert handler.open_runs == 0
    request_id = telemetry.span("request").context.span_id
    roots = [s for s in telemetry.spans() if s.name == "RunnableSequence"]
    assert len(roots) == 2
    assert all(r.parent is not None and r.parent.span_id == request_id for r in roots)


def test_parallel_and_batch_threads_see_their_own_run(telemetry: Telemetry) -> None:
    """RunnableParallel and batch run branches in threads; each branch sees its own span."""
    seen: dict[str, str] = {}
    lock = threading.Lock()

    def branch(name: str) -> Runnable[Any, Any]:
        def fn(x: str) -> str:
            with lock:
                seen[name] = trace.get_current_span().name  # type: ignore[attr-defined]
            return x

        return RunnableLambda(fn, name=name)

    par = RunnableParallel(left=branch("left"), right=branch("right"))
    handler = telemetry.handler()
    with _app_tracer(telemetry).start_as_current_span("request") as request:
        par.invoke("x", config={"callbacks": [handler]})
        par.batch(["a", "b", "c"], config={"callbacks": [handler]})
        assert trace.get_current_span() is request
    assert seen == {"left": "left", "right": "right"}
    by_id = {s.context.span_id: s for s in telemetry.spans()}
    for span in telemetry.spans():
        if span.name in ("left", "right"):
            assert span.parent is not None
            assert by_id[span.parent.span_id].name == "RunnableParallel<left,right>"
    assert handler.open_runs == 0


def test_sync_stream_complete_and_abandoned(telemetry: Telemetry) -> None:
    """Sync stream: consumed fully or abandoned early, spans end and the caller is restored."""
    seen: dict[str, str] = {}
    handler = telemetry.handler()
    chain = _chain(seen)
    with _app_tracer(telemetry).start_as_current_span("request") as request:
        assert "".join(chain.stream({"q": "hi"}, config={"callbacks": [handler]}))
        assert trace.get_current_span() is request
        stream = chain.stream({"q": "hi"}, config={"callbacks": [handler]})
        next(iter(stream))
        del stream  # the consumer walks away
        gc.collect()
        assert trace.get_current_span() is request
    assert handler.open_runs == 0
    ended = [s for s in telemetry.spans() if s.name == "RunnableSequence"]
    assert len(ended) == 2
    assert all(s.end_time is not None for s in telemetry.spans())


async def test_async_stream_abandoned_early(telemetry: Telemetry) -> None:
    """Async stream closed early (break + aclose): runs end a loop turn later, no detach errors."""
    seen: dict[str, str] = {}
    handler = telemetry.handler()
    with _app_tracer(telemetry).start_as_current_span("request") as request:
        stream = _chain(seen).astream({"q": "hi"}, config={"callbacks": [handler]})
        async for _chunk in stream:
            break
        await stream.aclose()  # type: ignore[attr-defined]
        # LangChain's inner generators are closed by the event loop a few turns
        # later; until then the run is open and its span, not an ended one, is current.
        current = trace.get_current_span()
        assert current is request or (
            current.name == "RunnableSequence"  # type: ignore[attr-defined]
            and current.is_recording()
            and handler.open_runs > 0
        )
        for _ in range(200):
            if handler.open_runs == 0:
                break
            await asyncio.sleep(0)
        assert trace.get_current_span() is request
    assert handler.open_runs == 0
    root = telemetry.span("RunnableSequence")
    assert root.parent is not None
    assert root.parent.span_id == telemetry.span("request").context.span_id


async def test_hundred_concurrent_async_chains_keep_traces_apart(telemetry: Telemetry) -> None:
    """100 concurrent ainvokes, each under its own app span, never mix their traces."""
    handler = telemetry.handler()
    tracer = _app_tracer(telemetry)

    async def one(i: int) -> tuple[int, int]:
        seen: dict[str, str] = {}
        with tracer.start_as_current_span(f"request {i}") as span:
            await _chain(seen).ainvoke({"q": f"q{i}"}, config={"callbacks": [handler]})
            assert trace.get_current_span() is span
            return i, span.get_span_context().trace_id

    results = await asyncio.gather(*(one(i) for i in range(100)))
    assert handler.open_runs == 0
    spans = telemetry.spans()
    by_trace: dict[int, list[str]] = {}
    for s in spans:
        by_trace.setdefault(s.context.trace_id, []).append(s.name)
    assert len(by_trace) == 100
    for i, trace_id in results:
        names = by_trace[trace_id]
        assert f"request {i}" in names
        assert sorted(n for n in names if not n.startswith("request")) == sorted(
            [
                "RunnableSequence",
                "ChatPromptTemplate",
                "chat gpt-4o-mini",
                "POST /v1/chat/completions",
                "StrOutputParser",
                "shout",
                "work inside lambda",
            ]
        )
    _assert_parents_in_same_trace(telemetry)


def _assert_parents_in_same_trace(telemetry: Telemetry) -> None:
    by_id = {s.context.span_id: s for s in telemetry.spans()}
    for s in telemetry.spans():
        if s.parent is not None:
            assert by_id[s.parent.span_id].context.trace_id == s.context.trace_id


def test_eight_threads_under_separate_app_spans(telemetry: Telemetry) -> None:
    """8 threads, each with its own app span and chains, keep their traces apart."""
    handler = telemetry.handler()
    tracer = _app_tracer(telemetry)
    trace_ids: dict[int, int] = {}
    errors: list[BaseException] = []

    def worker(i: int) -> None:
        try:
            with tracer.start_as_current_span(f"thread {i}") as span:
                for _ in range(10):
                    _chain({}).invoke({"q": "x"}, config={"callbacks": [handler]})
                    assert trace.get_current_span() is span
                trace_ids[i] = span.get_span_context().trace_id
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(8)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert not errors
    assert handler.open_runs == 0
    spans = telemetry.spans()
    for i, trace_id in trace_ids.items():
        in_trace = [s for s in spans if s.context.trace_id == trace_id]
        assert len([s for s in in_trace if s.name == "RunnableSequence"]) == 10
        assert len([s for s in in_trace if s.name.startswith("thread ")]) == 1
    _assert_parents_in_same_trace(telemetry)


def test_tool_body_spans_nest_under_tool_span(telemetry: Telemetry) -> None:
    """Spans opened inside a tool function are children of the tool's span."""

    @tool
    def lookup(city: str) -> str:
        """Look a city up."""
        with _inner("db").start_as_current_span("db.query"):
            return city.title()

    handler = telemetry.handler()
    with _app_tracer(telemetry).start_as_current_span("request") as request:
        lookup.invoke({"city": "paris"}, config={"callbacks": [handler]})
        assert trace.get_current_span() is request
    tree = telemetry.tree()
    assert tree["db.query"] == "execute_tool lookup"
    assert tree["execute_tool lookup"] == "request"


def test_unknown_parent_becomes_child_of_current_span(telemetry: Telemetry) -> None:
    """A handler given to one model at construction parents its span on the current span."""
    handler = telemetry.handler()
    model = FakeOpenAIChat(callbacks=[handler])
    chain = ChatPromptTemplate.from_messages([("human", "{q}")]) | model
    with _app_tracer(telemetry).start_as_current_span("request"):
        chain.invoke({"q": "hi"})
    assert telemetry.tree() == {"chat gpt-4o-mini": "request", "request": None}


async def test_async_langgraph_agent_restores_caller_context(telemetry: Telemetry) -> None:
    """An async LangGraph agent run (nodes start in the caller's task) leaves no span current."""
    from langchain_core.messages import AIMessage
    from test_spans import _agent

    handler = telemetry.handler()
    model = FakeOpenAIChat(
        responses=[
            AIMessage(
                content="", tool_calls=[{"name": "add", "args": {"a": 1, "b": 1}, "id": "c1"}]
            ),
            "2",
        ]
    )
    with _app_tracer(telemetry).start_as_current_span("request") as request:
        await _agent(model).ainvoke(
            {"messages": [("human", "1+1")]}, config={"callbacks": [handler]}
        )
        assert trace.get_current_span() is request
        async for _ in _agent(model).astream(
            {"messages": [("human", "1+1")]}, config={"callbacks": [handler]}
        ):
            pass
        assert trace.get_current_span() is request
    assert handler.open_runs == 0


def test_sync_langgraph_stream_restores_caller_context(telemetry: Telemetry) -> None:
    """A sync LangGraph stream leaves no span current in the consumer's context."""
    from langchain_core.messages import AIMessage
    from test_spans import _agent

    handler = telemetry.handler()
    model = FakeOpenAIChat(
        responses=[
            AIMessage(
                content="", tool_calls=[{"name": "add", "args": {"a": 1, "b": 1}, "id": "c1"}]
            ),
            "2",
        ]
    )
    with _app_tracer(telemetry).start_as_current_span("request") as request:
        for _ in _agent(model).stream(
            {"messages": [("human", "1+1")]},
            config={"callbacks": [handler]},
            stream_mode="messages",
        ):
            pass
        assert trace.get_current_span() is request
    assert handler.open_runs == 0


def test_the_current_context_is_read_where_the_api_reads_it() -> None:
    """With OTel's default runtime context, the variable is read and set directly: the
    same context the API's get_current sees, and a token the API's detach takes."""
    token = context_api.attach(context_api.set_value("probe", 1))
    try:
        assert _context.current_context() is context_api.get_current()
        inner = _context._attach(context_api.set_value("probe", 2))
        assert context_api.get_value("probe") == 2
        context_api.detach(inner)  # type: ignore[arg-type]
        assert context_api.get_value("probe") == 1
    finally:
        context_api.detach(token)


def test_another_runtime_context_is_used_through_the_api() -> None:
    """OTEL_PYTHON_CONTEXT naming a runtime context: its own methods run, not ours."""
    code = (
        "from opentelemetry import context as c\n"
        "from otel_langchain import _context\n"
        "assert _context.current_context is c.get_current and _context._attach is c.attach\n"
    )
    env = {**os.environ, "OTEL_PYTHON_CONTEXT": "contextvars_context"}
    subprocess.run([sys.executable, "-c", code], env=env, check=True)
