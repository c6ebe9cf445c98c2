"""The admin's pages for people, API tokens and capture forms, and the team page's validation and removal, over HTTP
on both engines: plain form posts, what each answer shows, what is stored, and who is refused."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from leadpact.app import create_app
from leadpact.config import Settings
from leadpact.services.clock import FixedClock
from leadpact.store.tables import ApiToken, CaptureForm, User
from leadpact.store.unit_of_work import UnitOfWork
from tests.conftest import adopt_example
from tests.factories import add_team, hand_off, owner_name
from tests.web.test_lead_page import PASSWORD, Web


@pytest.fixture
def web(engine: Engine, clock: FixedClock) -> Iterator[Web]:
    """The example agreement; reps alice and bob in team americas."""
    inforce = adopt_example(engine, clock)
    add_team(engine, clock, "americas", {"alice": 1, "bob": 1})
    app = create_app(Settings(database_url=engine.url.render_as_string(hide_password=False)), clock)
    yield Web(app, engine, clock, inforce)
    app.state.engine.dispose()


def words(page: object) -> str:
    """A page's words without its tags, spaces collapsed."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", getattr(page, "text", ""))).split())


def shown_once(page: object, element: str) -> str:
    """The text of the element shown once (a password, a token) on the page."""
    found = re.search(f'<pre id="{element}"[^>]*>([^<]+)</pre>', getattr(page, "text", ""))
    assert found is not None, words(page)
    return html.unescape(found[1])


def signs_in(web: Web, name: str, password: str) -> bool:
    """Whether the sign-in form takes the name and password."""
    client = TestClient(web.app, base_url="http://localhost")
    token = re.search(r'name="csrf" value="([^"]+)"', client.get("/login").text)
    assert token is not None
    form = {"name": name, "password": password, "csrf": token[1], "next": "/"}
    return client.post("/login", data=form, follow_redirects=False).status_code == 303


def stored(engine: Engine, name: str) -> User:
    with UnitOfWork(engine) as uow:
        user = uow.session.scalars(select(User).where(User.name == name)).one()
        uow.session.expunge(user)
        return user


def test_an_admin_adds_a_person_who_signs_in_with_the_password_shown_once(web: Web) -> None:
    root = web.person("root", "admin", "/admin/people")
    page = root.client.get("/admin/people")
    assert page.status_code == 200
    assert "root root@acme.example admin — 2 Mar 2026 09:00 CST signs in" in words(page)
    added = root.post("/admin/people", {"name": "ivy", "role": "manager", "side": "sales", "email": "ivy@acme.example"})
    assert added.status_code == 201
    assert "ivy (manager) is added." in words(added)
    password = shown_once(added, "password-secret")
    assert password not in root.client.get("/admin/people").text
    assert signs_in(web, "ivy", password)
    assert stored(web.engine, "ivy").side == "sales"

    typo = root.post("/admin/people", {"name": "ray", "role": "rep", "team": "amercas"})
    assert typo.status_code == 422
    assert "there is no team 'amercas'; the teams are americas" in words(typo)
    twice = root.post("/admin/people", {"name": "ivy", "role": "marketing"})
    assert "there is already a user named 'ivy'" in words(twice)


def test_an_admin_disables_a_rep_whose_queue_goes_to_the_other_rep_and_enables_them_again(web: Web) -> None:
    hand_off(web.engine, web.clock, web.inforce, "ann@acme.example")
    holder = owner_name(web.engine, "ann@acme.example")
    other = "bob" if holder == "alice" else "alice"
    root = web.person("root", "admin", "/admin/people")
    rep = web.person(holder or "", "rep", "/queue")
    disabled = root.post("/admin/people/disable", {"name": holder or ""})
    assert disabled.status_code == 200
    said = words(disabled)
    assert f"{holder}'s access is disabled and they are signed out." in said
    assert f"ann@acme.example: now {other}'s" in said
    assert owner_name(web.engine, "ann@acme.example") == other
    assert rep.client.get("/queue", follow_redirects=False).status_code == 303  # signed out: sent to sign in
    assert stored(web.engine, holder or "").disabled_at == web.clock.now()

    enabled = root.post("/admin/people/enable", {"name": holder or ""})
    assert f"{holder} has access again." in words(enabled)
    assert stored(web.engine, holder or "").disabled_at is None

    last = root.post("/admin/people/disable", {"name": "root"})
    assert last.status_code == 422
    assert "root is the last admin whose access is not disabled" in words(last)
    assert stored(web.engine, "root").disabled_at is None


