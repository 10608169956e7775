"""Where the scrubber learns exact credential values (see :func:`_scrub.learn`).

- key-like environment variables (``*_API_KEY``, ``*_TOKEN``, ``*_SECRET``,
  ``*_PASSWORD``, ...) and the OTLP header variables, read when a handler is
  created;
- the OTLP headers given to ``configure()`` (:func:`register_headers`);
- the models a handler traces: the ``SecretStr`` fields and key-like string
  fields of the model object, and the environment variables its serialized form
  names as secrets (:func:`learn_from_model`), once per model object;
- values under credential keys in metadata and tool arguments
  (:func:`learn_from_mapping`, the most recent ones).

Values are kept in memory only, bounded; nothing here logs or records them.
"""

from __future__ import annotations

import os
import re
import sys
import threading
from collections.abc import Iterable, Iterator, Mapping
from types import FrameType
from typing import Any

from otel_langchain._scrub import is_secret_key, learn

_SECRET_ENV = re.compile(
    r"(?:^|_)(?:API_?KEY|APIKEY|TOKEN|ACCESS_TOKEN|AUTH_TOKEN|SECRET|SECRET_KEY|"
    r"SECRET_ACCESS_KEY|CLIENT_SECRET|PASSWORD|PASSWD|ACCESS_KEY|PRIVATE_KEY|SIGNING_KEY)$",
    re.IGNORECASE,
)
_HEADER_ENVS = (
    "OTEL_EXPORTER_OTLP_HEADERS",
    "OTEL_EXPORTER_OTLP_TRACES_HEADERS",
    "OTEL_EXPORTER_OTLP_METRICS_HEADERS",
    "OTEL_EXPORTER_OTLP_LOGS_HEADERS",
)
#: Authorization schemes whose value after the scheme is the credential.
AUTH_SCHEMES = ("bearer ", "basic ", "token ", "apikey ", "api-key ")
_MAX_MODELS = 256
_MAX_FRAMES = 12
_MAX_REPR = 16_384
_REPR_PAIRS = re.compile(r"""(\w+)=(?:'([^'\\]{1,512})'|"([^"\\]{1,512})")""")
_REPR_ITEMS = re.compile(r"""['"]([\w\-]{1,64})['"]\s*:\s*['"]([^'"\\]{1,512})['"]""")


def _with_parts(value: str) -> Iterator[str]:
    """A credential and the forms it also travels in (the token after its scheme)."""
    yield value
    lowered = value.lower()
    for scheme in AUTH_SCHEMES:
        if lowered.startswith(scheme):
            yield value[len(scheme) :].strip()


def learn_environment(environ: Mapping[str, str] | None = None) -> None:
    """Learn key-like environment variables and the OTLP header values set in env."""
    env = os.environ if environ is None else environ
    values: list[str] = []
    for name, value in list(env.items()):
        if _SECRET_ENV.search(name):
            values.extend(_with_parts(value.strip()))
    for name in _HEADER_ENVS:
        raw = env.get(name)
        if raw:
            values.extend(_header_values(raw))
    learn(values)


def _header_values(raw: str) -> Iterator[str]:
    from urllib.parse import unquote

    for item in raw.split(","):
        _, sep, value = item.partition("=")
        if sep:
            yield from _with_parts(unquote(value).strip())


def register_headers(headers: Mapping[str, str] | str | None) -> None:
    """Learn the values of OTLP export headers (``configure()`` calls this).

    Header values (API keys, ``Authorization: Bearer ...``) are credentials for
    the telemetry backend; they must never show up in the telemetry itself.
    The header environment variables are learned too.
    """
    learn_environment()
    if headers is None:
        return
    if isinstance(headers, str):
        learn(_header_values(headers))
        return
    if isinstance(headers, Mapping):
        learn(
            part
            for value in headers.values()
            if isinstance(value, str)
            for part in _with_parts(value)
        )


def learn_from_mapping(values: Any, *, depth: int = 2, budget: int = 64) -> None:
    """Learn the string values under credential keys of a (shallow) mapping."""
    found: list[str] = []
    _collect(values, depth, [budget], found)
    if found:
        learn(found, recent=True)


def _collect(values: Any, depth: int, budget: list[int], found: list[str]) -> None:
    # ``type(...) is`` first: the usual dicts and strings skip the slower ABC checks.
    if type(values) is not dict and not isinstance(values, Mapping):
        return
    for key, value in values.items():
        budget[0] -= 1
        if budget[0] < 0:
            return
        if isinstance(key, str) and is_secret_key(key):
            if isinstance(value, str):
                found.extend(_with_parts(value))
            elif hasattr(value, "get_secret_value"):
                found.append(_secret_value(value))
        elif (
            depth > 1
            and type(value) is not str
            and (type(value) is dict or isinstance(value, Mapping))
        ):
            _collect(value, depth - 1, budget, found)


