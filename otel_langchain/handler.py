"""The callback handler: one line per LangChain callback, finding or making the run it is about.

What a run records is its kind's business (``otel_langchain.runs``): a start
callback makes the run object (which starts its span), an end or error callback
finds it and ends it, the others find it and add to it.

Each hook is the safety boundary itself (``try`` / ``except Exception`` around its
line, reported once per hook and exception type by ``_safety.report``): a
decorator re-packing LangChain's keyword arguments cost about 5 k instructions
per callback, twice per run and once per streamed chunk.

Each start, end and chunk hook names every keyword argument LangChain passes
it, used or not (``parent_run_id``, ``tags``, ``name``, ``invocation_params``,
...): CPython puts a keyword the signature does not name into the ``**kwargs``
dict it builds for the call, 1.3 k instructions per callback for LangChain's
usual two or three (CPython 3.11). ``**kwargs`` takes what other versions add.
The error hooks, off the hot path, take them all in ``**kwargs``.
"""

from __future__ import annotations

import math
import sys
import weakref
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any
from uuid import UUID

from langchain_core.callbacks import BaseCallbackHandler
from opentelemetry import trace
from opentelemetry.metrics import MeterProvider
from opentelemetry.trace import TracerProvider

from otel_langchain import _attributes as attributes
from otel_langchain import _semconv as sc
from otel_langchain._content import ContentPolicy
from otel_langchain._dedupe import dedupe_enabled
from otel_langchain._metrics import RunDuration, instruments, run_duration_setting
from otel_langchain._safety import passes_through, report, warn_once
from otel_langchain._secrets import learn_environment
from otel_langchain._skip import skip_rules
from otel_langchain._tracking import BudgetExceeded
from otel_langchain.config._checks import check_providers
from otel_langchain.feedback import FeedbackSink
from otel_langchain.feedback import register as register_feedback
from otel_langchain.pricing import build_table
from otel_langchain.runs._base import HANDLER_CLOSED, Tracing, is_cancellation, new_run
from otel_langchain.runs.chain import ChainRun
from otel_langchain.runs.collected import release
from otel_langchain.runs.model import ModelRun, attach_dedupe
from otel_langchain.runs.registry import RunRegistry
from otel_langchain.runs.retriever import RetrieverRun
from otel_langchain.runs.skipped import chain_start
from otel_langchain.runs.tool import ToolRun
from otel_langchain.version import __version__


def _check_max_run_age(value: object) -> None:
    if value is None:
        return
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, float))
        or not 0 < value < math.inf  # also rejects NaN
    ):
        raise ValueError(f"max_run_age must be a positive number of seconds or None, got {value!r}")