def test_an_admin_changes_a_role_and_gives_a_new_password_that_ends_the_old_sessions(web: Web) -> None:
    root = web.person("root", "admin", "/admin/people")
    mia = web.person("mia", "marketing", "/dashboard")
    changed = root.post("/admin/people/role", {"name": "mia", "role": "manager", "side": "marketing"})
    assert "mia's role is now manager (marketing)." in words(changed)
    assert (stored(web.engine, "mia").role, stored(web.engine, "mia").side) == ("manager", "marketing")
    wrong = root.post("/admin/people/role", {"name": "mia", "role": "marketing", "side": "sales"})
    assert wrong.status_code == 422
    assert "side: only a manager has a side" in words(wrong)

    reset = root.post("/admin/people/password", {"name": "mia"})
    assert "mia has a new password and is signed out everywhere." in words(reset)
    assert len(shown_once(reset, "password-secret")) >= 16
    assert mia.client.get("/dashboard", follow_redirects=False).status_code == 303
    assert not signs_in(web, "mia", PASSWORD)
    assert signs_in(web, "mia", shown_once(reset, "password-secret"))


def test_only_an_admin_manages_people_and_tokens_and_marketing_manages_forms(web: Web) -> None:
    mia = web.person("mia", "marketing", "/dashboard")
    for path in ("/admin/people", "/admin/tokens"):
        assert mia.client.get(path).status_code == 403, path
    assert mia.post("/admin/people/disable", {"name": "alice"}).status_code == 403
    assert mia.client.get("/admin/forms").status_code == 200
    dana = web.person("dana", "manager", "/dashboard", side="sales")
    assert dana.client.get("/admin/forms").status_code == 403
    nav = mia.client.get("/dashboard").text
    assert 'href="/admin/forms"' in nav
    assert 'href="/admin/people"' not in nav


def test_an_admin_creates_a_token_shown_once_and_revokes_it(web: Web) -> None:
    root = web.person("root", "admin", "/admin/tokens")
    created = root.post("/admin/tokens", {"name": "crm sync", "role": "marketing"})
    assert created.status_code == 201
    secret = shown_once(created, "token-secret")
    assert secret.startswith("lpt_")
    listed = root.client.get("/admin/tokens")
    assert secret not in listed.text
    assert "crm sync marketing" in words(listed)
    api = root.client.get("/api/v1/leads", headers={"Authorization": f"Bearer {secret}"})
    assert api.status_code == 200

    for_rep = root.post("/admin/tokens", {"name": "alice's phone", "user": "alice"})
    assert for_rep.status_code == 201
    rep_secret = shown_once(for_rep, "token-secret")
    root.post("/admin/people/disable", {"name": "alice"})
    refused = root.client.get("/api/v1/leads", headers={"Authorization": f"Bearer {rep_secret}"})
    assert refused.status_code == 401
    assert "acts for alice, whose access is disabled" in refused.json()["detail"]
    no_role = root.post("/admin/tokens", {"name": "bare"})
    assert no_role.status_code == 422
    assert "say what the token may do" in words(no_role)

    with UnitOfWork(web.engine) as uow:
        token_id = uow.session.scalars(select(ApiToken.id).where(ApiToken.name == "crm sync")).one()
    revoked = root.post(f"/admin/tokens/{token_id}/revoke", {})
    assert (revoked.status_code, revoked.headers["location"]) == (303, "/admin/tokens")
    assert root.client.get("/api/v1/leads", headers={"Authorization": f"Bearer {secret}"}).status_code == 401
    assert "revoked" in words(root.client.get("/admin/tokens"))


