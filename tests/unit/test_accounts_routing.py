"""Accounts and routing in the domain: the account rule and its parsing, the account's engagement, routing by
the account owner and by score bands, and the cap on a rep's open leads."""

from __future__ import annotations

import math

import pytest

from leadpact.domain.accounts import Engagement, account_engagement, meets
from leadpact.domain.agreement import AccountRule
from leadpact.domain.agreement_diff import diff_agreements
from leadpact.domain.agreement_file import parse_agreement
from leadpact.domain.errors import InvalidAgreement
from leadpact.domain.routing import Member, owner_takes, pick_member, team_for
from leadpact.domain.wording import parts
from tests.factories import agreement_text

ROUTING = (
    "    - {when: {field: account.country, in: [DE, FR, GB, NL, ES, IT, SE]}, team: emea}\n    - {team: americas}\n"
)
RULE = "accounts:\n  qualify: {engagement_at_least: 60, people_engaged_at_least: 2}\n"


OWNER = "  account_owner: when_available    # a lead at an account with an owner goes to them while they can take it\n"


def with_routing(rules: str, owner: str | None = None) -> str:
    """The example with these routing rules, and this owner mode (None: the key left out)."""
    return agreement_text((ROUTING, rules), (OWNER, f"  account_owner: {owner}\n" if owner else ""))


def problems(text: str) -> list[str]:
    with pytest.raises(InvalidAgreement) as caught:
        parse_agreement(text, "agreement.yaml")
    return caught.value.problems


def test_the_account_rule_and_the_owner_mode_are_read_and_default_to_nothing() -> None:
    plain = parse_agreement(with_routing(ROUTING), "agreement.yaml")
    assert (plain.accounts, plain.handoff.account_owner) == (None, "never")
    agreement = parse_agreement(with_routing(ROUTING, "when_available") + RULE, "agreement.yaml")
    assert agreement.accounts == AccountRule(60.0, 2)
    assert agreement.handoff.account_owner == "when_available"


@pytest.mark.parametrize(
    ("section", "expected"),
    [
        ("accounts:\n  qualify: {engagement_at_least: 0, people_engaged_at_least: 2}\n", "must be more than 0"),
        ("accounts:\n  qualify: {engagement_at_least: 60, people_engaged_at_least: 0}\n", "at least 1"),
        ("accounts:\n  qualify: {engagement_at_least: lots, people_engaged_at_least: 2}\n", "expected a number"),
        ("accounts:\n  qualify: {engagement_at_least: 60}\n", "people_engaged_at_least: required key"),
        ("accounts:\n  qualify: {engagement_at_least: 60, people_engaged_at_least: 2, grades: [A]}\n", "unknown"),
        ("accounts:\n  buying_group: {}\n", "accounts.buying_group: unknown key"),
        ("accounts: [1]\n", "expected a mapping"),
        ("accounts:\n  qualify: 60\n", "accounts.qualify: expected a mapping"),
    ],
)
def test_a_bad_account_rule_is_named_with_its_key(section: str, expected: str) -> None:
    found = problems(agreement_text() + section)
    assert any(expected in p and "accounts" in p for p in found), found


@pytest.mark.parametrize(
    ("rules", "owner", "expected"),
    [
        ("    - {team: americas}\n", "sometimes", "handoff.account_owner: expected one of never, when_available"),
        ("    - {when: {field: priority, in: [boiling]}, team: hot-desk}\n    - {team: americas}\n", None, "'boiling'"),
        ("    - {when: {field: priority, at_least: 3}, team: hot-desk}\n    - {team: americas}\n", None, "equals, in"),
        ("    - {when: {field: score, in: [80]}, team: hot-desk}\n    - {team: americas}\n", None, "at_least, at_most"),
        (
            "    - {when: {field: account.buying_group, in: [true]}, team: abm}\n    - {team: americas}\n",
            None,
            "equals",
        ),
        (
            "    - {when: {field: account.buying_group, equals: yes}, team: abm}\n    - {team: a}\n",
            None,
            "equals: true",
        ),
        (
            "    - {when: {field: account.buying_group, equals: true}, team: abm}\n    - {team: a}\n",
            None,
            "needs accounts",
        ),
    ],
)
def test_bad_owner_modes_and_score_conditions_are_named(rules: str, owner: str | None, expected: str) -> None:
    found = problems(with_routing(rules, owner))
    assert any(expected in p and "handoff" in p for p in found), found


