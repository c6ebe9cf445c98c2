"""Countries as exports write them, read as the ISO 3166-1 two-letter code a lead keeps.

A lead's country is its alpha-2 code (``US``, ``DE``). Exports write it in many ways: the code in any case, the
alpha-3 code (``DEU``), the ISO name (``Germany``, ``Korea, Republic of``), a common name (``South Korea``,
``United States``), an everyday one (``UK``, ``U.S.A.``, ``Holland``), or the name in the exporter's language
(``Deutschland``, ``Allemagne``). The codes and names come from pycountry's copy of the ISO 3166 and Debian
iso-codes databases, so new and renamed countries arrive with its releases. Only assigned codes are countries:
``XX`` and other user-assigned or unknown codes are not, and neither is a text that names no country or more than
one (``Korea``, ``Congo``, ``Virgin Islands``).
"""

from __future__ import annotations

import gettext
import re
import unicodedata
from collections.abc import Iterable, Iterator
from functools import cache

import pycountry

LANGUAGES = ("de", "fr", "es", "it", "nl", "pt", "pt_BR", "sv", "da", "nb_NO", "fi", "pl", "cs", "hu", "ro")
"""The languages whose names of countries are read too: those of the exports people bring, most often."""

EVERYDAY: dict[str, str] = {
    "uk": "GB",
    "great britain": "GB",
    "britain": "GB",
    "england": "GB",
    "scotland": "GB",
    "wales": "GB",
    "northern ireland": "GB",
    "america": "US",
    "united states": "US",
    "russia": "RU",
    "turkey": "TR",
    "ivory coast": "CI",
    "holland": "NL",
    "macedonia": "MK",
    "vatican": "VA",
    "burma": "MM",
    "swaziland": "SZ",
    "cape verde": "CV",
    "brunei": "BN",
    "uae": "AE",
    "macau": "MO",
    "east timor": "TL",
    "dr congo": "CD",
    "drc": "CD",
    "bosnia": "BA",
    "trinidad": "TT",
    "antigua": "AG",
    "eire": "IE",
    "south korea": "KR",
    "north korea": "KP",
}
"""Names people use that the ISO names do not give, by their key (``key``)."""

_SPACE = re.compile(r"[\W_]+")
_LETTERS = re.compile(r"(?:\w )+\w")
_PART = re.compile(r"^(.*?)\s*\((.*)\)$")


def key(text: str) -> str:
    """A name as it is looked up: case, accents, dots, apostrophes and a leading "the" set aside; initials joined
    (``U. S. A.`` is ``usa``); ``St`` for ``Saint``."""
    folded = unicodedata.normalize("NFKD", text.casefold().replace("&", " and "))
    plain = "".join(c for c in folded if not unicodedata.combining(c)).replace(".", " ")
    plain = plain.replace("'", "").replace("\u2019", "")
    words = _SPACE.sub(" ", plain).strip()
    if _LETTERS.fullmatch(words):
        words = words.replace(" ", "")
    words = words.removeprefix("the ")
    return " ".join("saint" if w == "st" else w for w in words.split(" "))


def country_code(text: str) -> str | None:
    """The alpha-2 code of the country ``text`` names, or None when it names none (or more than one)."""
    return _index().get(key(text))


def _names(country: object) -> Iterator[str]:
    for attribute in ("name", "official_name", "common_name"):
        name = getattr(country, attribute, None)
        if name:
            yield name


def _variants(name: str) -> Iterator[str]:
    """Other ways of writing an ISO name: ``Korea, Republic of`` as ``Republic of Korea`` and ``Korea``;
    ``Holy See (Vatican City State)`` as ``Holy See`` and ``Vatican City State``."""
    part = _PART.match(name)
    if part:
        yield from (part.group(1), part.group(2))
    head, comma, tail = name.partition(", ")
    if comma:
        yield from (f"{tail} {head}", head)


@cache
def _index() -> dict[str, str]:
    """Every key of a country's name or code and its alpha-2 code. The sources are taken in order of trust; a
    source never overrides a key an earlier one gave, and a key a source gives two countries is left out."""
    countries = list(pycountry.countries)
    sources: list[Iterable[tuple[str, str]]] = [
        [(code, c.alpha_2) for c in countries for code in (c.alpha_2, c.alpha_3)],
        [(name, c.alpha_2) for c in countries for name in _names(c)],
        EVERYDAY.items(),
        [(variant, c.alpha_2) for c in countries for name in _names(c) for variant in _variants(name)],
    ]
    languages = [gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=[code]) for code in LANGUAGES]
    translated = [(words.gettext(name), c.alpha_2) for words in languages for c in countries for name in _names(c)]
    sources.append([(name, code) for name, code in translated if len(key(name)) > 3])  # "Čad" is no code
    index: dict[str, str] = {}
    for source in sources:
        found: dict[str, set[str]] = {}
        for name, code in source:
            found.setdefault(key(name), set()).add(code)
        index |= {k: codes.pop() for k, codes in found.items() if len(codes) == 1 and k not in index}
    return index
