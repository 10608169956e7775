"""The one way the handler records telemetry: every string goes through the scrubber.

Span names, attributes (tags and ``langchain.metadata.*`` included), status
descriptions, event names and attributes (``exception.*``, custom events) and
metric attributes are written here and nowhere else; a test checks that no
other module calls the span or instrument methods. Captured content arrives as
:class:`Captured`, already scrubbed, redacted and bounded by the content
policy, and is written as is.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from opentelemetry.context import Context
from opentelemetry.metrics import Counter, Histogram, Observation
from opentelemetry.trace import Link, Span, SpanKind, Status, StatusCode, Tracer

from otel_langchain import _semconv as sc
from otel_langchain._json import TRUNCATED
from otel_langchain._scrub import _cache, scrub_head, scrub_uncached

#: Longest string recorded outside captured content (longer ones are cut, marked).
MAX_TEXT = 16_384
_MAX_STATUS = 1024

# Values we produce ourselves from safe types: UUIDs we format, our own constants.
_TRUSTED = frozenset(
    {
        sc.LANGCHAIN_RUN_ID,
        sc.LANGCHAIN_RUN_TYPE,
        sc.GEN_AI_OPERATION_NAME,
        sc.GEN_AI_TOKEN_TYPE,
        sc.GEN_AI_TOOL_TYPE,
        sc.LANGCHAIN_LINK_TYPE,
    }
)


class Captured:
    """Content the policy already scrubbed, redacted and bounded."""

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text


_COMPOSITE = frozenset({Captured, list, tuple})


def clean_text(value: str) -> str:
    """One recorded string: scrubbed, and cut when longer than :data:`MAX_TEXT`."""
    hit = _cache.get(value)
    if hit is not None:
        return hit
    if len(value) <= MAX_TEXT:
        return scrub_uncached(value)
    head, _ = scrub_head(value, MAX_TEXT)
    return head + TRUNCATED


def _clean_value(value: Any) -> Any:
    kind = type(value)
    if kind is str:
        return clean_text(value)
    if kind is Captured:
        return value.text
    if kind is list or kind is tuple:  # a few items (finish reasons, tool call ids, tags)
        out = []
        for v in value:  # no comprehension: on 3.11 it costs a function call of its own
            out.append(clean_text(v) if type(v) is str else v)
        return out
    return value


def clean(attrs: dict[str, Any]) -> dict[str, Any]:
    """Scrub every string value of ``attrs`` in place; return it.

    The hot path: most values are short strings seen before (names, models), found
    in the scrubber's cache by one lookup; numbers and our own constants are skipped.
    """
    cache = _cache
    for key, value in attrs.items():
        if key in _TRUSTED:  # first: every span starts with two (run id and type)
            continue
        if type(value) is str:
            hit = cache.get(value)
            if hit is not value:
                attrs[key] = hit if hit is not None else clean_text(value)
        elif type(value) in _COMPOSITE:
            attrs[key] = _clean_value(value)
    return attrs


def _cleaned(attrs: Mapping[str, Any] | None) -> dict[str, Any] | None:
    if not attrs:
        return None
    return clean(dict(attrs) if type(attrs) is not dict else attrs)


# -- spans ----------------------------------------------------------------------------------


def start_span(
    tracer: Tracer,
    name: str,
    *,
    context: Context,
    kind: SpanKind,
    attrs: dict[str, Any],
    links: list[Link] | None = None,
) -> Span:
    """Start a span; its name and attributes scrubbed, and those of its ``links``.

    Links known when the run starts go here rather than through ``add_links``: the
    sampler sees them, and the SDK builds each once (``add_link`` copies it).
    """
    hit = _cache.get(name)  # most span names were seen before: one lookup, as in ``clean``
    if links:
        for link in links:
            if link.attributes:  # the dict ``_links`` made for this link alone
                clean(link.attributes)  # type: ignore[arg-type]
    return tracer.start_span(
        hit if hit is not None else clean_text(name),
        context=context,
        kind=kind,
        attributes=clean(attrs),
        links=links,
    )


def rename(span: Span, name: str) -> None:
    """Give a started span a new (scrubbed) name."""
    span.update_name(clean_text(name))


def set_attributes(span: Span, attrs: Mapping[str, Any]) -> None:
    """Set attributes, their strings scrubbed."""
    cleaned = _cleaned(attrs)
    if cleaned:
        span.set_attributes(cleaned)


def set_attribute(span: Span, key: str, value: Any) -> None:
    """Set one attribute, scrubbed if it holds text."""
    span.set_attribute(key, value if key in _TRUSTED else _clean_value(value))


def add_event(span: Span, name: str, attrs: Mapping[str, Any] | None = None) -> None:
    """Add an event; its name and attributes scrubbed."""
    span.add_event(clean_text(name), _cleaned(attrs))


def add_links(span: Span, links: list[Link]) -> None:
    """Link the span to other spans; the links' attributes scrubbed."""
    for link in links:
        span.add_link(link.context, _cleaned(link.attributes))


def set_error(span: Span, description: str) -> None:
    """Status ERROR with a scrubbed description of at most 1024 characters."""
    head, _ = scrub_head(description, _MAX_STATUS)
    span.set_status(Status(StatusCode.ERROR, head))


# -- metrics --------------------------------------------------------------------------------


def record(histogram: Histogram, amount: float, attrs: dict[str, Any]) -> None:
    """Record a histogram point; its attributes scrubbed."""
    histogram.record(amount, clean(attrs))


def add(counter: Counter, amount: float, attrs: dict[str, Any]) -> None:
    """Add to a counter; its attributes scrubbed."""
    counter.add(amount, clean(attrs))


def point(histogram: Histogram, amount: float, cleaned: dict[str, Any], context: Context) -> None:
    """Record a histogram point whose attributes ``clean`` already scrubbed.

    For the attribute dicts built once and reused for every point of a series
    (``_metrics``): scrubbed when built, never changed after. ``context`` decides
    the exemplar: a run's own context links it to the run's span;
    ``_metrics.NO_EXEMPLAR`` asks for none.
    """
    histogram.record(amount, cleaned, context)


def observation(amount: float, cleaned: dict[str, Any]) -> Observation:
    """An observable instrument's value; its attributes already scrubbed by ``clean``."""
    return Observation(amount, cleaned)
