"""The profile service on both engines: learned from the store's leads that became customers, kept in versions,
used to score and compare lists and to suggest fit rules that parse; learned from a file; a model the installed
scikit-learn did not write refused."""

from __future__ import annotations

import json
import math
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select, update

from leadpact.domain.agreement_file import parse_agreement
from leadpact.domain.errors import InvalidInput, NoAgreement, NotFound
from leadpact.services import intake, opportunities, profiles, sales
from leadpact.services.agreements import InForce
from leadpact.services.clock import FixedClock
from leadpact.store.tables import AgreementVersion, Profile
from leadpact.store.unit_of_work import UnitOfWork
from tests.conftest import adopt_example
from tests.factories import add_team, capture, hand_off
from tests.learning.test_profile import customers

ANSWERS = {"budget": "yes", "authority": "decision_maker", "timing": "this_quarter"}


def won(engine: Engine, clock: FixedClock, inforce: InForce, email: str, **fields: Any) -> None:
    """A lead handed to sales, accepted, qualified, converted and won: a customer."""
    hand_off(engine, clock, inforce, email, **fields)
    for step in ("accept", "qualify", "convert", "win"):
        with UnitOfWork(engine) as uow:
            lead = intake.find_lead(uow, email)
            if step == "accept":
                sales.accept(uow, clock, inforce, lead)
            elif step == "qualify":
                sales.qualify(uow, clock, inforce, lead, ANSWERS)
            elif step == "convert":
                opportunities.convert(uow, clock, inforce, lead, 10_000, date(2026, 6, 30))
            else:
                opportunities.win(uow, clock, inforce, lead)


def small_world(engine: Engine, clock: FixedClock) -> InForce:
    """40 leads: 12 customers, mostly large logistics and manufacturing firms; 24 analysts, mostly at small retail
    and software firms, some on free mail; and 4 large logistics and manufacturing firms that did not buy, so that,
    as in a real store, no column tells buyers apart for certain (where one does, gradient boosting's validation
    loss keeps falling and learning runs its candidates to their most rounds: seconds more for each learning)."""
    inforce = adopt_example(engine, clock)
    add_team(engine, clock, "americas", {"alice": 1})
    for n in range(12):
        industry = ("logistics", "manufacturing", "logistics", "retail")[n % 4]
        won(engine, clock, inforce, f"buyer{n}@big{n}.example", industry=industry, employees=800 + 50 * n)
    for n in range(24):
        industry = ("retail", "software", "logistics", "software")[n % 4]
        email = f"other{n}@{'gmail.com' if n % 3 == 0 else f'small{n}.example'}"
        capture(engine, clock, inforce, email, title="Analyst", industry=industry, employees=20 + 5 * n, country="US")
    for n in range(4):
        industry = ("logistics", "manufacturing")[n % 2]
        capture(
            engine, clock, inforce, f"near{n}@near{n}.example", industry=industry, employees=825 + 100 * n, country="US"
        )
    return inforce


