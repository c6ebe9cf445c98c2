"""Which lead fields the agreement can name, and how a condition on one is judged.

A rule names a field of the lead (``title``, ``email``, ``employees``, or a custom field kept from an
import), a field of its account (``account.industry``), or an answer to a qualification question
(``answers.budget``). Text compares without regard to case or surrounding spaces; numbers compare as
numbers, also when they arrived as text from a CSV file. A condition on an empty field is false, except
``missing``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import lru_cache

from leadpact.domain.agreement import Condition, Op, Scalar

LEAD_FIELDS = (
    "email",
    "first_name",
    "last_name",
    "title",
    "company",
    "domain",
    "industry",
    "employees",
    "country",
    "source",
    "campaign",
)
ACCOUNT_FIELDS = ("name", "domain", "industry", "employees", "country")
_CUSTOM = re.compile(r"^[a-z][a-z0-9_]*$")

FREE_MAIL_DOMAINS = frozenset(
    {
        "gmail.com",
        "googlemail.com",
        "yahoo.com",
        "yahoo.co.uk",
        "yahoo.fr",
        "yahoo.de",
        "ymail.com",
        "hotmail.com",
        "hotmail.co.uk",
        "hotmail.fr",
        "outlook.com",
        "live.com",
        "msn.com",
        "aol.com",
        "icloud.com",
        "me.com",
        "mac.com",
        "mail.com",
        "gmx.com",
        "gmx.de",
        "gmx.net",
        "web.de",
        "t-online.de",
        "yandex.ru",
        "yandex.com",
        "mail.ru",
        "protonmail.com",
        "proton.me",
        "zoho.com",
        "qq.com",
        "163.com",
        "126.com",
        "libero.it",
        "orange.fr",
        "free.fr",
        "laposte.net",
        "wanadoo.fr",
        "fastmail.com",
        "hey.com",
        "tutanota.com",
        "seznam.cz",
        "rediffmail.com",
    }
)

Facts = Mapping[str, Scalar | None]
"""A lead seen by the rules: flat field names (``title``, ``account.industry``, ``answers.budget``)."""


def field_problem(name: str, question_keys: tuple[str, ...]) -> str | None:
    """Why ``name`` cannot be a field of a rule, or None when it can."""
    if name.startswith("account."):
        if name.removeprefix("account.") not in ACCOUNT_FIELDS:
            return f"unknown account field '{name}'; account fields are: {', '.join(ACCOUNT_FIELDS)}"
        return None
    if name.startswith("answers."):
        if name.removeprefix("answers.") not in question_keys:
            return f"'{name}' names no question; questions are: {', '.join(question_keys) or '(none)'}"
        return None
    if name in LEAD_FIELDS or _CUSTOM.match(name):
        return None
    return f"'{name}' is not a field name (lead fields: {', '.join(LEAD_FIELDS)}, or a custom field)"


def _empty(value: Scalar | None) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _number(value: Scalar | None) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        return float(value)
    try:
        return float(value.strip().replace(",", ""))
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


def email_domain(email: str) -> str:
    return email.rpartition("@")[2].strip().lower()


def holds(condition: Condition, value: Scalar | None) -> bool:
    """Whether the condition holds on this field value."""
    op, expected = condition.op, condition.value
    if op is Op.MISSING:
        return _empty(value) == bool(expected)
    if value is None or _empty(value):
        return False
    if isinstance(expected, tuple):
        if op is Op.BETWEEN:
            number = _number(value)
            return number is not None and float(expected[0]) <= number <= float(expected[1])
        found = any(_same(value, e) for e in expected)
        return found if op is Op.IN else not found
    if op is Op.EQUALS:
        return _same(value, expected)
    if op is Op.MATCHES:
        return _pattern(str(expected)).search(str(value)) is not None
    if op is Op.FREE_MAIL:
        return (email_domain(str(value)) in FREE_MAIL_DOMAINS) == bool(expected)
    number = _number(value)
    if number is None:
        return False
    return number >= float(expected) if op is Op.AT_LEAST else number <= float(expected)
