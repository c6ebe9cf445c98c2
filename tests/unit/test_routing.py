"""Routing: the first matching rule names the team; weighted round robin deals within it."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from leadpact.domain.routing import Member, pick_member, team_for
from tests.factories import parsed

EXAMPLE = parsed()


@pytest.mark.parametrize(
    ("country", "team"),
    [("DE", "emea"), ("se", "emea"), (" GB ", "emea"), ("US", "americas"), ("BR", "americas"), (None, "americas")],
)
def test_the_first_matching_routing_rule_names_the_team(country: str | None, team: str) -> None:
    assert team_for(EXAMPLE, {"account.country": country}) == team


def test_an_earlier_rule_wins_over_a_later_one_that_also_matches() -> None:
    agreement = parsed(
        (
            "    - {when: {field: account.country, in: [DE, FR, GB, NL, ES, IT, SE]}, team: emea}\n",
            "    - {when: {field: account.employees, at_least: 1000}, team: enterprise}\n"
            "    - {when: {field: account.country, in: [DE, FR, GB, NL, ES, IT, SE]}, team: emea}\n",
        )
    )
    assert team_for(agreement, {"account.country": "DE", "account.employees": 5000}) == "enterprise"
    assert team_for(agreement, {"account.country": "DE", "account.employees": 999}) == "emea"
    assert team_for(agreement, {"account.country": "US", "account.employees": "1,000"}) == "enterprise"


def test_without_a_catch_all_rule_a_lead_may_match_no_team() -> None:
    agreement = parsed(
        ("    - {team: americas}", "    - {when: {field: account.country, in: [US, CA]}, team: americas}")
    )
    assert team_for(agreement, {"account.country": "BR"}) is None
    assert team_for(agreement, {}) is None


def deal(members: list[Member], leads: int) -> list[str]:
    """Deal ``leads`` leads one after the other, keeping credits and last-assigned moments as the store does."""
    order: list[str] = []
    for n in range(leads):
        picked = pick_member(members)
        assert picked is not None
        name, credits = picked
        members = [
            replace(
                m, credit=credits.get(m.name, m.credit), last_assigned_at=n if m.name == name else m.last_assigned_at
            )
            for m in members
        ]
        order.append(name)
    return order


def fresh(capacities: dict[str, int], away: frozenset[str] = frozenset()) -> list[Member]:
    return [Member(name, cap, name not in away, 0.0, None) for name, cap in capacities.items()]


def test_two_to_one_capacities_deal_two_to_one_without_bursts() -> None:
    order = deal(fresh({"ann": 2, "bob": 1}), 6)
    assert Counter(order) == {"ann": 4, "bob": 2}
    assert all(order[i : i + 3].count("bob") == 1 for i in (0, 3))  # bob once in every three


def test_equal_capacities_take_turns() -> None:
    order = deal(fresh({"ann": 1, "bob": 1, "cy": 1}), 9)
    for i in range(0, 9, 3):
        assert sorted(order[i : i + 3]) == ["ann", "bob", "cy"]


def test_members_away_or_without_capacity_get_nothing() -> None:
    order = deal(fresh({"ann": 1, "bob": 3, "cy": 0}, away=frozenset({"bob"})), 5)
    assert order == ["ann"] * 5


def test_excluded_members_are_skipped() -> None:
    picked = pick_member(fresh({"ann": 5, "bob": 1}), exclude=frozenset({"ann"}))
    assert picked is not None
    assert picked[0] == "bob"


def test_nobody_available_means_no_pick() -> None:
    assert pick_member(fresh({"ann": 1, "bob": 2}, away=frozenset({"ann", "bob"}))) is None
    assert pick_member([]) is None
    assert pick_member(fresh({"ann": 1}), exclude=frozenset({"ann"})) is None


def test_ties_go_to_the_member_assigned_least_recently() -> None:
    members = [
        Member("ann", 1, True, 0.0, 300),
        Member("bob", 1, True, 0.0, 100),
        Member("cy", 1, True, 0.0, 200),
    ]
    picked = pick_member(members)
    assert picked is not None
    assert picked[0] == "bob"


def test_a_member_never_assigned_wins_a_tie() -> None:
    members = [Member("ann", 1, True, 0.0, 100), Member("zed", 1, True, 0.0, None), Member("bob", 1, True, 0.0, 5)]
    picked = pick_member(members)
    assert picked is not None
    assert picked[0] == "zed"


TEAMS = st.lists(st.tuples(st.integers(0, 6), st.booleans()), min_size=1, max_size=6).filter(
    lambda team: any(cap > 0 and available for cap, available in team)
)


@given(team=TEAMS, leads=st.integers(1, 120))
def test_over_many_leads_each_available_member_gets_a_share_proportional_to_capacity(
    team: list[tuple[int, bool]], leads: int
) -> None:
    members = [Member(f"rep{i}", cap, available, 0.0, None) for i, (cap, available) in enumerate(team)]
    counts = Counter(deal(members, leads))
    total = sum(m.capacity for m in members if m.available)
    for m in members:
        if not m.available or m.capacity == 0:
            assert counts[m.name] == 0
        else:
            exact = leads * m.capacity / total
            assert abs(counts[m.name] - exact) <= 1, (m, counts, exact)


@given(team=TEAMS, cycles=st.integers(1, 5))
def test_after_whole_cycles_the_shares_are_exactly_the_capacities(team: list[tuple[int, bool]], cycles: int) -> None:
    members = [Member(f"rep{i}", cap, available, 0.0, None) for i, (cap, available) in enumerate(team)]
    total = sum(m.capacity for m in members if m.available)
    counts = Counter(deal(members, cycles * total))
    for m in members:
        assert counts[m.name] == (cycles * m.capacity if m.available else 0)
