"""Open runs never hold a context hostage: a dropped handler, an old run, a reused or a
bad run id leave no span current and no span unended, in threads, tasks and the main thread."""

from __future__ import annotations

import asyncio
import gc
import logging
import math
import queue
import threading
import time
import weakref
from collections.abc import Callable, Iterator
from typing import Any, TypeVar
from uuid import UUID, uuid4

import pytest
from conftest import Telemetry
from fakes import FakeOpenAIChat
from langchain_core.output_parsers import StrOutputParser
from langchain_core.prompts import ChatPromptTemplate
from langchain_core.runnables import Runnable, RunnableConfig, RunnableLambda
from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.trace import StatusCode

from otel_langchain import OTelCallbackHandler, _safety

T = TypeVar("T")


class Worker:
    """A long-lived thread that runs jobs one after another, like a WSGI worker thread."""

    def __init__(self) -> None:
        self._jobs: queue.Queue[Callable[[], None] | None] = queue.Queue()
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self._thread.start()

    def _loop(self) -> None:
        while (job := self._jobs.get()) is not None:
            job()

    def run(self, fn: Callable[[], T]) -> T:
        done = threading.Event()
        out: list[Any] = []

        def job() -> None:
            try:
                out.append(fn())
            except BaseException as exc:  # re-raised in the caller
                out.append(exc)
            done.set()

        self._jobs.put(job)
        assert done.wait(10)
        if isinstance(out[0], BaseException):
            raise out[0]
        return out[0]  # type: ignore[no-any-return]

    def stop(self) -> None:
        self._jobs.put(None)
        self._thread.join(10)


@pytest.fixture
def worker() -> Iterator[Worker]:
    """One worker thread per test."""
    w = Worker()
    yield w
    w.stop()


def _leave_run_open(handler: OTelCallbackHandler, name: str = "never ended") -> UUID:
    """Start a run whose end never comes (a callback manager that lost it)."""
    run_id = uuid4()
    handler.on_chain_start({"name": name}, {}, run_id=run_id)
    return run_id


def _step(name: str) -> Runnable[Any, Any]:
    return RunnableLambda(lambda x: x, name=name)


def _chain() -> Runnable[Any, Any]:
    prompt = ChatPromptTemplate.from_messages([("human", "{q}")])
    return prompt | FakeOpenAIChat() | StrOutputParser()


def _current_is_invalid() -> bool:
    return not trace.get_current_span().get_span_context().is_valid


def _assert_ended_for(span: ReadableSpan, reason: str, message: str) -> None:
    assert span.end_time is not None
    assert span.status.status_code is StatusCode.ERROR
    assert span.attributes is not None
    assert span.attributes["error.type"] == reason
    assert span.status.description == message


COLLECTED = "run ended: still open when its handler was garbage collected"


# -- a handler that goes away ends its runs ------------------------------------------------


def test_dropped_handler_frees_the_worker_thread(telemetry: Telemetry, worker: Worker) -> None:
    """A handler dropped with a run open in a worker thread: the next trace there is a root."""

    def first_request() -> weakref.ref[OTelCallbackHandler]:
        handler = telemetry.handler()
        _leave_run_open(handler)
        return weakref.ref(handler)

    ref = worker.run(first_request)
    gc.collect()
    assert ref() is None

    def next_request() -> bool:
        _step("next request").invoke(1, config={"callbacks": [telemetry.handler()]})
        return _current_is_invalid()

    assert worker.run(next_request)
    assert telemetry.span("next request").parent is None
    _assert_ended_for(telemetry.span("never ended"), "handler_collected", COLLECTED)


def test_dropped_handler_inside_an_app_span(telemetry: Telemetry, worker: Worker) -> None:
    """Within the thread's own request span, later runs nest under that span again."""
    tracer = telemetry.tracer_provider.get_tracer("app")

    def request() -> bool:
        with tracer.start_as_current_span("request") as span:
            handler = telemetry.handler()
            _leave_run_open(handler)
            del handler
            _step("later step").invoke(1, config={"callbacks": [telemetry.handler()]})
            return trace.get_current_span() is span

    assert worker.run(request)
    assert telemetry.tree()["later step"] == "request"
    assert telemetry.tree()["never ended"] == "request"


