"""No double counting: another instrumentation's GenAI client span under one of our model spans.

Provider SDKs (``anthropic`` 2.x records its own ``anthropic.messages.create``
spans) and provider instrumentations (``opentelemetry-instrumentation-openai-v2``,
OpenLLMetry's, OpenLIT's) record the same model call our model span records.
To see them, one span processor is added to the tracer provider our spans go to
(``TracerProvider.add_span_processor``, public SDK API); it notes, for each open
model span of ours, the instrumentation scope of a GenAI client span started or
ended directly under it. When our model run ends (see ``Finisher.close_model``):

- our span keeps its figures under ``langchain.llm.usage.*`` instead of
  ``gen_ai.usage.*``, with ``langchain.llm.usage.recorded_by`` naming the other
  scope, so a sum of ``gen_ai.usage.*`` over a trace counts the call once;
- when the other scope records the GenAI client metrics too (OpenTelemetry
  contrib and OpenLLMetry instrumentations, OpenLIT), our
  ``gen_ai.client.token.usage`` and ``gen_ai.client.operation.duration`` points
  for the call are skipped. ``langchain.llm.cost`` is ours alone and always kept.

An unsampled model span has no children to see; for metrics, a known
instrumentor that is active for the call's provider then decides.
"""

from __future__ import annotations

import os
import sys
import threading
import weakref
from typing import Any

from opentelemetry.context import Context
from opentelemetry.sdk.trace import ReadableSpan, Span, SpanProcessor
from opentelemetry.trace import SpanKind

from otel_langchain import _semconv as sc
from otel_langchain._safety import report, warn_once

DEDUPE_ENV = "OTEL_LANGCHAIN_DEDUPE"
OUR_SCOPE = "otel_langchain"
# Scopes of instrumentations that also record gen_ai.client.token.usage / operation.duration.
_METRIC_SCOPES = ("opentelemetry.instrumentation.", "opentelemetry.util.genai", "openlit")
_GENAI_KEYS = ("gen_ai.", "llm.")
_USAGE_PREFIX = "gen_ai.usage."
# Instrumentors whose activity decides for an unsampled call: provider -> (module, class).
_INSTRUMENTORS: dict[str, tuple[tuple[str, str], ...]] = {
    "openai": (
        ("opentelemetry.instrumentation.openai_v2", "OpenAIInstrumentor"),
        ("opentelemetry.instrumentation.openai", "OpenAIInstrumentor"),
    ),
    "azure.ai.openai": (
        ("opentelemetry.instrumentation.openai_v2", "OpenAIInstrumentor"),
        ("opentelemetry.instrumentation.openai", "OpenAIInstrumentor"),
    ),
    "anthropic": (("opentelemetry.instrumentation.anthropic", "AnthropicInstrumentor"),),
}


def dedupe_enabled(explicit: bool | None) -> bool:
    """Explicit argument, else ``OTEL_LANGCHAIN_DEDUPE`` (true/false), else on."""
    if explicit is not None:
        if not isinstance(explicit, bool):
            raise ValueError(f"dedupe must be True, False or None, got {explicit!r}")
        return explicit
    raw = os.environ.get(DEDUPE_ENV, "").strip().lower()
    if raw in ("false", "0", "no", "off"):
        return False
    if raw not in ("", "true", "1", "yes", "on"):
        warn_once(DEDUPE_ENV, "%s=%r is not true/false; deduplication stays on", DEDUPE_ENV, raw)
    return True


class ProviderSpanWatch(SpanProcessor):
    """Notes the scope of a GenAI client span of another instrumentation under a watched span."""

    def __init__(self) -> None:
        # our open model span id -> [scope of a GenAI client child seen, or None]
        self._watched: dict[int, list[str | None]] = {}

    def watch(self, span_id: int) -> None:
        """Start watching for children of one of our model spans."""
        self._watched[span_id] = [None]

    def unwatch(self, span_id: int) -> str | None:
        """Stop watching; the scope of the GenAI client child seen, if any."""
        seen = self._watched.pop(span_id, None)
        return seen[0] if seen is not None else None

    def on_start(self, span: Span, parent_context: Context | None = None) -> None:
        """A span starts: note it if it is another's GenAI client span under a watched one."""
        if self._watched:  # only while a model span of ours is open can a span be its child
            self._note(span)

    def on_end(self, span: ReadableSpan) -> None:
        """A span ends: its attributes are complete now (some set none at start)."""
        if self._watched:
            self._note(span)

    def _note(self, span: ReadableSpan) -> None:
        parent = span.parent
        if parent is None:
            return
        seen = self._watched.get(parent.span_id)
        if seen is None or seen[0] is not None:
            return
        try:
            if span.kind is not SpanKind.CLIENT:
                return
            scope = span.instrumentation_scope
            name = scope.name if scope is not None else ""
            if name == OUR_SCOPE:
                return
            attrs = span.attributes
            if attrs and any(key.startswith(_GENAI_KEYS) for key in attrs):
                seen[0] = name or "unknown"
        except Exception as exc:  # a span processor must never raise into the app
            report("ProviderSpanWatch", exc)

    def shutdown(self) -> None:
        """Nothing to flush."""

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        """Nothing to flush."""
        return True


_WATCH = ProviderSpanWatch()
_attached: weakref.WeakSet[Any] = weakref.WeakSet()
_lock = threading.Lock()


def attach(provider: Any) -> ProviderSpanWatch | None:
    """The watch, added once to ``provider``; None if it takes no span processors."""
    add = getattr(provider, "add_span_processor", None)
    if add is None:
        return None
    with _lock:
        if provider not in _attached:
            add(_WATCH)
            _attached.add(provider)
    return _WATCH


def records_metrics(scope: str) -> bool:
    """Whether the instrumentation of ``scope`` records the GenAI client metrics as well."""
    return scope.startswith(_METRIC_SCOPES)


def instrumentor_active(provider: str | None) -> str | None:
    """The module of a known instrumentor that is on for ``provider``'s calls, if any."""
    for module_name, class_name in _INSTRUMENTORS.get(provider or "", ()):
        module = sys.modules.get(module_name)
        cls = getattr(module, class_name, None) if module is not None else None
        # The BaseInstrumentor singleton; never instantiated here (that would re-run __init__).
        instance = getattr(cls, "_instance", None)
        if instance is not None and getattr(instance, "is_instrumented_by_opentelemetry", False):
            return module_name
    return None


def move_usage(attrs: dict[str, Any], recorded_by: str) -> None:
    """Rename ``gen_ai.usage.*`` to ``langchain.llm.usage.*`` and name the scope that has them."""
    for key in [k for k in attrs if k.startswith(_USAGE_PREFIX)]:
        attrs[sc.LANGCHAIN_USAGE_PREFIX + key[len(_USAGE_PREFIX) :]] = attrs.pop(key)
    attrs[sc.LANGCHAIN_USAGE_RECORDED_BY] = recorded_by
