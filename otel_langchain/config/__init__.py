"""configure() and what it is built from.

One settings resolver (arguments, then ``OTEL_*`` variables, then defaults),
also used by the ``otel-langchain`` command; exporter construction; delivery
counting; the opt-in SIGTERM flush.
"""

from __future__ import annotations

from otel_langchain.config._configure import configure
from otel_langchain.config._delivery import Delivery
from otel_langchain.config._telemetry import Telemetry

__all__ = ["Delivery", "Telemetry", "configure"]
