"""Usage and cost summed over a run's subtree, for ``invoke_agent`` and LangGraph node spans.

A model call adds its usage to the totals of every agent and node run above it
(``RunTotals.add``); each of those runs puts its totals on its span when it ends.
The names (``langchain.usage.total.*``, ``langchain.cost.total_*``) differ from
the per-call ``gen_ai.usage.*`` ones, so a backend summing ``gen_ai.usage.*``
over all spans still counts each call once.
"""

from __future__ import annotations

import threading
from typing import Any

from otel_langchain import _semconv as sc
from otel_langchain._llm_result import TokenCounts


class RunTotals:
    """Running sums of the model calls under one run (thread-safe: branches run in threads)."""

    __slots__ = (
        "_lock",
        "cache_creation",
        "cache_read",
        "calls",
        "cost",
        "input",
        "output",
        "reasoning",
        "unpriced",
    )

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.calls = 0
        self.unpriced = 0
        self.cost = 0.0
        # None until some call reports the count, so unreported types stay absent.
        self.input: int | None = None
        self.output: int | None = None
        self.cache_read: int | None = None
        self.cache_creation: int | None = None
        self.reasoning: int | None = None

    # The five token types written out, not looped over by name: ``getattr`` / ``setattr``
    # by name cost about 25 bytecodes a type, a model call adds to two or three totals.
    def add(self, usage: TokenCounts, cost: float | None) -> None:
        """Add one finished model call (its usage may be unreported: it still counts)."""
        with self._lock:
            self.calls += 1
            if cost is None:
                self.unpriced += 1
            else:
                self.cost += cost
            if usage.input is not None:
                self.input = (self.input or 0) + usage.input
            if usage.output is not None:
                self.output = (self.output or 0) + usage.output
            if usage.cache_read is not None:
                self.cache_read = (self.cache_read or 0) + usage.cache_read
            if usage.cache_creation is not None:
                self.cache_creation = (self.cache_creation or 0) + usage.cache_creation
            if usage.reasoning is not None:
                self.reasoning = (self.reasoning or 0) + usage.reasoning

    def attributes(self) -> dict[str, Any]:
        """The span attributes; empty when no model call ended under the run."""
        with self._lock:
            if not self.calls:
                return {}
            attrs: dict[str, Any] = {sc.LANGCHAIN_USAGE_TOTAL_CALLS: self.calls}
            if self.input is not None:
                attrs[sc.LANGCHAIN_USAGE_TOTAL_INPUT_TOKENS] = self.input
            if self.output is not None:
                attrs[sc.LANGCHAIN_USAGE_TOTAL_OUTPUT_TOKENS] = self.output
            if self.cache_read is not None:
                attrs[sc.LANGCHAIN_USAGE_TOTAL_CACHE_READ_INPUT_TOKENS] = self.cache_read
            if self.cache_creation is not None:
                attrs[sc.LANGCHAIN_USAGE_TOTAL_CACHE_CREATION_INPUT_TOKENS] = self.cache_creation
            if self.reasoning is not None:
                attrs[sc.LANGCHAIN_USAGE_TOTAL_REASONING_OUTPUT_TOKENS] = self.reasoning
            if self.calls > self.unpriced:
                attrs[sc.LANGCHAIN_COST_TOTAL_USD] = self.cost
            if self.unpriced:
                attrs[sc.LANGCHAIN_COST_TOTAL_UNPRICED_CALLS] = self.unpriced
            return attrs
