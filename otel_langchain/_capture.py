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

A tool run that captures nothing while other runs of the handler may capture
has its call id remembered (:class:`WithheldCalls`): its result travels on as
a tool message, in later model calls' input messages and in the chain inputs
and outputs that carry the conversation, and is written there as
:data:`NOT_CAPTURED`.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping, Sequence
from typing import Any

from otel_langchain._safety import warn_once

METADATA_KEY = "otel_langchain.capture_content"
TAG_PREFIX = "otel_langchain:capture_content="
NOT_CAPTURED = "[not captured]"
NO_TAGS: frozenset[str] = frozenset()
_ON = "true"
_OFF = "false"
_ABSENT = object()


class Scope:
    """A run's capture decision, and what its children compare their own setting with.

    Immutable, so a subtree that sets nothing shares one object.
    """

    __slots__ = ("inherited", "metadata", "on", "seen_on", "tags")

    def __init__(
        self, on: bool, metadata: bool | None, tags: frozenset[str], seen_on: bool
    ) -> None:
        #: Record this run's content.
        self.on = on
        #: The run's metadata setting and capture tag values, inherited or not.
        self.metadata = metadata
        self.tags = tags
        #: This run or a run above it carried ``True``.
        self.seen_on = seen_on
        #: The scope of a child that carries no setting: the same decision, nothing carried.
        self.inherited: Scope = (
            self if metadata is None and not tags else Scope(on, None, NO_TAGS, seen_on)
        )


#: A root run's parent scope: the handler's ``capture_content``.
ON = Scope(True, None, NO_TAGS, False)
OFF = Scope(False, None, NO_TAGS, False)


class WithheldCalls:
    """Ids of tool calls whose tool run captured nothing (bounded, oldest dropped)."""

    __slots__ = ("_ids", "_limit")

    def __init__(self, limit: int = 4096) -> None:
        self._ids: dict[str, None] = {}
        self._limit = limit

    def __contains__(self, call_id: object) -> bool:
        try:
            return call_id in self._ids
        except TypeError:  # unhashable: never one of ours
            return False

    def __len__(self) -> int:
        return len(self._ids)

    def add(self, call_id: str) -> None:
        """Remember a call id; past the bound, the oldest is forgotten."""
        ids = self._ids
        ids[call_id] = None
        if len(ids) > self._limit:
            # Another thread may have dropped it first.
            with contextlib.suppress(KeyError, RuntimeError, StopIteration):
                del ids[next(iter(ids))]


class Capture:
    """One handler's capture decisions: its default, and the tool calls it withheld."""

    __slots__ = ("default", "maybe", "withheld")

    def __init__(self, enabled: bool) -> None:
        self.default = ON if enabled else OFF
        #: Some run of this handler may record content (its results would show a
        #: withheld tool's result): the handler captures, or a run switched it on.
        self.maybe = enabled
        self.withheld = WithheldCalls()

    def scope(
        self,
        parent: Scope | None,
        tags: Sequence[Any] | None,
        metadata: Mapping[str, Any] | None,
    ) -> Scope:
        """A starting run's scope; ``parent`` is its parent run's (None for a root).

        ``tags`` may leave out LangChain's own bookkeeping tags (``seq:step:``,
        ``graph:step:``, ...), as the run's span attributes do. ``Run.__init__``
        checks the common case inline (no key, no user tag: the parent's
        ``inherited``) and calls this for the rest.
        """
        if parent is None:
            parent = self.default
        if metadata and METADATA_KEY in metadata:
            return self._decide(parent, tags, metadata)
        if tags:
            for tag in tags:
                if type(tag) is str and tag.startswith(TAG_PREFIX):
                    return self._decide(parent, tags, metadata)
        return parent.inherited

    def withhold(self, call_id: Any) -> None:
        """A tool run captures nothing while others may: its result is withheld where it goes.

        Called only when ``maybe``: otherwise nothing records the result anywhere.
        """
        if isinstance(call_id, str) and call_id:
            self.withheld.add(call_id)

    def _decide(
        self,
        parent: Scope,
        tags: Sequence[Any] | None,
        metadata: Mapping[str, Any] | None,
    ) -> Scope:
        md = metadata_value(metadata) if metadata else None
        tag_set = tag_values(tags) if tags else NO_TAGS
        if md is None and not tag_set:  # only invalid values: nothing of its own
            return parent.inherited
        own = own_setting(md, tag_set, parent)
        seen = md is True or _ON in tag_set or parent.seen_on
        scope = Scope(decide(own, parent), md, tag_set, seen)
        if scope.on:
            self.maybe = True
        return scope


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


def own_setting(metadata: bool | None, tags: frozenset[str], parent: Scope) -> bool | None:
    """What the run sets itself: what it carries and its parent does not (metadata first)."""
    if metadata is not None and metadata != parent.metadata:
        return metadata
    new = tags - parent.tags
    if new:
        return _OFF not in new  # both added at once: the private reading
    return None


def decide(own: bool | None, parent: Scope) -> bool:
    """Whether a run's content is captured, given its own setting and its parent's scope."""
    if own is None:
        return parent.on
    if own is False or parent.on:
        return own
    return not parent.seen_on  # True below an off: see the module docstring
