"""The run registry: LangChain run id -> the state of its open run, bounded in count and age."""

from __future__ import annotations

import threading
from collections.abc import Callable
from itertools import pairwise
from time import perf_counter
from typing import Any
from uuid import UUID

from opentelemetry import context as context_api
from opentelemetry.context import Context
from opentelemetry.trace import Span

from otel_langchain._context import RunContext
from otel_langchain._ended import EndedRuns
from otel_langchain._safety import report, warn_once

# Why a run was ended by us rather than by LangChain: the ``error.type`` of its span.
EVICTED = "evicted"  # more than max_open_runs runs open
EXPIRED = "expired"  # open for longer than max_run_age
HANDLER_CLOSED = "handler_closed"  # OTelCallbackHandler.close() (also uninstrument())
HANDLER_COLLECTED = "handler_collected"  # the handler was garbage collected


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
        "root",
        "run_type",
        "shadowed",
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
        # No parent run of ours: its span context is remembered when it ends (feedback).
        self.root = False
        # A chain run outside any LangGraph node: a graph root if a node run starts under it.
        self.maybe_graph = False
        # Ids of child runs (pruned to the open ones as it grows): ended with the run
        # when it is abandoned (see OTelCallbackHandler.on_chain_error).
        self.children: list[UUID] | None = None
        # An older open run with the same run id (a reused id), newest first.
        self.shadowed: RunState | None = None


_PRUNE_CHILDREN_AT = 64


def _chain(head: RunState) -> list[RunState]:
    """``head`` and the runs it shadows, newest first."""
    members = [head]
    while (older := members[-1].shadowed) is not None:
        members.append(older)
    return members


def _ours(members: list[RunState]) -> RunState:
    """Of runs sharing an id, the one whose context is current (else the newest).

    A child's start and a run's end callbacks run in a context LangChain copied
    from the run's own, so the current context tells apart two runs given the
    same id (two overlapping ``ainvoke``, or a nested one given its parent's id).
    """
    current = context_api.get_current()
    for state in members:
        if state.ctx is current:
            return state
    return members[0]


def _first(runs: dict[UUID, RunState]) -> UUID | None:
    """The oldest id, looked up again if another thread changes the dict meanwhile."""
    while True:
        try:
            return next(iter(runs), None)
        except RuntimeError:  # "dictionary changed size during iteration"
            continue


