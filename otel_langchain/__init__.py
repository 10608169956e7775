"""OpenTelemetry traces, GenAI metrics and cost for LangChain and LangGraph."""

from __future__ import annotations

from otel_langchain.configure import Telemetry, configure
from otel_langchain.handler import OTelCallbackHandler
from otel_langchain.instrumentation import LangChainInstrumentor, instrument, uninstrument
from otel_langchain.usage import ModelUsage, Usage, track_usage
from otel_langchain.version import __version__

__all__ = [
    "LangChainInstrumentor",
    "ModelUsage",
    "OTelCallbackHandler",
    "Telemetry",
    "Usage",
    "__version__",
    "configure",
    "instrument",
    "track_usage",
    "uninstrument",
]
