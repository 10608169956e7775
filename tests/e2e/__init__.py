"""End-to-end: the Collector, Jaeger v2 and Prometheus 3 built from Go modules, fed by the demo."""
