"""One record per person and per account: how two records are compared, and which stage survives a merge.

Two leads are likely the same person when what is left of their emails after the noise people add is alike
(``ann+news@x.com`` is ``ann@x.com``; Gmail ignores the dots of ``a.nn@gmail.com``), and their names, email
domains and companies agree. Two accounts are likely the same company when their domains are the same name with
another suffix (``acme-corp.com``, ``acme.com``) or their names are the same once case, punctuation and legal
suffixes are set aside ("Acme Inc." and "ACME").

A merge keeps one record, the survivor, and the other points to it. The survivor keeps the stage furthest along
of the two, so a merge never takes back what sales has already done with either record: a customer stays a
customer, an opportunity stays open. A disqualified record is the least far along: the other one's stage wins. A
recycled record is further along than an inquiry: sales has seen it, and its cooldown holds.
"""

from __future__ import annotations

import re
import unicodedata

from leadpact.domain.lifecycle import Stage

DOTLESS_MAIL = frozenset({"gmail.com", "googlemail.com"})
"""Providers that deliver ``a.nn@`` to ``ann@``: their dots are noise."""

LEGAL_SUFFIXES = frozenset(
    {
        "ab", "ag", "as", "bv", "co", "company", "corp", "corporation", "gmbh", "group", "inc", "incorporated",
        "kg", "limited", "llc", "llp", "lp", "ltd", "nv", "oy", "plc", "pty", "sa", "sarl", "sas", "se", "spa",
        "srl", "the",
    }
)  # fmt: skip
"""Words that name a company's legal form (or are filler) rather than the company."""

SECOND_LEVEL = frozenset({"co", "com", "org", "net", "ac", "gov", "ltd", "plc"})
"""Labels that sit between a country's suffix and the company's name (``acme.co.uk``)."""

_NOT_WORD = re.compile(r"[^0-9a-z]+")

PROGRESS: dict[Stage, int] = {
    Stage.DISQUALIFIED: 0,
    Stage.INQUIRY: 1,
    Stage.RECYCLED: 2,
    Stage.SCREENING: 3,
    Stage.MQL: 4,
    Stage.SAL: 5,
    Stage.SQL: 6,
    Stage.OPPORTUNITY: 7,
    Stage.CUSTOMER: 8,
}
"""How far along the funnel each stage is, for a merge."""


def email_key(email: str) -> tuple[str, str]:
    """The email's local part without a ``+tag`` (and without dots where the provider ignores them), and its
    domain, both lowercased."""
    local, _, domain = email.strip().lower().rpartition("@")
    local = local.split("+", 1)[0]
    if domain in DOTLESS_MAIL:
        local, domain = local.replace(".", ""), "gmail.com"
    return local, domain


def _words(text: str) -> list[str]:
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return [w for w in _NOT_WORD.split(plain) if w]


def name_key(name: str | None) -> str | None:
    """A person's name without case, accents and punctuation; None when nothing is left."""
    return " ".join(_words(name or "")) or None


def company_key(name: str | None) -> str | None:
    """A company's name without case, accents, punctuation and legal suffixes; None when nothing is left."""
    words = _words(name or "")
    kept = [w for w in words if w not in LEGAL_SUFFIXES]
    return " ".join(kept or words) or None


def domain_key(domain: str | None) -> str | None:
    """The company's part of a domain (``acme`` for ``www.acme-corp.co.uk``), as ``company_key`` reads it."""
    labels = [label for label in (domain or "").strip().lower().split(".") if label]
    if labels and labels[0] == "www":
        labels = labels[1:]
    if len(labels) < 2:
        return company_key(labels[0]) if labels else None
    labels = labels[:-1]  # the top-level suffix
    if len(labels) > 1 and labels[-1] in SECOND_LEVEL:
        labels = labels[:-1]
    return company_key(labels[-1])


def surviving_stage(survivor: Stage, other: Stage) -> Stage:
    """The stage the survivor of a merge keeps: the one furthest along; on a tie, its own."""
    return other if PROGRESS[other] > PROGRESS[survivor] else survivor