def test_handler_collected_from_another_thread(telemetry: Telemetry, worker: Worker) -> None:
    """A handler in a reference cycle, collected in the main thread, frees the worker's context.

    Inside the collector only the contexts revert; the span ends at the next run start.
    """

    def first_request() -> weakref.ref[OTelCallbackHandler]:
        handler = telemetry.handler()
        handler.cycle = [handler]  # type: ignore[attr-defined]
        _leave_run_open(handler)
        return weakref.ref(handler)

    ref = worker.run(first_request)
    assert ref() is not None  # the cycle keeps it until the collector runs, here
    assert worker.run(lambda: not _current_is_invalid())
    gc.collect()
    assert ref() is None
    assert worker.run(_current_is_invalid)
    assert telemetry.spans() == []

    worker.run(lambda: _step("next request").invoke(1, config={"callbacks": [telemetry.handler()]}))
    assert telemetry.span("next request").parent is None
    _assert_ended_for(telemetry.span("never ended"), "handler_collected", COLLECTED)


def test_dropped_handler_in_the_main_thread(telemetry: Telemetry) -> None:
    """The main thread's caller span is current again once the handler is dropped."""
    tracer = telemetry.tracer_provider.get_tracer("app")
    with tracer.start_as_current_span("request") as request:
        handler = telemetry.handler()
        _leave_run_open(handler)
        assert trace.get_current_span() is not request
        del handler
        gc.collect()
        assert trace.get_current_span() is request
    assert _current_is_invalid()
    _assert_ended_for(telemetry.span("never ended"), "handler_collected", COLLECTED)


async def test_dropped_handler_in_async_tasks(telemetry: Telemetry) -> None:
    """The task that started the run, and a task that inherited its context, see the caller."""
    tracer = telemetry.tracer_provider.get_tracer("app")
    with tracer.start_as_current_span("request") as request:
        handler = telemetry.handler()
        _leave_run_open(handler)
        proceed = asyncio.Event()

        async def inherited() -> bool:
            await proceed.wait()
            return trace.get_current_span() is request

        task = asyncio.create_task(inherited())  # copies the context with the run in it
        await asyncio.sleep(0)
        del handler
        gc.collect()
        proceed.set()
        assert await task
        assert trace.get_current_span() is request
        _step("next").invoke(1, config={"callbacks": [telemetry.handler()]})
    assert telemetry.tree()["next"] == "request"
    _assert_ended_for(telemetry.span("never ended"), "handler_collected", COLLECTED)


def test_handler_without_open_runs_is_collected_by_refcount(telemetry: Telemetry) -> None:
    """The finalizer keeps no reference to the handler: dropping it frees it at once."""
    handler = telemetry.handler()
    _chain().invoke({"q": "hi"}, config={"callbacks": [handler]})
    ref = weakref.ref(handler)
    gc.disable()
    try:
        del handler
        assert ref() is None
    finally:
        gc.enable()


# -- max_run_age -------------------------------------------------------------------------------


EXPIRED = "run expired: still open after max_run_age"


def test_run_older_than_max_run_age_ends_before_the_next_run(telemetry: Telemetry) -> None:
    """An old open run ends (expired) when a run starts, before that run picks its parent."""
    handler = telemetry.handler(max_run_age=0.05)
    _leave_run_open(handler, "stale")
    time.sleep(0.1)
    _step("next").invoke(1, config={"callbacks": [handler]})
    assert telemetry.span("next").parent is None
    _assert_ended_for(telemetry.span("stale"), "expired", EXPIRED)
    assert handler.open_runs == 0
    assert _current_is_invalid()


