"""Countries by code or name, in any case and in the exporter's language; no code for what names no country."""

from __future__ import annotations

import itertools
import string

import pycountry
import pytest
from hypothesis import given
from hypothesis import strategies as st

from leadpact.domain.countries import EVERYDAY, country_code, key

COUNTRIES = list(pycountry.countries)


@pytest.mark.parametrize(
    ("written", "code"),
    [
        ("US", "US"),
        ("us", "US"),
        ("United States", "US"),
        ("United States of America", "US"),
        ("USA", "US"),
        ("U.S.", "US"),
        ("U. S. A.", "US"),
        ("the States", None),
        ("Germany", "DE"),
        ("Deutschland", "DE"),
        ("Allemagne", "DE"),
        ("Alemania", "DE"),
        ("DEU", "DE"),
        ("UK", "GB"),
        ("Great Britain", "GB"),
        ("United Kingdom", "GB"),
        ("Royaume-Uni", "GB"),
        ("Korea, Republic of", "KR"),
        ("Republic of Korea", "KR"),
        ("South Korea", "KR"),
        ("Korea", None),  # north or south
        ("Virgin Islands", None),  # British or U.S.
        ("C\u00f4te d\u2019Ivoire", "CI"),  # a typographic apostrophe
        ("Ivory Coast", "CI"),
        ("The Netherlands", "NL"),
        ("Holland", "NL"),
        ("St. Lucia", "LC"),
        ("Holy See (Vatican City State)", "VA"),
        ("Vatican City State", "VA"),
        ("Türkei", "TR"),
        ("Turkey", "TR"),
        ("Russia", "RU"),
        ("Réunion", "RE"),
        ("Trinidad & Tobago", "TT"),
        ("  österreich ", "AT"),
        ("XX", None),
        ("Narnia", None),
        ("CAD", None),  # a currency, not Chad (Čad in Czech)
        ("", None),
    ],
)
def test_a_country_is_read_by_code_or_name(written: str, code: str | None) -> None:
    assert country_code(written) == code


@given(st.sampled_from(COUNTRIES), st.sampled_from([str.upper, str.lower, str.title, str.swapcase]))
def test_every_country_is_read_by_its_codes_and_iso_name_in_any_case(country: object, case: object) -> None:
    assert callable(case)
    expected = country.alpha_2  # type: ignore[attr-defined]
    for written in (country.alpha_2, country.alpha_3, country.name):  # type: ignore[attr-defined]
        assert country_code(case(written)) == expected


def test_no_two_letters_but_an_assigned_code_are_a_country_save_uk() -> None:
    assigned = {c.alpha_2 for c in COUNTRIES}
    read = {a + b for a, b in itertools.product(string.ascii_uppercase, repeat=2) if country_code(a + b)}
    assert read == assigned | {"UK"}


def test_every_everyday_name_is_a_key_and_names_an_assigned_country() -> None:
    assigned = {c.alpha_2 for c in COUNTRIES}
    for name, code in EVERYDAY.items():
        assert key(name) == name
        assert code in assigned
        assert country_code(name) == code
