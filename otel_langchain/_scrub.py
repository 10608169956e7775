"""Credential scrubbing: every string we record passes through :func:`scrub`.

Two kinds of rule, applied whatever the content setting:

- **By value**: exact credentials the handler has seen (key-like environment
  variables, the OTLP headers given to ``configure()``, the ``SecretStr`` fields
  and key-like arguments of the models it traces, values under credential keys
  in metadata and tool arguments) are replaced wherever they occur. Learned
  values are held in memory only, bounded in number and length, and never
  logged or recorded themselves (:mod:`otel_langchain._secrets` learns them).
- **By shape**: URL userinfo; ``key=value`` / ``key: value`` pairs (query
  parameters, headers, JSON) whose key names a credential; ``Bearer`` /
  ``Basic`` values; known key formats (``sk-...``, ``AKIA...``, ``ghp_...``,
  JWTs, PEM private keys...); a key a provider echoes ("Incorrect API key
  provided: ..."); and "<my|the> password is <value>" in prose.

Speed: the recording path calls :func:`scrub` on every string attribute, so
results for short strings are cached (bounded), and each shape rule runs only
when its anchor text (``:``, ``=``, ``bearer``, `` is ``...) occurs.
"""

from __future__ import annotations

import functools
import re
import threading
from collections.abc import Iterable

MASK = "[REDACTED]"
#: Learned values shorter than this are ignored (they would mask ordinary words).
MIN_SECRET_LENGTH = 8
#: Learned values longer than this are ignored (and bound the cut-and-scrub window).
MAX_SECRET_LENGTH = 512
#: Bound on learned values from configuration (environment, headers, models) ...
MAX_STATIC_SECRETS = 128
#: ... and on those learned from payloads (the most recent are kept).
MAX_RECENT_SECRETS = 64

_CACHE_MAX_ENTRIES = 4096
_CACHE_MAX_LENGTH = 256
# Shorter than every shape rule can match and than every learned value.
_SHORTEST = 8

# -- keys that name a credential --------------------------------------------------------

_SECRET_KEY = re.compile(
    r"(api[ _-]?key|apikey|secret|passw(or)?d|passwd|passphrase|pwd$|token|authorization|"
    r"auth[_-]?(header|token|key)|credential|cookie|private[_-]?key|access[_-]?key|"
    r"session[_-]?(key|token)|bearer|signature|client[_-]?secret|x-api-key|"
    r"subscription[_-]?key|^sig$|^pass$|^pw$)",
    re.IGNORECASE,
)
# Token counters and ids are not secrets even though they contain "token".
_NOT_SECRET_KEY = re.compile(
    r"(^|_)(max|max_new|num|n|input|output|total|prompt|completion|cached|reasoning|candidates|"
    r"thoughts|cache_read_input|cache_creation_input|cache_read|cache_write)_?tokens?($|_)"
    r"|tokens?_(count|usage|type|details|limit|budget)|token_ids?$|tokenizer|^tokens$",
    re.IGNORECASE,
)
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")


def _names_a_secret(key: str) -> bool:
    if not _SECRET_KEY.search(key):
        return False
    return not _NOT_SECRET_KEY.search(_CAMEL.sub("_", key))


# The same few keys recur on every run: the regexes run once per key (bounded).
_names_a_secret_cached = functools.lru_cache(maxsize=4096)(_names_a_secret)


def is_secret_key(key: str) -> bool:
    """Whether a mapping key names a credential (``api_key``, ``password``, ...)."""
    if len(key) <= 128:
        return _names_a_secret_cached(key)
    return _names_a_secret(key)


# -- learned values -----------------------------------------------------------------------

_lock = threading.Lock()
_static: dict[str, None] = {}  # insertion-ordered sets
_recent: dict[str, None] = {}
# Longest first, so that a value containing another is masked whole. Replaced, never mutated.
_learned: tuple[str, ...] = ()


def _acceptable(value: str) -> bool:
    return (
        MIN_SECRET_LENGTH <= len(value) <= MAX_SECRET_LENGTH
        and not value.isspace()
        and value.strip("*") != ""  # an already masked value ("**********")
    )