def test_max_run_age_ends_only_the_old_runs(telemetry: Telemetry) -> None:
    """Runs younger than max_run_age stay open; the expired ones end oldest first."""
    handler = telemetry.handler(max_run_age=0.2)
    old = [_leave_run_open(handler, f"old {i}") for i in range(3)]
    time.sleep(0.25)
    young = [_leave_run_open(handler, f"young {i}") for i in range(3)]
    assert handler.open_runs == 3
    assert [s.name for s in telemetry.spans()] == ["old 0", "old 1", "old 2"]
    for rid in young:
        handler.on_chain_end({}, run_id=rid)
    for rid in old:
        handler.on_chain_end({}, run_id=rid)  # late ends of expired runs are no-ops
    assert handler.open_runs == 0
    assert len(telemetry.spans()) == 6
    for i in range(3):
        assert telemetry.span(f"young {i}").status.status_code is StatusCode.UNSET


def test_max_run_age_none_disables_it(telemetry: Telemetry) -> None:
    """With max_run_age=None an old run stays open (a short age would have ended it)."""
    handler = telemetry.handler(max_run_age=None)
    _leave_run_open(handler, "long")
    time.sleep(0.06)
    _leave_run_open(handler, "next")
    assert handler.open_runs == 2
    assert telemetry.spans() == []
    handler.close()
    assert handler.open_runs == 0


@pytest.mark.parametrize("value", [0, -1, "60", True, math.nan, math.inf, [60]])
def test_invalid_max_run_age(telemetry: Telemetry, value: Any) -> None:
    """max_run_age must be a positive number of seconds or None."""
    with pytest.raises(ValueError, match="max_run_age"):
        telemetry.handler(max_run_age=value)


@pytest.mark.parametrize("value", [1, 0.5, 3600, None])
def test_valid_max_run_age(telemetry: Telemetry, value: Any) -> None:
    """Positive ints, floats and None are accepted and runs still trace."""
    handler = telemetry.handler(max_run_age=value)
    _chain().invoke({"q": "hi"}, config={"callbacks": [handler]})
    assert handler.open_runs == 0
    assert len(telemetry.spans()) == 4


# -- a reused run id orphans nothing ---------------------------------------------------------


def _parents(telemetry: Telemetry) -> dict[str, list[str | None]]:
    """span name -> the names of its parents (names may repeat)."""
    by_id = {s.context.span_id: s for s in telemetry.spans()}
    out: dict[str, list[str | None]] = {}
    for s in telemetry.spans():
        parent = by_id.get(s.parent.span_id) if s.parent else None
        out.setdefault(s.name, []).append(parent.name if parent else None)
    return out


def test_nested_invoke_given_its_parents_run_id(telemetry: Telemetry) -> None:
    """An inner invoke reusing the outer run's id: both end, the tree is right, caller restored."""
    handler = telemetry.handler()
    run_id = uuid4()
    inner = RunnableLambda(lambda x: x + 1, name="inner step") | _step("inner last")

    def call_inner(x: int, config: RunnableConfig) -> int:
        return inner.invoke(x, config={"run_id": run_id})  # type: ignore[no-any-return]

    outer = _step("first") | RunnableLambda(call_inner, name="caller") | _step("after")
    tracer = telemetry.tracer_provider.get_tracer("app")
    with tracer.start_as_current_span("request") as request:
        assert outer.invoke(1, config={"callbacks": [handler], "run_id": run_id}) == 2
        assert trace.get_current_span() is request
    assert handler.open_runs == 0
    assert all(s.end_time is not None for s in telemetry.spans())
    assert _parents(telemetry) == {
        "request": [None],
        "RunnableSequence": ["caller", "request"],
        "first": ["RunnableSequence"],
        "caller": ["RunnableSequence"],
        "inner step": ["RunnableSequence"],
        "inner last": ["RunnableSequence"],
        "after": ["RunnableSequence"],
    }
    outer_span = telemetry.spans()[-2]  # ends last, before the request span
    assert outer_span.name == "RunnableSequence"
    for name in ("first", "caller", "after"):
        parent = telemetry.span(name).parent
        assert parent is not None and parent.span_id == outer_span.context.span_id
    for span in telemetry.spans():
        assert span.status.status_code is StatusCode.UNSET


