"""A JSON serializer that stops at a budget: captured content costs what the limit allows.

``json.dumps`` walks the whole value before anything can be cut, so a 10 MB
string or a million-item list costs seconds per run even when 8 KB are kept.
:func:`dumps` writes at most ``limit`` characters (strings are cut to what is
left), visits at most ``limit`` items, and descends at most ``MAX_DEPTH``
levels; where it stops, ``...[truncated]`` marks the spot and every open
container is closed, so the result is always valid JSON. Mapping keys that name
a credential are dropped (their values are learned by the scrubber, so an echo
elsewhere is masked too) and every string, key or value, goes through the
caller's ``text`` function (scrubbing, redaction) as it is written. A tool
message answering a call the caller withholds (a tool run that captured
nothing, see ``_capture``) is written with ``[not captured]`` for its content.
"""

from __future__ import annotations

import json
import math
import weakref
from collections.abc import Callable, Container, Iterable, Mapping
from dataclasses import fields, is_dataclass
from types import GeneratorType
from typing import Any, cast

from langchain_core.messages import BaseMessage
from pydantic import BaseModel

from otel_langchain import _scrub
from otel_langchain._capture import NOT_CAPTURED
from otel_langchain._scrub import MAX_SECRET_LENGTH, is_secret_key, learn

TRUNCATED = "...[truncated]"
MAX_DEPTH = 12

# The C escaper of the json module (str -> quoted JSON string, non-ASCII kept).
_quote: Callable[[str], str] = json.encoder.encode_basestring  # type: ignore[attr-defined]
_MARKER = _quote(TRUNCATED)
# A dropped credential key uses the item budget as if it were written (its checks cost).
_DROPPED_COST = 16


def safe_str(value: Any) -> str:
    """``str(value)`` that never raises."""
    try:
        return str(value)
    except Exception:
        return f"<unprintable {type(value).__name__}>"


class _Budget(Exception):
    """Raised inside the walk when the character or item budget is spent."""


