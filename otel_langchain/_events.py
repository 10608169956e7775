"""Pure functions: event payloads (custom events, retries, exceptions) -> attributes.

Strings are bounded here; the recording layer (:mod:`otel_langchain._record`)
scrubs every one of them. Texts that are cut are scrubbed before the cut (with a
window), so a credential cut in two cannot leave a part behind.
"""

from __future__ import annotations

import traceback
from collections.abc import Callable, Mapping
from typing import Any

from otel_langchain import _semconv as sc
from otel_langchain._json import TRUNCATED, dumps, safe_str
from otel_langchain._record import MAX_TEXT
from otel_langchain._scrub import is_secret_key, learn, scrub, scrub_head, scrub_tail

_MAX_ATTRS = 64
_MAX_TEXT = 4096
_MAX_DEPTH = 4
_MAX_ITEMS = 128
# Exception stack traces keep their head and their tail (where the message is),
# together within the recording layer's limit, so that it does not cut the tail.
_STACK_PART = (MAX_TEXT - len(TRUNCATED) - 2) // 2


def _text(value: str) -> str:
    head, cut = scrub_head(value, _MAX_TEXT)
    return head + TRUNCATED if cut else head


def _scalar(value: Any) -> Any:
    if isinstance(value, str):
        return _text(value)
    if isinstance(value, (bool, int, float)):
        return value
    return None


def _json(value: Any) -> str:
    return dumps(value, limit=_MAX_TEXT, text=scrub)[0]


def _sequence(value: list[Any] | tuple[Any, ...]) -> Any:
    items = [_scalar(v) for v in value[:_MAX_ITEMS]]
    kinds = {type(v) for v in items}
    if items and len(value) <= _MAX_ITEMS and None not in items and len(kinds) == 1:
        return items
    return _json(value)


def _flatten(prefix: str, value: Any, out: dict[str, Any], depth: int) -> None:
    if len(out) >= _MAX_ATTRS:
        return
    if isinstance(value, Mapping) and depth < _MAX_DEPTH:
        for seen, (key, item) in enumerate(value.items()):
            if seen >= _MAX_ITEMS or len(out) >= _MAX_ATTRS:
                return
            key_text = safe_str(key)
            if is_secret_key(key_text):
                if isinstance(item, str):
                    learn((item,), recent=True)  # masked if it shows up elsewhere
                continue
            _flatten(f"{prefix}.{key_text}" if prefix else key_text, item, out, depth + 1)
        return
    key = prefix or "data"
    if isinstance(value, (list, tuple)):
        out[key] = _sequence(value)
        return
    scalar = _scalar(value)
    out[key] = scalar if scalar is not None else _json(value)


def event_attributes(data: Any, text: Callable[[str], str] | None = None) -> dict[str, Any]:
    """Custom event data flattened to attributes (``a.b.c``), secrets dropped, bounded.

    ``text`` (the user's ``redact``) is applied to every string.
    """
    out: dict[str, Any] = {}
    if data is not None:
        _flatten("", data, out, 0)
    if text is not None:
        for key, value in out.items():
            if isinstance(value, str):
                out[key] = text(value)
            elif isinstance(value, list) and value and isinstance(value[0], str):
                out[key] = [text(v) for v in value]
    return out


def retry_attributes(retry_state: Any) -> dict[str, Any]:
    """A tenacity ``RetryCallState`` -> attempt number and the failed attempt's error type."""
    attrs: dict[str, Any] = {}
    attempt = getattr(retry_state, "attempt_number", None)
    if isinstance(attempt, int):
        attrs[sc.RETRY_ATTEMPT] = attempt
    outcome = getattr(retry_state, "outcome", None)
    if outcome is not None and getattr(outcome, "failed", False):
        exc = outcome.exception()
        if exc is not None:
            attrs[sc.ERROR_TYPE] = type(exc).__name__
            attrs[sc.EXCEPTION_MESSAGE] = _text(safe_str(exc))
    return attrs


def exception_attributes(error: BaseException) -> dict[str, Any]:
    """The semconv ``exception`` event attributes; never calls a ``str()`` unguarded."""
    cls = type(error)
    qualname = (
        cls.__qualname__
        if cls.__module__ == "builtins"
        else (f"{cls.__module__}.{cls.__qualname__}")
    )
    try:
        stack = "".join(traceback.format_exception(cls, error, error.__traceback__))
    except Exception:
        stack = ""
    return {
        sc.EXCEPTION_TYPE: qualname,
        sc.EXCEPTION_MESSAGE: _text(safe_str(error)),
        sc.EXCEPTION_STACKTRACE: _stack(stack),
    }


def _stack(stack: str) -> str:
    if len(stack) <= 2 * _STACK_PART:
        return stack
    head, _ = scrub_head(stack, _STACK_PART)
    return f"{head}\n{TRUNCATED}\n{scrub_tail(stack, _STACK_PART)}"
