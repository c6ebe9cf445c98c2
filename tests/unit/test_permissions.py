"""Who may do what: the roles' table and the rule that a rep acts only on what is theirs."""

from __future__ import annotations

import pytest

from leadpact.domain.errors import NotPermitted
from leadpact.domain.permissions import ALLOWED, Action, Principal, Role


def test_only_managers_sign_an_agreement() -> None:
    assert ALLOWED[Action.SIGN_AGREEMENT] == {Role.MANAGER}


def test_marketing_cannot_work_a_reps_leads_and_reps_cannot_read_the_reports_or_change_the_team() -> None:
    marketing = Principal(Role.MARKETING, "mia", 1)
    rep = Principal(Role.REP, "alice", 2)
    assert not marketing.may(Action.WORK_LEADS)
    with pytest.raises(NotPermitted, match=r"mia \(marketing\) may not work leads"):
        marketing.require(Action.WORK_LEADS)
    assert [a for a in Action if rep.may(a)] == [Action.WORK_LEADS, Action.READ_AGREEMENT, Action.GRADE_LEADS]


def test_every_action_has_roles_and_an_admin_may_do_all_but_sign_and_grade() -> None:
    assert set(ALLOWED) == set(Action)
    admin = Principal(Role.ADMIN, "root")
    assert [a for a in Action if not admin.may(a)] == [Action.SIGN_AGREEMENT, Action.GRADE_LEADS]


def test_a_rep_acts_only_on_their_own_leads_and_other_roles_on_any() -> None:
    alice = Principal(Role.REP, "alice", 2)
    alice.require_owner(2, "lead ann@acme.example")
    for owner in (3, None):
        with pytest.raises(NotPermitted, match=r"lead ann@acme\.example is not assigned to alice"):
            alice.require_owner(owner, "lead ann@acme.example")
    Principal(Role.MANAGER, "sam", 9, "sales").require_owner(3, "lead ann@acme.example")
