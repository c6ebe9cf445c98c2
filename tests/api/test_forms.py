"""Capture forms: managed over the API, posted publicly from the company's site with CORS per form."""

from __future__ import annotations

from typing import Any

import httpx2
from sqlalchemy import func, select

from leadpact.store.tables import Campaign, Event, Lead
from leadpact.store.unit_of_work import UnitOfWork
from tests.api.conftest import Api, refused
from tests.factories import lead

SITE = "https://www.acme.example"
FORM = {
    "name": "contact us",
    "source": "website",
    "origins": [SITE],
    "field_map": {"work_email": "email", "job": "title"},
    "campaign": "Spring webinar",
}


def _form(api: Api) -> str:
    """A form of the company's site; its capture path."""
    answer = api.post("/forms", "mia", FORM)
    assert answer.status_code == 201, answer.text
    return f"/capture/{answer.json()['key']}"


def _counts(api: Api) -> tuple[int, int]:
    """(leads, events) stored."""
    with UnitOfWork(api.engine) as uow:
        leads = uow.session.scalar(select(func.count(Lead.id))) or 0
        events = uow.session.scalar(select(func.count(Event.id))) or 0
    return leads, events


def _post(api: Api, path: str, origin: str | None = None, **kwargs: Any) -> httpx2.Response:
    headers = {"Origin": origin} if origin else {}
    response: httpx2.Response = api.client.post(path, headers=headers, follow_redirects=False, **kwargs)
    return response


def test_marketing_creates_a_form_and_lists_it_with_its_capture_url(api: Api) -> None:
    created = api.post("/forms", "mia", FORM)
    assert created.status_code == 201, created.text
    form = created.json()
    assert form["capture_url"] == f"http://testserver/capture/{form['key']}"
    assert len(form["key"]) >= 16
    expected = {**FORM, "field_map": {"work_email": "email", "job": "title"}, "event_type": "form_submit"}
    assert {k: form[k] for k in expected} == expected
    assert api.get("/forms", "root").json() == [form]
    refused(api.post("/forms", "mia", FORM), 422, "invalid_input", "contact us")
    refused(
        api.post("/forms", "mia", {**FORM, "name": "b", "origins": ["acme.example"]}), 422, "invalid_input", "origin"
    )
    refused(
        api.post("/forms", "mia", {**FORM, "name": "c", "field_map": {"x": "e mail"}}), 422, "invalid_input", "e mail"
    )
    refused(api.post("/forms", "alice", {**FORM, "name": "d"}), 403, "not_permitted", "alice")
    refused(api.get("/forms", "sam"), 403, "not_permitted", "sam")
    assert len(api.get("/forms", "mia").json()) == 1


def test_a_form_encoded_post_creates_the_lead_and_records_the_forms_event(api: Api) -> None:
    path = _form(api)
    posted = _post(api, path, data={"work_email": "Ann@Acme.example", "job": "VP Operations", "first_name": "Ann"})
    assert posted.status_code == 201, posted.text
    assert posted.json() == {"created": True, "outcome": "counted"}
    assert "access-control-allow-origin" not in posted.headers
    assert posted.headers["vary"] == "Origin"
    stored = lead(api.engine, "ann@acme.example")
    assert (stored.title, stored.first_name, stored.source, stored.stage) == (
        "VP Operations",
        "Ann",
        "website",
        "inquiry",
    )
    with UnitOfWork(api.engine) as uow:
        events = uow.session.execute(select(Event.type, Event.counted, Campaign.name).join(Campaign)).all()
    assert [tuple(e) for e in events] == [("form_submit", True, "Spring webinar")]
    again = _post(api, path, data={"work_email": "ann@acme.example", "company": "Acme"})
    # stored, but the example agreement counts one form a day for a person
    assert (again.status_code, again.json()) == (200, {"created": False, "outcome": "not counted"})
    assert _counts(api) == (1, 2)


def test_a_json_post_from_an_allowed_origin_is_answered_for_that_origin(api: Api) -> None:
    path = _form(api)
    posted = _post(api, path, SITE, json={"work_email": "ann@acme.example", "employees": 800, "industry": "logistics"})
    assert posted.status_code == 201, posted.text
    assert posted.headers["access-control-allow-origin"] == SITE
    assert posted.headers["vary"] == "Origin"
    assert lead(api.engine, "ann@acme.example").employees == 800


