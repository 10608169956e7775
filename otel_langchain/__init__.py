"""OpenTelemetry traces, GenAI metrics and cost for LangChain and LangGraph."""

from __future__ import annotations

# Through the otel_langchain.configure module, so that importing it later cannot rebind
# the name `configure` here to the module.
from otel_langchain.checkpoints import traced_checkpointer
from otel_langchain.configure import Delivery, Telemetry, configure
from otel_langchain.feedback import record_feedback
from otel_langchain.handler import OTelCallbackHandler
from otel_langchain.instrumentation import LangChainInstrumentor, instrument, uninstrument
from otel_langchain.usage import BudgetExceeded, ModelUsage, Usage, track_usage
from otel_langchain.version import __version__

__all__ = [
    "BudgetExceeded",
    "Delivery",
    "LangChainInstrumentor",
    "ModelUsage",
    "OTelCallbackHandler",
    "Telemetry",
    "Usage",
    "__version__",
    "configure",
    "instrument",
    "record_feedback",
    "traced_checkpointer",
    "track_usage",
    "uninstrument",
]
