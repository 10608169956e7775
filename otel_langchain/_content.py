"""Content capture: what may be recorded, credential scrubbing, redaction, truncation.

Content (prompts, completions, tool arguments, chain inputs) is off by default.
Credentials are never recorded, whatever the setting: keys that name a secret
are dropped from every mapping we serialize, and values that look like a
credential are masked in every string we record.
"""

from __future__ import annotations

import functools
import json
import logging
import os
import re
from collections.abc import Callable, Mapping
from typing import Any

from pydantic import BaseModel

from otel_langchain._safety import warn_once

logger = logging.getLogger(__name__)

CAPTURE_ENV = "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT"
MAX_LENGTH_ENV = "OTEL_LANGCHAIN_MAX_CONTENT_LENGTH"
DEFAULT_MAX_LENGTH = 8192
MASK = "[REDACTED]"

_SECRET_KEY = re.compile(
    r"(api[_-]?key|apikey|secret|passw(or)?d|passwd|token|authorization|auth[_-]?header|"
    r"credential|cookie|private[_-]?key|access[_-]?key|session[_-]?key|bearer|signature|"
    r"client[_-]?secret|x-api-key|subscription[_-]?key)",
    re.IGNORECASE,
)
# Token counters and ids are not secrets even though they contain "token".
_NOT_SECRET_KEY = re.compile(
    r"(^|_)(max|max_new|num|n|input|output|total|prompt|completion|cached|reasoning|candidates|"
    r"thoughts|cache_read_input|cache_creation_input|cache_read|cache_write)_?tokens?($|_)"
    r"|tokens?_(count|usage|type|details)|token_ids?$|tokenizer",
    re.IGNORECASE,
)
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
_SECRET_VALUE = re.compile(
    r"(sk-(ant-|proj-)?[A-Za-z0-9_\-]{8,}"  # OpenAI / Anthropic style keys
    r"|AKIA[0-9A-Z]{16}"  # AWS access key ids
    r"|AIza[0-9A-Za-z_\-]{20,}"  # Google API keys
    r"|gh[pousr]_[A-Za-z0-9]{20,}"  # GitHub tokens
    r"|xox[abposr]-[A-Za-z0-9\-]{10,}"  # Slack tokens
    r"|gsk_[A-Za-z0-9]{20,}"  # Groq keys
    r"|hf_[A-Za-z0-9]{20,}"  # Hugging Face tokens
    r"|eyJ[A-Za-z0-9_\-]{8,}\.eyJ[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]+"  # JWTs
    r"|(?i:bearer|basic)\s+[A-Za-z0-9._~+/\-]{8,}=*)"
)


def _names_a_secret(key: str) -> bool:
    if not _SECRET_KEY.search(key):
        return False
    return not _NOT_SECRET_KEY.search(_CAMEL.sub("_", key))


# The same few keys ("role", "content", "token_usage", ...) recur on every run: the
# regexes run once per key. Bounded in entries and in key length.
_names_a_secret_cached = functools.lru_cache(maxsize=4096)(_names_a_secret)


def is_secret_key(key: str) -> bool:
    """Whether a mapping key names a credential (``api_key``, ``password``, ...)."""
    if len(key) <= 128:
        return _names_a_secret_cached(key)
    return _names_a_secret(key)


def scrub(text: str) -> str:
    """Mask substrings that look like credentials."""
    if len(text) < 8:
        return text
    return _SECRET_VALUE.sub(MASK, text)


def capture_enabled(explicit: bool | None) -> bool:
    """Explicit argument, else the standard env var, else off."""
    if explicit is not None:
        return bool(explicit)
    raw = os.environ.get(CAPTURE_ENV)
    if raw is None:
        return False
    value = raw.strip().lower()
    if value in ("true", "1", "yes", "on"):
        return True
    if value not in ("false", "0", "no", "off", ""):
        logger.warning("%s=%r is not true/false; content capture stays off", CAPTURE_ENV, raw)
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
        logger.warning(
            "%s=%r is not a positive integer; using %d", MAX_LENGTH_ENV, raw, DEFAULT_MAX_LENGTH
        )
        return DEFAULT_MAX_LENGTH
    return value


def drop_secrets(value: Any, depth: int = 0) -> Any:
    """A JSON-ready copy of ``value`` without credential keys (bounded depth)."""
    if depth > 12:
        return "..."
    if isinstance(value, Mapping):
        return {
            safe_str(k): drop_secrets(v, depth + 1)
            for k, v in value.items()
            if not (isinstance(k, str) and is_secret_key(k))
        }
    if isinstance(value, (list, tuple)):
        return [drop_secrets(v, depth + 1) for v in value]
    if isinstance(value, str):
        return _drop_secrets_in_json_text(value, depth)
    if value is None or isinstance(value, (int, float, bool)):
        return value
    if isinstance(value, BaseModel):
        try:
            return drop_secrets(value.model_dump(), depth + 1)
        except Exception:  # an odd model: never fall back to its repr (it may hold secrets)
            return f"<{type(value).__name__}>"
    return safe_str(value)


def _drop_secrets_in_json_text(text: str, depth: int) -> str:
    """Streamed tool-call arguments arrive as JSON text: drop credential keys inside too."""
    if len(text) < 2 or text[0] != "{" or text[-1] != "}":
        return text
    try:
        parsed = json.loads(text)
    except ValueError:
        return text
    return json.dumps(drop_secrets(parsed, depth + 1), ensure_ascii=False, default=safe_str)


def safe_str(value: Any) -> str:
    """``str(value)`` that never raises."""
    try:
        return str(value)
    except Exception:
        return f"<unprintable {type(value).__name__}>"


def to_json(value: Any) -> str:
    """Serialize with credentials dropped; never raises."""
    try:
        return json.dumps(drop_secrets(value), ensure_ascii=False, default=safe_str)
    except Exception:
        return f"<{type(value).__name__}>"


REDACTION_FAILED = "[redaction failed]"


class ContentPolicy:
    """Applies scrubbing, the user's ``redact`` and truncation to captured strings."""

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

    def text(self, value: str) -> str:
        """Scrub credentials, apply ``redact``, truncate."""
        value = scrub(value)
        if self.redact is not None:
            try:
                value = self.redact(value)
            except Exception as exc:  # the app's callable: record nothing it did not clear
                warn_once(
                    "redact",
                    "the redact callable raised %s; captured content is recorded as %r",
                    exc,
                    REDACTION_FAILED,
                )
                return REDACTION_FAILED
            if not isinstance(value, str):
                value = safe_str(value)
        if len(value) > self.limit:
            value = value[: self.limit] + "...[truncated]"
        return value

    def json(self, value: Any) -> str:
        """Serialize ``value`` to JSON, then treat it as captured text."""
        return self.text(value if isinstance(value, str) else to_json(value))
