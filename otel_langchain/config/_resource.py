"""The resource configure() puts on every span and metric: arguments over OTEL_* variables."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from opentelemetry.sdk.resources import Resource
from opentelemetry.util.types import AttributeValue

from otel_langchain._safety import warn_once
from otel_langchain.config._checks import check_text, env, shown

_ENV = "OTEL_RESOURCE_ATTRIBUTES"
_SCALARS = (str, bool, int, float)


def build_resource(service_name: object, resource_attributes: object) -> Resource:
    """``Resource.create`` from the arguments, after checking them and the environment.

    Raises:
        ValueError: ``service_name`` is not a non-empty string, or
            ``resource_attributes`` is not a mapping with string keys.
    """
    name = check_text(service_name, "service_name")
    attributes = _checked_attributes(resource_attributes)
    if name is not None:
        attributes["service.name"] = name
    _warn_malformed_env()
    return Resource.create(attributes)


def _checked_attributes(value: object) -> dict[str, AttributeValue]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise ValueError(
            f"resource_attributes={shown(value)} must be a mapping of attribute names to "
            "values, e.g. {'deployment.environment': 'prod'}"
        )
    attributes: dict[str, AttributeValue] = {}
    for key, item in value.items():
        if not isinstance(key, str) or not key:
            raise ValueError(
                f"resource_attributes: the key {shown(key)} is not allowed; keys are "
                "non-empty strings"
            )
        if _supported(item):
            attributes[key] = item
        else:
            warn_once(
                f"config-resource-type:{key}",
                "resource_attributes[%r] is a %s, which a resource attribute cannot hold "
                "(str, bool, int, float, or a list of one of them); it is left out",
                key,
                type(item).__name__,
            )
    return attributes


def _supported(value: object) -> bool:
    if isinstance(value, _SCALARS):
        return True
    if isinstance(value, Sequence) and not isinstance(value, (str, bytes, bytearray)):
        kinds = {bool if isinstance(v, bool) else type(v) for v in value}
        return len(kinds) <= 1 and all(isinstance(v, _SCALARS) for v in value)
    return False


def _well_formed(item: str) -> bool:
    key, sep, _ = item.partition("=")
    return bool(sep and key.strip())


def _warn_malformed_env() -> None:
    """One warning naming the variable when some of its entries are not key=value."""
    raw = env(_ENV)
    if raw is None:
        return
    bad = [item.strip() for item in raw.split(",") if not _well_formed(item)]
    if bad:
        warn_once(
            f"config-env:{_ENV}={raw}",
            "%s has %d malformed entr%s (%s); expected key=value pairs separated by commas. "
            "The well-formed ones are used",
            _ENV,
            len(bad),
            "y" if len(bad) == 1 else "ies",
            ", ".join(shown(item) for item in bad[:3]),
        )
