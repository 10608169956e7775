"""OpenTelemetry traces, GenAI metrics and cost for LangChain and LangGraph."""

from __future__ import annotations

__version__ = "0.1.0"