class RunRegistry:
    """Open runs by id, oldest first, bounded in number (``max_open``) and age (``max_age``).

    Concurrency: the hooks of one handler run in many threads at once. Each dict
    operation is atomic on its own (under the GIL, and per object on free-threaded
    builds), so the hot paths (adding a new id, get, pop) take no lock. The lock
    serializes the paths of several steps among themselves (eviction, expiry, reused
    ids, ending all, and a pop that missed); each takes a run out with one atomic
    ``pop``, so however the threads interleave, exactly one caller ends each run.

    A reused run id (LangChain does not check) orphans nothing: the older run stays
    registered, shadowed by the newer; the id's child and end callbacks go to the
    run whose context is current, else to the newest.
    """

    def __init__(
        self, max_open: int, max_age: float | None, on_end: Callable[[RunState, str], None]
    ) -> None:
        if max_open < 1:
            raise ValueError(f"max_open_runs must be a positive integer, got {max_open!r}")
        self._runs: dict[UUID, RunState] = {}
        self._max_open = max_open
        self._shadowed = 0  # runs registered behind a newer run with the same id
        self._limit = max_open  # on the number of ids: max_open minus the shadowed runs
        self._max_age = max_age
        #: No open run is older than max_age before this time: ``expire`` is a no-op.
        self.next_expiry = float("inf") if max_age is None else perf_counter() + max_age
        #: Ends a run we drop, given the reason (the handler's ``Finisher.evict``).
        self.on_end = on_end
        self._lock = threading.Lock()
        #: Span contexts of recently ended root runs (for feedback after the run).
        self.ended = EndedRuns()

    def __len__(self) -> int:
        return len(self._runs) + self._shadowed

    def get(self, run_id: Any) -> RunState | None:
        """The open run with this id, if any (an unhashable id is unknown, not an error)."""
        try:
            state = self._runs.get(run_id)
        except TypeError:
            return None
        if state is not None and state.shadowed is not None:
            return _ours(_chain(state))
        return state

    def add(self, run_id: UUID, state: RunState) -> None:
        """Register a started run, evicting the oldest open runs past the bound."""
        runs = self._runs
        if runs.setdefault(run_id, state) is not state:
            with self._lock:
                self._put(run_id, state)
            warn_once(
                "run_id_reused",
                "otel-langchain: a run started with the run_id of a run still open; "
                "LangChain run ids should be unique (both runs are traced and ended, "
                "but their child runs may be attributed to the wrong one)",
            )
        if len(runs) > self._limit:
            self._evict_oldest()

    def pop(self, run_id: Any) -> RunState | None:
        """Remove and return the run (None when unknown or already ended).

        A root run is remembered in ``ended`` (for feedback after it ended); runs
        sharing a reused id are not: feedback by that id would be ambiguous.
        """
        try:
            state = self._runs.pop(run_id, None)
        except TypeError:
            return None
        if state is not None and state.shadowed is None:
            if state.root:
                self.ended.add(run_id, state.span)
            return state
        with self._lock:
            if state is None:  # a reused id is being re-registered: look again when done
                state = self._runs.pop(run_id, None)
                if state is None or state.shadowed is None:
                    return state
            return self._take(run_id, state)

    def expire(self, now: float) -> None:
        """End the runs open longer than ``max_age`` (call when ``now >= next_expiry``).

        Ids are kept in start order, so only the oldest are looked at. Runs sharing
        an id are ended when the newest of them is that old.
        """
        max_age = self._max_age
        if max_age is None or now < self.next_expiry:
            return
        expired: list[RunState] = []
        with self._lock:
            runs = self._runs
            while (run_id := _first(runs)) is not None:
                head = runs.get(run_id)
                if head is not None and now - head.started_at < max_age:
                    self.next_expiry = head.started_at + max_age
                    break
                head = runs.pop(run_id, None)
                if head is not None:
                    expired.extend(self._unlink(head))
            else:
                self.next_expiry = now + max_age
        self.end_each(expired, EXPIRED)

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

    def end_all(self, reason: str) -> None:
        """End every open run, newest first, for ``reason`` (the handler was closed)."""
        self.end_each(self.take_all(), reason)

    def end_each(self, states: list[RunState], reason: str) -> None:
        """End runs already removed, each whatever happens to the others."""
        for state in states:
            try:
                self.on_end(state, reason)
            except Exception as exc:  # our bug: logged, and the other runs still end
                report(f"ending a run ({reason})", exc)

    def take_all(self) -> list[RunState]:
        """Remove and return every open run, newest first."""
        states: list[RunState] = []
        with self._lock:
            while True:
                try:
                    _, head = self._runs.popitem()
                except KeyError:
                    break
                states.extend(self._unlink(head))
        return states

    # -- under the lock --------------------------------------------------------------------

    def _evict_oldest(self) -> None:
        evicted: list[RunState] = []
        with self._lock:
            runs = self._runs
            while len(runs) > self._limit and (run_id := _first(runs)) is not None:
                head = runs.get(run_id)
                if head is not None and head.shadowed is not None:
                    evicted.append(self._drop_oldest(head))
                elif (head := runs.pop(run_id, None)) is not None:
                    evicted.append(head)
        self.end_each(evicted, EVICTED)

    def _count_shadowed(self, delta: int) -> None:
        self._shadowed += delta
        self._limit = self._max_open - self._shadowed

    def _link(self, members: list[RunState]) -> RunState:
        """Chain unlinked runs sharing an id, newest first; return the newest."""
        members.sort(key=_started_at, reverse=True)
        for newer, older in pairwise(members):
            newer.shadowed = older
        self._count_shadowed(len(members) - 1)
        return members[0]

    def _unlink(self, head: RunState) -> list[RunState]:
        """Split the runs of an id just popped (newest first), no longer counted as shadowed."""
        if head.shadowed is None:
            return [head]
        members = _chain(head)
        for state in members:
            state.shadowed = None
        self._count_shadowed(1 - len(members))
        return members

    def _drop_oldest(self, head: RunState) -> RunState:
        """Remove and return the oldest of the runs ``head`` shadows (it stays registered)."""
        members = _chain(head)
        members[-2].shadowed = None
        self._count_shadowed(-1)
        return members[-1]

    def _put(self, run_id: UUID, head: RunState) -> None:
        """Register a run (with those it shadows) under an id that may be in use."""
        runs = self._runs
        while runs.setdefault(run_id, head) is not head:
            current = runs.pop(run_id, None)
            if current is not None:  # else it ended meanwhile: try again
                head = self._link(self._unlink(head) + self._unlink(current))

    def _take(self, run_id: UUID, head: RunState) -> RunState:
        """Of the runs sharing ``run_id`` (``head`` just popped), the one ending now."""
        members = self._unlink(head)
        state = _ours(members)
        members.remove(state)
        if members:
            self._put(run_id, self._link(members))
        return state


def _started_at(state: RunState) -> float:
    return state.started_at
