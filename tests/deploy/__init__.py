"""Tests for the deploy/ stack and the grafana/ dashboards."""
