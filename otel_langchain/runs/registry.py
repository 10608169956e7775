"""The run registry: LangChain run id -> its open run, bounded in count and age."""

from __future__ import annotations

import threading
from itertools import pairwise
from time import perf_counter
from typing import Any
from uuid import UUID

from otel_langchain._context import current_context
from otel_langchain._ended import EndedRuns
from otel_langchain._safety import report, warn_once
from otel_langchain.runs import collected
from otel_langchain.runs._base import EVICTED, EXPIRED, PRUNE_CHILDREN_AT, Run


def _chain(head: Run) -> list[Run]:
    """``head`` and the runs it shadows, newest first."""
    members = [head]
    while (older := members[-1].shadowed) is not None:
        members.append(older)
    return members


def _ours(members: list[Run]) -> Run:
    """Of runs sharing an id, the one whose context is current (else the newest).

    A child's start and a run's end callbacks run in a context LangChain copied
    from the run's own, so the current context tells apart two runs given the
    same id (two overlapping ``ainvoke``, or a nested one given its parent's id).
    """
    current = current_context()
    for run in members:
        if run.ctx is current:
            return run
    return members[0]


def _first(runs: dict[Any, Run]) -> Any:
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
    builds), so the common paths take no lock: adding an id not in use, ``get``, and
    a ``pop`` that finds a run no other run shares its id with. The lock serializes
    the paths of several steps among themselves: eviction, expiry, ending all, and
    everything about a reused id (adding it, and a ``pop`` that finds it shared or
    finds nothing while it is being re-registered). Each of them takes a run out
    with one atomic ``pop``, so however the threads interleave, exactly one caller
    ends each run.

    A reused run id (LangChain does not check) orphans nothing: the older run stays
    registered, shadowed by the newer; the id's child and end callbacks go to the
    run whose context is current, else to the newest.

    Keys: a UUID run id is stored by its integer (``UUID.int``), whose hash is the
    same as the UUID's but computed in C: ``UUID.__hash__`` is a Python method,
    called on every lookup (three to four per run). Any other id is its own key. The
    key is computed inline where it is needed (``_ended._key`` does the same for the
    ended runs, off the hot path): a call of it costs what the key saves.
    """

    def __init__(self, max_open: int, max_age: float | None) -> None:
        if max_open < 1:
            raise ValueError(f"max_open_runs must be a positive integer, got {max_open!r}")
        self._runs: dict[Any, Run] = {}  # run id's key (see above) -> run
        self._max_open = max_open
        self._shadowed = 0  # runs registered behind a newer run with the same id
        self._limit = max_open  # on the number of ids: max_open minus the shadowed runs
        self._max_age = max_age
        #: No open run is older than max_age before this time: ``expire`` is a no-op.
        self.next_expiry = float("inf") if max_age is None else perf_counter() + max_age
        self._lock = threading.Lock()
        #: Span contexts of recently ended root runs (for feedback after the run).
        self.ended = EndedRuns()
        #: The runs of collected handlers, waiting to be ended (``collected``; shared).
        self.deferred = collected.deferred

    def __len__(self) -> int:
        return len(self._runs) + self._shadowed

    def get(self, run_id: Any) -> Run | None:
        """The open run with this id, if any (an unhashable id is unknown, not an error)."""
        try:
            run = self._runs.get(run_id.int if isinstance(run_id, UUID) else run_id)
        except TypeError:
            return None
        if run is not None and run.shadowed is not None:
            return _ours(_chain(run))
        return run

    def add(self, run_id: UUID, run: Run) -> None:
        """Register a started run, evicting the oldest open runs past the bound."""
        runs = self._runs
        key = run_id.int
        if runs.setdefault(key, run) is not run:
            with self._lock:
                self._put(key, run)
            warn_once(
                "run_id_reused",
                "otel-langchain: a run started with the run_id of a run still open; "
                "LangChain run ids should be unique (both runs are traced and ended, "
                "but their child runs may be attributed to the wrong one)",
            )
        if len(runs) > self._limit:
            self._evict_oldest()

    def pop(self, run_id: Any) -> Run | None:
        """Remove and return the run (None when unknown or already ended).

        A root run is remembered in ``ended`` (for feedback after it ended); runs
        sharing a reused id are not: feedback by that id would be ambiguous.
        """
        key = run_id.int if isinstance(run_id, UUID) else run_id
        try:
            run = self._runs.pop(key, None)
        except TypeError:
            return None
        if run is not None and run.shadowed is None:
            if run.root:
                self.ended.add(key, run.span)
            return run
        with self._lock:
            if run is None:  # a reused id is being re-registered: look again when done
                run = self._runs.pop(key, None)
                if run is None or run.shadowed is None:
                    return run
            return self._take(key, run)

    def housekeeping(self) -> float:
        """Before a run starts: end the expired runs and a collected handler's; return now.

        So a run that never ended is no longer current or a parent when the next run
        starts.
        """
        now = perf_counter()
        if now >= self.next_expiry:
            self.expire(now)
        if self.deferred:
            collected.end_deferred()
        return now

    def expire(self, now: float) -> None:
        """End the runs open longer than ``max_age`` (call when ``now >= next_expiry``).

        Ids are kept in start order, so only the oldest are looked at. Runs sharing
        an id are ended when the newest of them is that old.
        """
        max_age = self._max_age
        if max_age is None or now < self.next_expiry:
            return
        expired: list[Run] = []
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

    def note_child(self, parent: Run, run_id: UUID) -> None:
        """Remember ``run_id`` (by its key) as a child of ``parent``, dropping ended children.

        Pruned when the list reaches 64, 128, 256, ... entries, so a long-lived run
        with many children, or many open at once, costs amortized O(1) per child.
        """
        children = parent.children
        key = run_id.int
        if children is None:
            parent.children = [key]
            return
        n = len(children)
        if n >= PRUNE_CHILDREN_AT and not n & (n - 1):
            runs = self._runs
            children[:] = [c for c in children if c in runs]
        children.append(key)

    def end_abandoned(self, run: Run, error: BaseException) -> None:
        """End the open descendants of an abandoned run (a stream its consumer closed).

        LangChain never ends some of them: a generator step of an async stream that
        the event loop finalizes is dropped without its end or error callback. Their
        spans end now, marked cancelled like the run itself.
        """
        pending = list(run.children or ())
        while pending:
            child = self.pop(pending.pop())
            if child is not None:
                child.fail(error)
                pending.extend(child.children or ())

    def end_all(self, reason: str) -> None:
        """End every open run, newest first, for ``reason`` (the handler was closed)."""
        self.end_each(self.take_all(), reason)

    def end_each(self, runs: list[Run], reason: str) -> None:
        """End runs already removed, each whatever happens to the others."""
        for run in runs:
            try:
                run.end_by_us(reason)
            except Exception as exc:  # our bug: logged, and the other runs still end
                report(f"ending a run ({reason})", exc)

    def take_all(self) -> list[Run]:
        """Remove and return every open run, newest first."""
        runs: list[Run] = []
        with self._lock:
            while True:
                try:
                    _, head = self._runs.popitem()
                except KeyError:
                    break
                runs.extend(self._unlink(head))
        return runs

    # -- under the lock --------------------------------------------------------------------

    def _evict_oldest(self) -> None:
        evicted: list[Run] = []
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

    def _link(self, members: list[Run]) -> Run:
        """Chain unlinked runs sharing an id, newest first; return the newest."""
        members.sort(key=_started_at, reverse=True)
        for newer, older in pairwise(members):
            newer.shadowed = older
        self._count_shadowed(len(members) - 1)
        return members[0]

    def _unlink(self, head: Run) -> list[Run]:
        """Split the runs of an id just popped (newest first), no longer counted as shadowed."""
        if head.shadowed is None:
            return [head]
        members = _chain(head)
        for run in members:
            run.shadowed = None
        self._count_shadowed(1 - len(members))
        return members

    def _drop_oldest(self, head: Run) -> Run:
        """Remove and return the oldest of the runs ``head`` shadows (it stays registered)."""
        members = _chain(head)
        members[-2].shadowed = None
        self._count_shadowed(-1)
        return members[-1]

    def _put(self, key: Any, head: Run) -> None:
        """Register a run (with those it shadows) under an id's key that may be in use."""
        runs = self._runs
        while runs.setdefault(key, head) is not head:
            current = runs.pop(key, None)
            if current is not None:  # else it ended meanwhile: try again
                head = self._link(self._unlink(head) + self._unlink(current))

    def _take(self, key: Any, head: Run) -> Run:
        """Of the runs sharing an id's ``key`` (``head`` just popped), the one ending now."""
        members = self._unlink(head)
        run = _ours(members)
        members.remove(run)
        if members:
            self._put(key, self._link(members))
        return run


def _started_at(run: Run) -> float:
    return run.started_at