async def test_overlapping_ainvokes_with_one_run_id(telemetry: Telemetry) -> None:
    """Two concurrent ainvokes given one run_id: each run ends with its own children."""
    handler = telemetry.handler()
    run_id = uuid4()
    chain = _chain()
    tracer = telemetry.tracer_provider.get_tracer("app")
    with tracer.start_as_current_span("request") as request:

        async def one(q: str) -> bool:
            out = await chain.ainvoke({"q": q}, config={"callbacks": [handler], "run_id": run_id})
            assert out
            return trace.get_current_span() is request

        assert await asyncio.gather(one("a"), one("b")) == [True, True]
        assert trace.get_current_span() is request
    assert handler.open_runs == 0
    spans = telemetry.spans()
    assert all(s.end_time is not None for s in spans)
    roots = [s for s in spans if s.name == "RunnableSequence"]
    assert len(roots) == 2
    request_id = telemetry.span("request").context.span_id
    for root in roots:
        assert root.parent is not None and root.parent.span_id == request_id
        children = [s for s in spans if s.parent and s.parent.span_id == root.context.span_id]
        assert sorted(s.name for s in children) == [
            "ChatPromptTemplate",
            "StrOutputParser",
            "chat gpt-4o-mini",
        ]
        assert root.status.status_code is StatusCode.UNSET


def test_close_with_a_reused_run_id_restores_the_caller(telemetry: Telemetry) -> None:
    """Two open runs with one id: close() ends both and the caller's span is current again."""
    handler = telemetry.handler()
    tracer = telemetry.tracer_provider.get_tracer("app")
    run_id = uuid4()
    with tracer.start_as_current_span("request") as request:
        handler.on_chain_start({"name": "first"}, {}, run_id=run_id)
        handler.on_chain_start({"name": "second"}, {}, run_id=run_id)
        assert handler.open_runs == 2
        handler.close()
        assert trace.get_current_span() is request
    assert handler.open_runs == 0
    for name in ("first", "second"):
        _assert_ended_for(
            telemetry.span(name),
            "handler_closed",
            "run ended: still open when its handler was closed",
        )


def test_reused_run_ids_count_toward_max_open_runs(telemetry: Telemetry) -> None:
    """Runs sharing an id are bounded like any others: the oldest is evicted."""
    handler = telemetry.handler(max_open_runs=2)
    run_id = uuid4()
    for name in ("one", "two", "three"):
        handler.on_chain_start({"name": name}, {}, run_id=run_id)
    assert handler.open_runs == 2
    assert [s.name for s in telemetry.spans()] == ["one"]
    assert telemetry.span("one").attributes["error.type"] == "evicted"  # type: ignore[index]
    handler.on_chain_end({}, run_id=run_id)
    handler.on_chain_end({}, run_id=run_id)
    handler.on_chain_end({}, run_id=run_id)
    assert handler.open_runs == 0
    assert sorted(s.name for s in telemetry.spans()) == ["one", "three", "two"]
    assert _current_is_invalid()


def test_threads_reusing_run_ids_orphan_nothing(telemetry: Telemetry) -> None:
    """Eight threads with runs open at once under shared ids: each run ends once, with its child."""
    handler = telemetry.handler()
    shared = [uuid4() for _ in range(3)]
    errors: list[BaseException] = []
    rounds = 50
    all_open = threading.Barrier(8, timeout=10)

    def work(n: int) -> None:
        try:
            for i in range(rounds):
                root = shared[(n + i) % len(shared)]
                child = uuid4()
                handler.on_chain_start({"name": f"root {n}"}, {}, run_id=root)
                all_open.wait()  # eight roots open under three ids
                handler.on_chain_start({"name": f"child {n}"}, {}, run_id=child, parent_run_id=root)
                handler.on_chain_end({}, run_id=child)
                handler.on_chain_end({}, run_id=root)
                assert _current_is_invalid()
                all_open.wait()
        except BaseException as exc:  # surfaced below
            errors.append(exc)
            all_open.abort()

    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert not errors
    assert handler.open_runs == 0
    spans = telemetry.spans()
    assert len(spans) == 8 * rounds * 2
    assert all(s.status.status_code is StatusCode.UNSET for s in spans)
    assert len({s.context.span_id for s in spans}) == len(spans)  # each ended once
    by_id = {s.context.span_id: s for s in spans}
    for span in spans:
        if span.name.startswith("child"):
            assert span.parent is not None
            assert by_id[span.parent.span_id].name == span.name.replace("child", "root")


