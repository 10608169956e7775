"""The scrubber: credential shapes, learned values, bounds; it never raises."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from pydantic import SecretStr

from otel_langchain import _scrub, _secrets
from otel_langchain._scrub import MASK, scrub, scrub_head, scrub_tail

SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@pytest.fixture(autouse=True)
def _clean_learned() -> Iterator[None]:
    _scrub.forget_learned()
    yield
    _scrub.forget_learned()


@pytest.mark.parametrize(
    ("text", "secrets"),
    [
        (
            "ConnectionError: GET https://admin:PW4xx9zz@host/api?token=T0k3nVal&x=1 failed",
            ["admin", "PW4xx9zz", "T0k3nVal"],
        ),
        ("postgres://user:dbpass99@db:5432/app", ["dbpass99"]),
        (
            "Error code: 401 - {'error': {'message': 'Incorrect API key provided: "
            "deadbeefdeadbeefdeadbeefdeadbeef. You can find your API key at https://x.y'}}",
            ["deadbeefdeadbeefdeadbeefdeadbeef"],
        ),
        ("password=hunter22", ["hunter22"]),
        ("db_password: 's3cr3t-v'", ["s3cr3t-v"]),
        ('{"password": "s3cr3t!!", "user": "bob"}', ["s3cr3t!!"]),
        ("Authorization: Bearer abcdefghijkl", ["abcdefghijkl"]),
        ("authorization=Basic dXNlcjpwYXNz", ["dXNlcjpwYXNz"]),
        ("sent with Bearer eyAbc123456789", ["eyAbc123456789"]),
        ("x-api-key: abcd1234efgh", ["abcd1234efgh"]),
        ("API key: zzzz9999yyyy", ["zzzz9999yyyy"]),
        ("https://h/p?key=Qw3rTy123&sig=xyz12345&ok=1", ["Qw3rTy123", "xyz12345"]),
        ("https://h/p?access_token=acc123456&ok=1", ["acc123456"]),
        ("my password is hunter2", ["hunter2"]),
        ("The secret key was: 'q1w2e3r4'.", ["q1w2e3r4"]),
        ("use sk-proj-abcdefghijklmnop now", ["abcdefghijklmnop"]),
        ("key sk-ant-api03-abcdefghijklmnopqrst", ["abcdefghijklmnopqrst"]),
        ("AKIAABCDEFGHIJKLMNOP", ["ABCDEFGHIJKLMNOP"]),
        ("token ghp_abcdefghijklmnopqrstuvwxyz0123", ["abcdefghijklmnopqrstuvwxyz0123"]),
        ("lsv2_pt_0123456789abcdef0123456789abcdef_0123456789", ["0123456789abcdef0123"]),
        (
            "-----BEGIN RSA PRIVATE KEY-----\nMIIEabcdef\n-----END RSA PRIVATE KEY-----",
            ["MIIEabcdef"],
        ),
        ("eyJhbGciOiJIUzI1.eyJzdWIiOiIxMjM0.SflKxwRJSMeKKF2QT4", ["SflKxwRJSMeKKF2QT4"]),
    ],
)
def test_shapes_are_masked(text: str, secrets: list[str]) -> None:
    """Each documented credential shape is masked and the text around it kept."""
    out = scrub(text)
    for secret in secrets:
        assert secret not in out, out
    assert MASK in out


@pytest.mark.parametrize(
    "text",
    [
        "max_tokens: 256",
        "input_tokens=12",
        "author: Bob Smith",
        "The password is incorrect.",
        "the token was invalid",
        "use Basic information here",
        "risk-assessment-for-q4",
        "https://example.com/path?page=2&q=otel",
        "chatcmpl-123456",
        "gpt-4o-mini-2024-07-18",
        "session_id=abc-123",
    ],
)
def test_ordinary_text_is_kept(text: str) -> None:
    """Text that only resembles a credential shape is recorded as it is."""
    assert scrub(text) == text


def test_scrubbing_twice_changes_nothing() -> None:
    """Scrubbed text scrubs to itself (the recording layer may see a value twice)."""
    once = scrub("password=hunter22 https://u:pw123456@h token: abcdefgh my password is x1y2z3")
    assert scrub(once) == once


def test_learned_values_are_masked_anywhere() -> None:
    """A learned value is masked wherever it occurs, whatever its shape."""
    _scrub.learn(["plain-value-no-shape-77"])
    assert scrub("failed for plain-value-no-shape-77 today") == f"failed for {MASK} today"


def test_learned_values_have_bounds() -> None:
    """Values shorter than the minimum or longer than the maximum are not learned."""
    _scrub.learn(["short", "x" * (_scrub.MAX_SECRET_LENGTH + 1), "**********"])
    assert _scrub._learned == ()
    assert scrub("short words stay") == "short words stay"


def test_learned_pools_are_bounded() -> None:
    """Payload-learned values keep the most recent; configuration ones keep the first."""
    _scrub.learn([f"static-value-{i:04d}" for i in range(_scrub.MAX_STATIC_SECRETS + 10)])
    _scrub.learn(
        [f"recent-value-{i:04d}" for i in range(_scrub.MAX_RECENT_SECRETS + 10)], recent=True
    )
    assert len(_scrub._learned) == _scrub.MAX_STATIC_SECRETS + _scrub.MAX_RECENT_SECRETS
    assert MASK in scrub("static-value-0000")
    assert MASK not in scrub(f"static-value-{_scrub.MAX_STATIC_SECRETS + 5:04d}")
    assert MASK not in scrub("recent-value-0000")
    assert MASK in scrub(f"recent-value-{_scrub.MAX_RECENT_SECRETS + 5:04d}")


def test_learning_clears_the_cache() -> None:
    """A string scrubbed before a value was learned is scrubbed again afterwards."""
    text = "value learned-later-123 here"
    assert scrub(text) == text
    _scrub.learn(["learned-later-123"])
    assert scrub(text) == f"value {MASK} here"


def test_environment_values_are_learned() -> None:
    """Key-like environment variables and OTLP header variables are learned; others not."""
    _secrets.learn_environment(
        {
            "ACME_API_KEY": "acme-env-key-123",
            "SERVICE_TOKEN": "svc-env-token-456",
            "DB_PASSWORD": "db-env-pass-789",
            "OTEL_EXPORTER_OTLP_HEADERS": "x-team=hdr-env-team-000,authorization=Bearer hdr-tok-1",
            "HOME": "/home/someone-long",
            "MAX_TOKENS": "1024000000",
        }
    )
    out = scrub(
        "acme-env-key-123 svc-env-token-456 db-env-pass-789 hdr-env-team-000 hdr-tok-1 "
        "/home/someone-long 1024000000"
    )
    assert out == f"{MASK} {MASK} {MASK} {MASK} {MASK} /home/someone-long 1024000000"


def test_configure_headers_are_learned() -> None:
    """OTLP headers given to configure() (mapping or string) are learned."""
    _secrets.register_headers({"x-honeycomb-team": "hdr-map-value-1"})
    _secrets.register_headers("api-key=hdr-str-value-2")
    assert scrub("hdr-map-value-1 / hdr-str-value-2") == f"{MASK} / {MASK}"


class _Model:
    """Stands in for a LangChain model: a SecretStr field and its cached serialized form."""

    def __init__(self, key: str) -> None:
        self.api_key = SecretStr(key)
        self._serialized = {"lc": 1, "type": "constructor", "kwargs": {}}

    def start(self) -> None:
        _secrets.learn_from_model(self._serialized)


def test_model_secret_fields_are_learned() -> None:
    """The SecretStr fields of the model that starts are learned (found by its serialized form)."""
    _Model("model-secret-value-9").start()
    assert scrub("echo model-secret-value-9") == f"echo {MASK}"


def test_serialized_secret_ids_and_repr_are_learned(monkeypatch: pytest.MonkeyPatch) -> None:
    """Secret ids in a serialized model name env vars to learn; a repr's key fields are learned."""
    monkeypatch.setenv("SOME_PROVIDER_KEY_VAR", "provider-env-value-1")
    _secrets.learn_from_model(
        {"kwargs": {"k": {"lc": 1, "type": "secret", "id": ["SOME_PROVIDER_KEY_VAR"]}}}
    )
    _secrets.learn_from_model({"type": "not_implemented", "repr": "M(api_key='repr-value-22')"})
    assert scrub("provider-env-value-1 repr-value-22") == f"{MASK} {MASK}"