def test_a_profile_learned_from_the_store_is_versioned_and_suggests_fit_rules_that_parse(
    engine: Engine, clock: FixedClock, tmp_path: Path
) -> None:
    small_world(engine, clock)
    with UnitOfWork(engine) as uow:
        table = profiles.store_table(uow, "customer")
        first = profiles.learn_store(uow, clock)
    assert (len(table), int((table["customer"] == "yes").sum())) == (40, 12)
    assert {"account.industry", "account.employees", "email", "title"} <= set(table.columns)
    assert "answers.budget" not in table.columns  # recorded by sales while qualifying: after the fact
    assert set(table["email"]) == {"free mail", "company mail"}
    # a lead on free mail has no account: its own industry stands for its account's
    free = table[table["email"] == "free mail"]
    assert free["account.industry"].tolist() == [
        ("retail", "software", "logistics", "software")[n % 4] for n in range(0, 24, 3)
    ]
    assert (first.name, first.version, first.source, first.outcome, first.rows, first.buyers) == (
        "default",
        1,
        "store",
        "customer",
        40,
        12,
    )
    assert first.summary["outcome"]["decided"] == "the lead won a deal"
    with UnitOfWork(engine) as uow:
        second = profiles.learn_store(uow, clock, "opportunity", exclude=["email"])
        assert [p.version for p in profiles.newest(uow)] == [2]
        assert profiles.get(uow).version == 2
        assert profiles.get(uow, "default", 1).outcome == "customer"
        suggestion = profiles.suggest(uow, version=1)
    assert second.summary["left_out"][1] == {"name": "email", "why": "named with --exclude"}
    agreement = parse_agreement(suggestion.text, "suggested.yaml")
    # in so small a world only a group of 20 leads or more is a trait: the 24 analysts, none of whom bought
    assert [(r.id, r.condition.field, r.condition.value, r.points) for r in agreement.fit_rules] == [
        ("profile-title-analyst", "title", "Analyst", round(10 * math.log(1 / (24 * 12 / 40 + 1))))
    ]
    assert [g.grade for g in agreement.grades] == ["A", "B", "C", "D"]
    assert suggestion.text.split("\nengagement:")[1] == agreement_text(engine).split("\nengagement:")[1]

    good = tmp_path / "show.csv"
    good.write_text("email,title,account.industry\na@x.example,VP Operations,logistics\nb@gmail.com,Analyst,retail\n")
    poor = tmp_path / "broker.csv"
    poor.write_text("Email,Account Industry\nc@gmail.com,software\nd@hotmail.com,retail\ne@z.example,software\n")
    with UnitOfWork(engine) as uow:
        scored = profiles.score_list(uow, good, "show.csv", version=1)
        compared = profiles.compare(uow, [("show.csv", good), ("broker.csv", poor)], {"broker.csv": 300}, version=1)
    assert scored.scored.probability[0] > scored.scored.probability[1]
    assert [f.label for f in compared.lists] == ["show.csv", "broker.csv"]
    broker = compared.lists[1]
    assert broker.cost_per_buyer == pytest.approx(300 / broker.expected_buyers)
    assert set(broker.missing) == {"title", "account.employees"}  # every lead is in the US: no country learned
    assert scored.scored.reasons[0][0].startswith("title = VP Operations (+")
    assert compared.base_per_thousand == pytest.approx(1000 * 12 / 40)
    with UnitOfWork(engine) as uow:
        assert uow.session.scalar(select(Profile.id).where(Profile.version == 3)) is None  # scoring stores nothing


def agreement_text(engine: Engine) -> str:
    with UnitOfWork(engine) as uow:
        return uow.session.scalars(select(AgreementVersion.text)).one()


def test_a_profile_is_learned_from_a_file_and_a_model_another_version_wrote_is_refused(
    engine: Engine, clock: FixedClock, tmp_path: Path
) -> None:
    path = tmp_path / "customers.csv"
    customers(400).to_csv(path, index=False)
    with UnitOfWork(engine) as uow:
        info = profiles.learn_file(uow, clock, path, str(path), "bought", id_column="customer_no", name="crm")
    assert (info.name, info.version, info.source, info.outcome) == ("crm", 1, "customers.csv", "bought")
    with UnitOfWork(engine) as uow, pytest.raises(NoAgreement):
        profiles.suggest(uow, "crm")  # it replaces the fit rules of the agreement in force: there is none
    with UnitOfWork(engine) as uow:
        original = uow.session.scalars(select(Profile.summary)).one()
        summary = json.loads(original)
        summary["scikit_learn"] = "0.24.2"
        uow.session.execute(update(Profile).values(summary=json.dumps(summary)))
    with UnitOfWork(engine) as uow, pytest.raises(InvalidInput, match=r"was learned with scikit-learn 0\.24\.2"):
        profiles.score_list(uow, path, "customers.csv", "crm")
    with UnitOfWork(engine) as uow:
        uow.session.execute(update(Profile).values(summary=original, model=b"not a pickle"))
    with UnitOfWork(engine) as uow, pytest.raises(InvalidInput, match="cannot be read here: learn it again"):
        profiles.score_list(uow, path, "customers.csv", "crm")


def test_wrong_names_outcomes_and_missing_profiles_are_refused(engine: Engine, clock: FixedClock) -> None:
    with UnitOfWork(engine) as uow:
        with pytest.raises(InvalidInput, match="'my profile' is not a profile name") as named:
            profiles.learn_store(uow, clock, name="my profile")
        assert named.value.field == "name"
        with pytest.raises(InvalidInput, match="from the store the outcome is one of: customer, opportunity"):
            profiles.learn_store(uow, clock, "won")
        with pytest.raises(InvalidInput, match="the store has no lead to learn from"):
            profiles.learn_store(uow, clock)
        with pytest.raises(InvalidInput, match="name the column that says who bought"):
            profiles.learn_file(uow, clock, b"a,b\n1,2\n", "x.csv", None)
        with pytest.raises(NotFound, match="there is no profile named 'default'; learn one with"):
            profiles.get(uow)
