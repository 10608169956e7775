"""Skipped runs (``skip=``): no span of their own; the nearest kept ancestor's span stands in.

Which chain, prompt and parser runs are skipped is ``_skip``'s business; here is
what a skipped run does. It is registered like any run, so its child runs find
it as their parent: their spans start under the kept ancestor's span, which the
skipped run makes current for the code inside it (restoring the caller's
context when it ends). Custom events and retries go on that span; a retry noted
when a child starts, and a LangGraph node starting under it, are the kept
ancestor's business. It records nothing else: no attributes, no
``langchain.run.duration``; when it fails, the error reaches its kept ancestor
the way it reaches any parent run (through that run's own error callback). It
still decides content capture for the runs beneath it, and passes on its
parent's link owner and usage rollup (``_links``, ``_rollup``); a LangGraph node
whose graph run is skipped gets no ``fan_in`` links (its graph's steps are
unknown).

A run with no traced parent is never skipped: every trace keeps its root.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from uuid import UUID

from otel_langchain import _attributes as attributes
from otel_langchain._context import current_context, enter_run, leave_run
from otel_langchain._skip import SkipRules
from otel_langchain.runs._base import Run, Tracing, child_tags
from otel_langchain.runs.chain import ChainRun

#: What ``on_chain_start`` calls with a blank run (``new_run(ChainRun)``) and the hook's
#: arguments: ``ChainRun.__init__`` itself, or the skip rules in front of it.
ChainStart = Callable[..., None]


def chain_start(rules: SkipRules | None) -> ChainStart:
    """How the handler starts chain runs: without rules, exactly as if ``skip`` did not exist.

    The blank ``run`` it is given is started, or left unused when the run is skipped.
    """
    if rules is None:
        return ChainRun.__init__

    def start(
        run: ChainRun,
        tracing: Tracing,
        run_id: UUID,
        parent_run_id: UUID | None,
        *,
        serialized: dict[str, Any] | None,
        inputs: Any,
        tags: list[str] | None,
        metadata: dict[str, Any] | None,
        name: str | None,
        run_type: str | None,
    ) -> None:
        if parent_run_id is not None:
            kind = run_type or "chain"
            named = attributes.run_name(serialized, name, kind)
            if rules.matches(kind, named, tags, metadata):
                runs = tracing.runs
                started_at = runs.housekeeping()
                parent = runs.get(parent_run_id)
                if parent is not None:
                    SkippedRun(
                        tracing,
                        run_id,
                        parent,
                        run_type=kind,
                        name=named,
                        tags=tags,
                        metadata=metadata,
                        started_at=started_at,
                    )
                    return
        ChainRun.__init__(
            run,
            tracing,
            run_id,
            parent_run_id,
            serialized=serialized,
            inputs=inputs,
            tags=tags,
            metadata=metadata,
            name=name,
            run_type=run_type,
        )

    return start


class SkippedRun(Run):
    """A chain, prompt or parser run that gets no span (see the module docstring)."""

    __slots__ = ("kept",)

    def __init__(
        self,
        tracing: Tracing,
        run_id: UUID,
        parent: Run,
        *,
        run_type: str,
        name: str,
        tags: list[str] | None,
        metadata: dict[str, Any] | None,
        started_at: float,
    ) -> None:
        """Register the run under ``parent``; the kept ancestor's span is current inside it."""
        runs = tracing.runs
        self.tracing = tracing
        self.run_type = run_type
        self.name = name
        self.started_at = started_at
        self.children: list[int] | None = None
        self.shadowed: Run | None = None
        self.root = False
        #: The nearest ancestor that has a span of its own.
        self.kept: Run = parent.kept if isinstance(parent, SkippedRun) else parent
        self.capture = tracing.capture.scope(parent.capture, tags, metadata)
        # Links and usage rollups see through it: its children share its parent's.
        self.owner = parent.owner
        self.rollup = parent.rollup
        self.tool_calls = None
        runs.note_child(parent, run_id)
        if tags:
            child_tags(parent, tags)
        if metadata and isinstance(metadata.get("langgraph_node"), str):
            parent.node_run_started()
        self.span = self.kept.span
        current = current_context()
        self.previous = current
        self.ctx, self.token = enter_run(self.span, current)
        runs.add(run_id, self)

    def node_run_started(self) -> None:
        """A LangGraph node run starts beneath: the kept ancestor's business."""
        self.kept.node_run_started()

    def finish(self, outputs: Any) -> None:
        """Ended: the caller's context is current again."""
        self.release()

    def fail(self, error: BaseException) -> None:
        """Failed: the error is the kept ancestor's to record (it fails too, or handles it)."""
        self.release()

    def end_by_us(self, reason: str) -> None:
        """Ended by us (evicted, expired, handler closed): the kept span is not ours to end."""
        self.release()

    def release(self) -> None:
        """Revert the run's context; the span is the kept ancestor's and stays open."""
        leave_run(self.ctx, self.previous, self.token)
