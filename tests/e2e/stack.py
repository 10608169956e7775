"""The shipped stack run natively: the Collector, Jaeger v2 and Prometheus 3 on 127.0.0.1.

Each program runs from the binaries scripts/build-stack made, with the repo's
own config file and the command line deploy/compose.yaml gives it; only the
addresses change, through the environment variables the Collector and Jaeger
configs read (``${env:NAME:-default}``) and Prometheus's flags.
"""

from __future__ import annotations

import os
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parents[2]
DEPLOY = REPO / "deploy"
COMPOSE_FILE = DEPLOY / "compose.yaml"
COLLECTOR_CONFIG = DEPLOY / "otel-collector" / "config.yaml"
JAEGER_CONFIG = DEPLOY / "jaeger" / "config.yaml"
PROMETHEUS_CONFIG = DEPLOY / "prometheus" / "prometheus.yml"
BIN_ENV = "OTEL_LANGCHAIN_STACK_BIN"
LOG_TAIL_LINES = 40


class StackError(Exception):
    """A program of the stack did not start or is missing."""


def free_port() -> int:
    """A TCP port on 127.0.0.1 nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def bin_dir() -> Path:
    """The directory scripts/build-stack printed (passed in by scripts/e2e)."""
    value = os.environ.get(BIN_ENV)
    if not value:
        raise StackError(f"{BIN_ENV} is not set: run the end-to-end test with scripts/e2e")
    path = Path(value)
    for name in ("otelcol", "jaeger", "prometheus", "promtool"):
        if not os.access(path / name, os.X_OK):
            raise StackError(f"{path / name} is missing: run scripts/build-stack")
    return path


def compose_command(service: str) -> list[str]:
    """The command deploy/compose.yaml runs the service with."""
    with COMPOSE_FILE.open(encoding="utf-8") as f:
        command = yaml.safe_load(f)["services"][service]["command"]
    assert isinstance(command, list), f"{service}: command is not a list"
    return [str(arg) for arg in command]


def with_flag(command: list[str], flag: str, value: str) -> list[str]:
    """The command with ``--flag=value`` replacing the compose value (or appended)."""
    prefix = f"{flag}="
    kept = [arg for arg in command if not arg.startswith(prefix)]
    return [*kept, f"{prefix}{value}"]


def http_ok(url: str, timeout: float = 1.0) -> bool:
    """True when a GET of ``url`` answers 2xx."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as resp:
            return 200 <= int(resp.status) < 300
    except (OSError, urllib.error.HTTPError):
        return False


def wait_until(predicate: Callable[[], Any], timeout: float, what: str) -> Any:
    """Poll ``predicate`` until it returns something truthy; raise after ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(0.25)


@dataclass
class Program:
    """One running program of the stack: its command, log and readiness URL."""

    name: str
    argv: list[str]
    env: dict[str, str]
    ready_url: str
    log_path: Path
    proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        log = self.log_path.open("wb")
        try:
            self.proc = subprocess.Popen(
                self.argv,
                stdout=log,
                stderr=subprocess.STDOUT,
                env={**os.environ, **self.env},
                cwd=self.log_path.parent,
            )
        finally:
            log.close()

    def wait_ready(self, timeout: float = 60.0) -> None:
        def ready() -> bool:
            assert self.proc is not None
            if self.proc.poll() is not None:
                raise StackError(f"{self.name} exited with {self.proc.returncode}\n{self.tail()}")
            return http_ok(self.ready_url)

        try:
            wait_until(ready, timeout, f"{self.name} at {self.ready_url}")
        except TimeoutError as exc:
            raise StackError(f"{exc}\n{self.tail()}") from None

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.terminate()
        try:
            self.proc.wait(15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(5)

    def tail(self, lines: int = LOG_TAIL_LINES) -> str:
        """The last lines of the program's log, headed by its name."""
        try:
            text = self.log_path.read_text(encoding="utf-8", errors="replace")
        except OSError as exc:
            return f"--- {self.name}: no log ({exc})"
        last = "\n".join(text.splitlines()[-lines:])
        return f"--- last {lines} lines of {self.name} ({self.log_path}):\n{last}"


