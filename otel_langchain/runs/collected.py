"""The open runs of a handler that was garbage collected: contexts revert, spans end.

A run LangChain never ended must not outlive its handler as the current span of a
thread or task (every later trace there would nest under it). The handler's
``weakref.finalize`` calls ``release`` with its registry (never the handler, which
that would keep alive).

Inside the cyclic garbage collector, the code the collector interrupted may hold
any lock, including one that ending a span takes (the span's own, an exporter's):
there only the contexts revert (plain dict work, no locks), and the spans end at
the next run start of any handler (``end_deferred``). When the last reference is
dropped outside the collector, the spans end at once.
"""

from __future__ import annotations

import gc
from collections import deque
from typing import TYPE_CHECKING, Any

from otel_langchain._context import leave_run
from otel_langchain._safety import report
from otel_langchain.runs._base import HANDLER_COLLECTED, Run

if TYPE_CHECKING:
    from otel_langchain.runs.registry import RunRegistry

#: Runs of collected handlers whose spans are still to end.
deferred: deque[Run] = deque()
_collecting = False


def _gc_phase(phase: str, info: dict[str, Any]) -> None:
    global _collecting  # noqa: PLW0603
    _collecting = phase == "start"


gc.callbacks.append(_gc_phase)


def release(runs: RunRegistry) -> None:
    """A handler was garbage collected: end its open runs (never raises)."""
    try:
        runs_taken = runs.take_all()
    except Exception as exc:  # a finalizer's error would only be printed to stderr
        report("handler finalizer", exc)
        return
    if not _collecting:
        runs.end_each(runs_taken, HANDLER_COLLECTED)
        return
    for run in runs_taken:
        deferred.append(run)
        try:
            leave_run(run.ctx, run.previous, run.token)
        except Exception as exc:  # the span still ends later, the other contexts revert
            report("handler finalizer", exc)


def end_deferred() -> None:
    """End the spans ``release`` could not end inside the collector."""
    while True:
        try:
            run = deferred.popleft()
        except IndexError:
            return
        try:
            run.end_by_us(HANDLER_COLLECTED)
        except Exception as exc:  # one failure must not keep the others open
            report("ending a collected handler's run", exc)