def test_a_capture_form_is_added_and_its_snippet_posts_to_its_capture_address(web: Web) -> None:
    mia = web.person("mia", "marketing", "/admin/forms")
    assert "No form yet." in words(mia.client.get("/admin/forms"))
    fields = {"name": "contact us", "origins": "https://www.acme.com\n", "field_map": "work_email=email\n"}
    added = mia.post("/admin/forms", {**fields, "campaign": "Spring", "source": "website"})
    assert added.status_code == 201
    with UnitOfWork(web.engine) as uow:
        form = uow.session.scalars(select(CaptureForm)).one()
        key, origins = form.key, form.origins
    assert origins == "https://www.acme.com"
    snippet = html.unescape(re.search(r'<pre id="snippet-\d+"[^>]*>(.*?)</pre>', added.text, re.S)[1])  # type: ignore[index]
    assert f'action="http://localhost/capture/{key}"' in snippet
    assert '<input name="work_email" type="email" required>' in snippet
    assert "Form 'contact us' is added" in words(added)

    bad = mia.post("/admin/forms", {"name": "other", "origins": "www.acme.com", "campaign": "Brand new"})
    assert bad.status_code == 422
    assert "origin: 'www.acme.com' is not an origin like https://www.example.com" in words(bad)
    unmapped = mia.post("/admin/forms", {"name": "other", "field_map": "email"})
    assert "'email' is not HEADER=FIELD" in words(unmapped)
    with UnitOfWork(web.engine) as uow:
        assert len(uow.session.scalars(select(CaptureForm)).all()) == 1
    campaigns = words(mia.client.get("/campaigns"))
    assert "Spring" in campaigns
    assert "Brand new" not in campaigns  # refused before a campaign was made


def test_the_team_page_refuses_a_team_typo_and_a_capacity_below_1_and_starts_a_team_only_when_new(web: Web) -> None:
    sam = web.person("sam", "manager", "/team", side="sales")
    typo = sam.post("/team/reps", {"name": "carol", "team": "amercas", "capacity": "1"})
    assert typo.status_code == 422
    assert "there is no team 'amercas'; the teams are americas. To start a team, add it as a new team" in words(typo)
    zero = sam.post("/team/capacity", {"name": "bob", "capacity": "0"})
    assert zero.status_code == 422
    assert "bob's capacity must be 1 or more, not 0" in words(zero)
    both = sam.post("/team/reps", {"name": "carol", "team": "americas", "new_team": "emea"})
    assert "choose a team there is or name a new one, not both" in words(both)
    added = sam.post("/team/reps", {"name": "carol", "new_team": "emea", "capacity": "2"})
    assert added.status_code == 303
    joined = sam.post("/team/reps", {"name": "dev", "team": "emea"})
    assert joined.status_code == 303
    page = words(sam.client.get("/team"))
    assert "emea Manager: none named · 2 of 2 reps available" in page
    with UnitOfWork(web.engine) as uow:  # a capacity of 0 kept from before it was refused: shown as what it does
        uow.session.scalars(select(User).where(User.name == "dev")).one().capacity = 0
    page = words(sam.client.get("/team"))
    assert "emea Manager: none named · 1 of 2 reps available" in page
    assert "dev takes no new leads" in page


def test_a_manager_removes_a_rep_whose_open_leads_go_to_the_other_rep(web: Web) -> None:
    hand_off(web.engine, web.clock, web.inforce, "ann@acme.example")
    holder = owner_name(web.engine, "ann@acme.example") or ""
    other = "bob" if holder == "alice" else "alice"
    sam = web.person("sam", "manager", "/team", side="sales")
    before = sam.client.get("/team").text
    assert f'data-confirm="Remove {holder} from the team? Their 1 open lead go' in html.unescape(before)
    removed = sam.post("/team/remove", {"name": holder})
    assert removed.status_code == 200
    assert f"ann@acme.example: now {other}'s" in words(removed)
    assert f'data-rep="{holder}"' not in removed.text  # off the team page, kept with their history
    assert stored(web.engine, holder).disabled_at is not None
    not_a_rep = sam.post("/team/remove", {"name": "sam"})
    assert not_a_rep.status_code == 422
    assert "sam is a manager, not a rep" in words(not_a_rep)
    assert stored(web.engine, "sam").disabled_at is None
