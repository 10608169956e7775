"""Cost regions for the breakdown: which functions callgrind counts inclusively.

``sdk_and_hooks``: the OpenTelemetry SDK's span and metric entry points and the
internals the issue names (attribute cleaning and hashing, exemplars), LangChain's
callback dispatch, and every ``on_*`` hook of the handler (found on its class, so a
reshaped handler is covered unchanged). ``attrs``: only the SDK's span-attribute
entry points (the lower bound under the targets). ``ours``: every function and method of the
``otel_langchain`` package (wrapping them all costs some instructions per call;
the report states that inflation). Targets that a version does not have are
skipped and listed as absent.
"""

from __future__ import annotations

from typing import Any

import callgrind

HOLDERS = ("opentelemetry", "otel_langchain", "langchain_core", "langgraph", "langchain")

_TRACE, _EXPORT = "opentelemetry.sdk.trace", "opentelemetry.sdk.trace.export"
_M = "opentelemetry.sdk.metrics._internal"
SDK = {
    "sdk span: Tracer.start_span": f"{_TRACE}:Tracer.start_span",
    "sdk span: Span.__init__": f"{_TRACE}:Span.__init__",
    "sdk span: BoundedAttributes.__init__": "opentelemetry.attributes:BoundedAttributes.__init__",
    "sdk span: Span.set_attributes": f"{_TRACE}:Span.set_attributes",
    "sdk span: Span.set_attribute": f"{_TRACE}:Span.set_attribute",
    "sdk span: Span.add_event": f"{_TRACE}:Span.add_event",
    "sdk span: Span.set_status": f"{_TRACE}:Span.set_status",
    "sdk span: Span.update_name": f"{_TRACE}:Span.update_name",
    "sdk span: Span.end": f"{_TRACE}:Span.end",
    "sdk span: SimpleSpanProcessor.on_end": f"{_EXPORT}:SimpleSpanProcessor.on_end",
    "api: _clean_attribute_value": "opentelemetry.attributes:_clean_attribute_value",
    "api: context attach": "opentelemetry.context:attach",
    "api: context detach": "opentelemetry.context:detach",
    "sdk metric: Histogram.record": f"{_M}.instrument:Histogram.record",
    "sdk metric: Counter.add": f"{_M}.instrument:Counter.add",
    "sdk metric: Measurement.__post_init__": f"{_M}.measurement:Measurement.__post_init__",
    "sdk metric: exemplar filter":
        f"{_M}.exemplar.exemplar_filter:TraceBasedExemplarFilter.should_sample",
    "sdk metric: _ViewInstrumentMatch.consume_measurement":
        f"{_M}._view_instrument_match:_ViewInstrumentMatch.consume_measurement",
    "sdk metric: _hash_attributes": f"{_M}._view_instrument_match:_hash_attributes",
    "sdk metric: histogram aggregate":
        f"{_M}.aggregation:_ExplicitBucketHistogramAggregation.aggregate",
    "sdk metric: sum aggregate": f"{_M}.aggregation:_SumAggregation.aggregate",
    "sdk metric: exemplar reservoir offer":
        f"{_M}.exemplar.exemplar_reservoir:FixedSizeExemplarReservoirABC.offer",
    "langchain: handle_event": "langchain_core.callbacks.manager:handle_event",
    "langchain: ahandle_event": "langchain_core.callbacks.manager:ahandle_event",
}  # fmt: skip


def sdk_and_hooks(handler: Any) -> dict[str, Any]:
    """SDK and LangChain targets, plus the handler's hooks (``hook: on_chain_start``...)."""
    found = {label: callgrind.resolve(target) for label, target in SDK.items()}
    if handler is not None:
        for cls in type(handler).__mro__:
            if not cls.__module__.startswith("otel_langchain"):
                continue
            for name, fn in vars(cls).items():
                if name.startswith("on_") and f"hook: {name}" not in found and callable(fn):
                    found[f"hook: {name}"] = fn
    return found


# What the SDK spends on span attributes: the attribute set a span starts with, and the
# attributes set later. Only these two are wrapped (not the per-value cleaning inside),
# so that wrapping adds two calls per span, not one per attribute.
ATTRIBUTES = ("sdk span: BoundedAttributes.__init__", "sdk span: Span.set_attributes")


def span_attributes() -> dict[str, Any]:
    """The SDK's span-attribute entry points only (the bound under the targets)."""
    return {label: callgrind.resolve(SDK[label]) for label in ATTRIBUTES}


def ours() -> dict[str, Any]:
    """Every function and method defined in ``otel_langchain`` (the CLI excluded)."""
    return {
        label: fn
        for label, fn in callgrind.functions_of("otel_langchain").items()
        if not label.startswith(("otel_langchain.cli", "otel_langchain.exporters"))
    }
