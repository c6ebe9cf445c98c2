"""The conditions a rule may put on a lead field, each defined once: its value, when it holds, its words.

For every operator this module says what value the agreement file gives it (its shape: one value, a list, a
pair of numbers, a number, true or false, a regular expression) and how that value is read and checked, when
the condition holds on a field value, how it reads in plain words, and its row of the table in
``docs/agreement.md``, which ``docs_table`` renders.

Text compares without regard to case or surrounding spaces; numbers compare as numbers, also when they
arrived as text from a CSV file. A condition on an empty field is false, except ``missing``.
"""

from __future__ import annotations

import itertools
import math
import re
from dataclasses import dataclass
from enum import Enum
from functools import lru_cache
from typing import Protocol, assert_never

import yaml

from leadpact.domain.agreement import Condition, Op, Scalar
from leadpact.domain.fields import FREE_MAIL_DOMAINS, email_domain

Value = Scalar | tuple[Scalar, ...]
"""A condition's value as the agreement states it."""


class Shape(Enum):
    """The kind of value an operator takes in the agreement file."""

    VALUE = "one value: text, a number, or true/false"
    LIST = "a list of values, at least one"
    PAIR = "two numbers: `[low, high]`"
    NUMBER = "a number"
    BOOLEAN = "`true` or `false`"
    REGEX = "a regular expression (Python syntax)"


@dataclass(frozen=True)
class Operator:
    """An operator's kind of value, which decides how the file is read, and its words in the documentation."""

    shape: Shape
    holds_when: str
    example: str  # a condition as a rule writes it


def operator(op: Op) -> Operator:
    """The shape of the operator's value, and its documentation."""
    match op:
        case Op.EQUALS:
            return Operator(Shape.VALUE, "the field equals the value", "{field: industry, equals: manufacturing}")
        case Op.IN:
            return Operator(Shape.LIST, "the field is one of the values", "{field: country, in: [DE, FR, GB]}")
        case Op.NOT_IN:
            return Operator(Shape.LIST, "the field is none of the values", "{field: country, not_in: [US, CA]}")
        case Op.MATCHES:
            return Operator(
                Shape.REGEX, "the regular expression is found in the field", r"{field: title, matches: '(?i)\bvp\b'}"
            )
        case Op.BETWEEN:
            return Operator(Shape.PAIR, "low ≤ field ≤ high, as numbers", "{field: employees, between: [200, 5000]}")
        case Op.AT_LEAST:
            return Operator(Shape.NUMBER, "field ≥ the number", "{field: employees, at_least: 1000}")
        case Op.AT_MOST:
            return Operator(Shape.NUMBER, "field ≤ the number", "{field: employees, at_most: 50}")
        case Op.FREE_MAIL:
            return Operator(
                Shape.BOOLEAN,
                "`true`: the email's domain is a free-mail provider (gmail.com, outlook.com, ...); `false`: it is not",
                "{field: email, free_mail: true}",
            )
        case Op.MISSING:
            return Operator(
                Shape.BOOLEAN, "`true`: the field is empty; `false`: it has a value", "{field: title, missing: true}"
            )
        case _:  # pragma: no cover - the type check proves every case above is handled
            assert_never(op)


def docs_table() -> str:
    """The table of conditions in ``docs/agreement.md``, one row per operator."""
    rows = ["| condition | takes | holds when | example |", "|---|---|---|---|"]
    for op in Op:
        o = operator(op)
        rows.append(f"| `{op.value}` | {o.shape.value} | {o.holds_when} | `{o.example}` |")
    return "\n".join(rows) + "\n"


class Reader(Protocol):
    """Reads values out of the agreement file, reporting each problem with its line and key path."""

    def fail(self, node: yaml.Node | None, path: str, message: str) -> None: ...
    def seq(self, node: yaml.Node, path: str) -> list[yaml.Node] | None: ...
    def scalar(self, node: yaml.Node, path: str) -> Scalar | None: ...
    def text(self, node: yaml.Node, path: str) -> str | None: ...
    def number(self, node: yaml.Node, path: str) -> float | None: ...
    def flag(self, node: yaml.Node, path: str) -> bool | None: ...


