"""Every query the dashboards, data sources and rules run, and Grafana's variable substitution."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from .conftest import DATASOURCES_FILE, load_dashboards, load_yaml, rule_groups

# What Grafana would put in for its built-in and the dashboards' variables when
# the test Prometheus holds about a minute of data: "All" for every filter.
SUBSTITUTIONS = {
    "$__rate_interval": "1m",
    "$__interval": "15s",
    "$__range": "1h",
    "${service:regex}": ".*",
    "${provider:regex}": ".*",
    "${model:regex}": ".*",
    "$service": ".*",
    "$provider": ".*",
    "$model": ".*",
    "$slow": "5s",
}
LABEL_VALUES = re.compile(r"^label_values\((?:(?P<selector>.+),\s*)?(?P<label>\w+)\)$")


@dataclass(frozen=True)
class Query:
    """One PromQL expression and where it comes from."""

    where: str
    expr: str


def substitute(expr: str, extra: dict[str, str] | None = None) -> str:
    """Replace Grafana variables the way the dashboard's default selection would."""
    out = expr
    for var, value in {**(extra or {}), **SUBSTITUTIONS}.items():
        out = out.replace(var, value)
    assert "$" not in out, f"unsubstituted variable in {out!r}"
    return out


def _panels(dashboard: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for panel in dashboard.get("panels", []):
        yield panel
        yield from panel.get("panels", [])


def panel_targets(kind: str) -> Iterator[tuple[str, dict[str, Any], dict[str, Any]]]:
    """(where, panel, target) for every target of the given data source type."""
    for file, dashboard in load_dashboards().items():
        for panel in _panels(dashboard):
            for target in panel.get("targets", []):
                ds = target.get("datasource") or panel.get("datasource") or {}
                if ds.get("type") == kind:
                    yield f"{file}: {panel['title']} [{target['refId']}]", panel, target


def dashboard_promql() -> list[Query]:
    return [Query(where, t["expr"]) for where, _, t in panel_targets("prometheus")]


def variable_queries() -> list[tuple[str, str | None, str]]:
    """(where, selector, label) for every label_values() variable of every dashboard."""
    out = []
    for file, dashboard in load_dashboards().items():
        for var in dashboard["templating"]["list"]:
            if var["type"] != "query":
                continue
            m = LABEL_VALUES.match(var["definition"])
            assert m, f"{file}: ${var['name']} is not a label_values() query"
            out.append((f"{file}: ${var['name']}", m["selector"], m["label"]))
    return out


def traces_to_metrics_promql() -> list[Query]:
    out = []
    for ds in load_yaml(DATASOURCES_FILE)["datasources"]:
        for q in ds.get("jsonData", {}).get("tracesToMetrics", {}).get("queries", []):
            out.append(Query(f"datasource {ds['uid']}: {q['name']}", q["query"]))
    return out


def recording_rules() -> list[Query]:
    return [
        Query(f"record {r['record']}", r["expr"])
        for g in rule_groups()
        for r in g["rules"]
        if "record" in r
    ]


def alert_rules() -> list[Query]:
    return [
        Query(f"alert {r['alert']}", r["expr"])
        for g in rule_groups()
        for r in g["rules"]
        if "alert" in r
    ]
