"""Changing the agreement: a manager uploads a candidate, each side's manager signs, the second signature adopts it."""

from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import Engine, text

from leadpact.domain.errors import Conflict, InvalidAgreement, NotPermitted
from leadpact.domain.permissions import Principal, Role
from leadpact.services import agreements, auth, signoff, team
from leadpact.services.clock import FixedClock
from leadpact.store.unit_of_work import UnitOfWork
from tests.conftest import EXAMPLE, adopt_example
from tests.factories import agreement_text, hours

STRICTER = agreement_text(("score_at_least: 60, grades", "score_at_least: 75, grades"))
PEOPLE: dict[str, tuple[str, str | None]] = {
    "dana": ("manager", "marketing"),
    "sam": ("manager", "sales"),
    "lena": ("manager", "marketing"),  # a second marketing manager
    "raj": ("manager", None),  # manages a team, signs for neither side
    "root": ("admin", None),
    "mia": ("marketing", None),
    "alice": ("rep", None),
}


@pytest.fixture
def people(engine: Engine, clock: FixedClock) -> dict[str, Principal]:
    """The example agreement in force as version 1, and who is asking, by name."""
    adopt_example(engine, clock)
    with UnitOfWork(engine) as uow:
        users = [
            team.add_user(uow, clock, name, role, team="americas" if role == "rep" else None, capacity=1, side=side)
            for name, (role, side) in PEOPLE.items()
        ]
        return {user.name: auth.principal_of(user) for user in users}


def upload(engine: Engine, clock: FixedClock, by: Principal, text: str = STRICTER) -> int:
    with UnitOfWork(engine) as uow:
        return signoff.upload(uow, clock, by, text, "stricter.yaml").id


def sign(engine: Engine, clock: FixedClock, by: Principal, candidate_id: int) -> int | None:
    """The version the candidate was adopted as, if this signature adopted it."""
    with UnitOfWork(engine) as uow:
        return signoff.sign(uow, clock, by, candidate_id).adopted_version


def in_force(engine: Engine) -> tuple[int, float]:
    with UnitOfWork(engine) as uow:
        inforce = agreements.in_force(uow)
        return inforce.version, inforce.agreement.qualified.score_at_least


def candidate_count(engine: Engine) -> int:
    with UnitOfWork(engine) as uow:
        return len(signoff.candidates(uow))


def test_a_broken_file_is_refused_with_its_line_numbers_and_nothing_is_stored(
    engine: Engine, clock: FixedClock, people: dict[str, Principal]
) -> None:
    broken = agreement_text(("half_life_days: 30", "half_life_days: -3"), ("accept_within: 4h", "accept_within: soon"))
    with pytest.raises(InvalidAgreement) as refused:
        upload(engine, clock, people["dana"], broken)
    assert [p.split(": ")[0] for p in refused.value.problems] == ["stricter.yaml:22", "stricter.yaml:45"]
    assert "half_life_days" in refused.value.problems[0]
    assert "accept_within" in refused.value.problems[1]
    assert candidate_count(engine) == 0


def test_a_file_identical_to_the_version_in_force_is_refused(
    engine: Engine, clock: FixedClock, people: dict[str, Principal]
) -> None:
    with pytest.raises(Conflict, match="identical to version 1"):
        upload(engine, clock, people["dana"], EXAMPLE.read_text())
    assert candidate_count(engine) == 0


def test_a_rep_and_marketing_cannot_upload_a_candidate(
    engine: Engine, clock: FixedClock, people: dict[str, Principal]
) -> None:
    for name in ("alice", "mia"):
        with pytest.raises(NotPermitted, match="may not propose agreement"):
            upload(engine, clock, people[name])
    with pytest.raises(NotPermitted, match="is not a person"):
        upload(engine, clock, Principal(Role.ADMIN, "token 'ci'"))
    assert candidate_count(engine) == 0


