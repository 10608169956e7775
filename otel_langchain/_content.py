"""Content capture: what may be recorded, redaction, truncation.

Content (prompts, completions, tool arguments, chain inputs) is off by default.
Credentials are never recorded, whatever the setting: the scrubber
(:mod:`otel_langchain._scrub`) masks them in every recorded string, and the
bounded serializer (:mod:`otel_langchain._json`) drops mapping keys that name one.
Capture costs what the length limit allows, however large the value.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Container
from typing import Any

from otel_langchain._json import TRUNCATED, dumps, safe_str
from otel_langchain._record import Captured
from otel_langchain._safety import warn_once
from otel_langchain._scrub import MASK, is_secret_key, scrub, scrub_head

__all__ = [
    "CAPTURE_ENV",
    "MASK",
    "MAX_LENGTH_ENV",
    "REDACTION_FAILED",
    "TRUNCATED",
    "Captured",
    "ContentPolicy",
    "capture_enabled",
    "is_secret_key",
    "max_length",
    "safe_str",
    "scrub",
]

logger = logging.getLogger(__name__)

CAPTURE_ENV = "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT"
MAX_LENGTH_ENV = "OTEL_LANGCHAIN_MAX_CONTENT_LENGTH"
DEFAULT_MAX_LENGTH = 8192
REDACTION_FAILED = "[redaction failed]"
#: ``gen_ai.*.messages`` hold many captured strings: each is cut at the limit, the
#: whole attribute at this many times the limit, plus room for the JSON around them.
MESSAGES_FACTOR = 4
MESSAGES_ROOM = 4096

_TRUE = ("true", "1", "yes", "on")
_FALSE = ("false", "0", "no", "off", "")


def capture_enabled(explicit: bool | None) -> bool:
    """Explicit argument (a bool or None), else the standard env var, else off.

    Raises:
        ValueError: ``capture_content`` is neither a bool nor None (a string such
            as ``"false"`` would otherwise turn capture on).
    """
    if explicit is not None:
        if not isinstance(explicit, bool):
            raise ValueError(f"capture_content must be True, False or None, got {explicit!r}")
        return explicit
    raw = os.environ.get(CAPTURE_ENV)
    if raw is None:
        return False
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value not in _FALSE:
        warn_once(
            "capture-env",
            "%s=%r is not true/false (or 1/0); content capture stays off",
            CAPTURE_ENV,
            raw,
        )
    return False


def max_length(explicit: int | None) -> int:
    """Explicit argument, else ``OTEL_LANGCHAIN_MAX_CONTENT_LENGTH``, else 8192."""
    if explicit is not None:
        if isinstance(explicit, bool) or not isinstance(explicit, int) or explicit < 1:
            raise ValueError(f"max_content_length must be a positive integer, got {explicit!r}")
        return explicit
    raw = os.environ.get(MAX_LENGTH_ENV)
    if raw is None:
        return DEFAULT_MAX_LENGTH
    try:
        value = int(raw)
        if value < 1:
            raise ValueError(raw)
    except ValueError:
        warn_once(
            "max-length-env",
            "%s=%r is not a positive integer; using %d",
            MAX_LENGTH_ENV,
            raw,
            DEFAULT_MAX_LENGTH,
        )
        return DEFAULT_MAX_LENGTH
    return value


class ContentPolicy:
    """Applies scrubbing, the user's ``redact`` and the length limit to captured content."""

    __slots__ = ("enabled", "limit", "redact")

    def __init__(
        self,
        *,
        enabled: bool | None,
        redact: Callable[[str], str] | None,
        limit: int | None,
    ) -> None:
        if redact is not None and not callable(redact):
            raise ValueError(f"redact must be a callable str -> str, got {type(redact).__name__}")
        self.enabled = capture_enabled(enabled)
        self.redact = redact
        self.limit = max_length(limit)

    def redacted(self, value: str) -> str:
        """The user's ``redact`` applied to ``value`` (a marker if it raises)."""
        if self.redact is None:
            return value
        try:
            out = self.redact(value)
        except Exception as exc:  # the app's callable: record nothing it did not clear
            warn_once(
                "redact",
                "the redact callable raised %s; captured content is recorded as %r",
                exc,
                REDACTION_FAILED,
            )
            return REDACTION_FAILED
        return out if isinstance(out, str) else safe_str(out)

    def piece(self, value: str) -> Piece:
        """One captured string: scrubbed, redacted, cut at the limit (and marked)."""
        head, cut = scrub_head(value, self.limit)
        out = self.redacted(head)
        if len(out) > self.limit:
            out, cut = out[: self.limit], True
        return Piece(out + TRUNCATED if cut else out)

    def text(self, value: str) -> Captured:
        """A captured string attribute (see :meth:`piece`)."""
        return Captured(str(self.piece(value)))

    def json(self, value: Any, withheld: Container[str] = ()) -> Captured:
        """``value`` as bounded JSON (strings as they are), scrubbed, redacted, cut.

        A tool message answering a call in ``withheld`` is written without its content.
        """
        if isinstance(value, str):
            return self.text(value)
        out, _ = dumps(
            value, limit=self.limit, text=scrub, string_limit=self.limit, withheld=withheld
        )
        redacted = self.redacted(out)
        if len(redacted) > self.limit + len(TRUNCATED) + 64:  # redact made it longer
            return Captured(redacted[: self.limit] + TRUNCATED)
        return Captured(redacted)

    def messages(self, value: Any) -> Captured:
        """GenAI messages whose texts already went through :meth:`piece`, as bounded JSON."""
        limit = self.limit * MESSAGES_FACTOR + MESSAGES_ROOM
        out, _ = dumps(value, limit=limit, text=_scrub_unless_piece, string_limit=self.limit)
        return Captured(out)


class Piece(str):
    """A string :meth:`ContentPolicy.piece` produced (scrubbed): not scrubbed twice."""

    __slots__ = ()


def _scrub_unless_piece(value: str) -> str:
    return value if type(value) is Piece else scrub(value)
