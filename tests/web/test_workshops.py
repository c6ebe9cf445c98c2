"""The workshop pages over HTTP on both engines: starting one from its form, each side grading the next lead blind
with its progress, the report with its kappa, the disagreements and the suggested agreement, and who may do what."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from leadpact.app import create_app
from leadpact.config import Settings
from leadpact.domain.agreement_file import parse_agreement
from leadpact.services import workshops
from leadpact.services.clock import FixedClock
from leadpact.store.tables import AgreementCandidate, Lead
from leadpact.store.unit_of_work import UnitOfWork
from leadpact.web.workshops import grade_keys
from tests.conftest import adopt_example
from tests.factories import add_team, capture, event, record
from tests.web.test_lead_page import Person, Web

TITLES = ("VP Operations", "Engineer", "Plant Manager", "Director of Sales", "Buyer")


@pytest.fixture
def web(engine: Engine, clock: FixedClock) -> Iterator[Web]:
    """The example agreement, reps alice and bob, and 24 leads of varied fit (every third with a webinar)."""
    inforce = adopt_example(engine, clock)
    add_team(engine, clock, "americas", {"alice": 1, "bob": 1})
    for n in range(24):
        email = f"p{n:02d}@co{n}.example"
        fields = {"title": TITLES[n % 5], "industry": ("manufacturing", "software")[n % 2], "employees": 100 + 300 * n}
        capture(engine, clock, inforce, email, first_name=f"Pat{n}", company=f"Company {n}", **fields)
        if n % 3 == 0:
            record(engine, clock, inforce, event(f"web-{n}", email, "webinar_attended", clock.now()))
    app = create_app(Settings(database_url=engine.url.render_as_string(hide_password=False)), clock)
    yield Web(app, engine, clock, inforce)
    app.state.engine.dispose()


def start(web: Web, sample: int = 5) -> list[str]:
    with UnitOfWork(web.engine) as uow:
        return workshops.start(uow, web.clock, "q3", sample, 3).emails


def text(response: object) -> str:
    """A page's words without its tags, spaces collapsed."""
    body = getattr(response, "text", "")
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", body)).split())


def lead_of(web: Web, email: str) -> Lead:
    with UnitOfWork(web.engine) as uow:
        found = uow.session.scalars(select(Lead).where(Lead.email == email)).one()
        uow.session.expunge(found)
        return found


def test_marketing_starts_a_workshop_from_its_page_and_a_refusal_comes_back_next_to_the_form(web: Web) -> None:
    mia = web.person("mia", "marketing", "/workshops")
    page = mia.client.get("/workshops")
    assert "No workshop yet. Start the first one below." in text(page)
    refused = mia.post("/workshops", {"name": "q 3", "sample": "5", "seed": ""})
    assert refused.status_code == 422
    assert "name: 'q 3' is not a workshop name" in text(refused)
    assert 'value="q 3"' in refused.text
    not_a_number = mia.post("/workshops", {"name": "q3", "sample": "five", "seed": ""})
    assert (not_a_number.status_code, "sample: 'five' is not a whole number" in text(not_a_number)) == (422, True)
    started = mia.post("/workshops", {"name": "q3", "sample": "5", "seed": "3"})
    assert (started.status_code, started.headers["location"]) == (303, "/workshops?started=q3")
    listed = text(mia.client.get("/workshops?started=q3"))
    assert "Workshop q3 started: its leads are drawn and ready to grade." in listed
    assert re.search(r"q3 .* by mia, agreement version 1 5 0 0 0", listed)
    again = mia.post("/workshops", {"name": "q3", "sample": "", "seed": ""})
    assert (again.status_code, "name: there is already a workshop named q3" in text(again)) == (409, True)


def test_each_side_grades_its_next_lead_blind_and_sees_how_far_it_got(web: Web) -> None:
    emails = start(web)
    alice = web.person("alice", "rep", "/workshops")
    first = alice.client.get("/workshops/q3")
    words = text(first)
    assert "Workshop q3 grading for sales" in words
    assert "0 of 5 graded for sales" in words
    lead = lead_of(web, emails[0])
    assert f"{lead.first_name} lead 1 of 5" in words
    assert f"Company {lead.company}" in words
    assert f"Title {lead.title}" in words
    if int(emails[0][1:3]) % 3 == 0:
        assert "webinar attended" in words
    assert "score" not in words.replace("Its score and the agreement's grade are not shown", "").lower()
    assert "badge grade-" not in first.text  # no grade of the lead, the agreement's or anyone's
    assert all(f'accesskey="{g}" data-key="{g}"' in first.text for g in "abcd")
    assert '<kbd aria-hidden="true" hidden>B</kbd>' in first.text  # shown by the script that makes the key work

    graded = alice.post("/workshops/q3/grades", {"lead": str(lead.id), "grade": "B"})
    assert (graded.status_code, graded.headers["location"]) == (303, "/workshops/q3?graded=B")
    after = text(alice.client.get(graded.headers["location"]))
    assert "Graded B." in after
    assert "1 of 5 graded for sales" in after
    assert f"{lead_of(web, emails[1]).first_name} lead 2 of 5" in after
    revisit = text(alice.client.get(f"/workshops/q3?lead={lead.id}"))
    assert "Sales graded it B; a new grade replaces it." in revisit
    assert "lead 1 of 5" in revisit

    dana = web.person("dana", "manager", "/workshops", side="marketing")
    assert "0 of 5 graded for marketing" in text(dana.client.get("/workshops/q3"))
    bob = web.person("bob", "rep", "/workshops")
    assert "1 of 5 graded for sales" in text(bob.client.get("/workshops/q3"))  # a side grades together
    for email in emails:
        bob.post("/workshops/q3/grades", {"lead": str(lead_of(web, email).id), "grade": "C"})
    done = text(bob.client.get("/workshops/q3"))
    assert "Sales has graded all 5 leads of this workshop." in done
    assert "See the report" not in done  # a rep grades but does not read the report
    wrong = alice.post("/workshops/q3/grades", {"lead": str(lead.id), "grade": "E"})
    assert (wrong.status_code, "'E' is not a grade of the agreement (A, B, C, D)" in text(wrong)) == (422, True)


