"""SIGTERM: buffered spans are lost by default, and flushed with flush_on_signals."""

from __future__ import annotations

import contextlib
import os
import select
import signal
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

import otel_langchain

from .otlp_receiver import PROTOCOLS, OTLPReceiver

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals"),
]

REPO_ROOT = Path(otel_langchain.__file__).resolve().parent.parent
TIMEOUT_SECONDS = 30  # a hang is the failure, not slowness

# An app that ends spans, records a metric, says "ready", then waits to be killed.
# The batch delay is a minute, so without a flush nothing leaves the process.
APP = """
import signal, sys, time, threading
from otel_langchain import configure

endpoint, protocol, mode, previous = sys.argv[1:5]
if previous == "python":
    def app_handler(signum, frame):
        print("app handler ran", flush=True)
        import os
        os._exit(3)  # no atexit: only a flush before this handler delivers the spans
    signal.signal(signal.SIGTERM, app_handler)
elif previous == "ignore":
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
options = {"endpoint": endpoint, "protocol": protocol}
if mode == "argument":
    options["flush_on_signals"] = True
telemetry = configure(**options)
tracer = telemetry.tracer_provider.get_tracer("app")
with tracer.start_as_current_span("request"):
    with tracer.start_as_current_span("step"):
        pass
telemetry.meter_provider.get_meter("app").create_counter("app.requests").add(1)
print("ready", flush=True)
for _ in range(600):
    time.sleep(0.1)
    if previous == "ignore" and sys.stdin.readline() == "":
        print("still running", flush=True)
        break
"""


