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

_TOKEN_ATTRS = (
    ("input", sc.LANGCHAIN_USAGE_TOTAL_INPUT_TOKENS),
    ("output", sc.LANGCHAIN_USAGE_TOTAL_OUTPUT_TOKENS),
    ("cache_read", sc.LANGCHAIN_USAGE_TOTAL_CACHE_READ_INPUT_TOKENS),
    ("cache_creation", sc.LANGCHAIN_USAGE_TOTAL_CACHE_CREATION_INPUT_TOKENS),
    ("reasoning", sc.LANGCHAIN_USAGE_TOTAL_REASONING_OUTPUT_TOKENS),
)


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

    def add(self, usage: TokenCounts, cost: float | None) -> None:
        """Add one finished model call (its usage may be unreported: it still counts)."""
        with self._lock:
            self.calls += 1
            if cost is None:
                self.unpriced += 1
            else:
                self.cost += cost
            for name, _ in _TOKEN_ATTRS:
                value = getattr(usage, name)
                if value is not None:
                    setattr(self, name, (getattr(self, name) or 0) + value)

    def attributes(self) -> dict[str, Any]:
        """The span attributes; empty when no model call ended under the run."""
        with self._lock:
            if not self.calls:
                return {}
            attrs: dict[str, Any] = {sc.LANGCHAIN_USAGE_TOTAL_CALLS: self.calls}
            for name, attr in _TOKEN_ATTRS:
                value = getattr(self, name)
                if value is not None:
                    attrs[attr] = value
            if self.calls > self.unpriced:
                attrs[sc.LANGCHAIN_COST_TOTAL_USD] = self.cost
            if self.unpriced:
                attrs[sc.LANGCHAIN_COST_TOTAL_UNPRICED_CALLS] = self.unpriced
            return attrs
