"""Prometheus config and alert rules: promtool checks, rule unit tests, Prometheus 3 keys."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from .conftest import DEPLOY, RULE_TESTS_DIR, RULES_DIR, find_binary, load_yaml, rule_groups

PROMETHEUS_CONFIG = DEPLOY / "prometheus" / "prometheus.yml"
# Keys Prometheus 3 reads that Debian's Prometheus 2 promtool rejects. The
# end-to-end test (tests/e2e) runs Prometheus 3's own promtool on the whole file.
PROMETHEUS3_ONLY_KEYS = {"otlp"}
PROMETHEUS3_ONLY_TSDB_KEYS = {"retention"}
REQUIRED_ALERTS = {
    "LLMHighErrorRate",
    "LLMLatencyP95SLOBreach",
    "LLMCostBurnRateHigh",
    "LLMDailyBudgetExceeded",
    "LLMTelemetryAbsent",
    "LLMServiceTelemetryStopped",
}


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, capture_output=True, text=True, timeout=60, check=False)


def _alerts() -> dict[str, dict[str, Any]]:
    return {r["alert"]: r for g in rule_groups() for r in g["rules"] if "alert" in r}


@pytest.mark.integration
def test_promtool_check_rules() -> None:
    """`promtool check rules` accepts every shipped rule file."""
    files = sorted(str(p) for p in RULES_DIR.glob("*.yml"))
    assert files
    proc = _run(find_binary("promtool"), "check", "rules", *files)
    assert proc.returncode == 0, proc.stdout + proc.stderr


@pytest.mark.integration
def test_promtool_test_rules() -> None:
    """The rule unit tests in deploy/prometheus/tests pass under `promtool test rules`."""
    files = sorted(str(p) for p in RULE_TESTS_DIR.glob("*.yml"))
    assert files
    proc = _run(find_binary("promtool"), "test", "rules", *files)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "SUCCESS" in proc.stdout


def test_every_alert_is_unit_tested_firing_and_not_firing() -> None:
    """Each alert has a rule test where it fires and one where it stays quiet."""
    fired: set[str] = set()
    quiet: set[str] = set()
    for path in RULE_TESTS_DIR.glob("*.yml"):
        for case in load_yaml(path)["tests"]:
            for check in case.get("alert_rule_test", []):
                (fired if check.get("exp_alerts") else quiet).add(check["alertname"])
    alerts = set(_alerts())
    assert alerts >= REQUIRED_ALERTS
    assert alerts <= fired, f"never seen firing: {alerts - fired}"
    assert alerts <= quiet, f"never seen quiet: {alerts - quiet}"


def test_alerts_have_severity_and_summary() -> None:
    """Every alert carries a severity label and summary/description annotations."""
    for name, rule in _alerts().items():
        assert rule["labels"]["severity"] in {"warning", "critical"}, name
        assert rule["annotations"]["summary"] and rule["annotations"]["description"], name


def test_daily_budget_and_latency_slo_are_one_setting_each() -> None:
    """The cost budget and latency SLO are constant series the alerts compare against."""
    settings = {r["record"]: r["expr"] for g in rule_groups() for r in g["rules"] if "record" in r}
    assert settings["otel_langchain:llm_cost_daily_budget_usd"].startswith("vector(")
    assert settings["otel_langchain:llm_latency_slo_seconds"].startswith("vector(")
    alerts = _alerts()
    for name in ("LLMCostBurnRateHigh", "LLMDailyBudgetExceeded"):
        assert "otel_langchain:llm_cost_daily_budget_usd" in alerts[name]["expr"]
    assert "otel_langchain:llm_latency_slo_seconds" in alerts["LLMLatencyP95SLOBreach"]["expr"]


@pytest.mark.integration
def test_promtool_check_config_on_the_portable_part(tmp_path: Path) -> None:
    """`promtool check config` accepts prometheus.yml minus the Prometheus-3-only keys."""
    config = load_yaml(PROMETHEUS_CONFIG)
    portable = {k: v for k, v in config.items() if k not in PROMETHEUS3_ONLY_KEYS}
    tsdb = portable["storage"]["tsdb"]
    portable["storage"]["tsdb"] = {
        k: v for k, v in tsdb.items() if k not in PROMETHEUS3_ONLY_TSDB_KEYS
    }
    # Relative to the config file: /etc/prometheus/rules in the container,
    # deploy/prometheus/rules here. The copy promtool reads lives elsewhere.
    assert portable["rule_files"] == ["rules/*.yml"]
    portable["rule_files"] = [str(RULES_DIR / "*.yml")]
    path = tmp_path / "prometheus.yml"
    path.write_text(yaml.safe_dump(portable), encoding="utf-8")
    proc = _run(find_binary("promtool"), "check", "config", str(path))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "SUCCESS" in proc.stdout
    assert "rules found" in proc.stdout


@pytest.mark.integration
def test_prometheus3_otlp_receiver_settings(compose_model: dict[str, Any]) -> None:
    """OTLP receiver on, service.name promoted, exemplars stored, rules mounted."""
    config = load_yaml(PROMETHEUS_CONFIG)
    assert set(config) - PROMETHEUS3_ONLY_KEYS <= {
        "global",
        "rule_files",
        "scrape_configs",
        "storage",
        "alerting",
        "remote_write",
    }
    otlp = config["otlp"]
    assert "service.name" in otlp["promote_resource_attributes"]
    # Suffixes keep CONTRACT.md's names (e.g. gen_ai_client_operation_duration_seconds).
    assert otlp["translation_strategy"] == "UnderscoreEscapingWithSuffixes"
    assert config["storage"]["exemplars"]["max_exemplars"] > 0
    assert config["storage"]["tsdb"]["out_of_order_time_window"]
    # Prometheus 3 reads retention from the file; the flag is deprecated.
    assert config["storage"]["tsdb"]["retention"]["time"] == "15d"

    service = compose_model["services"]["prometheus"]
    flags = service["command"]
    for flag in (
        "--web.enable-otlp-receiver",
        "--web.enable-remote-write-receiver",
        "--enable-feature=exemplar-storage",
        "--config.file=/etc/prometheus/prometheus.yml",
    ):
        assert flag in flags
    assert not [f for f in flags if f.startswith("--storage.tsdb.retention")], flags
    targets = {m["target"]: m for m in service["volumes"]}
    # rule_files are relative to prometheus.yml: its directory holds rules/ in both places.
    assert (PROMETHEUS_CONFIG.parent / "rules") == RULES_DIR
    assert Path(targets["/etc/prometheus/rules"]["source"]) == RULES_DIR
    assert Path(targets["/etc/prometheus/prometheus.yml"]["source"]) == PROMETHEUS_CONFIG
