"""The rep's queue and board over HTTP on both engines: the next page of the queue, a column's next cards and the
next closed deals open as pages of their own without script, and come alone for HTMX; a deal revised by a plain
form post; refusals of what is not a place or not an amount."""

from __future__ import annotations

import html
import re
from datetime import date

from leadpact.services import intake, opportunities, sales
from leadpact.store.unit_of_work import UnitOfWork
from tests.factories import HOT, days
from tests.web.test_lead_page import Web, web  # noqa: F401  (the fixture, shared)

ANSWERS = {"budget": "yes", "authority": "decision_maker", "timing": "this_quarter"}


def _hand_off(site: Web, count: int) -> list[str]:
    """``count`` leads handed to alice by a demo request each."""
    emails = [f"lead{n:02}@lead{n:02}.example" for n in range(count)]
    with UnitOfWork(site.engine) as uow:
        intake.capture_leads(uow, site.clock, site.inforce, [intake.LeadInput(e, **HOT) for e in emails])
    with UnitOfWork(site.engine) as uow:
        events = [intake.EventInput(f"demo-{e}", e, "demo_request", site.clock.now()) for e in emails]
        intake.record_events(uow, site.clock, site.inforce, events)
    return emails


def _link(page: str, label: str) -> str:
    found = re.search(rf'href="([^"]+)"\s+hx-get="[^"]+"[^>]*>{label}<', page)
    assert found is not None, label
    return html.unescape(found[1])


def _rows(page: str) -> list[str]:
    return re.findall(r'<tr id="lead-(\d+)"', page)


def test_the_next_page_of_the_queue_opens_alone_or_as_a_page(web: Web) -> None:  # noqa: F811
    _hand_off(web, 30)
    alice = web.person("alice", "rep", "/queue")

    first = alice.client.get("/queue").text
    following = _link(first, "Show the next 5")
    page = alice.client.get(following).text
    rows = alice.client.get(following, headers={"HX-Request": "true"}).text

    assert len(_rows(first)) == 25
    assert "<h1>My queue</h1>" in page
    assert "Back to the top of the queue" in page
    assert "Leads 26\u201330 of 30" in page
    assert _rows(page) == _rows(rows)
    assert len(_rows(page)) == 5
    assert not set(_rows(page)) & set(_rows(first))
    assert "<html" not in rows
    refused = alice.client.get("/queue?after=26~x")
    assert refused.status_code == 422
    assert "not a place in the queue" in html.unescape(refused.text)


def test_a_columns_next_cards_and_the_next_closed_deals_open_alone_or_on_the_board(web: Web) -> None:  # noqa: F811
    emails = _hand_off(web, 42)
    with UnitOfWork(web.engine) as uow:
        for n, email in enumerate(emails):
            lead = intake.lead_for_change(uow, email)
            sales.accept(uow, web.clock, web.inforce, lead)
            sales.qualify(uow, web.clock, web.inforce, lead, ANSWERS)
            opportunities.convert(uow, web.clock, web.inforce, lead, 100.0 + n, date(2026, 6, 1) + days(n))
            if n % 2:
                opportunities.win(uow, web.clock, web.inforce, lead)
    alice = web.person("alice", "rep", "/pipeline")

    board = alice.client.get("/pipeline").text
    assert board.count('class="deal-card"') == 20
    assert board.count('<tr id="deal-') == 20  # the latest closed deals
    cards = _link(board, "Show more")
    closed = _link(board, "Show more closed deals")
    more_cards = alice.client.get(cards, headers={"HX-Request": "true"}).text
    more_closed = alice.client.get(closed, headers={"HX-Request": "true"}).text
    board_after = alice.client.get(cards).text

    assert more_cards.count('class="deal-card"') == 1  # 21 open deals: the one left
    assert "lead40@lead40.example" in more_cards
    assert "<html" not in more_cards
    assert more_closed.count('<tr id="deal-') == 1
    assert "lead01@lead01.example" in more_closed  # the first won is the last shown
    assert "Show more" not in more_cards + more_closed
    assert "<h1>My pipeline</h1>" in board_after
    assert board_after.count('class="deal-card"') == 1
    assert "21 open" in board_after  # the column's count is all of it, whichever cards are shown
    assert alice.client.get("/pipeline?stage=discovery&after=someday~1").status_code == 422


def test_a_deal_revised_by_a_plain_form_post_comes_back_to_the_board(web: Web) -> None:  # noqa: F811
    (email,) = _hand_off(web, 1)
    with UnitOfWork(web.engine) as uow:
        lead = intake.lead_for_change(uow, email)
        sales.accept(uow, web.clock, web.inforce, lead)
        sales.qualify(uow, web.clock, web.inforce, lead, ANSWERS)
        opportunities.convert(uow, web.clock, web.inforce, lead, 500.0, date(2026, 6, 1))
        lead_id = lead.id
    alice = web.person("alice", "rep", "/pipeline")

    answer = alice.post(
        f"/leads/{lead_id}/revise", {"view": "pipeline", "amount": "1250.5", "close_date": "2026-08-31"}
    )
    assert answer.status_code == 303
    assert answer.headers["location"] == "/pipeline?done=revise"
    board = alice.client.get(answer.headers["location"]).text
    assert "amount and expected close date saved" in board
    assert "<b>$1,250</b> · close <span>2026-08-31</span>" in board  # money shows whole dollars
    for form in ({"amount": "-1", "close_date": "2026-08-31"}, {"amount": "ten", "close_date": "2026-08-31"}):
        assert alice.post(f"/leads/{lead_id}/revise", {"view": "pipeline", **form}).status_code == 422
    assert (
        alice.post(f"/leads/{lead_id}/revise", {"view": "lead", "amount": "9", "close_date": "31/08"}).status_code
        == 422
    )
    assert 'value="1250.5"' in alice.client.get(f"/leads/{lead_id}").text
