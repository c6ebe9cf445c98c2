"""'leadpact account' and 'leadpact rep capacity': an account with its people and engagement, the most engaged
accounts, the account's owner; a rep's share and cap on open leads."""

from __future__ import annotations

import json

from leadpact.services import team
from leadpact.services.clock import FixedClock
from leadpact.store.unit_of_work import UnitOfWork
from tests.cli.conftest import AT, Handed
from tests.factories import capture, event, record
from tests.test_cli_access import refused, run


def test_an_account_is_shown_with_its_people_listed_and_given_an_owner(handed: Handed, clock: FixedClock) -> None:
    capture(handed.engine, clock, handed.inforce, "bo@acme.example", title="Buyer")
    record(handed.engine, clock, handed.inforce, event("w-bo", "bo@acme.example", "webinar_attended", clock.now()))
    url = handed.url
    shown = json.loads(run(url, "account", "show", "acme.example", "--json", "--at", AT))
    assert (shown["domain"], shown["name"], shown["owner"], shown["stage"]) == ("acme.example", "Acme", None, "mql")
    assert [p["email"] for p in shown["people"]] == ["ann@acme.example", "bo@acme.example"]
    assert shown["people_engaged"] == 2
    assert abs(shown["engagement"] - sum(p["engagement"] for p in shown["people"])) < 1e-9
    assert shown["meets_rule"] is None  # the example agreement has no account rule
    printed = run(url, "account", "show", "acme.example", "--at", AT)
    assert "from 2 of 2 people engaged; the agreement has no account rule." in printed
    assert "bo@acme.example" in printed

    assert "acme.example is owned by alice." in run(url, "account", "owner", "acme.example", "alice")
    listed = json.loads(run(url, "account", "list", "--json", "--at", AT))
    assert [(a["domain"], a["owner"], a["people"]) for a in listed] == [("acme.example", "alice", 2)]
    assert "acme.example" in run(url, "account", "list")
    assert "acme.example has no owner now." in run(url, "account", "owner", "acme.example", "--clear")
    assert "no account with domain 'nowhere.example'" in refused(url, "account", "show", "nowhere.example")
    assert "no user named 'zed'" in refused(url, "account", "owner", "acme.example", "zed")


def test_a_reps_share_and_cap_on_open_leads_are_changed_and_lifted(handed: Handed) -> None:
    url = handed.url
    assert "alice has capacity 3 and at most 5 open leads." in run(
        url, "rep", "capacity", "alice", "--share", "3", "--max-open", "5"
    )
    listed = json.loads(run(url, "rep", "list", "--json"))
    assert [(p["name"], p["capacity"], p["max_open"]) for p in listed] == [("alice", 3, 5)]
    assert "alice has capacity 3 and no cap on open leads." in run(url, "rep", "capacity", "alice", "--no-cap")
    with UnitOfWork(handed.engine) as uow:
        assert team.user_named(uow, "alice").max_open is None
    assert "must be 1 or more" in refused(url, "rep", "capacity", "alice", "--max-open", "0")
