"""Export checks: doctor's probe through configure()'s own exporters, and demo's preflight."""

from __future__ import annotations

import contextlib
import dataclasses
import json
import logging
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from opentelemetry.sdk.resources import Resource

from otel_langchain.cli._common import CliError
from otel_langchain.config import Delivery
from otel_langchain.config._otlp import Otlp
from otel_langchain.config._settings import Settings

PROBE_SERVICE = "otel-langchain-doctor"
# Where the exporters and configure() report failures; shown by doctor as the reason.
_REPORTING_LOGGERS = ("opentelemetry.exporter", "opentelemetry.sdk", "otel_langchain.config")


@dataclass(frozen=True)
class ProbeResult:
    """What one span and one metric point, sent as the app would send them, came to."""

    deliveries: tuple[Delivery, ...]
    messages: tuple[str, ...]
    seconds: float

    @property
    def reason(self) -> str:
        """Why something was lost, in the exporters' words when they said."""
        errors = [m for m in self.messages if not m.startswith("Transient error")]
        retries = [m for m in self.messages if m.startswith("Transient error")]
        said = errors[:1] + retries[:1]
        if said:
            return "; ".join(said)
        lost = {reason for d in self.deliveries for reason in d.lost_by_reason}
        return ", ".join(sorted(lost)) or "nothing was exported"

    @property
    def ok(self) -> bool:
        """Every destination took its probe and lost nothing."""
        return bool(self.deliveries) and all(d.exported and not d.lost for d in self.deliveries)


class _Collect(logging.Handler):
    """Keeps the exporters' error messages; everything else is only kept off the terminal."""

    def __init__(self) -> None:
        super().__init__(level=logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if not record.name.startswith("opentelemetry."):
            return
        message = record.getMessage().splitlines()[0]
        # The final error, and the first retry warning (which holds the cause for HTTP).
        if record.levelno >= logging.ERROR or message.startswith("Transient error"):
            self.messages.append(message)


@contextlib.contextmanager
def _reported_by_exporters() -> Iterator[list[str]]:
    """Collect what the exporters log during the check, to show it as the reason."""
    collect = _Collect()
    loggers = [logging.getLogger(name) for name in _REPORTING_LOGGERS]
    saved = [(lg.propagate, lg.level) for lg in loggers]
    for lg in loggers:
        lg.addHandler(collect)
        lg.propagate = False
        lg.setLevel(logging.WARNING)
    try:
        yield collect.messages
    finally:
        for lg, (propagate, level) in zip(loggers, saved, strict=True):
            lg.removeHandler(collect)
            lg.propagate = propagate
            lg.setLevel(level)


def probe(settings: Settings, timeout: float) -> ProbeResult:
    """Send one span and one metric point through the OTLP destinations of ``settings``.

    The exporters are built by the code configure() uses, with the same
    settings, so what works here works in the app. The probe's resource says
    ``service.name=otel-langchain-doctor``.
    """
    from otel_langchain.config._configure import build_telemetry

    only_otlp = dataclasses.replace(
        settings,
        traces=("otlp",) if "otlp" in settings.traces else (),
        metrics=("otlp",) if "otlp" in settings.metrics else (),
        resource=Resource.create({"service.name": PROBE_SERVICE}),
        interval_millis=3_600_000.0,  # one export, at shutdown
        flush_on_signals=False,
    )
    started = time.perf_counter()
    with _reported_by_exporters() as messages:
        telemetry = build_telemetry(only_otlp)
        tracer = telemetry.tracer_provider.get_tracer("otel_langchain.cli")
        with tracer.start_as_current_span("otel-langchain doctor"):
            pass
        meter = telemetry.meter_provider.get_meter("otel_langchain.cli")
        meter.create_counter("otel_langchain.doctor.probe", unit="{probe}").add(1)
        telemetry.shutdown(timeout_millis=int(timeout * 1000) + 2_000)
    return ProbeResult(telemetry.delivery(), tuple(messages), time.perf_counter() - started)


def check_reachable(traces: Otlp, metrics: Otlp | None = None) -> None:
    """Send an empty OTLP export to ``traces`` (and one of metrics to ``metrics``).

    Raises:
        CliError: naming the receiver that refused, and why.
    """
    from otel_langchain.exporters.replay import ReplayError, replay_to

    checks: list[tuple[Otlp, dict[str, list[object]]]] = [(traces, {"resourceSpans": []})]
    if metrics is not None:
        checks.append((metrics, {"resourceMetrics": []}))
    with tempfile.TemporaryDirectory(prefix="otel-langchain-check-") as tmp:
        path = Path(tmp) / "empty.jsonl"
        for target, empty in checks:
            path.write_text(json.dumps(empty) + "\n", "utf-8")
            try:
                replay_to(path, traces=target, metrics=target)
            except (ReplayError, ValueError) as exc:
                raise CliError(f"{target.endpoint} did not accept an OTLP export: {exc}") from None
