"""``track_usage()``: tokens, cost and calls of the model runs traced inside a block.

The vendor-neutral successor of ``get_openai_callback``. The active trackers
live in a ``ContextVar``, so concurrent asyncio tasks and LangChain's thread
pools (which copy the context) each count their own work; a model run counts
towards the trackers active when it *started*.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field

_active: ContextVar[tuple[Usage, ...]] = ContextVar("otel_langchain_usage", default=())


@dataclass
class ModelUsage:
    """Totals for one model."""

    input_tokens: int = 0
    output_tokens: int = 0
    cache_read_tokens: int = 0
    cost_usd: float = 0.0
    calls: int = 0
    unpriced_calls: int = 0

    @property
    def total_tokens(self) -> int:
        """Input plus output tokens."""
        return self.input_tokens + self.output_tokens

    def _add(
        self, input_tokens: int, output_tokens: int, cache_read: int, cost: float | None
    ) -> None:
        self.input_tokens += input_tokens
        self.output_tokens += output_tokens
        self.cache_read_tokens += cache_read
        self.calls += 1
        if cost is None:
            self.unpriced_calls += 1
        else:
            self.cost_usd += cost


@dataclass
class Usage(ModelUsage):
    """Live totals for a ``track_usage()`` block, with a per-model breakdown."""

    by_model: dict[str, ModelUsage] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def record(
        self,
        model: str,
        *,
        input_tokens: int,
        output_tokens: int,
        cache_read: int = 0,
        cost: float | None,
    ) -> None:
        """Add one model call (thread-safe)."""
        with self._lock:
            self._add(input_tokens, output_tokens, cache_read, cost)
            per_model = self.by_model.get(model)
            if per_model is None:
                per_model = self.by_model[model] = ModelUsage()
            per_model._add(input_tokens, output_tokens, cache_read, cost)

    def __str__(self) -> str:
        return (
            f"Tokens Used: {self.total_tokens}\n"
            f"\tInput Tokens: {self.input_tokens}\n"
            f"\tOutput Tokens: {self.output_tokens}\n"
            f"Successful Requests: {self.calls}\n"
            f"Total Cost (USD): ${self.cost_usd:.6f}"
        )


@contextmanager
def track_usage() -> Iterator[Usage]:
    """Count tokens, cost and calls of every model run traced inside the block.

    Works with any provider. If no handler is installed (neither ``instrument()``
    nor a handler in the run's callbacks), one is added for the block's runs.

    Example:
        >>> with track_usage() as usage:
        ...     chain.invoke({"question": "..."})  # doctest: +SKIP
        >>> usage.total_tokens, usage.cost_usd  # doctest: +SKIP
    """
    from otel_langchain.instrumentation import _ensure_hook

    _ensure_hook()
    usage = Usage()
    token = _active.set((*_active.get(), usage))
    try:
        yield usage
    finally:
        _active.reset(token)


def active_trackers() -> tuple[Usage, ...]:
    """The trackers of the current context (innermost last)."""
    return _active.get()