def read_value(reader: Reader, op: Op, node: yaml.Node, where: str) -> Value | None:
    """The operator's value from the file, checked against its shape; None once a problem is reported."""
    shape = operator(op).shape
    match shape:
        case Shape.VALUE:
            return reader.scalar(node, where)
        case Shape.LIST:
            return _read_list(reader, node, where)
        case Shape.PAIR:
            return _read_pair(reader, node, where)
        case Shape.NUMBER:
            return reader.number(node, where)
        case Shape.BOOLEAN:
            return reader.flag(node, where)
        case Shape.REGEX:
            return _read_regex(reader, node, where)
        case _:  # pragma: no cover - the type check proves every case above is handled
            assert_never(shape)


def _read_list(reader: Reader, node: yaml.Node, where: str) -> tuple[Scalar, ...] | None:
    items = reader.seq(node, where)
    if items is None:
        return None
    if not items:
        reader.fail(node, where, "list at least one value")
        return None
    scalars = [reader.scalar(item, f"{where}[{i}]") for i, item in enumerate(items)]
    values = tuple(s for s in scalars if s is not None)
    return values if len(values) == len(scalars) else None


def _read_pair(reader: Reader, node: yaml.Node, where: str) -> tuple[float, float] | None:
    items = reader.seq(node, where) or []
    bounds = [reader.number(item, f"{where}[{i}]") for i, item in enumerate(items)]
    if len(items) != 2:
        reader.fail(node, where, "expected two numbers: [low, high]")
        return None
    low, high = bounds
    if low is None or high is None:
        return None
    if low > high:
        reader.fail(node, where, "the low bound is above the high bound")
        return None
    return (low, high)


def _read_regex(reader: Reader, node: yaml.Node, where: str) -> str | None:
    source = reader.text(node, where)
    if source is None:
        return None
    try:
        re.compile(source)
    except re.error as exc:
        reader.fail(node, where, f"not a valid regular expression: {exc}")
        return None
    return source


def holds(condition: Condition, value: Scalar | None) -> bool:
    """Whether the condition holds on this field value."""
    if value is None or _empty(value):
        return condition.op is Op.MISSING and bool(condition.value)
    op, expected = condition.op, condition.value
    match op:
        case Op.EQUALS:
            return _same(value, _one(expected))
        case Op.IN:
            return any(_same(value, e) for e in _many(expected))
        case Op.NOT_IN:
            return not any(_same(value, e) for e in _many(expected))
        case Op.MATCHES:
            return _pattern(str(expected)).search(str(value)) is not None
        case Op.BETWEEN:
            low, high = _many(expected)
            number = _number(value)
            return number is not None and float(low) <= number <= float(high)
        case Op.AT_LEAST:
            number = _number(value)
            return number is not None and number >= float(_one(expected))
        case Op.AT_MOST:
            number = _number(value)
            return number is not None and number <= float(_one(expected))
        case Op.FREE_MAIL:
            return (email_domain(str(value)) in FREE_MAIL_DOMAINS) == bool(expected)
        case Op.MISSING:
            return not expected
        case _:  # pragma: no cover - the type check proves every case above is handled
            assert_never(op)


def describe_condition(condition: Condition) -> str:
    """The condition in plain words: ``the company's employees between 200 and 5,000``."""
    field, value = field_in_words(condition.field), condition.value
    op = condition.op
    match op:
        case Op.EQUALS:
            return f"{field} equals {value}"
        case Op.IN:
            return f"{field} is {_listed([str(v) for v in _many(value)])}"
        case Op.NOT_IN:
            return f"{field} is none of {', '.join(str(v) for v in _many(value))}"
        case Op.MATCHES:
            return describe_pattern(field, str(value))
        case Op.BETWEEN:
            low, high = _many(value)
            return f"{field} between {_bound(low)} and {_bound(high)}"
        case Op.AT_LEAST:
            return f"{field} is at least {_bound(_one(value))}"
        case Op.AT_MOST:
            return f"{field} is at most {_bound(_one(value))}"
        case Op.FREE_MAIL:
            return f"{field} is {'' if value else 'not '}a free-mail address"
        case Op.MISSING:
            return f"{field} is {'' if value else 'not '}empty"
        case _:  # pragma: no cover - the type check proves every case above is handled
            assert_never(op)


