"""``otel_langchain.configure``: kept importable; the code lives in :mod:`otel_langchain.config`."""

from __future__ import annotations

from otel_langchain.config import Delivery, Telemetry, configure

__all__ = ["Delivery", "Telemetry", "configure"]