# -- a run id that is not a UUID is not traced ----------------------------------------------


@pytest.fixture
def warnings_once(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    """The once-only warnings of this module can be seen again."""
    for key in ("run_id_not_uuid", "run_id_reused"):
        _safety._reported.discard(key)
    caplog.set_level(logging.WARNING, logger="otel_langchain")
    yield caplog


@pytest.mark.parametrize("run_id", ["not-a-uuid", 123, ["unhashable"], {"a": 1}], ids=repr)
def test_run_id_not_a_uuid_from_langchain(
    telemetry: Telemetry, warnings_once: pytest.LogCaptureFixture, run_id: Any
) -> None:
    """LangChain passes a bad config run_id through: no span, no context change, one warning."""
    handler = telemetry.handler()
    tracer = telemetry.tracer_provider.get_tracer("app")
    seen: list[Any] = []

    def body(x: int) -> int:
        seen.append(trace.get_current_span())
        return x + 1

    with tracer.start_as_current_span("request") as request:
        for _ in range(2):
            out = RunnableLambda(body, name="step").invoke(
                1, config={"callbacks": [handler], "run_id": run_id}
            )
            assert out == 2
            assert trace.get_current_span() is request
    assert seen == [request, request]
    assert [s.name for s in telemetry.spans()] == ["request"]
    assert handler.open_runs == 0
    logged = [r.getMessage() for r in warnings_once.records if "not a UUID" in r.getMessage()]
    assert len(logged) == 1
    assert type(run_id).__name__ in logged[0]


def test_every_hook_ignores_a_bad_run_id(telemetry: Telemetry) -> None:
    """Start, end, error and event hooks given unhashable ids do nothing and raise nothing."""
    handler = telemetry.handler(capture_content=True)
    bad: Any = ["x"]
    parent: Any = {"y": 1}
    handler.on_chain_start({"name": "c"}, {}, run_id=bad, parent_run_id=parent)
    handler.on_chat_model_start({}, [[]], run_id=bad, parent_run_id=parent)
    handler.on_llm_start({}, ["p"], run_id=bad, parent_run_id=parent)
    handler.on_tool_start({"name": "t"}, "in", run_id=bad, parent_run_id=parent)
    handler.on_retriever_start({"name": "r"}, "q", run_id=bad, parent_run_id=parent)
    assert _current_is_invalid()
    handler.on_llm_new_token("tok", run_id=bad)
    handler.on_custom_event("evt", {}, run_id=bad)
    handler.on_retry(None, run_id=bad)
    handler.on_agent_action(None, run_id=bad)
    handler.on_agent_finish(None, run_id=bad)
    handler.on_chain_end({}, run_id=bad)
    handler.on_chain_error(ValueError("x"), run_id=bad)
    handler.on_llm_end(None, run_id=bad)
    handler.on_llm_error(ValueError("x"), run_id=bad)
    handler.on_tool_end("out", run_id=bad)
    handler.on_retriever_end([], run_id=bad)
    assert telemetry.spans() == []
    assert handler.open_runs == 0


def test_bad_parent_run_id_makes_a_root(telemetry: Telemetry) -> None:
    """A valid run whose parent_run_id is unhashable or not a UUID becomes a root span."""
    handler = telemetry.handler()
    for parent in (["x"], "not-a-uuid"):
        rid = uuid4()
        handler.on_chain_start(
            {"name": f"child of {parent!r}"}, {}, run_id=rid, parent_run_id=parent
        )  # type: ignore[arg-type]
        handler.on_chain_end({}, run_id=rid)
    assert [s.parent for s in telemetry.spans()] == [None, None]
    assert handler.open_runs == 0
