"""The callback handler: thin ``on_*`` hooks that turn LangChain runs into OTel spans.

Chains, prompts, parsers, agents and events are here; models in ``_model_hooks``,
tools and retrievers in ``_tool_hooks``, what they share in ``_hook_base``.
"""

from __future__ import annotations

import math
import sys
import weakref
from collections.abc import Callable, Mapping
from typing import Any
from uuid import UUID

from langchain_core.callbacks import BaseCallbackHandler
from opentelemetry import trace
from opentelemetry.metrics import MeterProvider
from opentelemetry.trace import SpanKind, TracerProvider

from otel_langchain import _attributes as attributes
from otel_langchain import _record as record
from otel_langchain import _semconv as sc
from otel_langchain._collected import release
from otel_langchain._content import ContentPolicy, safe_str
from otel_langchain._dedupe import dedupe_enabled
from otel_langchain._events import event_attributes, retry_attributes
from otel_langchain._finish import Finisher, is_cancellation
from otel_langchain._hook_base import reject_run_id
from otel_langchain._metrics import Instruments
from otel_langchain._model_hooks import ModelHooks
from otel_langchain._runs import HANDLER_CLOSED, RunRegistry, RunState
from otel_langchain._safety import guarded, passes_through
from otel_langchain._secrets import learn_environment
from otel_langchain._tool_hooks import ToolHooks
from otel_langchain.config._checks import check_providers
from otel_langchain.feedback import FeedbackSink
from otel_langchain.feedback import register as register_feedback
from otel_langchain.pricing import build_table
from otel_langchain.version import __version__

_INTERNAL = SpanKind.INTERNAL


def _check_max_run_age(value: object) -> None:
    if value is None:
        return
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, float))
        or not 0 < value < math.inf  # also rejects NaN
    ):
        raise ValueError(f"max_run_age must be a positive number of seconds or None, got {value!r}")


