"""The agreement pages in a real browser: reading the agreement, uploading a candidate, and both sides signing it."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import Browser, Dialog, Page, expect
from sqlalchemy import Engine, select

from leadpact.app import create_app
from leadpact.config import Settings
from leadpact.domain.permissions import Principal, Role
from leadpact.services import signoff
from leadpact.services.clock import FixedClock
from leadpact.store.tables import AgreementCandidate, AgreementVersion, User
from leadpact.store.unit_of_work import UnitOfWork
from tests.conftest import EXAMPLE, adopt_example
from tests.factories import agreement_text, capture, event, hand_off, record
from tests.people import PASSWORD, seed_people
from tests.web.conftest import PHONE, Site, sign_in

THRESHOLD_40 = ("qualified: {score_at_least: 60", "qualified: {score_at_least: 40")
WARM = {"title": "Plant Manager", "industry": "manufacturing", "employees": 1000, "country": "US"}
"""Fit 38, grade B: with a whitepaper (8 points) it reaches 40 but not 60."""


def seed_history(site: Site) -> None:
    """Two hot leads that qualify under any threshold, and a warm one that qualifies only from 40."""
    past = FixedClock(site.clock.now() - timedelta(days=10))
    hand_off(site.engine, past, site.inforce, "ann@factory.example")
    hand_off(site.engine, past, site.inforce, "ben@plant.example")
    capture(site.engine, past, site.inforce, "wes@mill.example", **WARM)
    record(site.engine, past, site.inforce, event("wp-wes", "wes@mill.example", "whitepaper_download", past.now()))


def paste(page: Page, text: str) -> None:
    page.get_by_label("Agreement YAML").fill(text)
    page.get_by_role("button", name="Check and upload").click()


def stored_candidates(site: Site) -> list[AgreementCandidate]:
    with UnitOfWork(site.engine) as uow:
        rows = list(uow.session.scalars(select(AgreementCandidate)))
        uow.session.expunge_all()
        return rows


def test_two_managers_upload_and_sign_a_candidate_that_then_is_in_force(browser: Browser, site: Site) -> None:
    seed_history(site)
    dana = sign_in(browser, site, "dana")
    dana.goto(f"{site.url}/agreement")
    dana.get_by_role("link", name="Upload a candidate").first.click()

    broken = agreement_text(("qualified: {score_at_least: 60", "qualified: {score_at_least: sixty"))
    line = 1 + broken.splitlines().index(next(x for x in broken.splitlines() if "sixty" in x))
    paste(dana, broken)
    expect(dana.locator(f"#line-{line}")).to_contain_text("score_at_least: sixty")
    expect(dana.locator(f'tr.problem[data-line="{line}"]')).to_contain_text(
        "qualified.score_at_least: expected a number, got 'sixty'"
    )
    expect(dana.get_by_role("alert")).to_contain_text("not stored: 1 problem")
    assert stored_candidates(site) == []

    changed = agreement_text(THRESHOLD_40)
    paste(dana, changed)
    dana.wait_for_url(re.compile(r"/agreement/candidates/\d+$"))
    expect(dana.locator("ul.changes")).to_contain_text("qualification threshold: 60 -> 40")
    kpis = dana.get_by_test_id("backtest-kpis")
    expect(kpis).to_contain_text("MQLs, version 1 (in force)")
    expect(kpis).to_contain_text("MQLs as recorded")
    expect(dana.get_by_text(re.compile("^MQL recorded: the leads whose stage history"))).to_be_visible()
    expect(dana.locator("table[data-report='1'] tr").last).to_contain_text("all")
    expect(dana.locator("#backtest")).to_contain_text("wes@mill.example")
    expect(dana.locator("#backtest canvas[data-drawn]")).to_have_attribute("aria-label", re.compile("MQLs per month"))

    asked: list[str] = []

    def yes(dialog: Dialog) -> None:
        asked.append(dialog.message)
        dialog.accept()

    dana.on("dialog", yes)
    dana.get_by_role("button", name="Sign for marketing").click()
    expect(dana.locator("tr[data-side='marketing']")).to_contain_text("dana")
    expect(dana.locator("tr[data-side='sales']")).to_contain_text("not signed yet")
    expect(dana.get_by_test_id("status")).to_contain_text("Not adopted yet")
    expect(dana.get_by_role("button", name=re.compile("Sign for"))).to_have_count(0)
    (candidate,) = stored_candidates(site)
    assert candidate.text == changed
    assert candidate.adopted_version is None

    sam = sign_in(browser, site, "sam")
    sam.goto(f"{site.url}/agreement/candidates/{candidate.id}")
    sam.on("dialog", yes)
    sam.get_by_role("button", name="Sign for sales").click()
    expect(sam.get_by_test_id("adopted")).to_contain_text("Adopted as version 2")
    signing = f"Sign candidate {candidate.id} ({candidate.name}) for"
    assert asked == [
        f"{signing} marketing as dana? It is adopted once sales signs too. A signature cannot be taken back.",
        f"{signing} sales as sam? Marketing has signed: your signature adopts it as the next version, in force at "
        "once. A signature cannot be taken back.",
    ]
    expect(sam.locator("tr[data-side='sales']")).to_contain_text("sam")

    sam.goto(f"{site.url}/agreement")
    expect(sam.locator("h1 + p")).to_contain_text("Version 2")
    expect(sam.get_by_test_id("in-force")).to_be_visible()
    expect(sam.get_by_text("when its score reaches 40 with grade A or B")).to_be_visible()
    with UnitOfWork(site.engine) as uow:
        versions = [
            (v.version, v.text, v.marketing_signoff, v.sales_signoff)
            for v in uow.session.scalars(select(AgreementVersion).order_by(AgreementVersion.version))
        ]
    assert [v[0] for v in versions] == [1, 2]
    assert versions[1][1:] == (changed, "dana", "sam")

    sam.get_by_role("button", name="Show the changes").click()
    expect(sam).to_have_url(re.compile(r"/agreement/diff\?a=1&b=2$"))
    expect(sam.locator("ul.changes li")).to_have_text(["qualification threshold: 60 -> 40"])


def test_a_rep_reads_the_agreement_but_cannot_propose_or_sign(browser: Browser, site: Site) -> None:
    with UnitOfWork(site.engine) as uow:
        dana = uow.session.scalars(select(User).where(User.name == "dana")).one()
        by = Principal(Role.MANAGER, "dana", dana.id, "marketing")
        candidate_id = signoff.upload(uow, site.clock, by, agreement_text(THRESHOLD_40), "threshold.yaml").id

    alice = sign_in(browser, site, "alice")
    alice.goto(f"{site.url}/agreement")
    expect(alice.get_by_role("heading", name="Acme Robotics lead agreement")).to_be_visible()
    expect(alice.get_by_role("row", name=re.compile("Senior title"))).to_contain_text("20 points when title mentions")
    expect(alice.get_by_text("accepts a lead within 4h and first contacts it within 1d")).to_be_visible()
    expect(alice.get_by_role("link", name="Upload a candidate")).to_have_count(0)
    expect(alice.get_by_role("heading", name="Candidates")).to_have_count(0)
    for path in ("/agreement/candidates/new", f"/agreement/candidates/{candidate_id}"):
        answer = alice.goto(f"{site.url}{path}")
        assert answer is not None
        assert answer.status == 403

    csrf = alice.locator('meta[name="csrf-token"]').get_attribute("content")
    refused = alice.request.post(f"{site.url}/agreement/candidates/{candidate_id}/sign", form={"csrf": csrf or ""})
    assert refused.status == 403

    root = sign_in(browser, site, "root")  # an admin proposes but never signs
    root.goto(f"{site.url}/agreement/candidates/{candidate_id}")
    expect(root.get_by_role("heading", name=re.compile(f"Candidate {candidate_id}"))).to_be_visible()
    expect(root.get_by_role("button", name=re.compile("Sign for"))).to_have_count(0)
    csrf = root.locator('meta[name="csrf-token"]').get_attribute("content")
    refused = root.request.post(f"{site.url}/agreement/candidates/{candidate_id}/sign", form={"csrf": csrf or ""})
    assert refused.status == 403
    (candidate,) = stored_candidates(site)
    assert (candidate.marketing_signed_by, candidate.sales_signed_by) == (None, None)


def test_the_agreement_page_fits_a_phone_without_sideways_scrolling(browser: Browser, site: Site) -> None:
    page = sign_in(browser, site, "dana", PHONE)
    page.goto(f"{site.url}/agreement")
    expect(page.get_by_role("heading", name="Version history")).to_be_visible()
    page.get_by_text("Raw file").click()  # the widest part: the file as adopted
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


# --- the same pages over HTTP, on SQLite and PostgreSQL --------------------------------------------------


def serve(engine: Engine, clock: FixedClock) -> TestClient:
    app = create_app(Settings(database_url=engine.url.render_as_string(hide_password=False)), clock)
    return TestClient(app, follow_redirects=False)


@pytest.fixture
def client(engine: Engine, clock: FixedClock) -> Iterator[TestClient]:
    """The app on each engine with the example agreement in force and the people of tests.people."""
    adopt_example(engine, clock)
    seed_people(engine, clock)
    with serve(engine, clock) as test_client:
        yield test_client


def signed_in(client: TestClient, name: str) -> str:
    """Sign ``client`` in as ``name``; returns the session's form token."""
    client.cookies.clear()
    client.get("/login")
    answer = client.post(
        "/login",
        data={"name": name, "password": PASSWORD, "csrf": client.cookies["leadpact_login"], "next": "/agreement"},
    )
    assert answer.status_code == 303
    found = re.search(r'name="csrf-token" content="([^"]+)"', client.get("/agreement").text)
    assert found is not None
    return found[1]


