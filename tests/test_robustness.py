"""Never break the host: odd payloads, unknown runs, bounded state, threads, bad arguments.

The safety boundary stays strict in this module: any internal error the handler
hits fails the test, so "does not raise" here means "does not even fail inside".
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any
from uuid import UUID, uuid4

import pytest
from fakes import FakeOpenAIChat
from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.callbacks.manager import dispatch_custom_event
from langchain_core.documents import Document
from langchain_core.messages import AIMessage, HumanMessage
from langchain_core.output_parsers import StrOutputParser
from langchain_core.outputs import ChatGeneration, Generation, LLMResult
from langchain_core.prompts import ChatPromptTemplate
from langchain_core.runnables import RunnableGenerator, RunnableLambda
from opentelemetry import context as context_api
from opentelemetry import trace
from opentelemetry.trace import StatusCode
from tenacity import RetryCallState, Retrying

from otel_langchain import OTelCallbackHandler


@pytest.fixture(autouse=True)
def _restore_context() -> Iterator[None]:
    """Hooks called directly attach contexts in the test thread: restore it afterwards."""
    token = context_api.attach(context_api.Context())
    yield
    context_api.detach(token)


class Unprintable:
    """An object whose str() and repr() raise."""

    def __str__(self) -> str:
        raise RuntimeError("str() refused")

    __repr__ = __str__


class UnprintableError(Exception):
    """An exception whose str() and repr() raise."""

    def __str__(self) -> str:
        raise RuntimeError("str() refused")

    __repr__ = __str__


CAPTURE = pytest.mark.parametrize("capture", [False, True], ids=["capture-off", "capture-on"])


def _chain(model: Any = None) -> Any:
    prompt = ChatPromptTemplate.from_messages([("human", "{q}")])
    return prompt | (model or FakeOpenAIChat()) | StrOutputParser()


def _assert_all_ended(telemetry: Any, handler: OTelCallbackHandler, count: int) -> None:
    spans = telemetry.spans()
    assert len(spans) == count, [s.name for s in spans]
    assert all(s.end_time is not None for s in spans)
    assert handler.open_runs == 0


# -- unknown runs, None payloads, double ends -------------------------------------------


@CAPTURE
def test_hooks_with_unknown_run_ids_are_no_ops(telemetry: Any, capture: bool) -> None:
    """End, error and event hooks for runs never started do nothing and raise nothing."""
    h = telemetry.handler(capture_content=capture)
    rid = uuid4()
    h.on_chain_end({"x": 1}, run_id=rid)
    h.on_chain_error(ValueError("x"), run_id=rid)
    h.on_llm_end(LLMResult(generations=[]), run_id=rid)
    h.on_llm_error(ValueError("x"), run_id=rid)
    h.on_llm_new_token("tok", run_id=rid)
    h.on_tool_end("out", run_id=rid)
    h.on_tool_error(ValueError("x"), run_id=rid)
    h.on_retriever_end([], run_id=rid)
    h.on_retriever_error(ValueError("x"), run_id=rid)
    h.on_custom_event("evt", {"a": 1}, run_id=rid)
    h.on_retry(SimpleNamespace(attempt_number=1), run_id=rid)
    h.on_agent_action(SimpleNamespace(tool="t", tool_input={}), run_id=rid)
    h.on_agent_finish(SimpleNamespace(return_values={}), run_id=rid)

    assert telemetry.spans() == []
    assert h.open_runs == 0


@CAPTURE
def test_none_payloads(telemetry: Any, capture: bool) -> None:
    """serialized/inputs/metadata/tags/response/documents of None start and end spans cleanly."""
    h = telemetry.handler(capture_content=capture)
    ids = [uuid4() for _ in range(5)]
    h.on_chain_start(None, None, run_id=ids[0], parent_run_id=None, tags=None, metadata=None)
    h.on_chat_model_start(None, None, run_id=ids[1], parent_run_id=ids[0], metadata=None)  # type: ignore[arg-type]
    h.on_llm_start(None, None, run_id=ids[2], parent_run_id=ids[0], metadata=None)  # type: ignore[arg-type]
    h.on_tool_start(None, None, run_id=ids[3], parent_run_id=ids[0], inputs=None)  # type: ignore[arg-type]
    h.on_retriever_start(None, None, run_id=ids[4], parent_run_id=ids[0], metadata=None)  # type: ignore[arg-type]
    h.on_llm_new_token(None, run_id=ids[1])
    h.on_custom_event("evt", None, run_id=ids[0])
    h.on_retry(None, run_id=ids[0])
    h.on_agent_action(None, run_id=ids[0])
    h.on_agent_finish(None, run_id=ids[0])
    h.on_llm_end(None, run_id=ids[1])
    h.on_llm_end(None, run_id=ids[2])
    h.on_tool_end(None, run_id=ids[3])
    h.on_retriever_end(None, run_id=ids[4])  # type: ignore[arg-type]
    h.on_chain_end(None, run_id=ids[0])

    _assert_all_ended(telemetry, h, 5)
    names = {s.name for s in telemetry.spans()}
    assert names == {"chain", "chat", "text_completion", "execute_tool tool", "retrieval retriever"}
    assert telemetry.tree()["chat"] == "chain"
    assert telemetry.span("chat").attributes["langchain.llm.cost_unknown"] is True


def test_end_without_start_then_double_end(telemetry: Any) -> None:
    """An end without a start is ignored; a second end or error of a run is a no-op."""
    h = telemetry.handler()
    rid = uuid4()
    h.on_chain_end({}, run_id=rid)
    h.on_chain_start({"name": "step"}, {}, run_id=rid)
    h.on_chain_end({}, run_id=rid)
    h.on_chain_end({}, run_id=rid)
    h.on_chain_error(ValueError("late"), run_id=rid)

    span = telemetry.span("step")
    assert span.status.status_code is StatusCode.UNSET
    _assert_all_ended(telemetry, h, 1)


def test_unknown_parent_makes_a_root(telemetry: Any) -> None:
    """A run whose parent is unknown becomes a root span."""
    h = telemetry.handler()
    rid = uuid4()
    h.on_chain_start({"name": "orphan"}, {}, run_id=rid, parent_run_id=uuid4())
    h.on_chain_end({}, run_id=rid)

    assert telemetry.span("orphan").parent is None


# -- unprintable objects --------------------------------------------------------------------


def test_unprintable_objects_in_every_hook(telemetry: Any) -> None:
    """Objects whose str()/repr() raise, as inputs/outputs/errors/event data, never break us."""
    h = telemetry.handler(capture_content=True)
    bad = Unprintable()
    chain, chat, llm, tool_id, retr = (uuid4() for _ in range(5))
    h.on_chain_start(
        {"name": bad, "id": [bad]},
        {"x": bad, bad: 1, "l": [bad]},
        run_id=chain,
        tags=[bad, "ok"],
        metadata={"obj": bad, bad: "v", "thread_id": bad},
    )
    h.on_custom_event("evt", {"a": bad, "b": [bad, 1], bad: 2, "n": {"d": bad}}, run_id=chain)
    h.on_custom_event(bad, bad, run_id=chain)  # type: ignore[arg-type]
    h.on_chat_model_start(
        {"name": "m"},
        [[bad, HumanMessage("hi")]],
        run_id=chat,
        parent_run_id=chain,
        invocation_params={"model": bad, "stop": [bad]},
        metadata={"ls_provider": bad, "ls_model_name": bad},
    )
    h.on_llm_new_token(bad, run_id=chat)  # type: ignore[arg-type]
    h.on_llm_end(
        LLMResult(
            generations=[[Generation(text="ok")]],
            llm_output={"token_usage": bad, "model_name": bad, "id": bad},
        ),
        run_id=chat,
    )
    h.on_llm_start({"name": "l"}, [bad], run_id=llm, parent_run_id=chain)  # type: ignore[list-item]
    h.on_llm_error(UnprintableError(), run_id=llm)
    h.on_tool_start(
        {"name": "t", "description": bad},
        bad,
        run_id=tool_id,  # type: ignore[arg-type]
        parent_run_id=chain,
        inputs={"q": bad},
        tool_call_id=bad,
    )
    h.on_tool_end(bad, run_id=tool_id)
    h.on_retriever_start({"name": "r"}, bad, run_id=retr, parent_run_id=chain)  # type: ignore[arg-type]
    h.on_retriever_end([bad, Document(page_content="doc")], run_id=retr)
    h.on_agent_action(SimpleNamespace(tool=bad, tool_input=bad), run_id=chain)
    h.on_agent_finish(SimpleNamespace(return_values=bad), run_id=chain)
    h.on_retry(SimpleNamespace(attempt_number=bad, outcome=bad), run_id=chain)
    h.on_chain_error(UnprintableError(), run_id=chain)

    _assert_all_ended(telemetry, h, 5)
    root = telemetry.span("chain")
    assert root.status.status_code is StatusCode.ERROR
    assert root.attributes["error.type"] == "UnprintableError"
    assert {e.name for e in root.events} >= {"evt", "exception"}


def test_unprintable_stop_sequences(telemetry: Any) -> None:
    """Unprintable stop sequences in metadata are skipped, not stringified."""
    h = telemetry.handler()
    rid = uuid4()
    h.on_chat_model_start(
        {"name": "m"},
        [[HumanMessage("hi")]],
        run_id=rid,
        metadata={"ls_model_name": "m1", "ls_stop": [Unprintable(), "END"]},
    )
    h.on_llm_end(LLMResult(generations=[]), run_id=rid)

    _assert_all_ended(telemetry, h, 1)


def test_unprintable_output_and_error_through_real_runnables(telemetry: Any) -> None:
    """A runnable returning or raising unprintable objects works exactly as untraced."""
    h = telemetry.handler(capture_content=True)
    bad = Unprintable()
    assert RunnableLambda(lambda _: bad).invoke({"x": bad}, config={"callbacks": [h]}) is bad

    err = UnprintableError()

    def boom(_: Any) -> Any:
        raise err

    with pytest.raises(UnprintableError) as info:
        RunnableLambda(boom).invoke("x", config={"callbacks": [h]})
    assert info.value is err

    def emit(_: Any) -> str:
        dispatch_custom_event("progress", {"obj": bad, "pct": 50})
        return "done"

    assert RunnableLambda(emit).invoke("x", config={"callbacks": [h]}) == "done"
    _assert_all_ended(telemetry, h, 3)
    [event] = telemetry.span("emit").events
    assert event.name == "progress"
    assert event.attributes["pct"] == 50


# -- weird LLMResult shapes ---------------------------------------------------------------

WEIRD_RESPONSES: list[Any] = [
    LLMResult(generations=[]),
    LLMResult(generations=[[]]),
    LLMResult(generations=[[Generation(text="hi")]], llm_output=None),
    LLMResult(generations=[[Generation(text="hi")]], llm_output={"token_usage": "lots"}),
    LLMResult(generations=[[Generation(text="hi")]], llm_output={"token_usage": [1, 2]}),
    LLMResult(
        generations=[[Generation(text="hi")]],
        llm_output={"token_usage": {"prompt_tokens": -5, "completion_tokens": True}},
    ),
    LLMResult(
        generations=[[Generation(text="hi")]],
        llm_output={"token_usage": {"prompt_tokens": 3.0, "completion_tokens": "7"}},
    ),
    LLMResult(
        generations=[[Generation(text="hi")]],
        llm_output={
            "token_usage": {"prompt_tokens": float("nan"), "completion_tokens": float("inf")}
        },
    ),
    LLMResult(
        generations=[[Generation(text="hi")]],
        llm_output={"model_name": 42, "id": ["x"], "usage": {"input_tokens": None}},
    ),
    LLMResult(generations=[[Generation(text="hi", generation_info={"finish_reason": 3})]]),
    LLMResult(
        generations=[
            [
                ChatGeneration(
                    message=AIMessage(
                        content=[{"type": "image"}, "txt", {"type": 5}],
                        response_metadata={"model_name": None, "finish_reason": ["x"]},
                    )
                )
            ]
        ]
    ),
    LLMResult.model_construct(generations=[[None, 3, "str"]], llm_output=[1]),
    LLMResult.model_construct(
        generations=[
            [
                ChatGeneration.model_construct(
                    message=AIMessage.model_construct(
                        content=None,
                        usage_metadata={
                            "input_tokens": "many",
                            "input_token_details": "x",
                            "output_token_details": [1],
                        },
                        response_metadata=None,
                        tool_calls=[None, {"id": 5, "args": object()}],
                    ),
                    generation_info=[],
                )
            ]
        ]
    ),
    LLMResult.model_construct(generations="nope", llm_output=None),
    {"generations": [[{"text": "hi"}]]},
    "just a string",
    42,
]


@CAPTURE
@pytest.mark.parametrize("response", WEIRD_RESPONSES, ids=range(len(WEIRD_RESPONSES)))
def test_weird_llm_result_shapes(telemetry: Any, capture: bool, response: Any) -> None:
    """on_llm_end with any response shape ends the span without an internal error."""
    h = telemetry.handler(capture_content=capture)
    rid = uuid4()
    h.on_chat_model_start(
        {"name": "m"},
        [[HumanMessage("hi")]],
        run_id=rid,
        metadata={"ls_provider": "openai", "ls_model_name": "gpt-4o-mini"},
    )
    h.on_llm_end(response, run_id=rid)

    _assert_all_ended(telemetry, h, 1)
    span = telemetry.span("chat gpt-4o-mini")
    for key in ("gen_ai.usage.input_tokens", "gen_ai.usage.output_tokens"):
        value = span.attributes.get(key)
        assert value is None or (type(value) is int and value >= 0)


# -- bounded state ------------------------------------------------------------------------


def _start_chains(h: OTelCallbackHandler, n: int) -> list[UUID]:
    ids = []
    for i in range(n):
        rid = uuid4()
        h.on_chain_start({"name": f"run-{i}"}, {}, run_id=rid)
        ids.append(rid)
    return ids


def test_oldest_runs_evicted_at_the_bound(telemetry: Any) -> None:
    """Past max_open_runs the oldest runs are ended with ERROR and error.type=evicted."""
    h = telemetry.handler(max_open_runs=3)
    ids = _start_chains(h, 5)

    assert h.open_runs == 3
    ended = telemetry.spans()
    assert sorted(s.name for s in ended) == ["run-0", "run-1"]
    for span in ended:
        assert span.status.status_code is StatusCode.ERROR
        assert span.attributes["error.type"] == "evicted"
        assert span.status.description == (
            "run evicted: the oldest open run when max_open_runs was exceeded"
        )

    h.on_chain_end({}, run_id=ids[0])
    h.on_chain_error(ValueError("late"), run_id=ids[1])
    assert len(telemetry.spans()) == 2
    assert h.open_runs == 3

    for rid in ids[2:]:
        h.on_chain_end({}, run_id=rid)
    assert h.open_runs == 0
    assert sorted(s.name for s in telemetry.spans()) == [f"run-{i}" for i in range(5)]
    for name in ("run-2", "run-3", "run-4"):
        assert telemetry.span(name).status.status_code is StatusCode.UNSET


def test_a_long_lived_run_keeps_no_list_of_its_ended_children(telemetry: Any) -> None:
    """A parent with thousands of children remembers only the open ones (bounded state)."""
    h = telemetry.handler()
    parent = uuid4()
    h.on_chain_start({"name": "agent loop"}, {}, run_id=parent)
    open_children = [uuid4() for _ in range(100)]
    for rid in open_children:  # many open at once
        h.on_chain_start({"name": "step"}, {}, run_id=rid, parent_run_id=parent)
    for _ in range(5000):  # then a long sequence of short steps
        rid = uuid4()
        h.on_chain_start({"name": "step"}, {}, run_id=rid, parent_run_id=parent)
        h.on_chain_end({}, run_id=rid)
    state = h._runs.get(parent)  # the bound is internal state
    assert state is not None and state.children is not None
    assert 100 <= len(state.children) <= 256
    for rid in open_children:
        h.on_chain_end({}, run_id=rid)
    h.on_chain_end({}, run_id=parent)
    assert h.open_runs == 0


def test_close_ends_all_open_spans(telemetry: Any) -> None:
    """handler.close() ends every open span (ERROR, handler_closed) and empties the registry."""
    h = telemetry.handler()
    ids = _start_chains(h, 4)
    h.close()

    _assert_all_ended(telemetry, h, 4)
    for span in telemetry.spans():
        assert span.status.status_code is StatusCode.ERROR
        assert span.attributes["error.type"] == "handler_closed"
        assert span.status.description == "run ended: still open when its handler was closed"
    h.on_chain_end({}, run_id=ids[0])
    h.close()
    assert len(telemetry.spans()) == 4


def test_no_span_left_open_after_invoke_stream_batch_and_errors(telemetry: Any) -> None:
    """After full runs (invoke, stream, batch, a failure) no run is left open."""
    h = telemetry.handler()
    config: Any = {"callbacks": [h]}
    chain = _chain()
    chain.invoke({"q": "a"}, config=config)
    assert h.open_runs == 0
    "".join(chain.stream({"q": "b"}, config=config))
    assert h.open_runs == 0
    chain.batch([{"q": "c"}, {"q": "d"}], config=config)
    assert h.open_runs == 0
    with pytest.raises(KeyError):
        chain.invoke({"wrong": "key"}, config=config)
    assert h.open_runs == 0
    assert all(s.end_time is not None for s in telemetry.spans())


def test_no_span_left_open_after_stream_closed_early(telemetry: Any) -> None:
    """A stream abandoned after its first chunk still ends every span."""
    h = telemetry.handler()
    stream = _chain(FakeOpenAIChat(responses=["one two three"])).stream(
        {"q": "a"}, config={"callbacks": [h]}
    )
    assert next(stream) == "one "
    stream.close()

    assert h.open_runs == 0
    assert len(telemetry.spans()) == 4
    assert all(s.end_time is not None for s in telemetry.spans())


async def test_no_span_left_open_after_async_runs(telemetry: Any) -> None:
    """ainvoke and astream end every span they start."""
    h = telemetry.handler()
    config: Any = {"callbacks": [h]}
    chain = _chain()
    await chain.ainvoke({"q": "a"}, config=config)
    assert [c async for c in chain.astream({"q": "b"}, config=config)]
    assert h.open_runs == 0
    assert len(telemetry.spans()) == 8


async def test_abandoned_async_stream_with_generator_step_ends_every_span(telemetry: Any) -> None:
    """Runs LangChain never ends after an abandoned astream end with it, marked cancelled.

    The async generator step of an abandoned ``astream`` is finalized by the event
    loop without an end or error callback; its span must not stay open forever.
    """

    async def words(chunks: Any) -> Any:
        async for chunk in chunks:
            for word in chunk.split():
                yield word

    def words_sync(chunks: Any) -> Any:
        for chunk in chunks:
            yield from chunk.split()

    h = telemetry.handler()
    chain = _chain(FakeOpenAIChat(responses=["one two three"])) | RunnableGenerator(
        words_sync, words
    )
    stream = chain.astream({"q": "a"}, config={"callbacks": [h]})
    assert await stream.__anext__() == "one"
    del stream
    for _ in range(20):  # the loop's async-generator finalizer runs a few turns later
        await asyncio.sleep(0)
    assert h.open_runs == 0
    spans = {s.name: s for s in telemetry.spans()}
    assert set(spans) >= {"RunnableSequence", "words_sync"}
    assert all(s.end_time is not None for s in telemetry.spans())
    for name in ("RunnableSequence", "words_sync"):
        assert spans[name].attributes["langchain.run.cancelled"] is True
        assert spans[name].status.status_code is not StatusCode.ERROR


async def test_cancelled_ainvoke_ends_every_span_as_cancelled(telemetry: Any) -> None:
    """A request timeout cancels the run: every span ends, cancelled, not an error."""

    started = asyncio.Event()

    async def slow(text: str) -> str:
        started.set()
        await asyncio.sleep(10)
        return text

    h = telemetry.handler()
    chain = _chain() | RunnableLambda(lambda t: t, afunc=slow, name="slow")
    app = telemetry.tracer_provider.get_tracer("app")
    with app.start_as_current_span("request") as request:
        # The timeout starts once the last step runs, so a loaded machine cannot
        # time the request out before the step it is meant to abandon has started.
        task = asyncio.ensure_future(chain.ainvoke({"q": "a"}, config={"callbacks": [h]}))
        await asyncio.wait_for(started.wait(), 30)
        with pytest.raises(asyncio.TimeoutError):  # TimeoutError from Python 3.11 on
            await asyncio.wait_for(task, 0.05)
        for _ in range(5):
            await asyncio.sleep(0)
        assert trace.get_current_span() is request
    assert h.open_runs == 0
    spans = {s.name: s for s in telemetry.spans()}
    for name in ("RunnableSequence", "slow"):
        assert spans[name].end_time is not None
        assert spans[name].attributes["langchain.run.cancelled"] is True
        assert spans[name].status.status_code is not StatusCode.ERROR


def test_failed_run_leaves_its_finished_children_alone(telemetry: Any) -> None:
    """Only abandonment ends descendants: an ordinary error ends the failing run alone."""
    h = telemetry.handler()

    def fail(_: Any) -> str:
        raise ValueError("boom")

    chain = _chain() | RunnableLambda(fail, name="fail")
    with pytest.raises(ValueError, match="boom"):
        chain.invoke({"q": "a"}, config={"callbacks": [h]})
    assert h.open_runs == 0
    spans = telemetry.spans()
    assert not any(s.attributes.get("langchain.run.cancelled") for s in spans)
    errors = sorted(s.name for s in spans if s.status.status_code is StatusCode.ERROR)
    assert errors == ["RunnableSequence", "fail"]


def test_retries_become_events(telemetry: Any) -> None:
    """with_retry attempts become `retry` events with the attempt and failed error type."""
    h = telemetry.handler()
    calls = {"n": 0}

    def flaky(x: str) -> str:
        calls["n"] += 1
        if calls["n"] < 3:
            raise ConnectionError("reset")
        return x

    runnable = RunnableLambda(flaky).with_retry(
        stop_after_attempt=3,
        wait_exponential_jitter=False,
        retry_if_exception_type=(ConnectionError,),
    )
    assert runnable.invoke("ok", config={"callbacks": [h]}) == "ok"

    assert h.open_runs == 0
    retries = [e for s in telemetry.spans() for e in s.events if e.name == "retry"]
    assert [e.attributes["retry.attempt"] for e in retries] == [1, 2]


def test_on_retry_records_attempt_and_failed_error_type(telemetry: Any) -> None:
    """on_retry with a tenacity state whose attempt failed records attempt and error type."""
    h = telemetry.handler()
    rid = uuid4()
    h.on_chat_model_start(
        {"name": "m"}, [[HumanMessage("hi")]], run_id=rid, metadata={"ls_model_name": "m1"}
    )
    state = RetryCallState(retry_object=Retrying(), fn=None, args=(), kwargs={})
    state.attempt_number = 2
    err = ConnectionError("reset by sk-proj-abcdefghijklmnop")
    state.set_exception((ConnectionError, err, None))
    h.on_retry(state, run_id=rid)
    h.on_llm_end(LLMResult(generations=[]), run_id=rid)

    [event] = telemetry.span("chat m1").events
    assert event.name == "retry"
    assert event.attributes["retry.attempt"] == 2
    assert event.attributes["error.type"] == "ConnectionError"
    assert "sk-proj-abcdefghijklmnop" not in event.attributes["exception.message"]


# -- threads ------------------------------------------------------------------------------


def test_many_threads_share_one_handler(telemetry: Any) -> None:
    """8 threads x 50 chains through one handler: every span ends, counts and trees correct."""
    h = telemetry.handler()
    chain = _chain()
    barrier = threading.Barrier(8)
    failures: list[BaseException] = []

    def work(n: int) -> None:
        try:
            barrier.wait()
            for i in range(50):
                assert chain.invoke({"q": f"{n}-{i}"}, config={"callbacks": [h]})
        except BaseException as exc:  # surfaced below
            failures.append(exc)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert failures == []
    assert h.open_runs == 0
    spans = telemetry.spans()
    assert len(spans) == 8 * 50 * 4
    assert all(s.end_time is not None for s in spans)
    roots = [s for s in spans if s.parent is None]
    assert len(roots) == 400
    assert {s.name for s in roots} == {"RunnableSequence"}
    by_trace: dict[int, int] = {}
    for s in spans:
        by_trace[s.context.trace_id] = by_trace.get(s.context.trace_id, 0) + 1
    assert set(by_trace.values()) == {4}


# -- invalid arguments --------------------------------------------------------------------


@pytest.mark.parametrize("value", [0, -1, "x", 1.5, True, None])
def test_invalid_max_open_runs(telemetry: Any, value: Any) -> None:
    """max_open_runs must be a positive integer."""
    with pytest.raises(ValueError, match="max_open_runs"):
        telemetry.handler(max_open_runs=value)


@pytest.mark.parametrize("value", ["redact", 3, {"a": "b"}])
def test_invalid_redact(telemetry: Any, value: Any) -> None:
    """redact must be callable."""
    with pytest.raises(ValueError, match="redact"):
        telemetry.handler(redact=value)


@pytest.mark.parametrize("value", [0, -5, "10", 2.5, False])
def test_invalid_max_content_length(telemetry: Any, value: Any) -> None:
    """max_content_length must be a positive integer."""
    with pytest.raises(ValueError, match="max_content_length"):
        telemetry.handler(max_content_length=value)


def test_valid_arguments_accepted(telemetry: Any) -> None:
    """The smallest valid values construct a working handler."""
    h = telemetry.handler(
        max_open_runs=1, max_content_length=1, redact=str.upper, capture_content=True
    )
    FakeOpenAIChat().invoke("hi", config={"callbacks": [h]})
    assert h.open_runs == 0


def test_no_callback_kind_is_ignored() -> None:
    """Every ``ignore_*`` switch LangChain reads is a plain False on the handler (a class
    attribute, read without a call), including any the base class has added."""
    names = [n for n in dir(BaseCallbackHandler) if n.startswith("ignore_")]
    assert "ignore_chain" in names
    for name in names:
        assert name in vars(OTelCallbackHandler), name
        assert vars(OTelCallbackHandler)[name] is False, name
