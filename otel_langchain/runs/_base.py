"""What every run kind shares: a span started under its parent, current inside the run, ended once.

A run object is made by its start callback (``ChainRun(...)``, ``ModelRun(...)``,
...; the handler spells it ``ModelRun.__init__(new_run(ModelRun), ...)``, see
``new_run``), which starts its span, makes it current and registers the run; its end
callback calls ``finish``, its error callback ``fail``; a run LangChain never
ends is ended by us with ``end_by_us`` (evicted, expired, handler closed or
collected). Each ends its span exactly once, its context reverted first.
"""

from __future__ import annotations

from asyncio import CancelledError
from time import perf_counter
from typing import TYPE_CHECKING, Any, Protocol, TypeVar
from uuid import UUID

from opentelemetry.context import Context
from opentelemetry.trace import Link, Span, SpanKind, Tracer

from otel_langchain import _record as record
from otel_langchain import _semconv as sc
from otel_langchain._capture import METADATA_KEY as CAPTURE_KEY
from otel_langchain._capture import Capture, Scope
from otel_langchain._content import ContentPolicy, safe_str
from otel_langchain._context import RunContext, current_context, enter_run, leave_run
from otel_langchain._events import event_attributes, exception_attributes, retry_attributes
from otel_langchain._links import Interrupts

if TYPE_CHECKING:
    from otel_langchain._dedupe import ProviderSpanWatch
    from otel_langchain._links import ToolCalls
    from otel_langchain._metrics import Instruments
    from otel_langchain._rollup import RunTotals
    from otel_langchain.pricing import PriceTable
    from otel_langchain.runs.registry import RunRegistry

# Why a run was ended by us rather than by LangChain: the ``error.type`` of its span,
# and its status message.
EVICTED = "evicted"
EXPIRED = "expired"
HANDLER_CLOSED = "handler_closed"  # OTelCallbackHandler.close(), also by uninstrument()
HANDLER_COLLECTED = "handler_collected"
END_REASONS = {
    EVICTED: "run evicted: the oldest open run when max_open_runs was exceeded",
    EXPIRED: "run expired: still open after max_run_age",
    HANDLER_CLOSED: "run ended: still open when its handler was closed",
    HANDLER_COLLECTED: "run ended: still open when its handler was garbage collected",
}

# LangGraph steers graphs with exceptions (interrupts, Command(graph=PARENT));
# they bubble through runs but are not failures.
_CONTROL_FLOW = frozenset({"GraphBubbleUp", "GraphInterrupt", "NodeInterrupt", "ParentCommand"})
_CANCELLED = (GeneratorExit, CancelledError)
_RETRY_TAG = "retry:attempt:"
#: A run's list of child keys is pruned to the open ones from this length on (``registry``).
PRUNE_CHILDREN_AT = 64

_R = TypeVar("_R", bound="Run")


class _NewRun(Protocol):
    def __call__(self, cls: type[_R], /) -> _R: ...


#: ``new_run(ModelRun)``: a blank run object, which its ``__init__`` then starts. The
#: handler's start hooks make their runs as ``ModelRun.__init__(new_run(ModelRun), ...)``,
#: what ``ModelRun(...)`` does: calling a class with keyword arguments packs them into a
#: dict for ``__init__`` and unpacks them again (CPython 3.11: 2.4 k instructions a run).
new_run: _NewRun = object.__new__


def is_cancellation(error: BaseException) -> bool:
    """A stream closed by its consumer or a cancelled task: the run was abandoned."""
    return isinstance(error, _CANCELLED)


def is_one_of(error: BaseException, class_names: frozenset[str]) -> bool:
    """``error``'s class or a base of it has one of these names (LangGraph's, not imported)."""
    return any(cls.__name__ in class_names for cls in type(error).__mro__)


def child_tags(parent: Run, tags: list[str]) -> None:
    """A child run's tags: ``RunnableRetry`` tags its attempts ``retry:attempt:N`` (N > 1 a retry).

    A retry is a ``retry`` event on the parent run. Called only for a child with
    tags; most carry one or two bookkeeping tags and no retry tag.
    """
    for tag in tags:
        if type(tag) is str and tag.startswith(_RETRY_TAG):
            retry_tag(parent, tag)
            return


def retry_tag(parent: Run, tag: str) -> None:
    """A child's ``retry:attempt:N`` tag: a ``retry`` event on the parent when N > 1."""
    attempt = tag[len(_RETRY_TAG) :]
    if attempt.isdigit() and int(attempt) > 1:
        attrs = {sc.RETRY_ATTEMPT: int(attempt) - 1}
        record.add_event(parent.span, sc.EVENT_RETRY, attrs)