# -- models ---------------------------------------------------------------------------------

_models_lock = threading.Lock()
# Serialized payloads already learned from, by identity. LangChain caches a model's
# serialized dict on the model, so this is once per model object; the dicts are kept
# (bounded) so their ids cannot be reused by other objects.
_seen: dict[int, object] = {}


def learn_from_model(serialized: Any) -> None:
    """Learn a starting model's credentials, once per model object.

    ``serialized`` names the environment variables that hold its secrets (LangChain
    replaces the values by ``{"type": "secret", "id": [VAR]}``), and for a model
    LangChain cannot serialize, its ``repr``. The model object itself is found on
    the call stack (the frame whose ``self`` carries this very serialized dict):
    LangChain passes only the dict to callbacks, and only the object holds the
    ``SecretStr`` values given to its constructor.
    """
    if not isinstance(serialized, dict):
        return
    key = id(serialized)
    if key in _seen:
        return
    with _models_lock:
        if len(_seen) >= _MAX_MODELS:
            _seen.pop(next(iter(_seen)))
        _seen[key] = serialized
    values: list[str] = []
    _from_serialized(serialized, values, 4)
    model = _find_model(serialized)
    if model is not None:
        _from_object(model, values)
    learn(values)


def _from_serialized(node: Any, values: list[str], depth: int) -> None:
    if depth <= 0 or not isinstance(node, Mapping):
        return
    if node.get("type") == "secret" and isinstance(node.get("id"), list):
        for name in node["id"]:
            if isinstance(name, str) and name in os.environ:
                values.extend(_with_parts(os.environ[name]))
        return
    rep = node.get("repr")
    if isinstance(rep, str):
        values.extend(_from_repr(rep[:_MAX_REPR]))
    for key, value in node.items():
        if isinstance(value, str) and isinstance(key, str) and is_secret_key(key):
            values.extend(_with_parts(value))
        elif isinstance(value, Mapping):
            _from_serialized(value, values, depth - 1)


def _from_repr(rep: str) -> Iterable[str]:
    for match in _REPR_PAIRS.finditer(rep):
        if is_secret_key(match.group(1)):
            yield from _with_parts(match.group(2) or match.group(3))
    for match in _REPR_ITEMS.finditer(rep):
        if is_secret_key(match.group(1)):
            yield from _with_parts(match.group(2))


def _find_model(serialized: dict[str, Any]) -> Any:
    """The object on the stack whose serialized form this is.

    LangChain caches it on the model (``_serialized``), so identity finds it; older
    releases build a new dict per call, so the class name it records is the fallback.
    """
    ident = serialized.get("id")
    class_name = ident[-1] if isinstance(ident, list) and ident else None
    frame: FrameType | None = sys._getframe(2)
    for _ in range(_MAX_FRAMES):
        if frame is None:
            return None
        if frame.f_code.co_varnames[:1] == ("self",):
            candidate = frame.f_locals.get("self")
            attrs = getattr(candidate, "__dict__", None)
            if isinstance(attrs, dict) and (
                attrs.get("_serialized") is serialized
                or (class_name is not None and type(candidate).__name__ == class_name)
            ):
                return candidate
        frame = frame.f_back
    return None


def _secret_value(value: Any) -> str:
    try:
        secret = value.get_secret_value()
    except Exception:  # not a pydantic secret after all
        return ""
    if isinstance(secret, bytes):
        secret = secret.decode("utf-8", "replace")
    return secret if isinstance(secret, str) else ""


def _from_object(model: Any, values: list[str]) -> None:
    fields = getattr(type(model), "model_fields", None)
    names = list(fields) if isinstance(fields, Mapping) else list(vars(model))
    for name in names[:256]:
        try:
            value = getattr(model, name, None)
        except Exception:  # a property that raises
            continue
        if hasattr(value, "get_secret_value"):
            values.extend(_with_parts(_secret_value(value)))
        elif isinstance(value, str) and is_secret_key(name):
            values.extend(_with_parts(value))
        elif isinstance(value, Mapping):  # default_headers={"Authorization": ...}
            nested: list[str] = []
            _collect(value, 1, [64], nested)
            values.extend(nested)
