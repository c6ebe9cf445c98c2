"""Which lead fields the agreement can name, and the free-mail providers.

A rule names a field of the lead (``title``, ``email``, ``employees``, or a custom field kept from an
import), a field of its account (``account.industry``), an answer to a qualification question
(``answers.budget``), or the chance the lead model the agreement names gives the lead
(``predicted.probability``). How a condition on a field is judged is ``conditions``' part.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from leadpact.domain.agreement import Scalar

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
PREDICTED = "predicted.probability"
"""The field of the chance the agreement's lead model gives a lead as it was captured (``services.predictions``)."""
PREDICTED_OPS = ("at_least", "at_most", "between", "missing")
"""The conditions that compare a probability: as a number, or whether the lead has one."""

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
    if name.startswith("predicted."):
        return None if name == PREDICTED else f"'{name}' is not a prediction; the lead model gives {PREDICTED}"
    if name in LEAD_FIELDS or _CUSTOM.match(name):
        return None
    return f"'{name}' is not a field name (lead fields: {', '.join(LEAD_FIELDS)}, or a custom field)"


def email_domain(email: str) -> str:
    return email.rpartition("@")[2].strip().lower()
