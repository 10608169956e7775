"""Integration tests: real OTLP receivers, subprocess apps, real servers."""
