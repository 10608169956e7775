"""The one OTLP settings resolver, used by configure() and by the CLI (doctor, replay, demo).

Per setting and signal: the explicit value, then ``OTEL_EXPORTER_OTLP_{TRACES,METRICS}_*``,
then ``OTEL_EXPORTER_OTLP_*``, then the default, with the SDK's rules: an HTTP
base endpoint gets ``/v1/traces`` or ``/v1/metrics``, a per-signal HTTP endpoint
is used as given, gRPC also takes a bare ``host:port`` (TLS unless insecure),
header keys are lowercased and percent-decoded, timeouts are seconds.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import unquote, urlparse

from otel_langchain.config._checks import env, shown, warn_env

PROTOCOLS = ("grpc", "http/protobuf")
SIGNALS = ("traces", "metrics")
DEFAULT_ENDPOINTS = {"grpc": "http://localhost:4317", "http/protobuf": "http://localhost:4318"}
# Shorter than the SDK's 10 s, so that an unreachable endpoint cannot stall shutdown for long.
DEFAULT_TIMEOUT_SECONDS = 5.0
# Header names: the token characters the OTLP exporter specification allows.
_HEADER_KEY = re.compile(r"[!#-'*+\-.0-9A-Z^-z|~]+")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_BARE_HOST_PORT = re.compile(r"[A-Za-z0-9.\-]+:\d+")


@dataclass(frozen=True)
class Names:
    """What the explicit settings are called in error messages (arguments or CLI flags)."""

    endpoint: str = "endpoint"
    protocol: str = "protocol"
    headers: str = "headers"
    timeout: str = "timeout"


CONFIGURE_NAMES = Names()
CLI_NAMES = Names("--endpoint", "--protocol", "--header", "--timeout")


@dataclass(frozen=True)
class Otlp:
    """One signal's resolved OTLP destination; each ``*_from`` names where a value came from."""

    signal: str
    protocol: str
    protocol_from: str
    endpoint: str
    endpoint_from: str
    url: str
    headers: dict[str, str]
    headers_from: str
    timeout: float
    timeout_from: str
    insecure: bool

    @property
    def label(self) -> str:
        """``OTLP/grpc http://host:4317``: how losses and checks name this destination."""
        return f"OTLP/{self.protocol} {self.endpoint}"


def resolve_otlp(
    signal: str,
    *,
    endpoint: object = None,
    protocol: object = None,
    headers: object = None,
    timeout: object = None,
    names: Names = CONFIGURE_NAMES,
) -> Otlp:
    """Resolve protocol, endpoint, headers and timeout for ``signal`` ("traces" or "metrics").

    Raises:
        ValueError: a bad protocol, endpoint or header, naming the argument,
            flag or variable it came from. A bad timeout variable only warns.
    """
    sig = signal.upper()
    chosen, protocol_from = _protocol(protocol, names.protocol, sig)
    base, endpoint_from = _pick(
        endpoint,
        names.endpoint,
        f"OTEL_EXPORTER_OTLP_{sig}_ENDPOINT",
        "OTEL_EXPORTER_OTLP_ENDPOINT",
    )
    if not isinstance(base, str):
        raise ValueError(f"{names.endpoint}={shown(base)} must be a URL string")
    base = base or DEFAULT_ENDPOINTS[chosen]
    check_endpoint(base, endpoint_from, chosen)
    url = base
    if chosen == "http/protobuf" and not endpoint_from.endswith(f"_{sig}_ENDPOINT"):
        url = f"{base.rstrip('/')}/v1/{signal}"  # a base URL; a per-signal one is used as is
    header_value, headers_from = _pick(
        headers, names.headers, f"OTEL_EXPORTER_OTLP_{sig}_HEADERS", "OTEL_EXPORTER_OTLP_HEADERS"
    )
    seconds, timeout_from = _timeout(timeout, names.timeout, sig, chosen)
    return Otlp(
        signal=signal,
        protocol=chosen,
        protocol_from=protocol_from,
        endpoint=base,
        endpoint_from=endpoint_from,
        url=url,
        headers=parse_headers(header_value, headers_from),
        headers_from=headers_from if header_value else "-",
        timeout=seconds,
        timeout_from=timeout_from,
        insecure=_insecure(base, sig),
    )


def _pick(value: object, name: str, *env_vars: str) -> tuple[object, str]:
    """The explicit value, else the first env var set, else ""; with where it came from."""
    if value is not None:
        return value, name
    for env_var in env_vars:
        raw = env(env_var)
        if raw is not None:
            return raw, env_var
    return "", "default"


def _protocol(value: object, name: str, sig: str) -> tuple[str, str]:
    raw, source = _pick(
        value, name, f"OTEL_EXPORTER_OTLP_{sig}_PROTOCOL", "OTEL_EXPORTER_OTLP_PROTOCOL"
    )
    chosen = raw.strip().lower() if isinstance(raw, str) else None
    if chosen == "" and source == "default":
        return "grpc", source
    if chosen not in PROTOCOLS:
        raise ValueError(
            f"{source}={shown(raw)} is not an OTLP protocol; allowed: {', '.join(PROTOCOLS)}"
        )
    return chosen, source


