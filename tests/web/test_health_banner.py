"""The dashboard's health banner over HTTP, on SQLite and PostgreSQL: each bound the newest daily check found broken,
with its evidence; none before a check, and a bound that held again at the next day's check leaves it. And the
agreement page, which says the bounds in words."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from leadpact.domain.health import describe_bound
from leadpact.services import health
from leadpact.services.agreements import InForce
from leadpact.services.clock import FixedClock
from leadpact.store.unit_of_work import UnitOfWork
from tests.reports.conftest import utc
from tests.services.test_health import LEADS, NOW, sloppy
from tests.web.test_dashboard_pages import Pages, pages, sqlite_pages  # noqa: F401 - the pages' fixtures


def check(site: Pages, inforce: InForce, at: datetime) -> None:
    with UnitOfWork(site.engine) as uow:
        health.check(uow, FixedClock(at), inforce)


def banner(html: str) -> str:
    found = re.search(r"<section class=\"card\" data-health.*?</section>", html, re.S)
    return found.group(0) if found else ""


def test_the_dashboard_names_each_bound_broken_with_its_evidence_until_it_holds_again(pages: Pages) -> None:  # noqa: F811
    history = sloppy(pages.engine, team=None)  # alice and bob of the americas team take the leads
    mia = pages.signed_in("mia")
    assert banner(mia.get("/dashboard").text) == ""  # nothing checked yet

    check(pages, history.inforce, NOW)
    shown = banner(mia.get("/dashboard").text)
    assert "The agreement's health: 2 bounds broken" in shown
    assert re.findall(r'data-bound="([a-z_]+)"', shown) == ["contact_within_sla", "never_contacted"]
    assert "contact within SLA: 33.3 %, below the agreed 80 %" in shown
    assert "<li>2 of the 3 leads assigned 2026-02-01 to 2026-02-28 were never contacted</li>" in shown
    assert f"daily check of 2026-03-02, agreement version {history.inforce.version}" in shown

    for email in LEADS[1:]:
        history.contact(email, utc(2026, 3, 2, 20))  # late, but called: never contacted holds again
    check(pages, history.inforce, datetime(2026, 3, 3, 6, 0, tzinfo=UTC))
    shown = banner(pages.signed_in("dana").get("/dashboard").text)
    assert "The agreement's health: 1 bound broken" in shown
    assert re.findall(r'data-bound="([a-z_]+)"', shown) == ["contact_within_sla"]
    assert "daily check of 2026-03-03" in shown


def test_the_agreement_page_lists_the_health_bounds_in_words(sqlite_pages: Pages) -> None:  # noqa: F811
    page = sqlite_pages.signed_in("mia").get("/agreement")
    assert page.status_code == 200
    assert "<h3>Health bounds</h3>" in page.text
    for bound in sqlite_pages.inforce.agreement.health:
        assert describe_bound(bound) in page.text
