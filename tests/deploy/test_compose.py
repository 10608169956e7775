"""The compose stack: valid for Docker Compose v2, pinned, healthy, bounded."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from .conftest import COMPOSE_FILE, DEPLOY, REPO, load_yaml

pytestmark = pytest.mark.integration

# Images run as long-lived services, and the ports the issue promises.
EXPECTED_IMAGES = {
    "otel-collector": "otel/opentelemetry-collector-contrib",
    "jaeger": "jaegertracing/jaeger",
    "tempo": "grafana/tempo",
    "prometheus": "prom/prometheus",
    "grafana": "grafana/grafana",
}
EXPECTED_PORTS = {
    "otel-collector": {4317, 4318},
    "jaeger": {16686},
    "grafana": {3000},
    "prometheus": {9090},
}
# Distroless images without a probe binary; `healthprobe` checks them over the network.
NATIVE = DEPLOY / "native"
STACK_DOC = REPO / "docs" / "stack.md"
PROBED_BY_SIDECAR = {"otel-collector", "tempo"}
ONE_SHOT = {"tempo-init"}


def _long_running(model: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {n: s for n, s in model["services"].items() if n not in ONE_SHOT}


def test_compose_config_validates(compose_model: dict[str, Any]) -> None:
    """`docker compose config` accepts deploy/compose.yaml and sees the whole stack."""
    assert set(EXPECTED_IMAGES) <= set(compose_model["services"])


def test_images_are_pinned_to_release_tags(compose_model: dict[str, Any]) -> None:
    """Every image names its repository and an exact version tag, never latest."""
    for name, service in compose_model["services"].items():
        image = service["image"]
        repo, _, tag = image.rpartition(":")
        assert tag and tag != "latest", f"{name}: {image} is not pinned"
        assert re.fullmatch(r"v?\d+\.\d+\.\d+", tag), f"{name}: {image} is not a release tag"
        if name in EXPECTED_IMAGES:
            assert repo == EXPECTED_IMAGES[name]
    assert compose_model["services"]["prometheus"]["image"].split(":v")[1].startswith("3.")
    assert compose_model["services"]["jaeger"]["image"].split(":")[1].startswith("2.")


def test_published_ports(compose_model: dict[str, Any]) -> None:
    """OTLP 4317/4318 on the Collector, Jaeger 16686, Grafana 3000, Prometheus 9090."""
    for name, ports in EXPECTED_PORTS.items():
        published = {int(p["published"]) for p in compose_model["services"][name]["ports"]}
        targets = {p["target"] for p in compose_model["services"][name]["ports"]}
        assert ports <= published and ports <= targets, name


def test_health_checks_restart_policies_and_memory_limits(compose_model: dict[str, Any]) -> None:
    """Each long-running service restarts, has a memory limit and is health-checked."""
    services = _long_running(compose_model)
    probe = services["healthprobe"]["healthcheck"]["test"]
    probe_cmd = " ".join(probe)
    for name, service in services.items():
        assert service.get("restart") == "unless-stopped", name
        assert int(service["deploy"]["resources"]["limits"]["memory"]) > 0, name
        if name in PROBED_BY_SIDECAR:
            assert "healthcheck" not in service or service["healthcheck"].get("disable")
            assert f"http://{name}:" in probe_cmd, f"{name} is not probed by healthprobe"
        else:
            test = service["healthcheck"]["test"]
            assert test[0] in {"CMD", "CMD-SHELL"} and len(test) > 1, name
    assert compose_model["services"]["tempo-init"]["restart"] == "no"


def test_named_volumes_hold_the_state(compose_model: dict[str, Any]) -> None:
    """Prometheus, Tempo and Grafana keep their data in named volumes."""
    expected = {"prometheus": "/prometheus", "tempo": "/var/tempo", "grafana": "/var/lib/grafana"}
    for name, target in expected.items():
        mounts = compose_model["services"][name]["volumes"]
        named = [m for m in mounts if m["type"] == "volume" and m["target"] == target]
        assert named, f"{name} has no named volume at {target}"
        assert named[0]["source"] in compose_model["volumes"]


def test_every_mounted_file_exists(compose_model: dict[str, Any]) -> None:
    """Each bind mount in compose.yaml names a file or directory in the repository."""
    binds = [
        (name, Path(m["source"]))
        for name, service in compose_model["services"].items()
        for m in service.get("volumes", [])
        if m["type"] == "bind"
    ]
    assert binds
    for name, source in binds:
        assert source.exists(), f"{name} mounts missing {source}"
        assert COMPOSE_FILE.parent.parent in source.parents, f"{name} mounts outside the repo"


def test_start_order_waits_for_dependencies(compose_model: dict[str, Any]) -> None:
    """Tempo waits for its volume to be chowned; Grafana waits for healthy backends."""
    tempo_deps = compose_model["services"]["tempo"]["depends_on"]
    assert tempo_deps["tempo-init"]["condition"] == "service_completed_successfully"
    grafana_deps = compose_model["services"]["grafana"]["depends_on"]
    assert {"prometheus", "healthprobe"} <= set(grafana_deps)
    assert all(d["condition"] == "service_healthy" for d in grafana_deps.values())


def test_grafana_anonymous_access_is_view_only() -> None:
    """Anonymous Grafana users may only view, and the file says it is for local use."""
    raw = load_yaml(COMPOSE_FILE)
    env = raw["services"]["grafana"]["environment"]
    assert env["GF_AUTH_ANONYMOUS_ENABLED"] == "true"
    assert env["GF_AUTH_ANONYMOUS_ORG_ROLE"] == "Viewer"
    assert "Never in production" in COMPOSE_FILE.read_text(encoding="utf-8")


def _module_version(go_mod: Path, module: str) -> tuple[int, int, int]:
    for line in go_mod.read_text(encoding="utf-8").splitlines():
        parts = line.split()
        if parts[:1] == [module]:
            major, minor, patch = parts[1].removeprefix("v").split(".")
            return int(major), int(minor), int(patch)
    raise AssertionError(f"{module} not in {go_mod}")


def natively_built() -> dict[str, str]:
    """The release of each program scripts/build-stack builds, from its pins."""
    _, jaeger_minor, jaeger_patch = _module_version(
        NATIVE / "jaeger" / "go.mod", "github.com/jaegertracing/jaeger"
    )
    _, prom_minor, prom_patch = _module_version(
        NATIVE / "prometheus" / "go.mod", "github.com/prometheus/prometheus"
    )
    return {
        "otel-collector": str(load_yaml(NATIVE / "otelcol-builder.yaml")["dist"]["version"]),
        # Jaeger's module v1.N.M is Jaeger v2.(N-63).M; Prometheus's v0.3NN.M is 3.NN.M.
        "jaeger": f"2.{jaeger_minor - 63}.{jaeger_patch}",
        "prometheus": f"3.{prom_minor - 300}.{prom_patch}",
    }


def test_images_are_the_releases_the_e2e_builds_or_the_docs_say_otherwise(
    compose_model: dict[str, Any],
) -> None:
    """Jaeger and Prometheus images equal the built releases; any other difference is documented."""
    doc = STACK_DOC.read_text(encoding="utf-8")
    built = natively_built()
    assert built["jaeger"] == "2.13.0" and built["prometheus"] == "3.16.0"
    for service, version in built.items():
        tag = compose_model["services"][service]["image"].rpartition(":")[2].removeprefix("v")
        if tag != version:
            assert service == "otel-collector", f"{service}: image {tag}, built {version}"
            assert f"`{tag}`" in doc and f"`{version}`" in doc, f"{service}: not in docs/stack.md"
