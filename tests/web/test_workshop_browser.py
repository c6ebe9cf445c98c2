"""A calibration workshop in the browser: marketing starts it, a rep grades from the keyboard and a marketing
manager with clicks, each for their own side, and the manager reads the report; a grade given with its key alone;
and the grading page at phone width."""

from __future__ import annotations

import re

from playwright.sync_api import Browser, expect

from leadpact.services import workshops
from leadpact.store.unit_of_work import UnitOfWork
from tests.factories import capture
from tests.web.conftest import PHONE, Site, sign_in

TITLES = ("VP Operations", "Engineer", "Plant Manager", "Director of Sales")


def seed(site: Site, count: int) -> None:
    for n in range(count):
        fields = {"title": TITLES[n % 4], "industry": "manufacturing", "employees": 100 + 400 * n}
        capture(site.engine, site.clock, site.inforce, f"p{n}@co{n}.example", company=f"Company {n}", **fields)


def test_both_sides_grade_a_workshop_and_a_manager_reads_where_they_disagree(browser: Browser, site: Site) -> None:
    seed(site, 8)
    mia = sign_in(browser, site, "mia", next="/workshops")
    mia.get_by_role("link", name="Workshops").click()
    mia.get_by_label("Name").fill("q3")
    mia.get_by_label("Leads to draw").fill("3")
    mia.get_by_role("button", name="Draw the sample").click()
    expect(mia.locator("#flash")).to_contain_text("Workshop q3 started")
    expect(mia.locator("tr[data-workshop='q3']")).to_contain_text("3")

    alice = sign_in(browser, site, "alice", next="/workshops")
    alice.locator("tr[data-workshop='q3']").get_by_role("link", name="Grade").click()
    expect(alice.get_by_test_id("progress")).to_contain_text("0 of 3 graded for sales")
    expect(alice.locator("#lead-fields")).to_contain_text("Company")
    for n in range(3):
        expect(alice.get_by_role("heading", name=re.compile(f"lead {n + 1} of 3"))).to_be_visible()
        alice.keyboard.press("Tab")  # the first grade has the focus: two steps along the grades
        alice.keyboard.press("Tab")
        alice.keyboard.press("Enter")
        expect(alice.locator("#flash")).to_contain_text("Graded C.")
    expect(alice.get_by_test_id("done")).to_contain_text("Sales has graded all 3 leads")

    dana = sign_in(browser, site, "dana", next="/workshops/q3")
    expect(dana.get_by_test_id("progress")).to_contain_text("0 of 3 graded for marketing")
    for given in ("A", "C", "D"):
        dana.get_by_role("button", name=given, exact=True).click()
        expect(dana.locator("#flash")).to_contain_text(f"Graded {given}.")
    dana.get_by_role("link", name="See the report").click()
    expect(dana.get_by_test_id("kappa")).to_contain_text("0.00")  # sales gave every lead C: no better than chance
    expect(dana.locator("#disagreements tr")).to_have_count(3)  # a header and the two leads graded apart
    expect(dana.get_by_test_id("no-suggestion")).to_contain_text("refitting the points needs grades of at least 20")


def test_a_grade_is_given_by_pressing_its_key(browser: Browser, site: Site) -> None:
    seed(site, 4)
    with UnitOfWork(site.engine) as uow:
        workshops.start(uow, site.clock, "keys", 3, 1)
    sam = sign_in(browser, site, "sam", next="/workshops/keys")
    expect(sam.get_by_role("button", name="B", exact=True)).to_have_attribute("aria-keyshortcuts", "B")
    expect(sam.get_by_role("button", name="B", exact=True).locator("kbd")).to_be_visible()
    sam.keyboard.press("b")
    expect(sam.locator("#flash")).to_contain_text("Graded B.")
    expect(sam.get_by_role("heading", name=re.compile("lead 2 of 3"))).to_be_visible()
    sam.keyboard.press("Shift+D")  # either case
    expect(sam.locator("#flash")).to_contain_text("Graded D.")
    expect(sam.get_by_test_id("progress")).to_contain_text("2 of 3 graded for sales")


def test_the_grading_page_fits_a_phone(browser: Browser, site: Site) -> None:
    seed(site, 4)
    mia = sign_in(browser, site, "mia", viewport=PHONE, next="/workshops")
    mia.get_by_label("Name").fill("phone")
    mia.get_by_role("button", name="Draw the sample").click()
    sam = sign_in(browser, site, "sam", viewport=PHONE, next="/workshops/phone")
    expect(sam.get_by_test_id("progress")).to_contain_text("0 of 4 graded for sales")
    for given in ("A", "B", "C", "D"):
        box = sam.get_by_role("button", name=given, exact=True).bounding_box()
        assert box is not None
        assert box["x"] + box["width"] <= PHONE["width"]
    sam.get_by_role("button", name="A", exact=True).click()
    expect(sam.get_by_test_id("progress")).to_contain_text("1 of 4 graded for sales")
