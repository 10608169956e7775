"""track_usage(): tokens, cost and calls per block, correct under threads and asyncio."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor

from conftest import Telemetry
from fakes import FakeAnthropicChat, FakeOpenAIChat

from otel_langchain import track_usage
from otel_langchain.pricing import default_table


def test_counts_tokens_cost_and_calls_per_model(telemetry: Telemetry) -> None:
    """Two providers in one block: totals and a per-model breakdown, cost from the table."""
    handler = telemetry.handler()
    with track_usage() as usage:
        FakeOpenAIChat().invoke("a", config={"callbacks": [handler]})
        FakeOpenAIChat().invoke("b", config={"callbacks": [handler]})
        FakeAnthropicChat().invoke("c", config={"callbacks": [handler]})
    assert usage.calls == 3
    assert usage.input_tokens == 36
    assert usage.output_tokens == 21
    assert usage.total_tokens == 57
    assert set(usage.by_model) == {"gpt-4o-mini-2024-07-18", "claude-sonnet-4-5-20250929"}
    assert usage.by_model["gpt-4o-mini-2024-07-18"].calls == 2
    table = default_table()
    expected = 2 * table.lookup("gpt-4o-mini")[1].cost(input_tokens=12, output_tokens=7)  # type: ignore[index]
    expected += table.lookup("claude-sonnet-4-5")[1].cost(input_tokens=12, output_tokens=7)  # type: ignore[index]
    assert abs(usage.cost_usd - expected) < 1e-12
    assert usage.unpriced_calls == 0


def test_works_without_any_handler() -> None:
    """With nothing instrumented, track_usage() still counts the block's model calls."""
    with track_usage() as usage:
        FakeOpenAIChat().invoke("a")
    assert usage.calls == 1
    assert usage.total_tokens == 19
    with track_usage() as later:
        pass
    assert later.calls == 0


def test_nested_blocks_both_count(telemetry: Telemetry) -> None:
    """An inner block counts its calls; the outer block counts them too."""
    handler = telemetry.handler()
    with track_usage() as outer:
        FakeOpenAIChat().invoke("a", config={"callbacks": [handler]})
        with track_usage() as inner:
            FakeOpenAIChat().invoke("b", config={"callbacks": [handler]})
    assert (outer.calls, inner.calls) == (2, 1)


async def test_concurrent_tasks_are_counted_apart(telemetry: Telemetry) -> None:
    """Concurrent asyncio tasks with their own blocks never see each other's calls."""
    handler = telemetry.handler()

    async def task(n: int) -> int:
        with track_usage() as usage:
            for _ in range(n):
                await FakeOpenAIChat().ainvoke("x", config={"callbacks": [handler]})
                await asyncio.sleep(0)
        return usage.calls

    assert await asyncio.gather(*(task(n) for n in range(1, 11))) == list(range(1, 11))


def test_threads_are_counted_apart(telemetry: Telemetry) -> None:
    """Threads with their own blocks count only their own calls; batch threads inherit the block."""
    handler = telemetry.handler()

    def work(n: int) -> int:
        with track_usage() as usage:
            FakeOpenAIChat().batch(["x"] * n, config={"callbacks": [handler]})
        return usage.calls

    with ThreadPoolExecutor(max_workers=8) as pool:
        assert list(pool.map(work, range(1, 9))) == list(range(1, 9))


def test_unpriced_model_is_counted_visibly(telemetry: Telemetry) -> None:
    """A model with no price adds tokens and calls, no cost, and counts as unpriced."""
    with track_usage() as usage:
        FakeOpenAIChat(model_name="in-house-llm", response_model="in-house-llm-v2").invoke(
            "x", config={"callbacks": [telemetry.handler()]}
        )
    assert (usage.calls, usage.unpriced_calls, usage.cost_usd) == (1, 1, 0.0)