class _Writer:
    __slots__ = (
        "chars",
        "items",
        "keys",
        "levels_cut",
        "out",
        "string_limit",
        "text",
        "withheld",
    )

    def __init__(
        self,
        limit: int,
        text: Callable[[str], str],
        string_limit: int,
        withheld: Container[str],
    ) -> None:
        self.out: list[str] = []
        self.chars = limit
        self.items = limit
        self.text = text
        self.string_limit = string_limit
        self.withheld = withheld
        self.levels_cut = 0
        self.keys = _keys.of(text)

    # ``put``, written out inline where pieces are most frequent (``out.append`` and the
    # count): a call of it costs more than what it does, a few hundred times per state.
    def put(self, piece: str) -> None:
        self.out.append(piece)
        self.chars -= len(piece)

    # Every _Budget is raised right after a complete JSON value was written (the cut
    # string, or the marker), so each open container only has to close.

    def string(self, value: str) -> None:
        chars = self.chars
        room = chars - 2 if chars > 2 else 0
        limit = self.string_limit if self.string_limit < room else room
        if len(value) <= limit:
            piece = self.text(value)
            if len(piece) <= limit:  # the usual case: whole
                quoted = _quote(piece)
                self.out.append(quoted)
                self.chars = chars - len(quoted)
                return
            piece = piece[:limit]  # the text function made it longer
        else:
            # Scrub a window past the cut so no credential is cut in two and half-kept.
            piece = self.text(value[: limit + MAX_SECRET_LENGTH])
            if len(piece) > limit:
                piece = piece[:limit]
        self.put(_quote(piece + TRUNCATED))
        if limit == room:  # the whole budget is spent, not only this string's
            raise _Budget

    def scalar(self, value: Any) -> bool:
        """Write a JSON scalar; False when ``value`` is not one."""
        if value is None:
            self.put("null")
        elif value is True:
            self.put("true")
        elif value is False:
            self.put("false")
        elif isinstance(value, int):
            self.put(_int(value))
        elif isinstance(value, float):
            self.put(repr(value) if math.isfinite(value) else _quote(repr(value)))
        elif isinstance(value, str):
            self.string(value)
        else:
            return False
        return True

    def value(self, value: Any, depth: int) -> None:
        items = self.items = self.items - 1
        if items < 0 or self.chars <= 0:
            self.put(_MARKER)
            raise _Budget
        kind = type(value)  # the common exact types first: isinstance on ABCs is slow
        if kind is str:
            self.string(value)
        elif value is None:
            self.out.append("null")
            self.chars -= 4
        elif depth >= MAX_DEPTH and kind in (dict, list, tuple):
            self.level_cut()
        elif kind is dict:
            if value:
                self.mapping(value.items(), depth)
            else:  # a message's empty additional_kwargs, response_metadata
                self.out.append("{}")
                self.chars -= 2
        elif kind is list or kind is tuple or kind is GeneratorType:
            self.sequence(value, depth)
        elif not self.scalar(value):
            self.other(value, depth)

    def level_cut(self) -> None:
        """A container (or an object) at ``MAX_DEPTH``: written as ``"..."``."""
        self.levels_cut += 1
        self.string("...")

    def other(self, value: Any, depth: int) -> None:
        if depth >= MAX_DEPTH:
            self.level_cut()
        elif isinstance(value, Mapping):
            self.mapping(value.items(), depth)
        elif isinstance(value, BaseModel):
            self.model(value, depth)
        elif isinstance(value, (list, tuple, set, frozenset, GeneratorType)):
            self.sequence(value, depth)
        elif isinstance(value, (bytes, bytearray)):
            self.string(f"<{len(value)} bytes>")
        elif is_dataclass(value) and not isinstance(value, type):
            # LangGraph's Command and Send: their fields, not a repr (a message's pydantic
            # repr inside one costs hundreds of microseconds)
            self.mapping(dataclass_items(value), depth)
        else:
            self.string(safe_str(value))

    def model(self, value: BaseModel, depth: int) -> None:
        """A pydantic model's fields; a LangChain message written before is copied."""
        kind = type(value)
        message = _IS_MESSAGE.get(kind)
        if message is None:
            message = _IS_MESSAGE[kind] = issubclass(kind, BaseMessage)
        if message and not self.withheld:  # with calls withheld, the output depends on them
            self.message(cast(BaseMessage, value), depth)
        else:
            self.mapping(model_items(value, self.withheld), depth)

    def message(self, value: BaseMessage, depth: int) -> None:
        """Messages recur (in every state that holds them): written once (``_Fragments``)."""
        hit = _fragments.get(value, self.text, self.string_limit)
        # Written whole, no level cut, at this depth or deeper: none is cut here either.
        if (
            hit is not None
            and depth <= hit[2]
            and len(hit[0]) + 2 < self.chars
            and hit[1] < self.items
        ):
            self.put(hit[0])
            self.items -= hit[1]
            return
        start, items, levels_cut = len(self.out), self.items, self.levels_cut
        self.mapping(model_items(value, ()), depth)  # raises _Budget if cut
        if self.levels_cut == levels_cut:  # whole, and no level cut at MAX_DEPTH inside
            fragment = "".join(self.out[start:])
            _fragments.put(value, self.text, self.string_limit, fragment, items - self.items, depth)

    def mapping(self, items: Iterable[tuple[Any, Any]], depth: int) -> None:
        out = self.out
        out.append("{")
        self.chars -= 1
        first = True
        keys = self.keys
        for key, item in items:
            name = key if type(key) is str else safe_str(key)
            known = keys.get(name)
            fresh = known is None  # written by string() the first time, cached after
            if known is None:
                known = _keys.learn(keys, name, self.text)
            if known is _SECRET_KEY:
                _learn_dropped(item)
                self.items -= _DROPPED_COST
                if self.items < 0:
                    self.put(("" if first else ", ") + _MARKER + ": null}")
                    raise _Budget
                continue
            if first:
                separator, room = "", self.chars - 2
                first = False
            else:
                separator, room = ", ", self.chars - 4
            # A key written before, when it fits whole: what string() would write, at once.
            if not fresh and known[1] <= room and known[1] <= self.string_limit:
                piece = f"{separator}{known[0]}: "
                out.append(piece)
                self.chars -= len(piece)
            else:
                self.put(separator)
                try:
                    self.string(name)
                except _Budget:
                    self.put(": null}")
                    raise
                self.put(": ")
            try:
                self.value(item, depth + 1)
            except _Budget:
                out.append("}")
                self.chars -= 1
                raise
        out.append("}")
        self.chars -= 1

    def sequence(self, items: Iterable[Any], depth: int) -> None:
        out = self.out
        out.append("[")
        self.chars -= 1
        first = True
        for item in items:
            if first:
                first = False
            else:
                out.append(", ")
                self.chars -= 2
            try:
                self.value(item, depth + 1)
            except _Budget:
                out.append("]")
                self.chars -= 1
                raise
        out.append("]")
        self.chars -= 1