def test_a_multipart_post_is_taken_but_a_file_is_not(api: Api) -> None:
    path = _form(api)
    posted = _post(api, path, files={"work_email": (None, "ann@acme.example"), "job": (None, "Director")})
    assert posted.status_code == 201, posted.text
    assert lead(api.engine, "ann@acme.example").title == "Director"
    refused(_post(api, path, files={"cv": ("cv.pdf", b"%PDF", "application/pdf")}), 422, "invalid_input", "cv")
    assert _counts(api) == (1, 1)


def test_a_browser_on_another_site_is_refused_and_nothing_is_stored(api: Api) -> None:
    path = _form(api)
    answer = _post(api, path, "https://evil.example", data={"work_email": "ann@acme.example"})
    refused(answer, 403, "not_permitted", "https://evil.example")
    assert "access-control-allow-origin" not in answer.headers
    assert _counts(api) == (0, 0)


def test_a_preflight_is_answered_for_the_forms_origins_only(api: Api) -> None:
    path = _form(api)
    asked = {"Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type"}
    allowed = api.client.options(path, headers={"Origin": SITE, **asked})
    assert allowed.status_code == 204, allowed.text
    assert allowed.headers["access-control-allow-origin"] == SITE
    assert "POST" in allowed.headers["access-control-allow-methods"]
    assert allowed.headers["access-control-allow-headers"] == "content-type"
    assert allowed.headers["vary"] == "Origin"
    other = api.client.options(path, headers={"Origin": "https://evil.example", **asked})
    refused(other, 403, "not_permitted", "https://evil.example")
    assert "access-control-allow-origin" not in other.headers
    refused(api.client.options("/capture/nope", headers={"Origin": SITE, **asked}), 404, "not_found", "nope")


def test_a_submission_with_a_bad_field_stores_nothing_and_the_page_can_read_why(api: Api) -> None:
    path = _form(api)
    answer = _post(api, path, SITE, json={"work_email": "ann@acme.example", "employees": "lots"})
    refused(answer, 422, "invalid_input", "employees", "lots")
    assert answer.headers["access-control-allow-origin"] == SITE  # the page's script may read the error
    refused(_post(api, path, data={"work_email": "not-an-email"}), 422, "invalid_input", "email")
    refused(_post(api, path, data={"job": "VP"}), 422, "invalid_input", "email")
    refused(_post(api, path, json={"work_email": {"a": 1}}), 422, "invalid_input", "work_email")
    refused(_post(api, path, json=["ann@acme.example"]), 422, "invalid_input", "object")
    text = api.client.post(path, content=b"work_email=ann@acme.example", headers={"Content-Type": "text/plain"})
    refused(text, 422, "invalid_input", "Content-Type", "text/plain")
    form_encoded = {"Content-Type": "application/x-www-form-urlencoded"}
    invalid_bytes = api.client.post(path, content=b"work_email=a%FF%FE@acme.example", headers=form_encoded)
    refused(invalid_bytes, 422, "invalid_input", "work_email", "not UTF-8")
    refused(_post(api, path, json={"work_email": "a\ufffd\ufffd@acme.example"}), 422, "invalid_input", "work_email")
    refused(_post(api, path, json={"work_email": "ann smith@acme.example"}), 422, "invalid_input", "email")
    assert _counts(api) == (0, 0)


def test_an_unknown_form_key_is_not_found(api: Api) -> None:
    refused(_post(api, "/capture/nope", data={"email": "ann@acme.example"}), 404, "not_found", "nope")
    assert _counts(api) == (0, 0)


def test_a_classic_post_may_send_the_browser_to_a_page_of_the_forms_site(api: Api) -> None:
    path = _form(api)
    thanks = f"{SITE}/thanks"
    sent = _post(api, path, SITE, data={"work_email": "ann@acme.example"}, params={"redirect": thanks})
    assert (sent.status_code, sent.headers["location"]) == (303, thanks)
    away = _post(api, path, SITE, data={"work_email": "bo@acme.example"}, params={"redirect": "https://evil.example/"})
    refused(away, 422, "invalid_input", "redirect")
    assert _counts(api) == (1, 1)