def test_cut_texts_do_not_keep_part_of_a_secret() -> None:
    """Cutting at the limit never leaves the first or last part of a learned value."""
    _scrub.learn(["abcdefghijklmnop-secret"])
    text = "x" * 90 + "abcdefghijklmnop-secret" + "y" * 90
    head, cut = scrub_head(text, 100)
    assert cut and "abcdefgh" not in head
    tail = scrub_tail(text, 100)
    assert "secret" not in tail and "mnop" not in tail


# -- properties ---------------------------------------------------------------------------

_secret_values = st.text(
    alphabet=st.characters(min_codepoint=48, max_codepoint=122).filter(str.isalnum),
    min_size=8,
    max_size=24,
)
_SHAPES = [
    "password={}",
    "token: {}",
    "https://user:{}@example.com/",
    "https://example.com/?api_key={}&x=1",
    "Authorization: Bearer {}",
    "my password is {}",
    "Incorrect API key provided: {}.",
]


@SETTINGS
@given(text=st.text(max_size=400))
def test_scrub_never_raises(text: str) -> None:
    """scrub returns a string for any text, no longer than the text plus the masks."""
    out = scrub(text)
    assert isinstance(out, str)
    assert scrub(out) == out


@SETTINGS
@given(
    before=st.text(max_size=60),
    after=st.text(max_size=60),
    secret=_secret_values,
    shape=st.sampled_from(_SHAPES),
)
def test_planted_secrets_never_survive(before: str, after: str, secret: str, shape: str) -> None:
    """A secret planted in a credential shape anywhere in any text is masked."""
    assume(secret not in before and secret not in after)
    text = f"{before} {shape.format(secret)} {after}"
    assert secret not in scrub(text), text


@SETTINGS
@given(before=st.text(max_size=200), after=st.text(max_size=200), secret=_secret_values)
def test_learned_secrets_never_survive(before: str, after: str, secret: str) -> None:
    """A learned value is masked in any text, and no cut at a limit keeps a part of it."""
    assume(secret[:4] not in before + after)
    _scrub.forget_learned()  # per example: the pool keeps only its first values
    _scrub.learn([secret])
    text = before + secret + after
    assert secret not in scrub(text)
    for limit in (5, 50, 150, 300):
        head, _ = scrub_head(text, limit)
        assert secret[:4] not in head
        assert secret[-4:] not in scrub_tail(text, limit)