@contextlib.contextmanager
def app(
    receiver: OTLPReceiver, mode: str, previous: str = "default", **env: str
) -> Iterator[subprocess.Popen[str]]:
    """Run APP against ``receiver``; it is killed if the test fails before it exits."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("OTEL_")}
    clean["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT), clean.get("PYTHONPATH")]))
    clean.update(OTEL_BSP_SCHEDULE_DELAY="60000", **env)
    args = [receiver.endpoint, receiver.protocol, mode, previous]
    with subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(APP), *args],
        env=clean,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    ) as process:
        try:
            assert process.stdout is not None
            ready, _, _ = select.select([process.stdout], [], [], TIMEOUT_SECONDS)
            assert ready, "the app did not start"
            assert process.stdout.readline().strip() == "ready", process.stderr
            yield process
        finally:
            if process.poll() is None:
                process.kill()
                process.communicate()


def span_names(receiver: OTLPReceiver) -> set[str]:
    return {span["name"] for span in receiver.spans()}


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_sigterm_with_flush_on_signals_delivers_buffered_spans(protocol: str) -> None:
    """With flush_on_signals=True, SIGTERM flushes spans and metrics, then terminates."""
    with OTLPReceiver(protocol) as receiver, app(receiver, "argument") as process:
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=TIMEOUT_SECONDS)

        assert process.returncode == -signal.SIGTERM, stderr
        assert span_names(receiver) == {"request", "step"}
        assert "app.requests" in receiver.metric_names()


def test_sigterm_flush_is_enabled_by_the_environment_variable() -> None:
    """OTEL_LANGCHAIN_FLUSH_ON_SIGNALS=true turns the flush on without a code change."""
    env = {"OTEL_LANGCHAIN_FLUSH_ON_SIGNALS": "TRUE"}
    with OTLPReceiver("grpc") as receiver, app(receiver, "env", **env) as process:
        process.send_signal(signal.SIGTERM)
        process.communicate(timeout=TIMEOUT_SECONDS)

        assert process.returncode == -signal.SIGTERM
        assert span_names(receiver) == {"request", "step"}


def test_sigterm_without_the_opt_in_loses_buffered_spans() -> None:
    """By default SIGTERM ends the process at once: atexit never runs, nothing is sent."""
    with OTLPReceiver("grpc") as receiver, app(receiver, "off") as process:
        process.send_signal(signal.SIGTERM)
        process.communicate(timeout=TIMEOUT_SECONDS)

        assert process.returncode == -signal.SIGTERM
        assert not receiver.wait_for(lambda r: bool(r.spans()), timeout=1.0)


def test_sigterm_flushes_then_calls_the_apps_own_handler() -> None:
    """A handler the app installed earlier still runs, after the spans went out."""
    with OTLPReceiver("grpc") as receiver, app(receiver, "argument", "python") as process:
        process.send_signal(signal.SIGTERM)
        stdout, stderr = process.communicate(timeout=TIMEOUT_SECONDS)

        assert process.returncode == 3, stderr
        assert "app handler ran" in stdout
        assert span_names(receiver) == {"request", "step"}


def test_sigterm_ignored_by_the_app_stays_ignored_after_a_flush() -> None:
    """An app that ignores SIGTERM keeps running; its buffered spans are flushed anyway."""
    with OTLPReceiver("grpc") as receiver, app(receiver, "argument", "ignore") as process:
        process.send_signal(signal.SIGTERM)
        assert receiver.wait_for(lambda r: span_names(r) == {"request", "step"})
        assert process.poll() is None
        stdout, _ = process.communicate("", timeout=TIMEOUT_SECONDS)

    assert "still running" in stdout
    assert process.returncode == 0


def run_python(code: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("OTEL_")}
    clean["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT), clean.get("PYTHONPATH")]))
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        env=clean,
        capture_output=True,
        text=True,
        timeout=TIMEOUT_SECONDS,
        check=False,
    )


def test_handler_is_installed_once_and_removed_by_shutdown() -> None:
    """The handler chains to the previous one, installs once, and shutdown() puts it back."""
    result = run_python(
        """
        import signal
        from otel_langchain.config._configure import build_telemetry
        from otel_langchain.config._settings import resolve_settings

        def app_handler(signum, frame):
            pass

        signal.signal(signal.SIGTERM, app_handler)
        settings = resolve_settings(exporter="none", flush_on_signals=True)
        first = build_telemetry(settings)
        ours = signal.getsignal(signal.SIGTERM)
        assert ours != app_handler
        assert first._signals.install()  # idempotent: no second, self-chaining handler
        assert signal.getsignal(signal.SIGTERM) == ours
        second = build_telemetry(settings)
        second.shutdown()
        assert signal.getsignal(signal.SIGTERM) == ours
        first.shutdown()
        assert signal.getsignal(signal.SIGTERM) is app_handler
        print("ok")
        """
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"


def test_configure_off_the_main_thread_warns_and_installs_nothing() -> None:
    """Python handles signals in the main thread only: elsewhere the opt-in warns, once."""
    result = run_python(
        """
        import logging, signal, threading
        logging.basicConfig(format="%(name)s: %(message)s")
        from otel_langchain import configure

        done = []
        worker = threading.Thread(
            target=lambda: done.append(configure(exporter="none", flush_on_signals=True))
        )
        worker.start()
        worker.join()
        assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL
        done[0].shutdown()
        """
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr.count("SIGTERM will not flush telemetry") == 1


def test_sigterm_while_a_span_ends_in_the_main_thread_still_flushes() -> None:
    """The handler runs on top of whatever the main thread was doing: it must not deadlock."""
    with OTLPReceiver("grpc") as receiver:
        code = f"""
            import os, signal
            from otel_langchain import configure
            telemetry = configure(endpoint={receiver.endpoint!r}, flush_on_signals=True)
            with telemetry.tracer_provider.get_tracer("app").start_as_current_span("held"):
                pass
            # A span ending in the main thread holds this lock when the signal lands.
            with telemetry._ended._lock:
                os.kill(os.getpid(), signal.SIGTERM)
                for _ in range(10_000_000):
                    pass
            print("not reached")
            """
        result = subprocess.run(
            [sys.executable, "-c", textwrap.dedent(code)],
            env={
                **{k: v for k, v in os.environ.items() if not k.startswith("OTEL_")},
                "PYTHONPATH": str(REPO_ROOT),
                "OTEL_BSP_SCHEDULE_DELAY": "60000",
            },
            capture_output=True,
            text=True,
            timeout=TIMEOUT_SECONDS,
            check=False,
        )

        assert result.returncode == -signal.SIGTERM, result.stderr
        assert "not reached" not in result.stdout
        assert span_names(receiver) == {"held"}
