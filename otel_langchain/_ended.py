"""The span contexts of recently ended root runs, by run id: for ``record_feedback()`` later."""

from __future__ import annotations

import threading
from typing import Any
from uuid import UUID

from opentelemetry.trace import Span, SpanContext, TraceFlags

#: Root runs remembered per handler, the most recently ended (about 170 bytes each).
ENDED_RUNS = 10_000


def _key(run_id: Any) -> Any:
    return run_id.int if isinstance(run_id, UUID) else run_id


class EndedRuns:
    """Run id -> span context of the ``limit`` most recently ended runs (oldest dropped first).

    Stored compactly (the id's integer -> trace id, span id and sampled flag in one
    integer), so that neither the run id object nor the span context outlives the
    run. A plain dict insert per ended run; the lock only guards dropping the oldest.
    """

    __slots__ = ("_contexts", "_limit", "_lock")

    def __init__(self, limit: int = ENDED_RUNS) -> None:
        self._contexts: dict[Any, int] = {}
        self._limit = limit
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._contexts)

    def add(self, run_id: Any, span: Span) -> None:
        """Remember an ended run's span context."""
        ctx = span.get_span_context()
        contexts = self._contexts
        contexts[_key(run_id)] = (ctx.trace_id << 65) | (ctx.span_id << 1) | ctx.trace_flags & 1
        if len(contexts) > self._limit:
            with self._lock:
                while len(contexts) > self._limit:
                    del contexts[next(iter(contexts))]

    def get(self, run_id: Any) -> SpanContext | None:
        """The span context of a recently ended run, if remembered."""
        packed = self._contexts.get(_key(run_id))
        if packed is None:
            return None
        return SpanContext(
            trace_id=packed >> 65,
            span_id=(packed >> 1) & 0xFFFFFFFFFFFFFFFF,
            is_remote=False,
            trace_flags=TraceFlags(packed & 1),
        )
