"""The span contexts of recently ended root runs, by run id: for ``record_feedback()`` later."""

from __future__ import annotations

import threading
from uuid import UUID

from opentelemetry.trace import Span, SpanContext

#: Root runs remembered per handler, the most recently ended (about 360 bytes each).
ENDED_RUNS = 10_000


class EndedRuns:
    """Run id -> span context of the ``limit`` most recently ended runs (oldest dropped first).

    A plain dict insert per ended run; the lock only guards dropping the oldest.
    """

    __slots__ = ("_contexts", "_limit", "_lock")

    def __init__(self, limit: int = ENDED_RUNS) -> None:
        self._contexts: dict[UUID, SpanContext] = {}
        self._limit = limit
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._contexts)

    def add(self, run_id: UUID, span: Span) -> None:
        """Remember an ended run's span context."""
        contexts = self._contexts
        contexts[run_id] = span.get_span_context()
        if len(contexts) > self._limit:
            with self._lock:
                while len(contexts) > self._limit:
                    del contexts[next(iter(contexts))]

    def get(self, run_id: UUID) -> SpanContext | None:
        """The span context of a recently ended run, if remembered."""
        return self._contexts.get(run_id)
