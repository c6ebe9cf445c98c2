"""The dashboard's kept reports over HTTP: a change shows at the next look on SQLite and PostgreSQL, a look without
one is answered from what was kept, and the page says when its figures were computed and computes them anew on
request."""

from __future__ import annotations

import re
from datetime import date, timedelta

from sqlalchemy import Engine, select, text

from leadpact.store.tables import Campaign, Lead
from leadpact.store.unit_of_work import UnitOfWork
from tests.factories import capture, owner_name
from tests.web.test_dashboard_pages import (  # noqa: F401 - the pages' fixtures
    DEFAULT_FIRST,
    DEFAULT_LAST,
    Pages,
    expected,
    kpi,
    money,
    pages,
    seed_history,
    sqlite_pages,
)

SILENT = "silent@quiet.example"  # handed to a rep in seed_history and never contacted


def computed_at(html: str) -> str:
    found = re.search(r"Figures computed at <strong>([^<]*)</strong> \(([^)]*)\)", html)
    assert found, "no moment of computing on the page"
    return f"{found.group(1)} {found.group(2)}"


def never_contacted(site: Pages) -> str:
    """The share of leads never contacted the reports give now, as the page shows it."""
    kept = expected(site.engine, site.clock, site.inforce, DEFAULT_FIRST, DEFAULT_LAST).kept
    return f"{kept['never_contacted_share'] * 100:.1f}%"


def campaign_id(engine: Engine, name: str) -> int:
    with UnitOfWork(engine) as uow:
        return uow.session.scalars(select(Campaign.id).where(Campaign.name == name)).one()


def test_each_change_shows_on_the_dashboard_at_the_next_look_on_each_engine(pages: Pages) -> None:  # noqa: F811
    seed_history(pages.engine, pages.inforce)
    mia = pages.signed_in("mia")
    first = mia.get("/dashboard").text
    assert (kpi(first, "leads"), kpi(first, "cost")) == ("7", money(4500))
    assert kpi(mia.get("/dashboard").text, "leads") == "7"

    capture(pages.engine, pages.clock, pages.inforce, "new@web.example", source="web")  # a form on the site
    assert kpi(mia.get("/dashboard").text, "leads") == "8"

    again = {"campaign": str(campaign_id(pages.engine, "Spring webinar")), "day": "2026-02-10", "amount": "800"}
    assert mia.post("/campaigns/costs", again).status_code == 200  # in place of the 500 recorded for that day
    assert kpi(mia.get("/dashboard").text, "cost") == money(4800)

    before = never_contacted(pages)
    assert kpi(mia.get("/dashboard").text, "never_contacted") == before
    rep = owner_name(pages.engine, SILENT)
    assert rep is not None
    with UnitOfWork(pages.engine) as uow:
        lead_id = uow.session.scalars(select(Lead.id).where(Lead.email == SILENT)).one()
    owner = pages.signed_in(rep)
    for action in ("accept", "contact"):
        assert owner.post(f"/leads/{lead_id}/{action}", {"view": "lead"}).status_code == 200
    after = never_contacted(pages)
    assert after != before
    assert kpi(mia.get("/dashboard").text, "never_contacted") == after


def spend_more(engine: Engine, day: str = "2025-06-15") -> None:
    """A day's cost raised by 1,000 behind leadpact's back (no audit trail, no new row): nothing tells the app's
    cache. By default the trade fair's one day of cost."""
    with engine.begin() as connection:
        connection.execute(
            text("UPDATE campaign_costs SET amount = amount + 1000 WHERE incurred_on = :day"), {"day": day}
        )


def test_a_look_without_a_change_is_answered_from_what_was_kept_until_recomputed_or_ten_minutes_old(
    sqlite_pages: Pages,  # noqa: F811 - on PostgreSQL other databases' work on the server also counts as a change
) -> None:
    seed_history(sqlite_pages.engine, sqlite_pages.inforce)
    mia = sqlite_pages.signed_in("mia")
    page = mia.get("/dashboard").text
    assert (kpi(page, "cost"), computed_at(page)) == (money(4500), "09:00 America/Chicago")

    spend_more(sqlite_pages.engine)
    sqlite_pages.clock.at += timedelta(minutes=5)
    page = mia.get("/dashboard").text
    assert (kpi(page, "cost"), computed_at(page)) == (money(4500), "09:00 America/Chicago")
    assert "$3,000" in page  # the trade fair's cost in its chart's table too: the charts match the figures

    dates = {"from": DEFAULT_FIRST.isoformat(), "to": DEFAULT_LAST.isoformat()}
    answer = mia.client.post("/dashboard/recompute", data={**dates, "csrf": mia.csrf}, follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"] == "/dashboard?from=2025-03-03&to=2026-03-02"
    page = mia.get(answer.headers["location"]).text
    assert (kpi(page, "cost"), computed_at(page)) == (money(5500), "09:05 America/Chicago")
    assert "$4,000" in page
    assert "$3,000" not in page

    spend_more(sqlite_pages.engine)
    sqlite_pages.clock.at += timedelta(minutes=10)
    assert kpi(mia.get("/dashboard").text, "cost") == money(5500)  # computed ten minutes ago: still given
    sqlite_pages.clock.at += timedelta(seconds=1)
    page = mia.get("/dashboard").text
    assert (kpi(page, "cost"), computed_at(page)) == (money(6500), "09:15 America/Chicago")

    everything = mia.get("/dashboard", **{"from": "", "to": ""}).text  # other dates: reports of their own
    assert "Showing all history" in everything
    assert computed_at(everything) == "09:15 America/Chicago"


def test_recomputing_is_for_those_who_read_the_reports_and_only_from_leadpacts_own_form(
    sqlite_pages: Pages,  # noqa: F811
) -> None:
    seed_history(sqlite_pages.engine, sqlite_pages.inforce)
    mia = sqlite_pages.signed_in("mia")
    assert kpi(mia.get("/dashboard").text, "cost") == money(4500)
    spend_more(sqlite_pages.engine)
    dates = {"from": date(2025, 3, 3).isoformat(), "to": DEFAULT_LAST.isoformat()}
    forged = mia.client.post("/dashboard/recompute", data=dates, follow_redirects=False)
    assert forged.status_code == 403
    assert "the form is out of date or did not come from leadpact" in forged.text
    rep = sqlite_pages.signed_in("alice")
    refused = rep.client.post("/dashboard/recompute", data={**dates, "csrf": rep.csrf}, follow_redirects=False)
    assert refused.status_code == 403
    assert kpi(mia.get("/dashboard").text, "cost") == money(4500)  # neither dropped what was kept
    backwards = mia.client.post(
        "/dashboard/recompute", data={"from": "2026-02-01", "to": "2026-01-01", "csrf": mia.csrf}
    )
    assert backwards.status_code == 422
    assert "to: 2026-01-01 is before from: 2026-02-01" in backwards.text
