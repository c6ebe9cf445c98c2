"""How records are compared for duplicates, and which stage survives a merge (``domain.dedupe``)."""

from __future__ import annotations

import pytest

from leadpact.domain.dedupe import PROGRESS, company_key, domain_key, email_key, name_key, surviving_stage
from leadpact.domain.lifecycle import Stage


@pytest.mark.parametrize(
    ("email", "key"),
    [
        ("Ann+News@X.com", ("ann", "x.com")),
        ("a.nn+promo@googlemail.com", ("ann", "gmail.com")),
        ("a.nn@acme.com", ("a.nn", "acme.com")),
    ],
)
def test_an_email_loses_its_tag_and_the_dots_its_provider_ignores(email: str, key: tuple[str, str]) -> None:
    assert email_key(email) == key


@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("Acme Inc.", "acme"),
        ("ACME", "acme"),
        ("Société Générale S.A.", "societe generale s a"),
        ("The Company", "the company"),  # nothing but legal words: the words stay
        ("  ", None),
        (None, None),
    ],
)
def test_a_company_name_loses_case_accents_punctuation_and_legal_suffixes(name: str | None, key: str | None) -> None:
    assert company_key(name) == key


def test_a_person_name_keeps_every_word_without_case_or_accents() -> None:
    assert name_key("  José-Luis  O'Neil ") == "jose luis o neil"
    assert name_key(None) is None


@pytest.mark.parametrize(
    ("domain", "key"),
    [
        ("acme-corp.com", "acme"),
        ("www.acme.com", "acme"),
        ("acme.co.uk", "acme"),
        ("mail.acme.de", "acme"),
        ("localhost", "localhost"),
        ("www", None),
        ("", None),
        (None, None),
    ],
)
def test_a_domain_gives_the_company_part_of_its_name(domain: str | None, key: str | None) -> None:
    assert domain_key(domain) == key


def test_the_survivor_keeps_the_stage_furthest_along() -> None:
    assert set(PROGRESS) == set(Stage)
    assert surviving_stage(Stage.INQUIRY, Stage.SAL) == Stage.SAL
    assert surviving_stage(Stage.CUSTOMER, Stage.MQL) == Stage.CUSTOMER
    assert surviving_stage(Stage.DISQUALIFIED, Stage.INQUIRY) == Stage.INQUIRY
    assert surviving_stage(Stage.RECYCLED, Stage.RECYCLED) == Stage.RECYCLED