def check_endpoint(value: str, name: str, protocol: str) -> None:
    """ValueError naming ``name`` unless ``value`` is an http(s) URL (or gRPC ``host:port``)."""
    parsed = urlparse(value)
    try:
        valid = (
            parsed.scheme in ("http", "https")
            and bool(parsed.hostname)
            and (parsed.port is None or parsed.port > 0)
        )
    except ValueError:  # a port that is not a number
        valid = False
    # Like the SDK's gRPC exporter, accept a bare host:port for gRPC (TLS unless insecure).
    if not valid and protocol == "grpc":
        valid = _BARE_HOST_PORT.fullmatch(value) is not None
    if not valid or _CONTROL.search(value):
        expected = "http://host:port or https://host:port"
        if protocol == "grpc":
            expected += " (or host:port)"
        raise ValueError(
            f"{name}={shown(value)} is not a valid {protocol} endpoint; expected {expected}"
        )


def parse_headers(value: object, name: str) -> dict[str, str]:
    """Headers from a mapping or ``"k1=v1,k2=v2"`` (percent-decoded); keys lowercased.

    Raises:
        ValueError: naming ``name`` and the offending key (never a value): a
            malformed pair, a key with characters headers cannot carry, or a
            control character (CR, LF, NUL...) in a value.
    """
    if value is None or value == "":
        return {}
    if isinstance(value, Mapping):
        pairs = list(value.items())
    elif isinstance(value, str):
        pairs = [_pair(part, name) for part in value.split(",") if part.strip()]
    else:
        raise ValueError(
            f"{name} must be a mapping or a 'key=value,key2=value2' string, not "
            f"{type(value).__name__}"
        )
    headers: dict[str, str] = {}
    for raw_key, raw_item in pairs:
        if not isinstance(raw_key, str) or not isinstance(raw_item, str):
            raise ValueError(
                f"{name}: header names and values must be strings, got {shown(raw_key)}"
            )
        key, item = raw_key.strip().lower(), raw_item.strip()
        if not _HEADER_KEY.fullmatch(key):
            raise ValueError(
                f"{name}: header name {shown(key)} is not allowed; use letters, digits "
                "and !#$%&'*+-.^_`|~"
            )
        if _CONTROL.search(item):
            raise ValueError(
                f"{name}: the value of header {key!r} contains a control character "
                "(CR, LF, NUL...); header values must be printable"
            )
        headers[key] = item
    return headers


def _pair(part: str, name: str) -> tuple[str, str]:
    key, sep, item = part.partition("=")
    if not sep or not key.strip():
        shown_part = part.strip() if not sep else "=..."  # never echo a header value
        raise ValueError(
            f"{name}: malformed header {shown(shown_part)}; expected key=value pairs "
            "separated by commas, e.g. 'api-key=secret,tenant=a'"
        )
    return unquote(key), unquote(item)


def _timeout(value: object, name: str, sig: str, protocol: str) -> tuple[float, str]:
    if value is not None:
        number = value if isinstance(value, (int, float)) and not isinstance(value, bool) else 0
        if not 0 < number < math.inf:
            raise ValueError(f"{name}={shown(value)} must be a positive number of seconds")
        return float(number), name
    signal_var = f"OTEL_EXPORTER_OTLP_{sig}_TIMEOUT"
    for var in (signal_var, "OTEL_EXPORTER_OTLP_TIMEOUT"):
        raw = env(var)
        if raw is None:
            continue
        try:
            number = float(raw)
        except ValueError:
            if var == signal_var and protocol == "grpc":
                # The SDK's gRPC exporter parses this variable itself and cannot start.
                raise ValueError(
                    f"{var}={shown(raw)} is not a number of seconds; the OTLP gRPC exporter "
                    "cannot start with it (set a number, or unset it)"
                ) from None
            number = math.nan
        if 0 < number < math.inf:
            return number, var
        warn_env(var, raw, "a positive number of seconds", f"{DEFAULT_TIMEOUT_SECONDS:g} s")
        return DEFAULT_TIMEOUT_SECONDS, "default"
    return DEFAULT_TIMEOUT_SECONDS, "default"


def _insecure(endpoint: str, sig: str) -> bool:
    """Whether gRPC connects without TLS, by the SDK's rules."""
    scheme = urlparse(endpoint).scheme
    if scheme == "https":
        return False
    for var in (f"OTEL_EXPORTER_OTLP_{sig}_INSECURE", "OTEL_EXPORTER_OTLP_INSECURE"):
        raw = env(var)
        if raw is not None:
            return raw.lower() == "true"
    return scheme == "http"