def upload(client: TestClient, csrf: str, text: str) -> int:
    answer = client.post("/agreement/candidates", data={"csrf": csrf, "text": text})
    assert answer.status_code == 303, answer.text
    found = re.fullmatch(r"/agreement/candidates/(\d+)", answer.headers["location"])
    assert found is not None
    return int(found[1])


def test_a_candidate_written_against_a_version_no_longer_in_force_cannot_be_signed(client: TestClient) -> None:
    csrf = signed_in(client, "dana")
    first = upload(client, csrf, agreement_text(THRESHOLD_40))
    second = upload(client, csrf, agreement_text(("accept_within: 4h", "accept_within: 2h")))
    assert client.post(f"/agreement/candidates/{first}/sign", data={"csrf": csrf}).status_code == 303
    csrf = signed_in(client, "sam")
    assert client.post(f"/agreement/candidates/{first}/sign", data={"csrf": csrf}).status_code == 303

    page = client.get(f"/agreement/candidates/{second}").text
    assert "Outdated: it was written against\n    version 1" in page
    assert "Sign for sales" not in page
    assert "SLA to accept: 4h working -&gt; 2h working" in page  # compared with version 2, now in force
    refused = client.post(f"/agreement/candidates/{second}/sign", data={"csrf": csrf})
    assert refused.status_code == 409
    assert "upload it again" in refused.text
    assert "outdated: written against version 1" in client.get("/agreement").text


