"""Per-run content capture: a run's metadata or tags switch capture on or off for its subtree.

A run carries the setting in ``metadata["otel_langchain.capture_content"]`` (a
bool) or in a tag ``otel_langchain:capture_content=true|false``. LangChain
passes a config's metadata and tags down to every child run, so what a run
carries is mostly inherited. A run's *own* setting is therefore what it carries
and its parent run did not: a metadata value that differs from the parent's, or
a capture tag the parent lacks. A run with no own setting inherits its parent's
decision; a run with no traced parent starts from the handler's setting.

How LangChain merges them decides what can be overridden where:

- metadata: the caller's config wins over a runnable's ``.with_config(metadata=)``,
  so a bound value applies only where no run above set the key; a tool's or
  model's own ``metadata=`` field wins for that run, but is not passed to its
  child runs (they inherit the run's decision here instead);
- tags accumulate (as a set), so ``.with_config(tags=[...])`` adds to what the
  caller passed: the way to switch capture for a subtree below another setting.

One case is ambiguous: an own ``True`` below a run that decided off may be the
run switching capture back on, or a ``True`` from above that LangChain passed
down past that run's own (child-less) ``metadata=`` off. The more private
reading wins: it stays off when a run at or above the parent carried ``True``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from otel_langchain._safety import warn_once

METADATA_KEY = "otel_langchain.capture_content"
TAG_PREFIX = "otel_langchain:capture_content="
NO_TAGS: frozenset[str] = frozenset()
_ON = "true"
_OFF = "false"
_ABSENT = object()


def metadata_value(metadata: Mapping[str, Any]) -> bool | None:
    """The metadata setting; a value that is not a bool is logged once and ignored."""
    value = metadata.get(METADATA_KEY, _ABSENT)
    if value is True or value is False:
        return value
    if value is not _ABSENT:
        warn_once(
            "capture_metadata",
            "otel-langchain: metadata %s=%r is not a boolean (True/False); ignored",
            METADATA_KEY,
            value,
        )
    return None


def tag_values(tags: Sequence[Any]) -> frozenset[str]:
    """The capture tags' values (``true`` / ``false``, any case); others logged once, ignored."""
    found: set[str] | None = None
    for tag in tags:
        if isinstance(tag, str) and tag.startswith(TAG_PREFIX):
            value = tag[len(TAG_PREFIX) :].strip().lower()
            if value in (_ON, _OFF):
                found = found or set()
                found.add(value)
            else:
                warn_once(
                    "capture_tag",
                    "otel-langchain: tag %r is not %strue or %sfalse; ignored",
                    tag,
                    TAG_PREFIX,
                    TAG_PREFIX,
                )
    return frozenset(found) if found else NO_TAGS


class Decided(Protocol):
    """What a parent run keeps of its capture decision."""

    capture: bool  # record this run's content
    capture_metadata: bool | None  # the run's metadata setting, inherited or not
    capture_tags: frozenset[str]  # the run's capture tag values, inherited or not
    capture_seen_on: bool  # the run or a run above it carried True


def own_setting(
    metadata: bool | None, tags: frozenset[str], parent: Decided | None
) -> bool | None:
    """What the run sets itself: what it carries and its parent does not (metadata first)."""
    if metadata is not None and (parent is None or metadata != parent.capture_metadata):
        return metadata
    new = tags - parent.capture_tags if parent is not None else tags
    if new:
        return _OFF not in new  # both added at once: the private reading
    return None


def decide(own: bool | None, parent: Decided | None, default: bool) -> bool:
    """Whether a run's content is captured; ``default`` is the handler's ``capture_content``."""
    if own is None:
        return default if parent is None else parent.capture
    if own is False or parent is None or parent.capture:
        return own
    return not parent.capture_seen_on  # True below an off: see the module docstring


def seen_on(metadata: bool | None, tags: frozenset[str], parent: Decided | None) -> bool:
    """Whether this run or one above it carried ``True`` (for ``decide`` on its children)."""
    return (
        metadata is True
        or _ON in tags
        or (parent is not None and parent.capture_seen_on)
    )