def learn(values: Iterable[object], *, recent: bool = False) -> None:
    """Mask these exact values in every string recorded from now on.

    Args:
        values: candidate credentials; non-strings and values outside the length
            bounds are ignored.
        recent: values seen in payloads (metadata, tool arguments): kept in a
            pool of the most recent ones instead of the configuration pool.
    """
    fresh = [v for v in values if isinstance(v, str) and _acceptable(v)]
    if not fresh:
        return
    global _learned  # noqa: PLW0603
    with _lock:
        pool, bound = (_recent, MAX_RECENT_SECRETS) if recent else (_static, MAX_STATIC_SECRETS)
        changed = False
        for value in fresh:
            if value in _static or value in pool:
                if recent:  # refresh its place among the most recent
                    pool.pop(value, None)
                    pool[value] = None
                continue
            if len(pool) >= bound:
                if not recent:
                    continue  # the configuration pool keeps its first values
                pool.pop(next(iter(pool)))
            pool[value] = None
            changed = True
        if changed:
            _learned = tuple(sorted({*_static, *_recent}, key=len, reverse=True))
            _cache.clear()


def learned() -> tuple[str, ...]:
    """The values learned so far (a new tuple whenever they change)."""
    return _learned


def forget_learned() -> None:
    """Drop every learned value (tests use this to start clean)."""
    global _learned  # noqa: PLW0603
    with _lock:
        _static.clear()
        _recent.clear()
        _learned = ()
        _cache.clear()


# -- shape rules --------------------------------------------------------------------------
# They run on the lowercased text (same length, so positions map back). Each rule is
# anchored: the text is searched for a literal (a separator, a keyword) with str.find,
# which is fast, and a small regex is matched at each hit; no rule scans character by
# character. Each yields the (start, end) span of a value to mask.

# Any credential shape but URL userinfo and known key formats needs one of these words.
_KEYWORDS = (
    "pass", "pwd", "pw=", "secret", "token", "key", "auth", "credential", "cookie", "sig",
    "session", "bearer", "basic", "pin",
)  # fmt: skip
_WORD = frozenset("abcdefghijklmnopqrstuvwxyz0123456789_.-")
_VALUE_AT = re.compile(
    r"[ \t]*(?P<value>\"[^\"\n]*\"|'[^'\n]*'"
    r"|(?:(?:bearer|basic|token|digest)[ \t]+)?[^\s\"',;&}\])<>]+)"
)
# Short query-parameter names that are credentials in a URL only (?key=..., &sig=...).
_QUERY_KEYS = frozenset({"key", "sig", "pw", "pass", "auth"})
_KEY_QUALIFIERS = ("api ", "access ", "secret ", "private ", "license ", "auth ")
_USERINFO_AT = re.compile(r"(?P<value>[^/\s@?#]+)@")
_SCHEME_AT = re.compile(r"\s+(?P<value>[a-z0-9._~+/\-]{8,}=*)")
_ECHO_WORDS = (" provided", " given", " supplied")
_ECHO_SUBJECTS = ("key", "token", "secret", "password")
_ECHO_AT = re.compile(r"\s*[:=]?\s*[\"']?(?P<value>[^\s\"',;]+)")
_PROSE_WORDS = (
    "password", "passcode", "passphrase", "passwd", "pin", "pin code", "secret", "token",
    "key",
)  # fmt: skip
_PROSE_AT = re.compile(r"\s*:?\s+[\"'`]?(?P<value>[^\s\"'`]+)")
# Words that follow "password is" in a message about a password, not in one giving it.
_PROSE_STOP = frozenset(
    (
        "a", "an", "the", "not", "no", "none", "null", "incorrect", "invalid", "wrong", "required",
        "missing", "expired", "empty", "too", "set", "unset", "correct", "valid", "being",
        "changed", "reset", "weak", "strong", "unknown", "revoked", "needed", "optional", "ok",
        "fine", "good", "bad", "long", "short", "sent", "stored", "used", "case-sensitive",
        "hidden", "masked", "redacted", "present", "absent", "configured", "provided", "given",
    )
)  # fmt: skip
_PEM = re.compile(
    r"-----begin [a-z ]*private key-----.*?(?:-----end [a-z ]*private key-----|\Z)", re.DOTALL
)
# Known key formats (case-sensitive, on the original text): the literal each starts with.
_KNOWN: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (hint, re.compile(pattern))
    for hint, pattern in (
        ("sk-", r"sk-(?:ant-(?:api\d\d-|admin\d\d-)?|proj-|svcacct-|admin-)?[A-Za-z0-9_\-]{8,}"),
        ("sk_", r"sk_(?:live|test)_[A-Za-z0-9]{16,}"),
        ("rk_", r"rk_(?:live|test)_[A-Za-z0-9]{16,}"),
        ("AKIA", r"AKIA[0-9A-Z]{16}"),
        ("ASIA", r"ASIA[0-9A-Z]{16}"),
        ("AIza", r"AIza[0-9A-Za-z_\-]{20,}"),
        ("ya29.", r"ya29\.[0-9A-Za-z_\-]{20,}"),
        *((f"gh{kind}_", rf"gh{kind}_[A-Za-z0-9]{{20,}}") for kind in "pousr"),
        ("github_pat_", r"github_pat_[A-Za-z0-9_]{20,}"),
        ("glpat-", r"glpat-[A-Za-z0-9_\-]{20,}"),
        ("xox", r"xox[abposr]-[A-Za-z0-9\-]{10,}"),
        ("gsk_", r"gsk_[A-Za-z0-9]{20,}"),
        ("hf_", r"hf_[A-Za-z0-9]{20,}"),
        ("xai-", r"xai-[A-Za-z0-9]{20,}"),
        ("tvly-", r"tvly-[A-Za-z0-9\-]{16,}"),
        ("r8_", r"r8_[A-Za-z0-9]{20,}"),
        ("pplx-", r"pplx-[A-Za-z0-9]{20,}"),
        ("nvapi-", r"nvapi-[A-Za-z0-9_\-]{20,}"),
        ("npm_", r"npm_[A-Za-z0-9]{30,}"),
        ("pypi-", r"pypi-[A-Za-z0-9_\-]{40,}"),
        ("lsv2_", r"lsv2_(?:pt|sk)_[a-f0-9]{20,}(?:_[a-f0-9]+)?"),
        ("eyJ", r"eyJ[A-Za-z0-9_\-]{8,}\.eyJ[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]+"),
    )
)
_ALNUM_HINTS = ("AKIA", "ASIA", "AIza")


