"""Hooks for chat models and text LLMs: ``chat`` / ``text_completion`` client spans."""

from __future__ import annotations

from collections.abc import Mapping
from time import perf_counter
from typing import Any
from uuid import UUID

from opentelemetry import trace
from opentelemetry.trace import SpanKind, TracerProvider

from otel_langchain import _attributes as attributes
from otel_langchain import _budget as budget
from otel_langchain import _dedupe as dedupe
from otel_langchain import _record as record
from otel_langchain import _semconv as sc
from otel_langchain._hook_base import HookBase, reject_run_id
from otel_langchain._messages import input_messages, prompt_messages
from otel_langchain._runs import RunState
from otel_langchain._safety import guarded
from otel_langchain._secrets import learn_from_model
from otel_langchain.usage import active_trackers


class ModelHooks(HookBase):
    """``on_chat_model_start`` / ``on_llm_*``: model spans, usage, cost and metrics."""

    # Deduplication is on but its span processor is not attached yet (global provider unset).
    _dedupe_pending: bool = False

    def _attach_dedupe(self, provider: TracerProvider | None) -> None:
        """Watch the provider's spans for other instrumentations' GenAI spans (``_dedupe``)."""
        watch = dedupe.attach(provider if provider is not None else trace.get_tracer_provider())
        if watch is not None:
            self._finisher.dedupe = watch
            self._dedupe_pending = False
        elif provider is not None:  # an explicit provider that takes no span processors
            self._dedupe_pending = False

    def _start_model(
        self,
        operation: str,
        run_type: str,
        serialized: dict[str, Any] | None,
        run_id: UUID,
        parent_run_id: UUID | None,
        tags: list[str] | None,
        metadata: dict[str, Any] | None,
        kwargs: dict[str, Any],
    ) -> RunState:
        learn_from_model(serialized)
        invocation = kwargs.get("invocation_params")
        if not isinstance(invocation, Mapping):
            invocation = None
        provider = attributes.provider_name(metadata, invocation)
        model = attributes.request_model(metadata, invocation)
        name = attributes.run_name(serialized, kwargs, run_type)
        attrs = attributes.common(run_id, run_type, name, tags, metadata, self._user_ids)
        attrs[sc.GEN_AI_OPERATION_NAME] = operation
        if provider:
            attrs[sc.GEN_AI_PROVIDER_NAME] = provider
        if model:
            attrs[sc.GEN_AI_REQUEST_MODEL] = model
        attrs.update(attributes.request_params(metadata, invocation))
        span_name = f"{operation} {model}" if model else operation
        state = self._start(
            run_id, parent_run_id, span_name, SpanKind.CLIENT, run_type, name, attrs, tags
        )
        state.operation = operation
        state.provider = provider
        state.model = model
        trackers = state.trackers = active_trackers()
        if trackers:
            budget.enforce(trackers, run_id, state, self._runs, self._finisher)
        if self._dedupe_pending:
            self._attach_dedupe(None)
        watch = self._finisher.dedupe
        if watch is not None and state.span.is_recording():
            watch.watch(state.span.get_span_context().span_id)
        return state

    @guarded
    def on_chat_model_start(
        self,
        serialized: dict[str, Any] | None,
        messages: list[list[Any]],
        *,
        run_id: UUID,
        parent_run_id: UUID | None = None,
        tags: list[str] | None = None,
        metadata: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        """Start a ``chat {model}`` client span."""
        if not isinstance(run_id, UUID):
            reject_run_id(run_id)
            return
        state = self._start_model(
            sc.OP_CHAT, "chat_model", serialized, run_id, parent_run_id, tags, metadata, kwargs
        )
        if self._content.enabled and state.span.is_recording():
            record.set_attribute(
                state.span,
                sc.GEN_AI_INPUT_MESSAGES,
                input_messages(messages, self._content),
            )

    @guarded
    def on_llm_start(
        self,
        serialized: dict[str, Any] | None,
        prompts: list[str],
        *,
        run_id: UUID,
        parent_run_id: UUID | None = None,
        tags: list[str] | None = None,
        metadata: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        """Start a ``text_completion {model}`` client span."""
        if not isinstance(run_id, UUID):
            reject_run_id(run_id)
            return
        state = self._start_model(
            sc.OP_TEXT_COMPLETION,
            "llm",
            serialized,
            run_id,
            parent_run_id,
            tags,
            metadata,
            kwargs,
        )
        if self._content.enabled and state.span.is_recording():
            record.set_attribute(
                state.span,
                sc.GEN_AI_INPUT_MESSAGES,
                prompt_messages(prompts, self._content),
            )

    @guarded
    def on_llm_new_token(self, token: Any, *, run_id: UUID, **kwargs: Any) -> None:
        """Mark the first streamed chunk (event + time to first chunk)."""
        state = self._runs.get(run_id)
        if state is not None and state.first_chunk_at is None:
            state.first_chunk_at = perf_counter()
            record.add_event(state.span, sc.EVENT_FIRST_CHUNK)

    @guarded
    def on_llm_end(self, response: Any, *, run_id: UUID, **kwargs: Any) -> None:
        """End a model span: response, usage, cost, metrics."""
        state = self._runs.pop(run_id)
        if state is not None:
            self._finisher.close_model(state, response)

    @guarded
    def on_llm_error(self, error: BaseException, *, run_id: UUID, **kwargs: Any) -> None:
        """End a model span with the error; the duration metric carries ``error.type``."""
        state = self._runs.pop(run_id)
        if state is not None:
            self._finisher.close_model_error(state, error)
