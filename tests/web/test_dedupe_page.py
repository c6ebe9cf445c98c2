"""The duplicates page in a real browser at 1280 px: marketing reviews the pairs and merges one after confirming."""

from __future__ import annotations

from playwright.sync_api import Browser, expect

from tests.factories import capture, event, lead, record
from tests.web.conftest import Site, sign_in

DESKTOP = {"width": 1280, "height": 800}


def test_marketing_merges_a_duplicate_person_and_account_after_confirming(browser: Browser, site: Site) -> None:
    for email, first, last in (
        ("ann@acme.example", "Ann", "Lee"),
        ("ann+news@acme.example", "Ann", "Lee"),
        ("bob@globex.example", "Bob", "Ross"),
        ("cy@initech.example", "Cy", "Twombly"),
        ("dee@acme-corp.example", "Dee", "Moss"),
    ):
        capture(site.engine, site.clock, site.inforce, email, first_name=first, last_name=last)
    record(
        site.engine,
        site.clock,
        site.inforce,
        event("w1", "ann+news@acme.example", "webinar_attended", site.clock.now()),
    )
    page = sign_in(browser, site, "mia", DESKTOP)
    page.get_by_role("link", name="Duplicates").click()
    page.get_by_label("Least probability").fill("0.8")
    page.get_by_role("button", name="Show").click()
    people = page.locator("#people-pairs tbody tr")
    expect(people).to_have_count(1)
    expect(people.first).to_contain_text("ann+news@acme.example")
    accounts = page.locator("#account-pairs tbody tr")
    expect(accounts).to_contain_text("same domain name")
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280  # nothing runs off the side

    page.once("dialog", lambda dialog: dialog.dismiss())
    people.first.get_by_role("button", name="Merge").click()
    expect(people).to_have_count(1)  # not confirmed: nothing merged
    assert lead(site.engine, "ann+news@acme.example").merged_into is None
    page.once("dialog", lambda dialog: dialog.accept())
    people.first.get_by_role("button", name="Merge").click()
    expect(page.get_by_role("status")).to_contain_text("Merged lead")
    expect(page.get_by_text("No likely duplicate people at or above 0.8.")).to_be_visible()
    assert lead(site.engine, "ann+news@acme.example").merged_into == lead(site.engine, "ann@acme.example").id
    assert lead(site.engine, "ann@acme.example").engagement == 15.0
    page.goto(f"{site.url}/leads/{lead(site.engine, 'ann+news@acme.example').id}")
    expect(page.locator("#merged-into")).to_contain_text("A duplicate merged into lead")
    page.locator("#merged-into a").click()
    expect(page.locator("#history")).to_contain_text("(as ann+news@acme.example)")
    page.goto(f"{site.url}/dedupe?threshold=0.8")

    page.once("dialog", lambda dialog: dialog.accept())
    accounts.first.get_by_role("button", name="Merge").click()
    expect(page.get_by_role("status")).to_contain_text("Merged acme-corp.example into acme.example")
    expect(page.get_by_text("No likely duplicate accounts at or above 0.8.")).to_be_visible()