class Tracing:
    """What the runs of one handler record through; the handler sets it up once."""

    __slots__ = (
        "all_durations",
        "capture",
        "content",
        "dedupe",
        "dedupe_pending",
        "interrupts",
        "metrics",
        "prices",
        "runs",
        "tracer",
        "user_ids",
    )

    def __init__(
        self,
        *,
        tracer: Tracer,
        metrics: Instruments,
        prices: PriceTable,
        content: ContentPolicy,
        runs: RunRegistry,
        user_ids: bool,
        all_durations: bool,
    ) -> None:
        self.tracer = tracer
        self.metrics = metrics
        self.prices = prices
        self.content = content
        #: Which runs capture content (``_capture``): the handler's default, per-run settings.
        self.capture = Capture(content.enabled)
        self.runs = runs
        #: Record ``user_id`` metadata as ``user.id`` (``capture_user_id``).
        self.user_ids = user_ids
        #: ``langchain.run.duration`` for every run (``run_duration="all"``).
        self.all_durations = all_durations
        #: Other instrumentations' GenAI spans under ours are watched for (``_dedupe``).
        self.dedupe: ProviderSpanWatch | None = None
        #: Deduplication is on but its span processor waits for a global provider.
        self.dedupe_pending = False
        #: The graph runs that ended in an interrupt, by thread (``resume`` links).
        self.interrupts = Interrupts()


