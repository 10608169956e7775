"""The batch span processor's tuning from OTEL_BSP_*: a bad value warns and the default is used.

The SDK reads these variables too, but logs a traceback for a value that is
not an integer and refuses to start on one that is not positive; configure()
reads them first and passes the result explicitly.
"""

from __future__ import annotations

from dataclasses import dataclass

from otel_langchain.config._checks import env, env_number, warn_env

# The SDK's defaults (opentelemetry.sdk.trace.export).
DEFAULT_SCHEDULE_DELAY_MILLIS = 5_000.0
DEFAULT_EXPORT_TIMEOUT_MILLIS = 30_000.0
DEFAULT_MAX_QUEUE_SIZE = 2_048
DEFAULT_MAX_EXPORT_BATCH_SIZE = 512


@dataclass(frozen=True)
class Batching:
    """BatchSpanProcessor arguments."""

    schedule_delay_millis: float = DEFAULT_SCHEDULE_DELAY_MILLIS
    export_timeout_millis: float = DEFAULT_EXPORT_TIMEOUT_MILLIS
    max_queue_size: int = DEFAULT_MAX_QUEUE_SIZE
    max_export_batch_size: int = DEFAULT_MAX_EXPORT_BATCH_SIZE


def batching() -> Batching:
    """The OTEL_BSP_* settings, checked."""
    queue = _count("OTEL_BSP_MAX_QUEUE_SIZE", DEFAULT_MAX_QUEUE_SIZE)
    batch = _count("OTEL_BSP_MAX_EXPORT_BATCH_SIZE", DEFAULT_MAX_EXPORT_BATCH_SIZE)
    if batch > queue:
        warn_env(
            "OTEL_BSP_MAX_EXPORT_BATCH_SIZE",
            str(batch),
            f"at most OTEL_BSP_MAX_QUEUE_SIZE ({queue})",
            f"{queue} (the queue size)",
        )
        batch = queue
    return Batching(
        schedule_delay_millis=env_number(
            "OTEL_BSP_SCHEDULE_DELAY", DEFAULT_SCHEDULE_DELAY_MILLIS, "milliseconds"
        )
        or DEFAULT_SCHEDULE_DELAY_MILLIS,
        export_timeout_millis=env_number(
            "OTEL_BSP_EXPORT_TIMEOUT", DEFAULT_EXPORT_TIMEOUT_MILLIS, "milliseconds"
        )
        or DEFAULT_EXPORT_TIMEOUT_MILLIS,
        max_queue_size=queue,
        max_export_batch_size=batch,
    )


def _count(name: str, default: int) -> int:
    raw = env(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        value = 0
    if value < 1:
        warn_env(name, raw, "a positive integer", str(default))
        return default
    return value