def test_the_backtest_and_the_diff_answer_on_every_engine(client: TestClient) -> None:
    csrf = signed_in(client, "sam")
    candidate = upload(client, csrf, agreement_text(THRESHOLD_40))
    backtest = client.get(f"/agreement/candidates/{candidate}/backtest", headers={"HX-Request": "true"})
    assert backtest.status_code == 200
    assert "MQLs, version 1 (in force)" in backtest.text
    assert "No lead's qualification changes." in backtest.text  # no history yet
    assert client.get("/agreement/diff?a=1&b=1").text.count("agree on everything") == 1
    missing = client.get("/agreement/diff?a=1&b=7")
    assert missing.status_code == 404
    assert "there is no agreement version 7" in missing.text


def test_a_broken_upload_stores_nothing_and_an_identical_one_is_refused(client: TestClient, engine: Engine) -> None:
    csrf = signed_in(client, "root")
    broken = client.post("/agreement/candidates", data={"csrf": csrf, "text": "agreement: [unclosed\n"})
    assert broken.status_code == 422
    assert '<tr class="problem" data-line="2"><td></td><td class="error">Line 2: not valid YAML' in broken.text
    same = client.post("/agreement/candidates", data={"csrf": csrf, "text": EXAMPLE.read_text()})
    assert same.status_code == 409
    assert "identical to version 1" in same.text
    empty_ = client.post("/agreement/candidates", data={"csrf": csrf, "text": "  "})
    assert empty_.status_code == 422
    assert "text: paste the agreement" in empty_.text
    broken_file = agreement_text(("qualified: {score_at_least: 60", "qualified: {score_at_least: sixty")).encode()
    refused = client.post("/agreement/candidates", data={"csrf": csrf}, files={"file": ("mine.yaml", broken_file)})
    assert refused.status_code == 422
    assert "mine.yaml:36: qualified.score_at_least: expected a number" in refused.text
    latin = client.post(
        "/agreement/candidates", data={"csrf": csrf}, files={"file": ("l.yaml", "agreement: Caf\xe9".encode("latin-1"))}
    )
    assert latin.status_code == 422
    assert "file: l.yaml is not UTF-8 text" in latin.text
    with UnitOfWork(engine) as uow:
        assert uow.session.scalars(select(AgreementCandidate)).all() == []

    good = agreement_text(THRESHOLD_40).replace("\n", "\r\n").encode()
    stored = client.post("/agreement/candidates", data={"csrf": csrf, "text": ""}, files={"file": ("mine.yaml", good)})
    assert stored.status_code == 303
    with UnitOfWork(engine) as uow:
        candidate = uow.session.scalars(select(AgreementCandidate)).one()
        assert (candidate.source, candidate.text) == ("mine.yaml", agreement_text(THRESHOLD_40))


def test_the_first_agreement_is_adopted_from_the_pages_when_both_sides_sign(engine: Engine, clock: FixedClock) -> None:
    seed_people(engine, clock)
    with serve(engine, clock) as client:
        csrf = signed_in(client, "sam")
        page = client.get("/agreement").text
        assert "No agreement is in force yet" in page
        assert "No candidate has been uploaded yet." in page
        candidate = upload(client, csrf, EXAMPLE.read_text())
        page = client.get(f"/agreement/candidates/{candidate}").text
        assert "There is no earlier version to compare it with." in page
        assert "Backtest" not in page
        assert client.post(f"/agreement/candidates/{candidate}/sign", data={"csrf": csrf}).status_code == 303
        assert "open: needs marketing, signed for sales" in " ".join(client.get("/agreement").text.split())
        csrf = signed_in(client, "dana")
        assert client.post(f"/agreement/candidates/{candidate}/sign", data={"csrf": csrf}).status_code == 303
        assert "Adopted as version 1" in client.get(f"/agreement/candidates/{candidate}").text
        page = client.get("/agreement").text
    assert 'data-testid="in-force"' in page
    with UnitOfWork(engine) as uow:
        (version,) = uow.session.scalars(select(AgreementVersion)).all()
        assert (version.version, version.marketing_signoff, version.sales_signoff) == (1, "dana", "sam")