def _looks_random(value: str) -> bool:
    """A scheme value ("Basic ...") that is a credential, not an English word."""
    return any(c.isdigit() or c in "+/=_-.~" for c in value) or any(c.isupper() for c in value[1:])


def _at_word_start(low: str, index: int) -> bool:
    return index == 0 or not (low[index - 1].isalnum() or low[index - 1] == "_")


def _finds(low: str, needle: str) -> list[int]:
    hits = []
    index = low.find(needle)
    while index != -1:
        hits.append(index)
        index = low.find(needle, index + 1)
    return hits


def _key_before(text: str, low: str, sep: int) -> tuple[int, int]:
    """The span of the key a ``:`` / ``=`` at ``sep`` follows (optional quote, blanks)."""
    end = sep
    while end > 0 and low[end - 1] in " \t":
        end -= 1
    if end > 0 and low[end - 1] in "\"'":
        end -= 1
    start = end
    while start > 0 and low[start - 1] in _WORD and end - start < 64:
        start -= 1
    return start, end


def _names_secret_here(text: str, low: str, start: int, end: int, sep: str) -> bool:
    key = text[start:end]
    if is_secret_key(key):
        return True
    word = low[start:end]
    if word == "key" and low[max(0, start - 8) : start].endswith(_KEY_QUALIFIERS):
        return True  # "API key: ..."
    return sep == "=" and start > 0 and low[start - 1] in "?&;" and word in _QUERY_KEYS


def _separator_spans(text: str, low: str, spans: list[tuple[int, int]]) -> None:
    for sep in (":", "="):
        for index in _finds(low, sep):
            start, end = _key_before(text, low, index)
            if start == end or not _names_secret_here(text, low, start, end, sep):
                continue
            match = _VALUE_AT.match(low, index + 1)
            if match is None:
                continue
            begin, stop = match.span("value")
            if low[begin] in "\"'" and stop - begin >= 2:
                begin, stop = begin + 1, stop - 1
            if stop > begin:
                spans.append((begin, stop))


def _prose_spans(low: str, spans: list[tuple[int, int]]) -> None:
    for verb in (" is", " was"):
        for index in _finds(low, verb):
            if not low[max(0, index - 10) : index].endswith(_PROSE_WORDS):
                continue
            match = _PROSE_AT.match(low, index + len(verb))
            if match is None:
                continue
            begin, end = match.span("value")
            while end > begin and low[end - 1] in ".,;:!?)":
                end -= 1
            if end > begin and low[begin:end] not in _PROSE_STOP:
                spans.append((begin, end))


def _echo_spans(low: str, spans: list[tuple[int, int]]) -> None:
    for word in _ECHO_WORDS:
        for index in _finds(low, word):
            if not low[max(0, index - 8) : index].endswith(_ECHO_SUBJECTS):
                continue
            match = _ECHO_AT.match(low, index + len(word))
            if match is not None:
                begin, end = match.span("value")
                while end > begin and low[end - 1] in ".)":
                    end -= 1
                spans.append((begin, end))


