"""What every answer carries and what a request may send: security headers on pages and API answers, bodies over
their limit refused before they are read, and public capture that cannot be used to pump a score."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from leadpact.api.routes.forms import CAPTURE_LIMIT
from leadpact.http.middleware import CONTENT_SECURITY_POLICY
from leadpact.services import forms
from leadpact.store.tables import Consent, Event, Lead
from leadpact.store.unit_of_work import UnitOfWork
from tests.api.conftest import Api, refused
from tests.factories import HOT, lead

SITE = "https://www.acme.example"


@pytest.mark.parametrize("path", ["/login", "/api/v1/leads", "/docs", "/static/app.css", "/no/such/page"])
def test_every_answer_carries_the_security_headers(api: Api, path: str) -> None:
    answer = api.client.get(path)
    assert answer.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    assert "script-src 'self'" in CONTENT_SECURITY_POLICY
    assert "frame-ancestors 'none'" in CONTENT_SECURITY_POLICY
    assert "unsafe-inline" not in CONTENT_SECURITY_POLICY
    assert answer.headers["x-content-type-options"] == "nosniff"
    assert answer.headers["x-frame-options"] == "DENY"
    assert answer.headers["referrer-policy"] == "strict-origin-when-cross-origin"
    assert "strict-transport-security" not in answer.headers  # plain HTTP: a browser would ignore it anyway


def test_over_https_browsers_are_told_to_keep_to_it(api: Api) -> None:
    with TestClient(api.client.app, base_url="https://leads.acme.example") as secure:
        answer = secure.get("/login")
    assert answer.headers["strict-transport-security"] == "max-age=31536000; includeSubDomains"


def test_the_pages_have_no_inline_script_or_style(api: Api) -> None:
    page = api.client.get("/login").text + api.client.get("/docs").text
    assert "<script>" not in page
    assert "style=" not in page
    assert "<script src=" in page


def test_a_body_over_the_limit_is_refused_before_it_is_read(api: Api) -> None:
    huge = b'{"email": "' + b"a" * (10 * 1024 * 1024) + b'@acme.example"}'
    answer = api.client.post(
        "/api/v1/leads", content=huge, headers={**api.auth("mia"), "Content-Type": "application/json"}
    )
    refused(answer, 413, "too_large", "1 MiB")
    chunked = api.client.post(
        "/api/v1/leads", content=iter([huge[:600_000], huge[600_000:]]), headers=api.auth("mia")
    )  # sent without a length: refused once what arrived passes the limit
    refused(chunked, 413, "too_large")
    page = api.client.post("/login", content=huge, headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert page.status_code == 413
    assert "Too large" in page.text
    with UnitOfWork(api.engine) as uow:
        assert uow.session.scalar(select(func.count(Lead.id))) == 0
    small = api.client.post("/api/v1/leads", json={"email": "ann@acme.example"}, headers=api.auth("mia"))
    assert small.status_code == 201, small.text


def _form(api: Api) -> str:
    answer = api.post("/forms", "mia", {"name": "contact us", "origins": [SITE], "field_map": {"optin": "consent"}})
    assert answer.status_code == 201, answer.text
    assert 'name="website_url"' in answer.json()["snippet"]
    assert 'name="optin"' in answer.json()["snippet"]
    return f"/capture/{answer.json()['key']}"


def test_one_person_posting_a_form_again_and_again_gains_no_more_and_is_slowed_down(api: Api) -> None:
    path = _form(api)
    person = {"email": "ann@acme.example", **{k: str(v) for k, v in HOT.items()}}
    browser = {"Origin": SITE}
    answers = []
    for _ in range(CAPTURE_LIMIT):
        preflight = {**browser, "Access-Control-Request-Method": "POST"}
        assert api.client.options(path, headers=preflight).status_code == 204  # not counted
        answers.append(api.client.post(path, data=person, headers=browser))
    assert [a.status_code for a in answers] == [201] + [200] * (CAPTURE_LIMIT - 1)
    assert [a.json()["outcome"] for a in answers] == ["counted"] + ["not counted"] * (CAPTURE_LIMIT - 1)
    over = api.client.post(path, data=person, headers=browser)
    refused(over, 429, "too_many_requests", "too often")
    assert int(over.headers["retry-after"]) > 0
    assert over.headers["access-control-allow-origin"] == SITE  # the page's script may read why
    found = lead(api.engine, "ann@acme.example")
    assert (found.stage, found.owner_id) == ("inquiry", None)  # 50 of fit + one form's 5: no MQL
    with UnitOfWork(api.engine) as uow:
        assert uow.session.scalar(select(func.count(Event.id)).where(Event.counted.is_(True))) == 1


def test_a_submission_that_fills_the_hidden_field_is_answered_but_not_taken(api: Api) -> None:
    path = _form(api)
    answer = api.client.post(path, data={"email": "bot@spam.example", forms.HONEYPOT: "http://spam.example"})
    assert (answer.status_code, answer.json()) == (201, {"created": True, "outcome": "counted"})
    with UnitOfWork(api.engine) as uow:
        assert uow.session.scalar(select(func.count(Lead.id))) == 0


def test_a_form_records_the_persons_consent_with_the_form_as_its_source(api: Api) -> None:
    path = _form(api)
    ticked, unticked = {"optin": ["no", "yes"]}, {"optin": "no"}  # as the snippet's hidden no and box send them
    assert api.client.post(path, data={"email": "ann@acme.example", **ticked}).status_code == 201
    assert api.client.post(path, data={"email": "bob@acme.example"}).status_code == 201  # not asked: nothing kept
    refused(api.client.post(path, data={"email": "cy@acme.example", "optin": "maybe"}), 422, "invalid_input", "optin")
    api.client.post(path, data={"email": "ann@acme.example", **unticked})  # she changed her mind
    with UnitOfWork(api.engine) as uow:
        rows = uow.session.execute(select(Lead.email, Consent.granted, Consent.source).join(Lead).order_by(Consent.id))
        assert [tuple(r) for r in rows] == [
            ("ann@acme.example", True, "form 'contact us'"),
            ("ann@acme.example", False, "form 'contact us'"),
        ]
    exported = api.get("/leads/ann@acme.example/export", "root").json()
    assert [(c["granted"], c["source"]) for c in exported["consents"]] == [
        (True, "form 'contact us'"),
        (False, "form 'contact us'"),
    ]
    assert json.dumps(exported)


def test_a_failure_the_app_did_not_answer_is_a_500_with_the_headers_too(api: Api) -> None:
    def broken() -> None:
        raise RuntimeError("a bug")

    api.client.app.add_api_route("/api/v1/broken", broken)  # type: ignore[attr-defined]
    with TestClient(api.client.app, raise_server_exceptions=False) as client:
        answer = client.get("/api/v1/broken")
    refused(answer, 500, "internal_error", "nothing of the request was stored")
    assert answer.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    assert answer.headers["x-frame-options"] == "DENY"
