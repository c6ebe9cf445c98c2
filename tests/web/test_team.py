"""The team page in a real browser: a manager marks a rep away and back, changes capacity, adds a rep to a team there
is or to a new one, and removes a rep after confirming, whose open leads go to the other rep."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, Dialog, expect
from sqlalchemy import select

from leadpact.store.tables import Team, User
from leadpact.store.unit_of_work import UnitOfWork
from tests.factories import hand_off, owner_name
from tests.web.conftest import DESKTOP, PHONE, Site, sign_in


def person(site: Site, name: str) -> tuple[int, bool, str | None]:
    """A person's capacity, availability and team, as stored."""
    with UnitOfWork(site.engine) as uow:
        user, team = uow.session.execute(
            select(User, Team).outerjoin(Team, User.team_id == Team.id).where(User.name == name)
        ).one()
        return user.capacity, user.available, team.name if team else None


def test_a_manager_marks_a_rep_away_and_back_and_changes_capacity(browser: Browser, site: Site) -> None:
    hand_off(site.engine, site.clock, site.inforce, "ann@factory.example")  # dealt to alice or bob
    page = sign_in(browser, site, "sam")
    page.goto(f"{site.url}/team")
    americas = page.locator("section", has=page.get_by_role("heading", name="americas"))
    expect(americas).to_contain_text("Manager: raj")
    alice, bob = page.locator("tr[data-rep='alice']"), page.locator("tr[data-rep='bob']")
    open_leads = [int(row.locator("td[data-label='open leads']").inner_text()) for row in (alice, bob)]
    assert sorted(open_leads) == [0, 1]

    alice.get_by_role("button", name="Mark alice away").click()
    expect(alice.locator("td[data-label='status']")).to_have_text("away")
    expect(page.locator("#flash")).to_contain_text("alice is away and gets no new leads.")
    assert person(site, "alice") == (3, False, "americas")
    alice.get_by_role("button", name="Mark alice back").click()
    expect(alice.locator("td[data-label='status']")).to_have_text("available")
    assert person(site, "alice") == (3, True, "americas")

    bob.get_by_label("Capacity of bob").fill("5")
    bob.get_by_role("button", name="Save").click()
    expect(page.locator("#flash")).to_contain_text("bob's capacity is now 5.")
    assert person(site, "bob") == (5, True, "americas")

    csrf = page.locator('meta[name="csrf-token"]').get_attribute("content") or ""
    refused = page.request.post(f"{site.url}/team/capacity", form={"csrf": csrf, "name": "bob", "capacity": "0"})
    assert refused.status == 422
    assert "capacity must be 1 or more, not 0" in refused.text()
    assert person(site, "bob") == (5, True, "americas")

    add = page.locator("section", has=page.get_by_role("heading", name="Add a rep"))
    add.get_by_label("Name").fill("carol")
    add.get_by_label("or a new team").fill("emea")
    add.get_by_label("Capacity").fill("2")
    add.get_by_label("Email").fill("carol@acme.example")
    add.get_by_role("button", name="Add rep").click()
    expect(page.locator("section", has=page.get_by_role("heading", name="emea"))).to_contain_text("carol")
    assert person(site, "carol") == (2, True, "emea")


def test_a_rep_is_refused_the_team_page(browser: Browser, site: Site) -> None:
    page = sign_in(browser, site, "alice")
    expect(page.get_by_role("link", name="Team")).to_have_count(0)
    response = page.goto(f"{site.url}/team")
    assert response is not None
    assert response.status == 403
    expect(page.get_by_role("heading", name="Not allowed")).to_be_visible()


def test_the_team_page_fits_a_phone(browser: Browser, site: Site) -> None:
    page = sign_in(browser, site, "dana", PHONE)
    page.goto(f"{site.url}/team")
    expect(page.locator("tr[data-rep='alice']")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


@pytest.mark.parametrize("viewport", [pytest.param(DESKTOP, id="1280"), pytest.param(PHONE, id="390")])
def test_a_manager_adds_reps_to_teams_by_choice_and_removes_one_after_confirming(
    browser: Browser, site: Site, viewport: dict[str, int]
) -> None:
    hand_off(site.engine, site.clock, site.inforce, "ann@factory.example")
    holder = owner_name(site.engine, "ann@factory.example")
    other = "bob" if holder == "alice" else "alice"
    page = sign_in(browser, site, "sam", viewport, next="/team")
    add = page.locator("section", has=page.get_by_role("heading", name="Add a rep"))
    add.get_by_label("Name").fill("carol")
    add.get_by_role("button", name="Add rep").click()
    expect(page.get_by_role("alert")).to_contain_text("team: a rep belongs to a team")
    add.get_by_label("Name").fill("carol")
    add.get_by_role("combobox", name="Team").select_option("americas")
    add.get_by_role("button", name="Add rep").click()
    expect(page.locator("tr[data-rep='carol']")).to_be_visible()
    assert person(site, "carol") == (1, True, "americas")

    row = page.locator(f"tr[data-rep='{holder}']")
    page.once("dialog", lambda dialog: dialog.dismiss())
    row.get_by_role("button", name=f"Remove {holder}").click()
    expect(row).to_be_visible()  # not confirmed: kept
    questions: list[str] = []

    def confirm(dialog: Dialog) -> None:
        questions.append(dialog.message)
        dialog.accept()

    page.once("dialog", confirm)
    row.get_by_role("button", name=f"Remove {holder}").click()
    expect(page.locator("#flash")).to_contain_text(f"{holder}'s access is disabled and they are signed out.")
    assert questions == [
        f"Remove {holder} from the team? Their 1 open lead go to other reps, and they can no longer sign in."
    ]
    rerouted = page.locator("section", has=page.get_by_role("heading", name="Leads rerouted"))
    expect(rerouted).to_contain_text("ann@factory.example:")
    expect(page.locator(f"tr[data-rep='{holder}']")).to_have_count(0)
    assert owner_name(site.engine, "ann@factory.example") in (other, "carol")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    page.context.close()
