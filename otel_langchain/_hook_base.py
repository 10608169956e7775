"""What every hook shares: the handler's state and starting a run's span."""

from __future__ import annotations

from time import perf_counter
from typing import Any
from uuid import UUID

from opentelemetry import context as context_api
from opentelemetry.trace import SpanKind, Tracer

from otel_langchain import _attributes as attributes
from otel_langchain import _record as record
from otel_langchain import _semconv as sc
from otel_langchain._collected import deferred, end_deferred
from otel_langchain._content import ContentPolicy
from otel_langchain._context import enter_run
from otel_langchain._finish import Finisher
from otel_langchain._runs import RunRegistry, RunState
from otel_langchain._safety import warn_once

_RETRY_TAG = "retry:attempt:"


def _note_retry(parent: RunState, tags: list[str]) -> None:
    """``RunnableRetry`` tags its attempts ``retry:attempt:N``; attempt N > 1 means a retry."""
    for tag in tags:
        if isinstance(tag, str) and tag.startswith(_RETRY_TAG):
            attempt = tag[len(_RETRY_TAG) :]
            if attempt.isdigit() and int(attempt) > 1:
                record.add_event(parent.span, sc.EVENT_RETRY, {sc.RETRY_ATTEMPT: int(attempt) - 1})
            return


def _name_as_agent(graph: RunState) -> None:
    """A graph's root run recognised by its first node run: rename its span."""
    graph.maybe_graph = False
    span_name, attrs = attributes.agent(graph.name)
    record.rename(graph.span, span_name)
    record.set_attributes(graph.span, attrs)


class HookBase:
    """The state the hooks of every run kind use; ``OTelCallbackHandler`` sets it up."""

    _tracer: Tracer
    _runs: RunRegistry
    _content: ContentPolicy
    _finisher: Finisher
    _user_ids: bool

    def _start(
        self,
        run_id: UUID,
        parent_run_id: UUID | None,
        span_name: str,
        kind: SpanKind,
        run_type: str,
        name: str,
        attrs: dict[str, Any],
        tags: list[str] | None = None,
    ) -> RunState:
        """Start the run's span under its parent run (else the caller's span); make it current.

        Runs open longer than ``max_run_age`` end first, so a run that never ended is
        no longer the current span or a parent when the next run starts; so do the
        spans of a collected handler's runs.
        """
        runs = self._runs
        now = perf_counter()
        if now >= runs.next_expiry:
            runs.expire(now)
        if deferred:  # runs of a handler the garbage collector took
            end_deferred()
        parent = runs.get(parent_run_id)
        if parent is not None:
            runs.note_child(parent, run_id)
            if tags:
                _note_retry(parent, tags)
            if parent.maybe_graph and sc.LANGGRAPH_NODE in attrs:
                _name_as_agent(parent)
        current = context_api.get_current()
        span = record.start_span(
            self._tracer,
            span_name,
            context=parent.ctx if parent is not None else current,
            kind=kind,
            attrs=attrs,
        )
        ctx, token = enter_run(span, current)
        state = RunState(span, ctx, token, current, run_type, name, now)
        state.root = parent is None
        runs.add(run_id, state)
        return state


def reject_run_id(run_id: object) -> None:
    """A start callback's ``run_id`` is not a UUID: the run is not traced (logged once).

    The start hooks check first, so such a run starts no span and attaches no
    context; its other callbacks find no run. LangChain passes a
    ``config["run_id"]`` through unchecked.
    """
    warn_once(
        "run_id_not_uuid",
        "otel-langchain: a run started with a run_id that is not a UUID (a %s); it is not traced",
        type(run_id).__name__,
    )
