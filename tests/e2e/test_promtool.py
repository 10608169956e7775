"""Prometheus 3's own promtool on the shipped prometheus.yml, rules and rule tests."""

from __future__ import annotations

import subprocess

import pytest

from .stack import PROMETHEUS_CONFIG, bin_dir

pytestmark = pytest.mark.integration

RULES = sorted(PROMETHEUS_CONFIG.parent.glob("rules/*.yml"))
RULE_TESTS = sorted(PROMETHEUS_CONFIG.parent.glob("tests/*.yml"))


def _promtool(*args: str) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(
        [str(bin_dir() / "promtool"), *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    print(
        f"promtool {' '.join(args)}: exit {proc.returncode}\n{(proc.stdout + proc.stderr).strip()}"
    )
    return proc


def test_promtool_is_prometheus_3() -> None:
    """The promtool under test is the Prometheus 3 release the build pins."""
    proc = _promtool("--version")
    assert proc.returncode == 0
    assert proc.stdout.startswith("promtool, version 3."), proc.stdout


def test_promtool_check_config_accepts_the_whole_shipped_file() -> None:
    """`promtool check config` accepts prometheus.yml as shipped, otlp and retention included."""
    proc = _promtool("check", "config", str(PROMETHEUS_CONFIG))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "SUCCESS" in proc.stdout
    # rule_files are relative to the config file: promtool found and checked them.
    assert f"{len(RULES)} rule files found" in proc.stdout or "rules found" in proc.stdout


def test_promtool_check_rules_accepts_the_shipped_rules() -> None:
    """`promtool check rules` accepts every shipped rule file."""
    assert RULES
    proc = _promtool("check", "rules", *map(str, RULES))
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_promtool_test_rules_passes_the_shipped_rule_tests() -> None:
    """`promtool test rules` passes every alert's firing and quiet cases."""
    assert RULE_TESTS
    proc = _promtool("test", "rules", *map(str, RULE_TESTS))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "SUCCESS" in proc.stdout