@dataclass
class Stack:
    """The running stack: addresses and programs."""

    bin: Path
    workdir: Path
    ports: dict[str, int]
    programs: dict[str, Program] = field(default_factory=dict)

    @property
    def otlp_grpc(self) -> str:
        return f"http://127.0.0.1:{self.ports['otelcol_grpc']}"

    @property
    def collector_metrics(self) -> str:
        return f"http://127.0.0.1:{self.ports['otelcol_metrics']}/metrics"

    @property
    def jaeger(self) -> str:
        return f"http://127.0.0.1:{self.ports['jaeger_query_http']}"

    @property
    def prometheus(self) -> str:
        return f"http://127.0.0.1:{self.ports['prometheus']}"

    def tails(self) -> str:
        return "\n".join(p.tail() for p in self.programs.values())

    # -- the three programs ------------------------------------------------------------

    def collector_env(self, tempo_endpoint: str) -> dict[str, str]:
        p = self.ports
        return {
            "OTELCOL_RECEIVER_GRPC_ENDPOINT": f"127.0.0.1:{p['otelcol_grpc']}",
            "OTELCOL_RECEIVER_HTTP_ENDPOINT": f"127.0.0.1:{p['otelcol_http']}",
            "OTELCOL_HEALTH_ENDPOINT": f"127.0.0.1:{p['otelcol_health']}",
            "OTELCOL_METRICS_HOST": "127.0.0.1",
            "OTELCOL_METRICS_PORT": str(p["otelcol_metrics"]),
            "JAEGER_OTLP_ENDPOINT": f"127.0.0.1:{p['jaeger_grpc']}",
            "TEMPO_OTLP_ENDPOINT": tempo_endpoint.removeprefix("http://"),
            "PROMETHEUS_OTLP_ENDPOINT": f"{self.prometheus}/api/v1/otlp/v1/metrics",
        }

    def collector(self, tempo_endpoint: str) -> Program:
        argv = with_flag(compose_command("otel-collector"), "--config", str(COLLECTOR_CONFIG))
        return Program(
            "otel-collector",
            [str(self.bin / "otelcol"), *argv],
            self.collector_env(tempo_endpoint),
            f"http://127.0.0.1:{self.ports['otelcol_health']}/",
            self.workdir / "otel-collector.log",
        )

    def jaeger_program(self) -> Program:
        p = self.ports
        env = {
            "JAEGER_RECEIVER_GRPC_ENDPOINT": f"127.0.0.1:{p['jaeger_grpc']}",
            "JAEGER_RECEIVER_HTTP_ENDPOINT": f"127.0.0.1:{p['jaeger_http']}",
            "JAEGER_QUERY_HTTP_ENDPOINT": f"127.0.0.1:{p['jaeger_query_http']}",
            "JAEGER_QUERY_GRPC_ENDPOINT": f"127.0.0.1:{p['jaeger_query_grpc']}",
            "JAEGER_HEALTH_ENDPOINT": f"127.0.0.1:{p['jaeger_health']}",
            "JAEGER_METRICS_HOST": "127.0.0.1",
            "JAEGER_METRICS_PORT": str(p["jaeger_metrics"]),
        }
        argv = with_flag(compose_command("jaeger"), "--config", str(JAEGER_CONFIG))
        return Program(
            "jaeger",
            [str(self.bin / "jaeger"), *argv],
            env,
            f"http://127.0.0.1:{p['jaeger_health']}/status",
            self.workdir / "jaeger.log",
        )

    def prometheus_program(self) -> Program:
        argv = compose_command("prometheus")
        argv = with_flag(argv, "--config.file", str(PROMETHEUS_CONFIG))
        argv = with_flag(argv, "--storage.tsdb.path", str(self.workdir / "prometheus-data"))
        argv = with_flag(argv, "--web.listen-address", f"127.0.0.1:{self.ports['prometheus']}")
        return Program(
            "prometheus",
            [str(self.bin / "prometheus"), *argv],
            {},
            f"{self.prometheus}/-/ready",
            self.workdir / "prometheus.log",
        )


PORT_NAMES = (
    "otelcol_grpc",
    "otelcol_http",
    "otelcol_health",
    "otelcol_metrics",
    "jaeger_grpc",
    "jaeger_http",
    "jaeger_query_http",
    "jaeger_query_grpc",
    "jaeger_health",
    "jaeger_metrics",
    "prometheus",
)


@contextmanager
def running_stack(workdir: Path, tempo_endpoint: str) -> Iterator[Stack]:
    """Start Prometheus, Jaeger and the Collector (in compose's order); stop them after."""
    ports: dict[str, int] = {}
    while len(set(ports.values())) < len(PORT_NAMES):
        ports = {name: free_port() for name in PORT_NAMES}
    stack = Stack(bin_dir(), workdir, ports)
    stack.programs = {
        "prometheus": stack.prometheus_program(),
        "jaeger": stack.jaeger_program(),
        "otel-collector": stack.collector(tempo_endpoint),
    }
    with ExitStack() as stop:
        for program in stack.programs.values():
            program.start()
            stop.callback(program.stop)
            program.wait_ready()
        yield stack