class Run:
    """One open LangChain run: its span, the context it made current, and how it ends."""

    __slots__ = (
        "capture",
        "children",
        "ctx",
        "name",
        "owner",
        "previous",
        "rollup",
        "root",
        "run_type",
        "shadowed",
        "span",
        "started_at",
        "token",
        "tool_calls",
        "tracing",
    )

    def __init__(
        self,
        tracing: Tracing,
        run_id: UUID,
        parent_run_id: UUID | None,
        *,
        span_name: str,
        kind: SpanKind,
        run_type: str,
        name: str,
        attrs: dict[str, Any],
        tags: list[str] | None,
        metadata: dict[str, Any] | None,
        inputs: Any,
    ) -> None:
        """Start the span under the parent run (else the caller's span), make it current, register.

        Runs open longer than ``max_run_age``, and those of a collected handler, end
        first, so that a run nobody ended is no longer current or a parent. Whether
        the run captures content is decided here (``_capture``); if it does, its
        ``inputs`` go on the span as ``input_content`` says.
        """
        runs = tracing.runs
        self.tracing = tracing
        self.run_type = run_type
        self.name = name
        # ``RunRegistry.housekeeping``, called only when it has work (its check inline).
        now = perf_counter()
        if now >= runs.next_expiry or runs.deferred:
            runs.housekeeping()
        self.started_at = now
        #: Child runs by registry key (pruned to the open ones as it grows): ended with this
        #: run when it is abandoned (``RunRegistry.end_abandoned``).
        self.children: list[int] | None = None
        #: An older open run with the same run id (a reused id), newest first.
        self.shadowed: Run | None = None
        parent = runs.get(parent_run_id)
        #: No parent run of ours: its span context is remembered when it ends (feedback).
        self.root = parent is None
        #: Content capture for this run, and what its child runs inherit.
        self.capture: Scope = parent.capture if parent is not None else tracing.capture.default
        # A run that carries no setting shares its parent's scope: checked inline, as
        # most runs carry neither the key nor any user tag (the tags the span records:
        # a capture tag is one of them, never one of LangChain's bookkeeping tags).
        if (metadata and CAPTURE_KEY in metadata) or sc.LANGCHAIN_RUN_TAGS in attrs:
            self.capture = tracing.capture.scope(
                self.capture, attrs.get(sc.LANGCHAIN_RUN_TAGS), metadata
            )
        else:
            self.capture = self.capture.inherited
        if self.capture.on:
            self.input_content(attrs, inputs)
        current = current_context()
        if parent is not None:
            # ``RunRegistry.note_child`` and ``child_tags``, their usual cases inline (a
            # call each costs about what it does: 1.8 k instructions per run).
            children = parent.children
            if children is None:
                parent.children = [run_id.int]
            elif len(children) < PRUNE_CHILDREN_AT:
                children.append(run_id.int)
            else:
                runs.note_child(parent, run_id)
            if tags:
                for tag in tags:
                    if type(tag) is str and tag.startswith(_RETRY_TAG):
                        retry_tag(parent, tag)
                        break
            if sc.LANGGRAPH_NODE in attrs:  # a run in a LangGraph node
                parent.node_run_started()
            #: The agent (or root) run whose tool calls this run's tool and model runs share.
            self.owner: Run = parent.owner
            #: The usage totals of the agent and node runs above (this one's own added by it).
            self.rollup: tuple[RunTotals, ...] = parent.rollup
            calls = self.owner.tool_calls
        else:
            self.owner = self
            self.rollup = ()
            calls = None
        #: The tool calls of this agent or root run (``_links``), made on the first one.
        self.tool_calls: ToolCalls | None = None
        self.span: Span = record.start_span(
            tracing.tracer,
            span_name,
            context=parent.ctx if parent is not None else current,
            kind=kind,
            attrs=attrs,
            # Asked only under an agent whose model asked for tool calls.
            links=None if calls is None else self.start_links(calls, attrs, inputs),
        )
        self.previous: Context = current
        self.ctx: RunContext
        self.token: object
        self.ctx, self.token = enter_run(self.span, current)
        runs.add(run_id, self)

    def input_content(self, attrs: dict[str, Any], inputs: Any) -> None:
        """Add the captured ``inputs`` to the start attributes (only when the run captures)."""

    def start_links(
        self, calls: ToolCalls, attrs: dict[str, Any], inputs: Any
    ) -> list[Link] | None:
        """The links the span starts with, from the owner's tool ``calls`` (tool and chat runs)."""
        return None

    # -- while open ------------------------------------------------------------------------

    def node_run_started(self) -> None:
        """A child run starts that is (or runs inside) a LangGraph node."""

    def custom_event(self, name: Any, data: Any) -> None:
        """``dispatch_custom_event``: an event of the same name, its data flattened."""
        record.add_event(
            self.span, safe_str(name), event_attributes(data, self.tracing.content.redacted)
        )

    def retry(self, retry_state: Any) -> None:
        """A retry of this run (tenacity's state): a ``retry`` event."""
        record.add_event(self.span, sc.EVENT_RETRY, retry_attributes(retry_state))

    # -- ending ----------------------------------------------------------------------------

    def finish(self, outputs: Any) -> None:
        """LangChain ended the run: record what it returned, then end."""
        try:
            extra = self.end_attributes(outputs)
            if extra and self.span.is_recording():
                record.set_attributes(self.span, extra)
        finally:
            self.close(None)

    def end_attributes(self, outputs: Any) -> dict[str, Any] | None:
        """The span attributes the run's outputs give (content capture, counts)."""
        return None

    def fail(self, error: BaseException) -> None:
        """LangChain ended the run with an error (or a cancellation, or control flow)."""
        error_type = None
        try:
            error_type = self.record_error(error)
        finally:
            self.close(error_type)

    def record_error(self, error: BaseException) -> str | None:
        """Mark the span: the ``error.type`` of a failure; None for cancellation, control flow."""
        span = self.span
        if is_cancellation(error):
            record.set_attribute(span, sc.LANGCHAIN_RUN_CANCELLED, True)
            return None
        error_type = type(error).__name__
        if is_one_of(error, _CONTROL_FLOW):
            record.set_attribute(span, sc.LANGCHAIN_RUN_CONTROL_FLOW, error_type)
            return None
        record.set_attribute(span, sc.ERROR_TYPE, error_type)
        record.set_error(span, f"{error_type}: {safe_str(error)}")
        if span.is_recording():
            record.add_event(span, sc.EVENT_EXCEPTION, exception_attributes(error))
        return error_type

    def timed(self) -> bool:
        """Whether the run gets ``langchain.run.duration`` by default (tools, retrievers do)."""
        return True

    def close(self, error_type: str | None) -> None:
        """``langchain.run.duration`` if the run is timed; revert the context, end the span."""
        try:
            if self.tracing.all_durations or self.timed():
                metrics = self.tracing.metrics
                record.point(
                    metrics.run_duration,
                    perf_counter() - self.started_at,
                    metrics.run_attrs(self.run_type, self.name, error_type),
                    self.ctx,  # the exemplar links to this run's span
                )
        finally:
            self.release()

    def end_by_us(self, reason: str) -> None:
        """End a run LangChain did not end, for ``reason``: ERROR, ``error.type`` = reason."""
        try:
            record.set_attribute(self.span, sc.ERROR_TYPE, reason)
            record.set_error(self.span, END_REASONS.get(reason, reason))
        finally:
            self.release()

    def release(self) -> None:
        """Revert the run's context and end its span."""
        leave_run(self.ctx, self.previous, self.token)
        self.span.end()