class _Fragments:
    """The JSON of LangChain messages already written, by object.

    A LangGraph state's messages are captured by every run that sees the state (the
    node's inputs, the next node's inputs, the graph's outputs): each message is
    written once and its JSON copied while the object lives, its ``id`` and
    ``content`` being the same objects of the same length as when it was written
    (LangGraph's reducer gives a message its id after a node returned it; a message
    whose content is replaced or appended to is written again). Reused only whole,
    when it fits the budget left, at a depth no greater than where it was written
    (where no level was cut, none is here), with the same ``text`` function and
    string limit: the output is what writing it again would give. Bounded in entries and
    characters (cleared when full).
    """

    __slots__ = ("chars", "entries")

    MAX_ENTRIES = 4096
    MAX_CHARS = 1 << 20

    def __init__(self) -> None:
        self.entries: dict[int, tuple[Any, ...]] = {}
        self.chars = 0

    def get(
        self, value: BaseMessage, text: Callable[[str], str], string_limit: int
    ) -> tuple[str, int, int] | None:
        """The JSON written for ``value``, the items it used, the depth it was written at."""
        entry = self.entries.get(id(value))
        if entry is None:
            return None
        ref, found_text, found_limit, mark, fragment, items, depth = entry
        if (
            ref() is not value
            or found_text is not text
            or found_limit != string_limit
            or mark != _mark(value)
        ):
            return None
        return fragment, items, depth

    def put(
        self,
        value: BaseMessage,
        text: Callable[[str], str],
        string_limit: int,
        fragment: str,
        items: int,
        depth: int,
    ) -> None:
        try:
            ref = weakref.ref(value)
        except TypeError:  # a model without weak references: written each time
            return
        if len(self.entries) >= self.MAX_ENTRIES or self.chars >= self.MAX_CHARS:
            self.entries.clear()
            self.chars = 0
        self.entries[id(value)] = (ref, text, string_limit, _mark(value), fragment, items, depth)
        self.chars += len(fragment)


def _mark(message: BaseMessage) -> tuple[Any, int, int]:
    """What must be unchanged for a written message to be reused: its id, its content."""
    content = message.content
    return message.id, id(content), len(content)


_fragments = _Fragments()

#: A mapping key that names a credential (dropped, its value learned).
_SECRET_KEY: tuple[str, int] = ("", 0)