def test_only_managers_sign(engine: Engine, clock: FixedClock, people: dict[str, Principal]) -> None:
    candidate_id = upload(engine, clock, people["root"])  # an admin may upload
    for name in ("root", "mia", "alice"):
        with pytest.raises(NotPermitted, match="may not sign agreement"):
            sign(engine, clock, people[name], candidate_id)
    with pytest.raises(NotPermitted, match="raj manages for neither side"):
        sign(engine, clock, people["raj"], candidate_id)
    with UnitOfWork(engine) as uow:
        found = signoff.candidate(uow, candidate_id)
        assert (found.marketing_signed_by, found.sales_signed_by) == (None, None)


def test_each_side_signs_once(engine: Engine, clock: FixedClock, people: dict[str, Principal]) -> None:
    candidate_id = upload(engine, clock, people["dana"])
    assert sign(engine, clock, people["dana"], candidate_id) is None
    for name in ("dana", "lena"):
        with pytest.raises(Conflict, match="already signed for marketing"):
            sign(engine, clock, people[name], candidate_id)
    with UnitOfWork(engine) as uow:
        found = signoff.candidate(uow, candidate_id)
        assert found.marketing_signed_by == people["dana"].user_id
        assert found.marketing_signed_at == clock.now()


def test_the_candidate_is_adopted_exactly_when_both_sides_signed(
    engine: Engine, clock: FixedClock, people: dict[str, Principal]
) -> None:
    candidate_id = upload(engine, clock, people["dana"])
    clock.at += hours(1)
    assert sign(engine, clock, people["sam"], candidate_id) is None
    assert in_force(engine) == (1, 60)
    clock.at += hours(1)
    assert sign(engine, clock, people["lena"], candidate_id) == 2
    assert in_force(engine) == (2, 75)
    with UnitOfWork(engine) as uow:
        adopted = agreements.versions(uow)[-1]
        assert (adopted.version, adopted.marketing_signoff, adopted.sales_signoff) == (2, "lena", "sam")
        assert adopted.text == STRICTER
        assert adopted.adopted_at == clock.now()
        assert signoff.candidate(uow, candidate_id).against_version == 1


def test_signing_an_adopted_candidate_is_a_conflict(
    engine: Engine, clock: FixedClock, people: dict[str, Principal]
) -> None:
    candidate_id = upload(engine, clock, people["sam"])
    sign(engine, clock, people["dana"], candidate_id)
    sign(engine, clock, people["sam"], candidate_id)
    with pytest.raises(Conflict, match="already adopted as version 2"):
        sign(engine, clock, people["lena"], candidate_id)
    assert in_force(engine) == (2, 75)


def test_a_candidate_written_against_an_older_version_cannot_be_signed(
    engine: Engine, clock: FixedClock, people: dict[str, Principal]
) -> None:
    first = upload(engine, clock, people["dana"])
    looser = upload(engine, clock, people["sam"], agreement_text(("accept_within: 4h", "accept_within: 8h")))
    sign(engine, clock, people["dana"], looser)
    sign(engine, clock, people["dana"], first)
    sign(engine, clock, people["sam"], first)
    with pytest.raises(Conflict, match="written against version 1, but version 2 is in force now"):
        sign(engine, clock, people["sam"], looser)  # adopting it would silently undo version 2's threshold
    assert in_force(engine) == (2, 75)


@pytest.mark.postgres
@pytest.mark.parametrize("engine", ["postgresql"], indirect=True)
def test_two_signatures_landing_together_adopt_the_candidate(
    engine: Engine, clock: FixedClock, people: dict[str, Principal]
) -> None:
    candidate_id = upload(engine, clock, people["dana"])
    adopted: list[int | None] = []
    second = threading.Thread(target=lambda: adopted.append(sign(engine, clock, people["sam"], candidate_id)))
    with UnitOfWork(engine) as first:
        signoff.sign(first, clock, people["dana"], candidate_id)
        second.start()
        waiting_for_the_lock(engine)  # the sales signature waits for the marketing one instead of missing it
    second.join(timeout=10)
    assert adopted == [2]
    assert in_force(engine) == (2, 75)


def waiting_for_the_lock(engine: Engine) -> None:
    deadline = time.monotonic() + 10
    query = text(
        "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()"
    )
    while time.monotonic() < deadline:
        with engine.connect() as connection:
            if connection.scalar(query):
                return
        time.sleep(0.02)
    raise AssertionError("the second signature never waited for the first one's lock")
