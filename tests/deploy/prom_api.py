"""A thin client for Prometheus's HTTP API, for the dashboard checks and the end-to-end test."""

from __future__ import annotations

import json
import math
import urllib.error
import urllib.parse
import urllib.request
from typing import Any


class PromAPI:
    """Prometheus's HTTP API at ``base`` (``http://127.0.0.1:PORT``)."""

    def __init__(self, base: str) -> None:
        self.base = base

    def get(self, path: str, **params: Any) -> Any:
        """The ``data`` of a successful API response (an error response fails the test)."""
        url = f"{self.base}{path}?{urllib.parse.urlencode(params, doseq=True)}"
        try:
            with urllib.request.urlopen(url, timeout=10) as resp:
                body = json.load(resp)
        except urllib.error.HTTPError as e:
            with e:
                text = e.read().decode("utf-8", "replace")
            try:
                body = json.loads(text)  # Prometheus explains a bad query in JSON
            except ValueError:
                raise AssertionError(f"GET {url}: HTTP {e.code}: {text[:500]}") from None
        assert body["status"] == "success", f"{path} {params}: {body}"
        return body["data"]

    def query(self, expr: str) -> dict[str, Any]:
        return self.get("/api/v1/query", query=expr)  # type: ignore[no-any-return]

    def values(self, expr: str) -> list[tuple[dict[str, str], float]]:
        """(labels, value) of every sample an instant query returns (a scalar has no labels)."""
        data = self.query(expr)
        if data["resultType"] == "scalar":
            return [({}, float(data["result"][1]))]
        assert data["resultType"] == "vector", f"{expr}: {data['resultType']}"
        return [(r["metric"], float(r["value"][1])) for r in data["result"]]

    def scalar(self, expr: str) -> float | None:
        """The single value of ``expr``, or None when it returns nothing."""
        values = self.values(expr)
        assert len(values) <= 1, f"{expr}: {len(values)} series"
        return values[0][1] if values else None

    def has_data(self, expr: str) -> bool:
        """Whether ``expr`` returns at least one finite value."""
        return any(math.isfinite(v) for _, v in self.values(expr))

    def ready(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.base}/-/ready", timeout=1) as resp:
                return resp.status == 200
        except OSError:
            return False
