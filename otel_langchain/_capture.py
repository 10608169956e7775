"""Per-run content capture: a run's metadata or tags switch capture on or off for its subtree.

A run carries the setting in ``metadata["otel_langchain.capture_content"]`` (a
bool) or in a tag ``otel_langchain:capture_content=true|false``. LangChain
passes a config's metadata and tags to every child run, so a setting given at
invoke time or with ``.with_config(...)`` reaches the whole subtree by itself.
A tool's or model's own ``metadata=`` / ``tags=`` fields reach that run only:
its child runs then carry no setting and inherit the run's decision from the
handler's run tree.

One case is ambiguous: a run carrying ``True`` below a run that decided off may
have switched capture back on itself, or may carry a ``True`` that LangChain
passed down past that run's own (child-less) ``metadata=`` off. The merged
metadata cannot tell them apart, so the more private reading wins: capture
stays off there, unless no run above ever carried ``True``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from otel_langchain._safety import warn_once

METADATA_KEY = "otel_langchain.capture_content"
TAG_PREFIX = "otel_langchain:capture_content="
_ABSENT = object()


def run_setting(tags: Sequence[Any] | None, metadata: Mapping[str, Any] | None) -> bool | None:
    """The run's own setting as LangChain merged it: the metadata key, else the last tag.

    ``None`` when the run carries none, or only values that are not booleans
    (logged once each way, and ignored as if absent).
    """
    if metadata:
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
    if tags:
        found: str | None = None
        for tag in tags:
            if isinstance(tag, str) and tag.startswith(TAG_PREFIX):
                found = tag  # LangChain appends a run's own tags after the inherited ones
        if found is not None:
            value = found[len(TAG_PREFIX) :].strip().lower()
            if value == "true":
                return True
            if value == "false":
                return False
            warn_once(
                "capture_tag",
                "otel-langchain: tag %r is not %strue or %sfalse; ignored",
                found,
                TAG_PREFIX,
                TAG_PREFIX,
            )
    return None


class Decided(Protocol):
    """What a parent run keeps of its capture decision."""

    capture: bool  # the decision: record this run's content
    capture_setting: bool | None  # the run's own setting (``run_setting``)
    capture_seen_on: bool  # the run or a run above it carried ``True``


def decide(setting: bool | None, parent: Decided | None, default: bool) -> bool:
    """Whether a run's content is captured, given its own setting and its parent's decision.

    ``default`` is the handler's ``capture_content``; it decides for a run with no
    setting and no traced parent.
    """
    if setting is None:
        return default if parent is None else parent.capture
    if setting is False or parent is None or parent.capture:
        return setting
    # True below a run that decided off: see the module docstring.
    above = parent.capture_setting
    return above is None or (above is False and not parent.capture_seen_on)


def seen_on(setting: bool | None, parent: Decided | None) -> bool:
    """Whether this run or one above it carried ``True`` (for ``decide`` on its children)."""
    return setting is True or (parent is not None and parent.capture_seen_on)