def _untraced(run_id: object) -> bool:
    """A start callback's ``run_id`` is not a UUID: the run is not traced (logged once).

    The hooks check ``isinstance(run_id, UUID)`` first, inline, and call this only
    for another id.

    Such a run starts no span and attaches no context; its other callbacks find no
    run. LangChain passes a ``config["run_id"]`` through unchecked.
    """
    if isinstance(run_id, UUID):
        return False
    warn_once(
        "run_id_not_uuid",
        "otel-langchain: a run started with a run_id that is not a UUID (a %s); it is not traced",
        type(run_id).__name__,
    )
    return True


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
        run_duration: Which runs get a ``langchain.run.duration`` point:
            ``"default"`` (root runs, agents, LangGraph nodes, tools and retrievers;
            model calls have ``gen_ai.client.operation.duration``) or ``"all"``.
            ``None`` reads ``OTEL_LANGCHAIN_RUN_DURATION``; default ``"default"``.
        skip: Chain, prompt and parser runs that get no span (their children nest
            under the nearest kept span): run types ``chain`` / ``prompt`` /
            ``parser``, run names (``*``, ``?``, ``[...]`` wildcards) and the preset
            ``langgraph``; a list or a comma-separated string. ``None`` reads
            ``OTEL_LANGCHAIN_SKIP``; default nothing.

    A run's metadata ``otel_langchain.capture_content`` (a bool) or tag
    ``otel_langchain:capture_content=true|false`` switches content capture for
    it and the runs beneath it, over ``capture_content`` (see the README).
    """

    run_inline = True  # called in the run's own task/context: required for context propagation
    # LangChain reads one of these before each hook call; plain class attributes, not the
    # base class's properties (a Python call each: 1.2 k instructions per hook call).
    ignore_llm = False
    ignore_retry = False
    ignore_chain = False
    ignore_agent = False
    ignore_retriever = False
    ignore_chat_model = False
    ignore_custom_event = False

    @property
    def raise_error(self) -> bool:  # type: ignore[override]
        """True only while LangChain handles a ``BudgetExceeded`` of ours: that one reaches the app.

        LangChain reads this in its ``except`` clause around each hook; every other
        error of ours is caught inside the hook before that.
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
        run_duration: RunDuration | None = None,
        skip: str | Iterable[str] | None = None,
    ) -> None:
        check_providers(tracer_provider, meter_provider)
        super().__init__()
        if isinstance(max_open_runs, bool) or not isinstance(max_open_runs, int):
            raise ValueError(f"max_open_runs must be a positive integer, got {max_open_runs!r}")
        _check_max_run_age(max_run_age)
        self._chain_start = chain_start(skip_rules(skip))
        learn_environment()
        tracer = trace.get_tracer("otel_langchain", __version__, tracer_provider=tracer_provider)
        content = ContentPolicy(enabled=capture_content, redact=redact, limit=max_content_length)
        metrics = instruments(meter_provider, __version__)
        self._runs = RunRegistry(max_open_runs, max_run_age)
        #: The run id of the last model call whose first chunk was marked.
        self._streamed: object = None
        self._tracing = Tracing(
            tracer=tracer,
            metrics=metrics,
            prices=build_table(prices),
            content=content,
            runs=self._runs,
            user_ids=attributes.user_id_enabled(capture_user_id),
            all_durations=run_duration_setting(run_duration) == "all",
        )
        # When the handler goes, its open runs end and their contexts revert.
        weakref.finalize(self, release, self._runs).atexit = False
        self._feedback = register_feedback(
            FeedbackSink(self._runs, tracer, content, metrics.feedback)
        )
        if dedupe_enabled(dedupe):
            self._tracing.dedupe_pending = True
            attach_dedupe(self._tracing, tracer_provider)

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

    # -- starts: make the run --------------------------------------------------------------

    def on_chain_start(
        self,
        serialized: dict[str, Any] | None,
        inputs: Any,
        *,
        run_id: UUID,
        parent_run_id: UUID | None = None,
        tags: list[str] | None = None,
        metadata: dict[str, Any] | None = None,
        name: str | None = None,
        run_type: str | None = None,
        **kwargs: Any,
    ) -> None:
        """A chain, prompt, parser or graph-node run starts (or an agent's), unless skipped."""
        try:
            if isinstance(run_id, UUID) or not _untraced(run_id):
                self._chain_start(
                    new_run(ChainRun),
                    self._tracing,
                    run_id,
                    parent_run_id,
                    serialized=serialized,
                    inputs=inputs,
                    tags=tags,
                    metadata=metadata,
                    name=name,
                    run_type=run_type,
                )
        except Exception as exc:  # our bug: logged once, never raised into the app
            report("on_chain_start", exc)

    def on_chat_model_start(
        self,
        serialized: dict[str, Any] | None,
        messages: list[list[Any]],
        *,
        run_id: UUID,
        parent_run_id: UUID | None = None,
        tags: list[str] | None = None,
        metadata: dict[str, Any] | None = None,
        invocation_params: dict[str, Any] | None = None,
        options: dict[str, Any] | None = None,
        name: str | None = None,
        batch_size: int | None = None,
        **kwargs: Any,
    ) -> None:
        """A chat model call starts."""
        try:
            if isinstance(run_id, UUID) or not _untraced(run_id):
                ModelRun.__init__(
                    new_run(ModelRun),
                    self._tracing,
                    run_id,
                    parent_run_id,
                    operation=sc.OP_CHAT,
                    serialized=serialized,
                    prompt=messages,
                    tags=tags,
                    metadata=metadata,
                    name=name,
                    invocation=invocation_params,
                )
        except BudgetExceeded:  # the app's own budget, refusing the call: goes through
            raise
        except Exception as exc:  # our bug: logged once, never raised into the app
            report("on_chat_model_start", exc)

    def on_llm_start(
        self,
        serialized: dict[str, Any] | None,
        prompts: list[str],
        *,
        run_id: UUID,
        parent_run_id: UUID | None = None,
        tags: list[str] | None = None,
        metadata: dict[str, Any] | None = None,
        invocation_params: dict[str, Any] | None = None,
        options: dict[str, Any] | None = None,
        name: str | None = None,
        batch_size: int | None = None,
        **kwargs: Any,
    ) -> None:
        """A text LLM call starts."""
        try:
            if isinstance(run_id, UUID) or not _untraced(run_id):
                ModelRun.__init__(
                    new_run(ModelRun),
                    self._tracing,
                    run_id,
                    parent_run_id,
                    operation=sc.OP_TEXT_COMPLETION,
                    serialized=serialized,
                    prompt=prompts,
                    tags=tags,
                    metadata=metadata,
                    name=name,
                    invocation=invocation_params,
                )
        except BudgetExceeded:  # the app's own budget, refusing the call: goes through
            raise
        except Exception as exc:  # our bug: logged once, never raised into the app
            report("on_llm_start", exc)

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
        name: str | None = None,
        color: str | None = None,
        tool_call_id: str | None = None,
        **kwargs: Any,
    ) -> None:
        """A tool call starts."""
        try:
            if isinstance(run_id, UUID) or not _untraced(run_id):
                ToolRun.__init__(
                    new_run(ToolRun),
                    self._tracing,
                    run_id,
                    parent_run_id,
                    serialized=serialized,
                    input_str=input_str,
                    inputs=inputs,
                    tags=tags,
                    metadata=metadata,
                    name=name,
                    call_id=tool_call_id,
                )
        except Exception as exc:  # our bug: logged once, never raised into the app
            report("on_tool_start", exc)

    def on_retriever_start(
        self,
        serialized: dict[str, Any] | None,
        query: str,
        *,
        run_id: UUID,
        parent_run_id: UUID | None = None,
        tags: list[str] | None = None,
        metadata: dict[str, Any] | None = None,
        name: str | None = None,
        **kwargs: Any,
    ) -> None:
        """A retrieval starts."""
        try:
            if isinstance(run_id, UUID) or not _untraced(run_id):
                RetrieverRun.__init__(
                    new_run(RetrieverRun),
                    self._tracing,
                    run_id,
                    parent_run_id,
                    serialized=serialized,
                    query=query,
                    tags=tags,
                    metadata=metadata,
                    name=name,
                )
        except Exception as exc:  # our bug: logged once, never raised into the app
            report("on_retriever_start", exc)

    # -- ends: find the run, end it ---------------------------------------------------------
    # (each hook pops and ends its run itself: a shared helper costs 0.3 k instructions a run)

    def _fail(self, run_id: UUID, error: BaseException) -> None:
        """End the run with the error; an abandoned run's open descendants end with it."""
        run = self._runs.pop(run_id)
        if run is not None:
            run.fail(error)
            if run.children and is_cancellation(error):
                self._runs.end_abandoned(run, error)

    def on_chain_end(
        self,
        outputs: Any,
        *,
        run_id: UUID,
        parent_run_id: UUID | None = None,
        tags: list[str] | None = None,
        **kwargs: Any,
    ) -> None:
        """A chain run ended."""
        try:
            run = self._runs.pop(run_id)
            if run is not None:
                run.finish(outputs)
        except Exception as exc:  # our bug: logged once, never raised into the app
            report("on_chain_end", exc)

    def on_llm_end(
        self,
        response: Any,
        *,
        run_id: UUID,
        parent_run_id: UUID | None = None,
        tags: list[str] | None = None,
        **kwargs: Any,
    ) -> None:
        """A model call returned (an ``LLMResult``)."""
        try:
            run = self._runs.pop(run_id)
            if run is not None:
                run.finish(response)
        except Exception as exc:  # our bug: logged once, never raised into the app
            report("on_llm_end", exc)

    def on_tool_end(
        self,
        output: Any,
        *,
        run_id: UUID,
        parent_run_id: UUID | None = None,
        tags: list[str] | None = None,
        color: str | None = None,
        name: str | None = None,
        **kwargs: Any,
    ) -> None:
        """A tool call returned."""
        try:
            run = self._runs.pop(run_id)
            if run is not None:
                run.finish(output)
        except Exception as exc:  # our bug: logged once, never raised into the app
            report("on_tool_end", exc)

    def on_retriever_end(
        self,
        documents: Sequence[Any],
        *,
        run_id: UUID,
        parent_run_id: UUID | None = None,
        tags: list[str] | None = None,
        **kwargs: Any,
    ) -> None:
        """A retrieval returned its documents."""
        try:
            run = self._runs.pop(run_id)
            if run is not None:
                run.finish(documents)
        except Exception as exc:  # our bug: logged once, never raised into the app
            report("on_retriever_end", exc)

    def on_chain_error(self, error: BaseException, *, run_id: UUID, **kwargs: Any) -> None:
        """A chain run failed, was cancelled, or was interrupted (LangGraph control flow)."""
        try:
            self._fail(run_id, error)
        except Exception as exc:  # our bug: logged once, never raised into the app
            report("on_chain_error", exc)

    def on_llm_error(self, error: BaseException, *, run_id: UUID, **kwargs: Any) -> None:
        """A model call failed."""
        try:
            self._fail(run_id, error)
        except Exception as exc:  # our bug: logged once, never raised into the app
            report("on_llm_error", exc)

    def on_tool_error(self, error: BaseException, *, run_id: UUID, **kwargs: Any) -> None:
        """A tool call failed."""
        try:
            self._fail(run_id, error)
        except Exception as exc:  # our bug: logged once, never raised into the app
            report("on_tool_error", exc)

    def on_retriever_error(self, error: BaseException, *, run_id: UUID, **kwargs: Any) -> None:
        """A retrieval failed."""
        try:
            self._fail(run_id, error)
        except Exception as exc:  # our bug: logged once, never raised into the app
            report("on_retriever_error", exc)

    # -- while a run is open: find it, add to it ------------------------------------------------

    def on_llm_new_token(
        self,
        token: Any,
        *,
        chunk: Any = None,
        run_id: UUID,
        parent_run_id: UUID | None = None,
        tags: list[str] | None = None,
        **kwargs: Any,
    ) -> None:
        """A streamed chunk: the first one is marked (event, time to first chunk).

        The chunks after the first of the call streaming last cost one identity check
        (LangChain passes the same ``run_id`` object with every chunk of a call).
        """
        if run_id is self._streamed:
            return
        try:
            run = self._runs.get(run_id)
            if isinstance(run, ModelRun) and run.first_chunk_at is None:
                run.first_chunk()
                self._streamed = run_id
        except Exception as exc:  # our bug: logged once, never raised into the app
            report("on_llm_new_token", exc)

    def on_custom_event(self, name: str, data: Any, *, run_id: UUID, **kwargs: Any) -> None:
        """``dispatch_custom_event``: a span event of the same name on the dispatching run."""
        try:
            run = self._runs.get(run_id)
            if run is not None:
                run.custom_event(name, data)
        except Exception as exc:  # our bug: logged once, never raised into the app
            report("on_custom_event", exc)

    def on_retry(self, retry_state: Any, *, run_id: UUID, **kwargs: Any) -> None:
        """A retry attempt: a ``retry`` event."""
        try:
            run = self._runs.get(run_id)
            if run is not None:
                run.retry(retry_state)
        except Exception as exc:  # our bug: logged once, never raised into the app
            report("on_retry", exc)

    def on_agent_action(self, action: Any, *, run_id: UUID, **kwargs: Any) -> None:
        """An agent's tool choice: an event on the agent's span."""
        try:
            run = self._runs.get(run_id)
            if isinstance(run, ChainRun):
                run.agent_action(action)
        except Exception as exc:  # our bug: logged once, never raised into the app
            report("on_agent_action", exc)

    def on_agent_finish(self, finish: Any, *, run_id: UUID, **kwargs: Any) -> None:
        """An agent's final answer: an event on the agent's span."""
        try:
            run = self._runs.get(run_id)
            if isinstance(run, ChainRun):
                run.agent_finish(finish)
        except Exception as exc:  # our bug: logged once, never raised into the app
            report("on_agent_finish", exc)