class _Keys:
    """Mapping keys written before, per ``text`` function: (JSON string, length to fit).

    The same few keys (a message's fields, a state's channels) are written again and
    again; each is checked for a credential's name and put through ``text`` once. The
    JSON string is what :meth:`_Writer.string` writes for the key when it is not cut:
    reused only when the longer of the key and its text fits the room left, which is
    when ``string`` would not cut it. ``text`` depends on the secrets learned so far
    (``_scrub``): every entry is dropped when they change. Bounded (cleared when full);
    keys longer than ``MAX_KEY`` are not kept.
    """

    __slots__ = ("by_text", "learned")

    MAX_KEY = 64
    MAX_ENTRIES = 4096

    def __init__(self) -> None:
        self.by_text: dict[Callable[[str], str], dict[str, tuple[str, int]]] = {}
        self.learned: tuple[str, ...] = _scrub.learned()

    def of(self, text: Callable[[str], str]) -> dict[str, tuple[str, int]]:
        """The keys written through ``text`` (none when the learned secrets changed)."""
        learned = _scrub.learned()
        if learned is not self.learned:
            self.learned = learned
            self.by_text = {}
        found = self.by_text.get(text)
        if found is None:
            if len(self.by_text) >= 8:  # a handful of text functions exist
                self.by_text = {}
            found = self.by_text[text] = {}
        return found

    def learn(
        self, keys: dict[str, tuple[str, int]], name: str, text: Callable[[str], str]
    ) -> tuple[str, int]:
        """What ``name`` is as a key: a credential's name, or its JSON string."""
        if is_secret_key(name):
            known = _SECRET_KEY
        else:
            piece = text(name)
            known = (_quote(piece), max(len(name), len(piece)))
        if len(name) <= self.MAX_KEY:
            if len(keys) >= self.MAX_ENTRIES:
                keys.clear()
            keys[name] = known
        return known


_keys = _Keys()
# Model classes -> whether they are LangChain messages (an isinstance through pydantic's
# metaclass costs more than the lookup); classes are few.
_IS_MESSAGE: dict[type, bool] = {}


def _int(value: int) -> str:
    try:
        return str(value)
    except ValueError:  # more digits than int -> str allows
        return _quote("<int>")


_WITHHELD_FIELDS = frozenset({"content", "artifact"})


def model_items(model: BaseModel, withheld: Container[str]) -> list[tuple[str, Any]]:
    """A pydantic model's fields and their values, not copied (``model_dump`` would copy them).

    A list, not a generator (a generator's steps cost a resume each): a model has the
    few fields its class declares, each read by one ``getattr``. A tool message
    answering a withheld call keeps its fields but not what the tool returned.
    """
    names = type(model).model_fields
    if (
        withheld
        and getattr(model, "type", None) == "tool"
        and getattr(model, "tool_call_id", None) in withheld
    ):
        return [
            (name, NOT_CAPTURED if name in _WITHHELD_FIELDS else getattr(model, name, None))
            for name in names
        ]
    return [(name, getattr(model, name, None)) for name in names]


def dataclass_items(value: Any) -> Iterable[tuple[str, Any]]:
    for field in fields(value):
        yield field.name, getattr(value, field.name, None)


def _learn_dropped(value: Any) -> None:
    if isinstance(value, str):
        learn((value,), recent=True)


def dumps(
    value: Any,
    *,
    limit: int,
    text: Callable[[str], str],
    string_limit: int | None = None,
    withheld: Container[str] = (),
) -> tuple[str, bool]:
    """``value`` as JSON within about ``limit`` characters; and whether it was cut.

    Args:
        value: anything; pydantic models and dataclasses are written as mappings of
            their fields, other objects JSON does not know as their ``str()``.
        limit: characters (and items) the whole output may use.
        text: applied to every string, keys included, after it is cut.
        string_limit: a single string is cut at this many characters (default: limit).
        withheld: tool call ids whose tool messages are written without their content.

    Never raises: a value whose iteration or ``str()`` fails is written as a marker.
    """
    if limit > 0:  # a lone scalar (a lambda's number): what the writer writes, without it
        kind = type(value)
        if kind is int:
            return _int(value), False
        if value is None:
            return "null", False
        if kind is bool:
            return ("true" if value else "false"), False
        if kind is float:
            return (repr(value) if math.isfinite(value) else _quote(repr(value))), False
    writer = _Writer(limit, text, limit if string_limit is None else string_limit, withheld)
    cut = False
    try:
        writer.value(value, 0)
    except _Budget:
        cut = True
    except Exception:  # a hostile __iter__ / __str__: keep what was written, closed
        return _quote(f"<{type(value).__name__}>"), True
    return "".join(writer.out), cut
