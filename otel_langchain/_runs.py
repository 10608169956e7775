"""The run registry: LangChain run id -> the state of its open span, bounded."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any
from uuid import UUID

from opentelemetry.context import Context
from opentelemetry.trace import Span

from otel_langchain._context import RunContext


class RunState:
    """What we keep about one open run between its start and end callbacks."""

    __slots__ = (
        "children",
        "ctx",
        "first_chunk_at",
        "maybe_graph",
        "metric_attrs",
        "model",
        "name",
        "operation",
        "previous",
        "provider",
        "run_type",
        "span",
        "started_at",
        "token",
        "trackers",
    )

    def __init__(
        self,
        span: Span,
        ctx: RunContext,
        token: object,
        previous: Context,
        run_type: str,
        name: str,
        started_at: float,
    ) -> None:
        self.span = span
        self.ctx = ctx
        self.token = token
        self.previous = previous
        self.run_type = run_type
        self.name = name
        self.started_at = started_at
        # Set only for model runs.
        self.operation: str | None = None
        self.provider: str | None = None
        self.model: str | None = None
        self.metric_attrs: dict[str, Any] | None = None
        self.first_chunk_at: float | None = None
        self.trackers: tuple[Any, ...] = ()
        # A chain run outside any LangGraph node: a graph root if a node run starts under it.
        self.maybe_graph = False
        # Ids of child runs (pruned to the open ones as it grows): ended with the run
        # when it is abandoned (see OTelCallbackHandler.on_chain_error).
        self.children: list[UUID] | None = None


_PRUNE_CHILDREN_AT = 64


class RunRegistry:
    """Open runs by id, oldest first; adding past ``max_open`` evicts the oldest.

    Plain dict reads and writes are atomic under the GIL; the lock only guards
    the insert-then-evict sequence so two threads never evict the same run.
    """

    def __init__(self, max_open: int, on_evict: Callable[[RunState], None]) -> None:
        if max_open < 1:
            raise ValueError(f"max_open_runs must be a positive integer, got {max_open!r}")
        self._runs: dict[UUID, RunState] = {}
        self._max_open = max_open
        self._on_evict = on_evict
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._runs)

    def get(self, run_id: UUID | None) -> RunState | None:
        """The open run with this id, if any."""
        if run_id is None:
            return None
        return self._runs.get(run_id)

    def add(self, run_id: UUID, state: RunState) -> None:
        """Register a started run, evicting the oldest open runs past the bound."""
        runs = self._runs
        runs[run_id] = state
        if len(runs) <= self._max_open:
            return
        evicted: list[RunState] = []
        with self._lock:
            while len(runs) > self._max_open:
                evicted.append(runs.pop(next(iter(runs))))
        for old in evicted:
            self._on_evict(old)

    def note_child(self, parent: RunState, run_id: UUID) -> None:
        """Remember ``run_id`` as a child of ``parent``, dropping ended children as it grows.

        Pruned when the list reaches 64, 128, 256, ... entries, so a long-lived run
        with many children, or many open at once, costs amortized O(1) per child.
        """
        children = parent.children
        if children is None:
            parent.children = [run_id]
            return
        n = len(children)
        if n >= _PRUNE_CHILDREN_AT and not n & (n - 1):
            runs = self._runs
            children[:] = [c for c in children if c in runs]
        children.append(run_id)

    def pop(self, run_id: UUID) -> RunState | None:
        """Remove and return the run (None when unknown or already ended)."""
        return self._runs.pop(run_id, None)

    def drain(self) -> list[RunState]:
        """Remove and return every open run (used at shutdown)."""
        with self._lock:
            states = list(self._runs.values())
            self._runs.clear()
        return states
