"""The callback handler: thin ``on_*`` hooks that turn LangChain runs into OTel spans."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from time import perf_counter
from typing import Any
from uuid import UUID

from langchain_core.callbacks import BaseCallbackHandler
from opentelemetry import context as context_api
from opentelemetry import trace
from opentelemetry.metrics import MeterProvider
from opentelemetry.trace import SpanKind, TracerProvider

from otel_langchain import _attributes as attributes
from otel_langchain import _messages as messages
from otel_langchain import _semconv as sc
from otel_langchain._content import ContentPolicy, safe_str
from otel_langchain._context import enter_run
from otel_langchain._events import event_attributes, retry_attributes
from otel_langchain._finish import Finisher
from otel_langchain._metrics import Instruments
from otel_langchain._runs import RunRegistry, RunState
from otel_langchain._safety import guarded
from otel_langchain.pricing import build_table
from otel_langchain.usage import active_trackers
from otel_langchain.version import __version__

_CLIENT = SpanKind.CLIENT
_INTERNAL = SpanKind.INTERNAL
_RETRY_TAG = "retry:attempt:"


def _note_retry(parent: RunState, tags: list[str]) -> None:
    """``RunnableRetry`` tags its attempts ``retry:attempt:N``; attempt N > 1 means a retry."""
    for tag in tags:
        if isinstance(tag, str) and tag.startswith(_RETRY_TAG):
            attempt = tag[len(_RETRY_TAG) :]
            if attempt.isdigit() and int(attempt) > 1:
                parent.span.add_event(sc.EVENT_RETRY, {sc.RETRY_ATTEMPT: int(attempt) - 1})
            return


class OTelCallbackHandler(BaseCallbackHandler):
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
        max_content_length: Captured strings are truncated to this many
            characters (default ``OTEL_LANGCHAIN_MAX_CONTENT_LENGTH`` or 8192).
    """

    run_inline = True  # called in the run's own task/context: required for context propagation
    raise_error = False

    def __init__(
        self,
        *,
        tracer_provider: TracerProvider | None = None,
        meter_provider: MeterProvider | None = None,
        capture_content: bool | None = None,
        redact: Callable[[str], str] | None = None,
        prices: Mapping[str, Any] | None = None,
        max_open_runs: int = 10_000,
        max_content_length: int | None = None,
    ) -> None:
        super().__init__()
        if isinstance(max_open_runs, bool) or not isinstance(max_open_runs, int):
            raise ValueError(f"max_open_runs must be a positive integer, got {max_open_runs!r}")
        self._tracer = trace.get_tracer(
            "otel_langchain", __version__, tracer_provider=tracer_provider
        )
        self._content = ContentPolicy(
            enabled=capture_content, redact=redact, limit=max_content_length
        )
        self._finisher = Finisher(
            Instruments(meter_provider, __version__), build_table(prices), self._content
        )
        self._runs = RunRegistry(max_open_runs, self._finisher.evict)

    # -- bookkeeping -----------------------------------------------------------------

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
        parent = self._runs.get(parent_run_id)
        if parent is not None and tags:
            _note_retry(parent, tags)
        current = context_api.get_current()
        span = self._tracer.start_span(
            span_name,
            context=parent.ctx if parent is not None else current,
            kind=kind,
            attributes=attrs,
        )
        ctx, token = enter_run(span, current)
        state = RunState(span, ctx, token, current, run_type, name, perf_counter())
        self._runs.add(run_id, state)
        return state

    @property
    def open_runs(self) -> int:
        """Runs started and not yet ended."""
        return len(self._runs)

    def close(self) -> None:
        """End every open run's span (status ERROR, ``error.type=evicted``)."""
        for state in self._runs.drain():
            self._finisher.evict(state)

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
        run_type = kwargs.get("run_type") or "chain"
        name = attributes.run_name(serialized, kwargs, run_type)
        attrs = attributes.common(run_id, run_type, name, tags, metadata)
        span_name = name
        agent = run_type == "chain" and attributes.is_agent(name, metadata)
        if agent:
            span_name = f"{sc.OP_INVOKE_AGENT} {name}"
            attrs[sc.GEN_AI_OPERATION_NAME] = sc.OP_INVOKE_AGENT
            attrs[sc.GEN_AI_AGENT_NAME] = name
        if self._content.enabled:
            attrs[sc.LANGCHAIN_CHAIN_INPUTS] = self._content.json(inputs)
        state = self._start(
            run_id, parent_run_id, span_name, _INTERNAL, run_type, name, attrs, tags
        )
        if agent:
            return
        if metadata and attributes.LANGGRAPH_NODE_KEY in metadata:
            # LangGraph before 1.1 marks a named graph's root run in no way; its node
            # runs are the sign. Name the graph's span as an agent's once one starts.
            parent = self._runs.get(parent_run_id)
            if parent is not None and parent.maybe_graph:
                parent.maybe_graph = False
                parent.span.update_name(f"{sc.OP_INVOKE_AGENT} {parent.name}")
                parent.span.set_attributes(
                    {
                        sc.GEN_AI_OPERATION_NAME: sc.OP_INVOKE_AGENT,
                        sc.GEN_AI_AGENT_NAME: parent.name,
                    }
                )
        elif run_type == "chain":
            state.maybe_graph = True

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

    on_tool_error = on_chain_error
    on_retriever_error = on_chain_error

    # -- models ------------------------------------------------------------------------

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
        invocation = kwargs.get("invocation_params")
        if not isinstance(invocation, Mapping):
            invocation = None
        provider = attributes.provider_name(metadata, invocation)
        model = attributes.request_model(metadata, invocation)
        name = attributes.run_name(serialized, kwargs, run_type)
        attrs = attributes.common(run_id, run_type, name, tags, metadata)
        attrs[sc.GEN_AI_OPERATION_NAME] = operation
        if provider:
            attrs[sc.GEN_AI_PROVIDER_NAME] = provider
        if model:
            attrs[sc.GEN_AI_REQUEST_MODEL] = model
        attrs.update(attributes.request_params(metadata, invocation))
        span_name = f"{operation} {model}" if model else operation
        state = self._start(run_id, parent_run_id, span_name, _CLIENT, run_type, name, attrs, tags)
        state.operation = operation
        state.provider = provider
        state.model = model
        state.trackers = active_trackers()
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
        state = self._start_model(
            sc.OP_CHAT, "chat_model", serialized, run_id, parent_run_id, tags, metadata, kwargs
        )
        if self._content.enabled and state.span.is_recording():
            state.span.set_attribute(
                sc.GEN_AI_INPUT_MESSAGES, self._captured(messages, messages_json=True)
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
            state.span.set_attribute(
                sc.GEN_AI_INPUT_MESSAGES, self._captured(prompts, messages_json=False)
            )

    def _captured(self, payload: Any, *, messages_json: bool) -> str:
        if messages_json:
            return messages.input_messages(payload, self._content.text)
        return messages.prompt_messages(
            payload if isinstance(payload, list) else [], self._content.text
        )

    @guarded
    def on_llm_new_token(self, token: Any, *, run_id: UUID, **kwargs: Any) -> None:
        """Mark the first streamed chunk (event + time to first chunk)."""
        state = self._runs.get(run_id)
        if state is not None and state.first_chunk_at is None:
            state.first_chunk_at = perf_counter()
            state.span.add_event(sc.EVENT_FIRST_CHUNK)

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

    # -- tools and retrievers ----------------------------------------------------------------

    @guarded
    def on_tool_start(
        self,
        serialized: dict[str, Any] | None,
        input_str: str,
        *,
        run_id: UUID,
        parent_run_id: UUID | None = None,
        tags: list[str] | None = None,
        metadata: dict[str, Any] | None = None,
        inputs: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        """Start an ``execute_tool {name}`` span."""
        name = attributes.run_name(serialized, kwargs, "tool")
        attrs = attributes.common(run_id, "tool", name, tags, metadata)
        attrs[sc.GEN_AI_OPERATION_NAME] = sc.OP_EXECUTE_TOOL
        attrs[sc.GEN_AI_TOOL_NAME] = name
        attrs[sc.GEN_AI_TOOL_TYPE] = "function"
        call_id = kwargs.get("tool_call_id")
        if isinstance(call_id, str) and call_id:
            attrs[sc.GEN_AI_TOOL_CALL_ID] = call_id
        if isinstance(serialized, Mapping):
            description = serialized.get("description")
            if isinstance(description, str) and description:
                attrs[sc.GEN_AI_TOOL_DESCRIPTION] = description[:1024]
        if self._content.enabled:
            attrs[sc.GEN_AI_TOOL_CALL_ARGUMENTS] = self._content.json(
                inputs if inputs is not None else input_str
            )
        self._start(
            run_id,
            parent_run_id,
            f"{sc.OP_EXECUTE_TOOL} {name}",
            _INTERNAL,
            "tool",
            name,
            attrs,
            tags,
        )

    @guarded
    def on_tool_end(self, output: Any, *, run_id: UUID, **kwargs: Any) -> None:
        """End a tool span."""
        state = self._runs.pop(run_id)
        if state is not None:
            extra = None
            if self._content.enabled:
                content = getattr(output, "content", output)
                extra = {sc.GEN_AI_TOOL_CALL_RESULT: self._content.json(content)}
            self._finisher.close(state, None, extra)

    @guarded
    def on_retriever_start(
        self,
        serialized: dict[str, Any] | None,
        query: str,
        *,
        run_id: UUID,
        parent_run_id: UUID | None = None,
        tags: list[str] | None = None,
        metadata: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        """Start a ``retrieval {name}`` span."""
        name = attributes.run_name(serialized, kwargs, "retriever")
        attrs = attributes.common(run_id, "retriever", name, tags, metadata)
        attrs[sc.GEN_AI_OPERATION_NAME] = sc.OP_RETRIEVAL
        if self._content.enabled:
            attrs[sc.GEN_AI_RETRIEVAL_QUERY_TEXT] = self._content.text(safe_str(query))
        self._start(
            run_id, parent_run_id, f"{sc.OP_RETRIEVAL} {name}", _INTERNAL, "retriever", name, attrs
        )

    @guarded
    def on_retriever_end(self, documents: Sequence[Any], *, run_id: UUID, **kwargs: Any) -> None:
        """End a retriever span (documents recorded only with content capture)."""
        state = self._runs.pop(run_id)
        if state is not None:
            extra: dict[str, Any] = {}
            if isinstance(documents, Sequence):
                extra[sc.LANGCHAIN_RETRIEVAL_DOCUMENT_COUNT] = len(documents)
                if self._content.enabled:
                    extra[sc.GEN_AI_RETRIEVAL_DOCUMENTS] = self._content.json(
                        [
                            {
                                "id": getattr(d, "id", None),
                                "content": getattr(d, "page_content", safe_str(d)),
                            }
                            for d in documents
                        ]
                    )
            self._finisher.close(state, None, extra)

    # -- events --------------------------------------------------------------------------

    @guarded
    def on_custom_event(self, name: str, data: Any, *, run_id: UUID, **kwargs: Any) -> None:
        """``dispatch_custom_event`` -> a span event of the same name on the dispatching run."""
        state = self._runs.get(run_id)
        if state is not None:
            state.span.add_event(safe_str(name), event_attributes(data, self._content.text))

    @guarded
    def on_retry(self, retry_state: Any, *, run_id: UUID, **kwargs: Any) -> None:
        """A retry attempt -> a ``retry`` event."""
        state = self._runs.get(run_id)
        if state is not None:
            state.span.add_event(sc.EVENT_RETRY, retry_attributes(retry_state))

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
            state.span.add_event(sc.EVENT_AGENT_ACTION, attrs)

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
            state.span.add_event(sc.EVENT_AGENT_FINISH, attrs)