class OTelCallbackHandler(ModelHooks, ToolHooks, BaseCallbackHandler):
    """Turns every LangChain run into an OpenTelemetry span, with GenAI metrics and cost.

    Pass it when constructing a runnable (traces that object's runs) or at run
    time in ``config={"callbacks": [handler]}`` (traces the whole run tree).

    Args:
        tracer_provider: Defaults to the global tracer provider.
        meter_provider: Defaults to the global meter provider.
        capture_content: Record prompts, completions, tool arguments/results and
            chain inputs/outputs. ``None`` reads
            ``OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT``; default off.
        redact: Applied to every captured string (after credential scrubbing).
        prices: ``{"model": {"input": ..., "output": ..., "cache_read": ...,
            "cache_write": ...}}`` in USD per 1M tokens, over the built-in table.
        max_open_runs: Bound on runs started and not ended; the oldest is evicted.
        max_run_age: Seconds after which a run still open is ended (checked when a
            run starts); ``None`` disables it. Default one hour.
        max_content_length: Captured strings are truncated to this many
            characters (default ``OTEL_LANGCHAIN_MAX_CONTENT_LENGTH`` or 8192).
        capture_user_id: Record ``user_id`` / ``user.id`` run metadata as ``user.id``
            (personal data). ``None`` reads ``OTEL_LANGCHAIN_CAPTURE_USER_ID``; default off.
        dedupe: When another instrumentation (a provider SDK's own spans,
            opentelemetry-instrumentation-openai-v2, OpenLLMetry) records the same
            model call, count its tokens once (see the README). ``None`` reads
            ``OTEL_LANGCHAIN_DEDUPE``; default on.
    """

    run_inline = True  # called in the run's own task/context: required for context propagation

    @property
    def raise_error(self) -> bool:  # type: ignore[override]
        """True only while LangChain handles a ``BudgetExceeded`` of ours: that one reaches the app.

        LangChain reads this in its ``except`` clause around each hook; every other
        error of ours is caught inside the hook (``_safety.guarded``) before that.
        """
        return passes_through(sys.exc_info()[1])

    def __init__(
        self,
        *,
        tracer_provider: TracerProvider | None = None,
        meter_provider: MeterProvider | None = None,
        capture_content: bool | None = None,
        redact: Callable[[str], str] | None = None,
        prices: Mapping[str, Any] | None = None,
        max_open_runs: int = 10_000,
        max_run_age: float | None = 3600.0,
        max_content_length: int | None = None,
        capture_user_id: bool | None = None,
        dedupe: bool | None = None,
    ) -> None:
        check_providers(tracer_provider, meter_provider)
        super().__init__()
        if isinstance(max_open_runs, bool) or not isinstance(max_open_runs, int):
            raise ValueError(f"max_open_runs must be a positive integer, got {max_open_runs!r}")
        _check_max_run_age(max_run_age)
        learn_environment()
        self._tracer = trace.get_tracer(
            "otel_langchain", __version__, tracer_provider=tracer_provider
        )
        self._content = ContentPolicy(
            enabled=capture_content, redact=redact, limit=max_content_length
        )
        self._finisher = Finisher(
            Instruments(meter_provider, __version__), build_table(prices), self._content
        )
        self._runs = RunRegistry(max_open_runs, max_run_age, self._finisher.evict)
        # When the handler goes, its open runs end and their contexts revert.
        weakref.finalize(self, release, self._runs).atexit = False
        self._feedback = register_feedback(
            FeedbackSink(self._runs, self._tracer, self._content, self._finisher.metrics.feedback)
        )
        self._user_ids = attributes.user_id_enabled(capture_user_id)
        self._dedupe_pending = dedupe_enabled(dedupe)
        if self._dedupe_pending:
            self._attach_dedupe(tracer_provider)

    # -- bookkeeping -----------------------------------------------------------------

    @property
    def open_runs(self) -> int:
        """Runs started and not yet ended."""
        return len(self._runs)

    def close(self) -> None:
        """End every open run's span (status ERROR, ``error.type=handler_closed``).

        Their contexts revert, so the caller's span is current again wherever they
        were attached. The handler stays usable.
        """
        self._runs.end_all(HANDLER_CLOSED)

    # -- chains, prompts, parsers, agents -------------------------------------------------

    @guarded
    def on_chain_start(
        self,
        serialized: dict[str, Any] | None,
        inputs: Any,
        *,
        run_id: UUID,
        parent_run_id: UUID | None = None,
        tags: list[str] | None = None,
        metadata: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        """Start a chain / prompt / parser / graph-node span, or ``invoke_agent``."""
        if not isinstance(run_id, UUID):
            reject_run_id(run_id)
            return
        run_type = kwargs.get("run_type") or "chain"
        name = attributes.run_name(serialized, kwargs, run_type)
        attrs = attributes.common(run_id, run_type, name, tags, metadata, self._user_ids)
        span_name = name
        agent = run_type == "chain" and attributes.is_agent(name, metadata)
        if agent:
            span_name, agent_attrs = attributes.agent(name)
            attrs.update(agent_attrs)
        if self._content.enabled:
            attrs[sc.LANGCHAIN_CHAIN_INPUTS] = self._content.json(inputs)
        state = self._start(
            run_id, parent_run_id, span_name, _INTERNAL, run_type, name, attrs, tags
        )
        # LangGraph before 1.1 marks a named graph's root run in no way: a chain run
        # outside any node becomes an agent when a node run starts under it (_start).
        state.maybe_graph = not agent and run_type == "chain" and sc.LANGGRAPH_NODE not in attrs

    @guarded
    def on_chain_end(self, outputs: Any, *, run_id: UUID, **kwargs: Any) -> None:
        """End a chain span."""
        state = self._runs.pop(run_id)
        if state is not None:
            extra = None
            if self._content.enabled:
                extra = {sc.LANGCHAIN_CHAIN_OUTPUTS: self._content.json(outputs)}
            self._finisher.close(state, None, extra)

    @guarded
    def on_chain_error(self, error: BaseException, *, run_id: UUID, **kwargs: Any) -> None:
        """End a chain, tool or retriever span with the error.

        LangGraph's control flow (interrupts, ``Command`` bubbling) is not an error.
        """
        state = self._runs.pop(run_id)
        if state is not None:
            self._finisher.close(state, error, None)
            if state.children and is_cancellation(error):
                self._end_abandoned(state, error)

    def _end_abandoned(self, state: RunState, error: BaseException) -> None:
        """End the open descendants of an abandoned run (a stream its consumer closed).

        LangChain never ends some of them: a generator step of an async stream that
        the event loop finalizes is dropped without its end or error callback. Their
        spans end now, marked cancelled like the run itself.
        """
        pending = list(state.children or ())
        while pending:
            child = self._runs.pop(pending.pop())
            if child is not None:
                self._finisher.close(child, error, None)
                pending.extend(child.children or ())

    on_tool_error = on_chain_error
    on_retriever_error = on_chain_error

    # -- events --------------------------------------------------------------------------

    @guarded
    def on_custom_event(self, name: str, data: Any, *, run_id: UUID, **kwargs: Any) -> None:
        """``dispatch_custom_event`` -> a span event of the same name on the dispatching run."""
        state = self._runs.get(run_id)
        if state is not None:
            record.add_event(
                state.span, safe_str(name), event_attributes(data, self._content.redacted)
            )

    @guarded
    def on_retry(self, retry_state: Any, *, run_id: UUID, **kwargs: Any) -> None:
        """A retry attempt -> a ``retry`` event."""
        state = self._runs.get(run_id)
        if state is not None:
            record.add_event(state.span, sc.EVENT_RETRY, retry_attributes(retry_state))

    @guarded
    def on_agent_action(self, action: Any, *, run_id: UUID, **kwargs: Any) -> None:
        """An agent's tool choice -> an event on the agent's span."""
        state = self._runs.get(run_id)
        if state is not None:
            attrs: dict[str, Any] = {sc.GEN_AI_TOOL_NAME: safe_str(getattr(action, "tool", ""))}
            if self._content.enabled:
                attrs[sc.GEN_AI_TOOL_CALL_ARGUMENTS] = self._content.json(
                    getattr(action, "tool_input", None)
                )
            record.add_event(state.span, sc.EVENT_AGENT_ACTION, attrs)

    @guarded
    def on_agent_finish(self, finish: Any, *, run_id: UUID, **kwargs: Any) -> None:
        """An agent's final answer -> an event on the agent's span."""
        state = self._runs.get(run_id)
        if state is not None:
            attrs: dict[str, Any] = {}
            if self._content.enabled:
                attrs[sc.GEN_AI_OUTPUT_MESSAGES] = self._content.json(
                    getattr(finish, "return_values", None)
                )
            record.add_event(state.span, sc.EVENT_AGENT_FINISH, attrs)