ACCOUNT_PREFIX = "account."


def field_in_words(field: str) -> str:
    """A field as people say it: ``account.employees`` is "the company's employees", ``job_level`` "job level"."""
    words = field.replace("_", " ")
    return f"the company's {words.removeprefix(ACCOUNT_PREFIX)}" if field.startswith(ACCOUNT_PREFIX) else words


def _bound(value: Scalar) -> str:
    """A bound as people write it: 5,000; 2.5."""
    number = float(value)
    return f"{number:,.0f}" if number.is_integer() else f"{number:,g}"


FLAG_IGNORE_CASE = "(?i)"
WORD_BOUNDARY = r"\b"
MAX_WORDS = 12
"""A pattern that stands for more words or phrases than this reads as the pattern itself."""
_LITERAL = re.compile(r"[^\W_]|[ '&/,@-]")
_ESCAPED = frozenset(".-&/' ,")
_SEPARATORS = frozenset(" -_.")
_SMALL_WORDS = frozenset({"a", "an", "and", "at", "for", "in", "of", "on", "or", "the", "to"})


@dataclass(frozen=True)
class _Words:
    """A pattern that is a choice of words or phrases: how it is placed in the field (``verb``), the words, and
    whether their case counts."""

    verb: str
    words: tuple[str, ...]
    ignore_case: bool


def describe_pattern(field: str, source: str) -> str:
    r"""A regular expression in words when it is a choice of words or phrases: ``(?i)\b(vp|head)\b`` on title reads
    "title mentions VP or Head"; a pattern that is more than that reads as itself."""
    read = _words(source)
    if read is None:
        return f"{field} matches the pattern {source}"
    whole = read.verb in ("mentions", "is")
    shown = dict.fromkeys(_styled(w, whole and read.ignore_case) for w in read.words)
    case = "" if read.ignore_case or not any(c.isalpha() for w in shown for c in w) else " (case as written)"
    return f"{field} {read.verb} {_listed(list(shown))}{case}"


def _words(source: str) -> _Words | None:
    """The words a pattern stands for, or None when it stands for more than a choice of words."""
    rest = source
    ignore_case = rest.startswith(FLAG_IGNORE_CASE)
    rest = rest.removeprefix(FLAG_IGNORE_CASE)
    start, rest = rest.startswith("^"), rest.removeprefix("^")
    end = rest.endswith("$") and not rest.endswith("\\$")
    rest = rest.removesuffix("$") if end else rest
    bounded, inner = _bounded(rest)
    if bounded and "|" in inner and _ungrouped(inner) == inner:
        bounded, inner = False, rest  # \bvp\b|\bhead\b: each alternative has its own bounds
    rest = _ungrouped(inner)
    if "(" in rest or ")" in rest:
        return None
    alternatives = [_bounded(alternative) for alternative in rest.split("|")]
    if not bounded and any(b for b, _ in alternatives):
        bounded = all(b for b, _ in alternatives)
        if not bounded:
            return None  # some alternatives whole words, others not: no one verb says it
    words: list[str] = []
    for _, alternative in alternatives:
        expanded = _expanded(alternative)
        if expanded is None:
            return None
        words += expanded
    if len(words) > MAX_WORDS:
        return None
    if start and end:
        verb = "is"
    elif start or end:
        if bounded:
            return None
        verb = "starts with" if start else "ends with"
    else:
        verb = "mentions" if bounded else "contains"
    return _Words(verb, tuple(words), ignore_case)


def _bounded(text: str) -> tuple[bool, str]:
    """Whether ``text`` is bounded by ``\b`` at both ends, and what is between."""
    size = len(WORD_BOUNDARY)
    if len(text) > 2 * size and text.startswith(WORD_BOUNDARY) and text.endswith(WORD_BOUNDARY):
        return True, text[size:-size]
    return False, text