def _scheme_spans(text: str, low: str, spans: list[tuple[int, int]]) -> None:
    for scheme in ("bearer", "basic"):
        for index in _finds(low, scheme):
            if not _at_word_start(low, index):
                continue
            match = _SCHEME_AT.match(low, index + len(scheme))
            if match is not None and _looks_random(text[match.start("value") : match.end()]):
                spans.append(match.span("value"))


def _known_spans(text: str, spans: list[tuple[int, int]]) -> None:
    if text.isalnum() and not text.startswith(_ALNUM_HINTS):
        return  # one token: only the formats without punctuation, at its start
    for hint, pattern in _KNOWN:
        if hint not in text:
            continue
        for index in _finds(text, hint):
            if index and (text[index - 1].isalnum() or text[index - 1] in "_-"):
                continue
            match = pattern.match(text, index)
            if match is not None:
                spans.append(match.span())


def _keyword_spans(text: str, low: str, spans: list[tuple[int, int]]) -> None:
    """The rules that need a credential's keyword (``_KEYWORDS``), which ``low`` holds."""
    if ":" in low or "=" in low:
        _separator_spans(text, low, spans)
    if " is" in low or " was" in low:
        _prose_spans(low, spans)
    if " provided" in low or " given" in low or " supplied" in low:
        _echo_spans(low, spans)
    if "bearer" in low or "basic" in low:
        _scheme_spans(text, low, spans)
    if "-----begin" in low:
        spans.extend(m.span() for m in _PEM.finditer(low))


def _shape_spans(text: str, low: str) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    for word in _KEYWORDS:  # a loop, not any() over a generator: each of its steps is a resume
        if word in low:
            _keyword_spans(text, low, spans)
            break
    if "@" in low and "://" in low:
        for index in _finds(low, "://"):
            match = _USERINFO_AT.match(low, index + 3)
            if match is not None:
                spans.append(match.span("value"))
    _known_spans(text, spans)
    return spans


def _mask(text: str, spans: list[tuple[int, int]]) -> str:
    spans.sort()
    out: list[str] = []
    last = 0
    for start, end in spans:
        if end <= last:
            continue
        begin = max(start, last)
        if text.startswith(MASK, begin):  # already masked (text scrubbed twice)
            out.append(text[last:end])
            last = end
            continue
        out.append(text[last:begin])
        out.append(MASK)
        last = end
    out.append(text[last:])
    return "".join(out)


def _scrub(text: str) -> str:
    for value in _learned:
        if value in text:
            text = text.replace(value, MASK)
    low = text.lower()
    if len(low) != len(text):  # a few characters lowercase to two: match case-blind instead
        return _scrub_caseless(text)
    spans = _shape_spans(text, low)
    return _mask(text, spans) if spans else text


def _scrub_caseless(text: str) -> str:
    """The shape rules on text whose lowercase form has another length (rare)."""
    folded = "".join(c if len(c.lower()) == 1 else "_" for c in text)
    spans = _shape_spans(folded, folded.lower())
    return _mask(text, spans) if spans else text


# Short strings (run names, model names, tags) recur on every run: scrubbed once each.
_cache: dict[str, str] = {}


def scrub(text: str) -> str:
    """``text`` with every credential it holds replaced by ``[REDACTED]``."""
    hit = _cache.get(text)
    if hit is not None:
        return hit
    return scrub_uncached(text)


def scrub_uncached(text: str) -> str:
    """:func:`scrub` past the cache lookup: scrub, and remember short strings."""
    if len(text) > _CACHE_MAX_LENGTH:
        return _scrub(text)
    result = text if len(text) < _SHORTEST else _scrub(text)
    if len(_cache) >= _CACHE_MAX_ENTRIES:
        _cache.clear()
    _cache[text] = result
    return result


def scrub_head(text: str, limit: int) -> tuple[str, bool]:
    """The first ``limit`` characters of ``text``, scrubbed; and whether it was cut.

    Only ``limit`` plus a window of characters is scrubbed, however long the text;
    the window covers every learned value, so none is cut in two and leaks a part.
    """
    if len(text) <= limit:
        return scrub(text), False
    return scrub(text[: limit + MAX_SECRET_LENGTH])[:limit], True


def scrub_tail(text: str, limit: int) -> str:
    """The last ``limit`` characters of ``text``, scrubbed (as :func:`scrub_head`)."""
    if len(text) <= limit:
        return scrub(text)
    return scrub(text[-(limit + MAX_SECRET_LENGTH) :])[-limit:]
