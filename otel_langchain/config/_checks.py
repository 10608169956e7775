"""Argument and environment checks shared by configure(), the handler and the CLI.

A bad explicit argument raises ``ValueError`` naming it and what is allowed. A
bad tuning value in the environment logs one warning naming the variable and
the default used instead.
"""

from __future__ import annotations

import math
import os
from typing import Any

from otel_langchain._safety import warn_once

_TRUE = ("true", "1", "yes", "on")
_FALSE = ("false", "0", "no", "off")


def env(name: str) -> str | None:
    """The stripped value of an environment variable; None when unset or blank."""
    value = os.environ.get(name, "").strip()
    return value or None


def warn_env(name: str, raw: str, expected: str, default: str) -> None:
    """One warning naming a bad variable, what it should be, and the default used."""
    warn_once(
        f"config-env:{name}={raw}",
        "%s=%s is not %s; using the default, %s",
        name,
        shown(raw),
        expected,
        default,
    )


def env_bool(name: str, default: bool) -> bool:
    """true/false/1/0 (any case) from the environment; a bad value warns and keeps ``default``."""
    raw = env(name)
    if raw is None:
        return default
    if raw.lower() in _TRUE:
        return True
    if raw.lower() not in _FALSE:
        warn_env(name, raw, "true or false", "true" if default else "false")
        return default
    return False


def env_number(name: str, default: float, unit: str) -> float | None:
    """A positive, finite number from the environment.

    Returns None when the variable is unset; ``default`` (after one warning)
    when it is not a positive number.
    """
    raw = env(name)
    if raw is None:
        return None
    try:
        value = float(raw)
    except ValueError:
        value = math.nan
    if not 0 < value < math.inf:
        warn_env(name, raw, f"a positive number of {unit}", f"{default:g} {unit}")
        return default
    return value


def check_bool(value: object, name: str) -> bool | None:
    """``value`` if it is None or a real bool; else ValueError naming ``name``."""
    if value is None or isinstance(value, bool):
        return value
    raise ValueError(f"{name}={shown(value)} must be True, False or None")


def check_text(value: object, name: str) -> str | None:
    """``value`` if it is None or a non-empty string; else ValueError naming ``name``."""
    if value is None:
        return None
    if isinstance(value, str) and value.strip():
        return value
    raise ValueError(f"{name}={shown(value)} must be a non-empty string")


def check_seconds(value: object, name: str) -> float | None:
    """``value`` as float if it is None or a positive, finite number (not a bool)."""
    if value is None:
        return None
    number = (
        float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None
    )
    if number is None or not 0 < number < math.inf:
        raise ValueError(f"{name}={shown(value)} must be a positive number of seconds")
    return number


def check_providers(tracer_provider: object, meter_provider: object) -> None:
    """ValueError unless each provider is None or an OpenTelemetry provider (by its method)."""
    for name, value, method, example in (
        ("tracer_provider", tracer_provider, "get_tracer", "opentelemetry.sdk.trace"),
        ("meter_provider", meter_provider, "get_meter", "opentelemetry.sdk.metrics"),
    ):
        if value is not None and not callable(getattr(value, method, None)):
            kind = "TracerProvider" if method == "get_tracer" else "MeterProvider"
            raise ValueError(
                f"{name}={shown(value)} is not an OpenTelemetry {kind} (an object with "
                f"{method}(), e.g. {example}.{kind}); pass one, or None for the global one"
            )


def shown(value: Any) -> str:
    """``repr(value)``, short enough for a log line or an error message."""
    text = repr(value)
    return text if len(text) <= 80 else text[:76] + "...'"