def test_routing_rules_on_the_band_and_the_score_pick_the_team() -> None:
    agreement = parse_agreement(
        with_routing(
            "    - {when: {field: priority, in: [hot]}, team: hot-desk}\n"
            "    - {when: {field: score, at_least: 70}, team: seventy}\n"
            "    - {team: americas}\n"
        ),
        "agreement.yaml",
    )
    assert team_for(agreement, {"priority": "hot", "score": 95.0}) == "hot-desk"
    assert team_for(agreement, {"priority": "warm", "score": 75.0}) == "seventy"
    assert team_for(agreement, {"priority": "warm", "score": 65.0}) == "americas"
    grouped = parse_agreement(
        with_routing("    - {when: {field: account.buying_group, equals: true}, team: abm}\n    - {team: americas}\n")
        + RULE,
        "agreement.yaml",
    )
    assert team_for(grouped, {"account.buying_group": True}) == "abm"
    assert team_for(grouped, {"account.buying_group": False}) == "americas"


def member(name: str, available: bool = True, max_open: int | None = None, open_leads: int = 0) -> Member:
    return Member(name, 1, available, 0.0, None, max_open, open_leads)


def test_a_rep_at_their_cap_is_skipped_like_one_who_is_away() -> None:
    full = member("ann", max_open=2, open_leads=2)
    picked = pick_member([full, member("bob", max_open=2, open_leads=1)])
    assert picked is not None
    assert picked[0] == "bob"
    assert pick_member([full, member("cy", available=False)]) is None
    assert pick_member([member("dee", max_open=None, open_leads=500)]) is not None  # no cap


@pytest.mark.parametrize(
    ("mode", "owner", "takes"),
    [
        ("never", member("ann"), False),
        ("always", None, False),
        ("always", member("ann", available=False), True),
        ("always", member("ann", max_open=1, open_leads=1), True),
        ("when_available", member("ann"), True),
        ("when_available", member("ann", available=False), False),
        ("when_available", member("ann", max_open=1, open_leads=1), False),
    ],
)
def test_the_owner_takes_the_lead_as_the_agreement_says(mode: str, owner: Member | None, takes: bool) -> None:
    assert owner_takes(mode, owner) is takes


def test_an_accounts_engagement_is_the_sum_of_its_peoples_decayed_engagement() -> None:
    day = 86_400
    each, total = account_engagement([(40.0, 0), (20.0, 30 * day), (-5.0, 30 * day), (0.0, 0)], 30 * day, 30.0)
    assert each == [pytest.approx(20.0), 20.0, -5.0, 0.0]
    assert math.isclose(total.total, 35.0, rel_tol=1e-12)
    assert total.people_engaged == 2
    assert meets(AccountRule(35.0, 2), total) is True
    assert meets(AccountRule(35.0, 3), total) is False
    assert meets(AccountRule(36.0, 2), total) is False
    assert meets(None, Engagement(100.0, 5)) is None


def test_the_owner_mode_and_the_account_rule_are_said_in_plain_words_and_diffed() -> None:
    plain = parse_agreement(with_routing(ROUTING), "agreement.yaml")
    ruled = parse_agreement(with_routing(ROUTING, "always") + RULE, "agreement.yaml")
    said = {p.title: p.summary for p in parts(ruled)}
    assert said["Accounts"] == (
        "An account is a buying group ready for sales at engagement of its people together at least 60 "
        "with at least 2 of them engaged."
    )
    assert said["Routing"].startswith("An account's owner always gets its leads. Otherwise each MQL goes")
    plain_said = {p.title: p.summary for p in parts(plain)}
    assert plain_said["Accounts"].startswith("No account rule")
    assert plain_said["Routing"] == "Each MQL goes to the team of the first rule that matches."
    assert diff_agreements(plain, ruled) == [
        "account owner takes the account's leads: never -> always",
        "account rule: none -> engagement of its people together at least 60 with at least 2 of them engaged",
    ]