def test_a_grade_is_keyed_by_its_first_letter_or_when_those_repeat_by_its_place() -> None:
    assert grade_keys(("A", "B", "C", "D")) == {"A": "a", "B": "b", "C": "c", "D": "d"}
    assert grade_keys(("Hot", "warm", "Cold")) == {"Hot": "h", "warm": "w", "Cold": "c"}
    assert grade_keys(("A+", "A", "b")) == {"A+": "1", "A": "2", "b": "3"}
    assert grade_keys(("*", "**")) == {"*": "1", "**": "2"}
    assert grade_keys(tuple("A" * n for n in range(1, 11))) == {"A" * n: str(n) for n in range(1, 10)}


def test_the_report_page_shows_kappa_in_words_the_disagreements_and_the_suggested_agreement(web: Web) -> None:
    emails = start(web, sample=24)
    dana = web.person("dana", "manager", "/workshops", side="marketing")
    early = text(dana.client.get("/workshops/q3/report"))
    assert "Kappa between the sides — no lead has been graded by both sides yet" in early
    assert "No fit points suggested: 0 lead(s) graded" in early
    missing = dana.client.get("/workshops/q3/suggested.yaml")
    assert (missing.status_code, "suggests no agreement" in text(missing)) == (404, True)

    rows = []
    for email in emails:
        senior = TITLES[int(email[1:3]) % 5] in ("VP Operations", "Director of Sales")
        rows += [f"{email},marketing,{'A' if senior else 'C'}", f"{email},sales,{'A' if senior else 'D'}"]
    with UnitOfWork(web.engine) as uow:
        workshops.label(uow, web.clock, "q3", "email,side,grade\n" + "\n".join(rows), "grades.csv")
        found = workshops.report(uow, "q3")
    assert found.kappa is not None
    page = dana.client.get("/workshops/q3/report")
    words = text(page)
    assert f"Kappa between the sides {found.kappa:.2f} {found.sides.reading}" in words
    assert "graded by marketing 24, by sales 24, by both 24" in words
    apart = found.disagreements[0]
    assert f"{apart.email} {apart.marketing} {apart.sales} {apart.agreement} 1" in words
    assert "Download the suggested agreement" in words
    assert found.refit.kappa_refitted is not None
    assert found.refit.kappa_in_force is not None
    worse = found.refit.kappa_refitted < found.refit.kappa_in_force
    assert ('data-testid="worse"' in page.text) == worse
    assert "Propose it as a candidate" in words
    title = next(r for r in found.refit.rules if r.rule == "senior-title")
    assert f"Senior title {title.points:g} {title.suggested:g}" in words

    download = dana.client.get("/workshops/q3/suggested.yaml")
    assert download.status_code == 200
    assert download.headers["content-disposition"] == 'attachment; filename="q3-suggested.yaml"'
    assert download.text == found.suggested
    parse_agreement(download.text, "q3-suggested.yaml")

    proposed = re.search(r'<textarea name="text" hidden>\n(.*?)</textarea>', page.text, re.DOTALL)
    assert proposed is not None
    assert html.unescape(proposed[1]) == found.suggested
    candidate = dana.post("/agreement/candidates", {"text": html.unescape(proposed[1])})
    assert candidate.status_code == 303
    with UnitOfWork(web.engine) as uow:
        (stored,) = uow.session.scalars(select(AgreementCandidate.text)).all()
    assert stored == found.suggested

    mia = web.person("mia", "marketing", "/workshops")
    assert "Propose it as a candidate" not in text(mia.client.get("/workshops/q3/report"))


def test_who_may_start_grade_and_read_the_report(web: Web) -> None:
    start(web)
    alice = web.person("alice", "rep", "/workshops")
    listed = text(alice.client.get("/workshops"))
    assert "Grade" in listed
    assert "Report" not in listed
    assert "Start a workshop" not in listed
    assert alice.client.get("/workshops/q3/report").status_code == 403
    assert alice.client.get("/workshops/q3/suggested.yaml").status_code == 403
    assert alice.post("/workshops", {"name": "q4"}).status_code == 403
    root = web.person("root", "admin", "/workshops")
    assert "root grades for neither side" in text(root.client.get("/workshops/q3"))
    assert root.post("/workshops/q3/grades", {"lead": "1", "grade": "A"}).status_code == 403
    assert root.client.get("/workshops/q3/report").status_code == 200
    raj = web.person("raj", "manager", "/workshops")
    refused = raj.client.get("/workshops/q3")
    assert (refused.status_code, "raj manages for neither side" in text(refused)) == (403, True)
    assert alice.client.get("/workshops/q9").status_code == 404
    assert alice.client.get("/workshops/q3?lead=999999").status_code == 404


def test_a_person_not_signed_in_is_sent_to_sign_in(web: Web) -> None:
    client = TestClient(web.app, base_url="http://localhost")
    answer = client.get("/workshops", follow_redirects=False)
    assert (answer.status_code, answer.headers["location"]) == (303, "/login?next=/workshops")


def test_a_grade_needs_the_form_token(web: Web) -> None:
    emails = start(web)
    alice: Person = web.person("alice", "rep", "/workshops")
    forged = alice.client.post("/workshops/q3/grades", data={"lead": str(lead_of(web, emails[0]).id), "grade": "A"})
    assert forged.status_code == 403
