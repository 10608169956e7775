"""Spend guards: track_usage(budget_usd=, max_tokens=, on_exceed=) before each model call."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from conftest import Telemetry
from langchain_core.prompts import ChatPromptTemplate
from langchain_openai import ChatOpenAI
from opentelemetry import trace
from opentelemetry.trace import StatusCode

from otel_langchain import BudgetExceeded, track_usage
from otel_langchain import _semconv as sc

from .scripted_api import INPUT_TOKENS, OUTPUT_TOKENS, ScriptedAPI

CALL_TOKENS = INPUT_TOKENS + OUTPUT_TOKENS


@pytest.fixture
def api() -> Iterator[ScriptedAPI]:
    """A local OpenAI-compatible API that counts the requests it receives."""
    with ScriptedAPI() as server:
        yield server


def _openai(api: ScriptedAPI, **kwargs: Any) -> ChatOpenAI:
    return ChatOpenAI(
        model="gpt-4o-mini", base_url=api.openai_url, api_key="sk-test-local", **kwargs
    )


def _chain(model: Any) -> Any:
    return ChatPromptTemplate.from_messages([("user", "{q}")]) | model


def _budget_events(span: Any) -> list[dict[str, Any]]:
    return [dict(e.attributes) for e in span.events if e.name == sc.EVENT_BUDGET_EXCEEDED]


def test_raise_refuses_the_call_before_the_request_is_sent(
    telemetry: Telemetry, api: ScriptedAPI
) -> None:
    """on_exceed='raise': the call after the budget is reached raises and sends nothing."""
    handler = telemetry.handler()
    chain = _chain(_openai(api))
    config = {"callbacks": [handler]}
    with track_usage(max_tokens=CALL_TOKENS, on_exceed="raise") as usage:
        chain.invoke({"q": "first"}, config=config)
        with pytest.raises(BudgetExceeded) as caught:
            chain.invoke({"q": "second"}, config=config)
    assert len(api.requests) == 1
    exc = caught.value
    assert (exc.limit, exc.max_tokens, exc.spent_tokens) == ("max_tokens", CALL_TOKENS, CALL_TOKENS)
    assert exc.usage is usage
    assert "max_tokens=16" in str(exc)
    assert (usage.calls, usage.calls_over_budget, usage.exceeded) == (1, 1, True)
    assert handler.open_runs == 0
    refused, sent = sorted(
        (s for s in telemetry.spans() if s.name == "chat gpt-4o-mini"),
        key=lambda s: s.start_time or 0,
        reverse=True,
    )
    assert refused.status.status_code is StatusCode.ERROR
    assert refused.attributes[sc.ERROR_TYPE] == "BudgetExceeded"
    assert _budget_events(refused) == [
        {
            sc.LANGCHAIN_BUDGET_LIMIT: "max_tokens",
            sc.LANGCHAIN_BUDGET_ACTION: "raise",
            sc.LANGCHAIN_BUDGET_MAX_TOKENS: CALL_TOKENS,
            sc.LANGCHAIN_BUDGET_SPENT_TOKENS: CALL_TOKENS,
            sc.LANGCHAIN_BUDGET_SPENT_USD: pytest.approx(usage.cost_usd),
            sc.LANGCHAIN_BUDGET_UNPRICED_CALLS: 0,
        }
    ]
    assert sc.GEN_AI_USAGE_INPUT_TOKENS not in refused.attributes
    assert not _budget_events(sent)
    roots = [s for s in telemetry.spans() if s.name == "RunnableSequence"]
    assert sorted(r.status.status_code.name for r in roots) == ["ERROR", "UNSET"]


def test_refused_call_restores_the_callers_span(telemetry: Telemetry, api: ScriptedAPI) -> None:
    """After a refusal the caller's own span is current again and no run is left open."""
    handler = telemetry.handler()
    tracer = telemetry.tracer_provider.get_tracer("app")
    model = _openai(api)
    with tracer.start_as_current_span("request") as request:
        with track_usage(max_tokens=0, on_exceed="raise"), pytest.raises(BudgetExceeded):
            model.invoke("hi", config={"callbacks": [handler]})
        assert trace.get_current_span() is request
    assert not api.requests
    assert handler.open_runs == 0
    assert telemetry.tree() == {"request": None, "chat gpt-4o-mini": "request"}


async def test_raise_in_async_code_and_async_with(telemetry: Telemetry, api: ScriptedAPI) -> None:
    """ainvoke is refused the same way, inside an ``async with track_usage()`` block."""
    handler = telemetry.handler()
    chain = _chain(_openai(api))
    async with track_usage(max_tokens=1, on_exceed="raise") as usage:
        await chain.ainvoke({"q": "a"}, config={"callbacks": [handler]})
        with pytest.raises(BudgetExceeded):
            await chain.ainvoke({"q": "b"}, config={"callbacks": [handler]})
    assert (len(api.requests), usage.calls, handler.open_runs) == (1, 1, 0)


def test_refused_stream_raises_on_first_chunk(telemetry: Telemetry, api: ScriptedAPI) -> None:
    """A stream over budget raises when iterated, before any request; its span has ended."""
    handler = telemetry.handler()
    model = _openai(api)
    with track_usage(max_tokens=0, on_exceed="raise"), pytest.raises(BudgetExceeded):
        for _ in model.stream("hi", config={"callbacks": [handler]}):
            pass
    assert not api.requests
    assert handler.open_runs == 0
    assert telemetry.span("chat gpt-4o-mini").status.status_code is StatusCode.ERROR