def _ungrouped(text: str) -> str:
    """``text`` without one group around the whole of it, ``(...)`` or ``(?:...)``."""
    inner = text.removeprefix("(?:") if text.startswith("(?:") else text.removeprefix("(")
    if inner == text or not inner.endswith(")"):
        return text
    inner = inner[:-1]
    return inner if "(" not in inner and ")" not in inner else text


def _expanded(text: str) -> list[str] | None:
    r"""The words one alternative stands for: letters, digits, spaces and plain punctuation, a class of letters
    (``c[eio]o``), a class of separators or ``\s`` (a space), each maybe optional (``?``); None for anything more."""
    parts: list[tuple[str, ...]] = []
    at = 0
    while at < len(text):
        part, at = _part(text, at)
        if part is None:
            return None
        if text[at : at + 1] == "?":
            part, at = ("", *part), at + 1
        parts.append(part)
    if not parts or math.prod(len(p) for p in parts) > MAX_WORDS:
        return None
    words = ["".join(chosen) for chosen in itertools.product(*parts)]
    return None if any(not w.strip() for w in words) else words


def _part(text: str, at: int) -> tuple[tuple[str, ...] | None, int]:
    """The choice of characters at ``at`` and where the next begins; None when it is more than a plain choice."""
    char = text[at]
    if char == "\\":
        escaped = text[at + 1 : at + 2]
        if escaped == "s":
            after = at + 2
            return (" ",), after + 1 if text[after : after + 1] in ("+", "*") else after
        return ((escaped,), at + 2) if escaped and escaped in _ESCAPED else (None, at)
    if char == "[":
        close = text.find("]", at)
        inside = text[at + 1 : close] if close > at else ""
        if inside and all(c.isalnum() for c in inside):
            return tuple(inside), close + 1
        if inside and all(c in _SEPARATORS for c in inside):
            return (" ",), close + 1
        return None, at
    return ((char,), at + 1) if _LITERAL.fullmatch(char) else (None, at)


def _styled(word: str, as_title_words: bool) -> str:
    """A word or phrase as the pattern gives it; matched without regard to case and written all in lower case, as a
    title would write it: VP, Vice President, Head of Sales."""
    word = " ".join(word.split())
    if not as_title_words or any(c.isupper() for c in word):
        return word
    if word.isalpha() and len(word) <= 3:
        return word.upper()  # vp, ceo: an abbreviation
    tokens = word.split(" ")
    return " ".join(t if i and t in _SMALL_WORDS else t[:1].upper() + t[1:] for i, t in enumerate(tokens))


def _listed(words: list[str]) -> str:
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} or {words[-1]}"


def _one(value: Value) -> Scalar:
    """The value of an operator that takes one value; a list there is a condition built wrong."""
    if isinstance(value, tuple):
        raise TypeError(f"expected one value, got the list {value}")
    return value


def _many(value: Value) -> tuple[Scalar, ...]:
    """The values of an operator that takes a list or a pair; one value there is a condition built wrong."""
    if not isinstance(value, tuple):
        raise TypeError(f"expected a list of values, got {value!r}")
    return value


def _empty(value: Scalar | None) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _number(value: Scalar) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    return _written_number(value)


@lru_cache(maxsize=1 << 14)
def _written_number(text: str) -> float | None:
    """The number a text writes (commas between thousands allowed), or None; routing asks it of the same few texts
    at every hand-off, where a text that is no number costs an exception."""
    try:
        return float(text.strip().replace(",", ""))
    except ValueError:
        return None


def _same(value: Scalar, expected: Scalar) -> bool:
    a, b = _number(value), _number(expected)
    if a is not None and b is not None:
        return a == b
    return _text(value) == _text(expected)


def _text(value: Scalar) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value).strip().casefold()


@lru_cache(maxsize=512)
def _pattern(source: str) -> re.Pattern[str]:
    return re.compile(source)
