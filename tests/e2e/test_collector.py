"""The Collector built from deploy/native/otelcol-builder.yaml, running the shipped config."""

from __future__ import annotations

import os
import subprocess
import time
from collections import defaultdict

import pytest

from .apis import scrape
from .conftest import Run
from .stack import COLLECTOR_CONFIG, Stack, bin_dir

pytestmark = pytest.mark.integration


def _validate(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    otelcol = bin_dir() / "otelcol"
    return subprocess.run(
        [str(otelcol), "validate", f"--config={COLLECTOR_CONFIG}"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={**os.environ, **env},
    )


def test_collector_validates_the_shipped_config_as_compose_and_as_this_test_run_it(
    stack: Stack,
) -> None:
    """`otelcol validate` accepts the shipped config with compose's defaults and with overrides."""
    for label, env in (
        ("compose defaults", {}),
        ("loopback overrides", stack.collector_env("127.0.0.1:1")),
    ):
        proc = _validate(env)
        print(f"otelcol validate ({label}): exit {proc.returncode} {proc.stderr.strip()[-300:]}")
        assert proc.returncode == 0, proc.stdout + proc.stderr


# Counters the Collector reports about its components (0.165 exposes them without `_total`).
COMPONENT_COUNTER = ("otelcol_receiver_", "otelcol_exporter_", "otelcol_processor_")


def _counters(run: Run) -> dict[str, dict[str, float]]:
    """otelcol_{receiver,exporter,processor}_* name (no `_total`) -> {component: value}."""
    out: dict[str, dict[str, float]] = defaultdict(dict)
    for name, labels, value in scrape(run.stack.collector_metrics):
        component = labels.get("receiver") or labels.get("exporter") or labels.get("processor")
        if name.startswith(COMPONENT_COUNTER) and component:
            key = name.removesuffix("_total")
            out[key][component] = out[key].get(component, 0.0) + value
    return out


def _settled_counters(run: Run, timeout: float = 20.0) -> dict[str, dict[str, float]]:
    """The counters once every accepted span and point has left the batch processor.

    The batch processor holds the last points up to its timeout (2 s): read too early,
    the exporters' sent counts are behind the receiver's accepted ones. Bounded wait.
    """
    deadline = time.monotonic() + timeout
    while True:
        counters = _counters(run)
        accepted = sum(counters.get("otelcol_receiver_accepted_spans", {}).values())
        points = sum(counters.get("otelcol_receiver_accepted_metric_points", {}).values())
        sent = counters.get("otelcol_exporter_sent_spans", {}).values()
        sent_points = counters.get("otelcol_exporter_sent_metric_points", {}).values()
        if (all(v >= accepted for v in sent) and sum(sent_points) >= points) or (
            time.monotonic() > deadline
        ):
            return counters
        time.sleep(0.5)


def test_collector_accepted_every_span_and_point_and_refused_or_failed_none(run: Run) -> None:
    """The Collector's own metrics: every span accepted and sent to Jaeger and Tempo; none lost."""
    sent_spans = len(run.demo.spans) + len(run.workload.spans)
    counters = _settled_counters(run)
    print(f"Collector counters: {dict(sorted(counters.items()))}")
    accepted = counters["otelcol_receiver_accepted_spans"]
    print(f"spans: the SDKs exported {sent_spans}, the otlp receiver accepted {accepted}")
    assert sum(accepted.values()) == sent_spans
    exporters = counters["otelcol_exporter_sent_spans"]
    print(f"spans sent per exporter: {exporters}")
    assert exporters == {"otlp_grpc/jaeger": sent_spans, "otlp_grpc/tempo": sent_spans}
    points = sum(counters["otelcol_receiver_accepted_metric_points"].values())
    sent_points = counters["otelcol_exporter_sent_metric_points"]
    print(f"metric points: accepted {points}, sent {sent_points}")
    assert points > 0 and sent_points == {"otlp_http/prometheus": points}
    lost = {
        name: values
        for name, values in counters.items()
        if any(word in name for word in ("refused", "failed", "dropped", "rejected"))
        and any(values.values())
    }
    print(f"refused / failed / dropped counters with a non-zero value: {lost or 'none'}")
    # The receiver reports its refusals and failures (as 0), so the check above saw them.
    for name in ("refused_spans", "failed_spans", "refused_metric_points", "failed_metric_points"):
        assert f"otelcol_receiver_{name}" in counters, name
    assert not lost
