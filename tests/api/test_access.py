"""Who gets in: API tokens (created, listed, revoked by an admin), the answers to everyone else, the error shape
everywhere, and the published API description."""

from __future__ import annotations

from sqlalchemy import select

from leadpact.services import reports
from leadpact.store.tables import ApiToken, User
from leadpact.store.unit_of_work import UnitOfWork
from tests.api.conftest import V1, Api, refused

PATHS = {
    "/api/v1/leads": {"get", "post"},
    "/api/v1/screening/queue": {"get"},
    **{f"/api/v1/screening/{{ref}}/{action}": {"post"} for action in ("calls", "answers", "decision")},
    "/api/v1/leads/{ref}": {"get"},
    **{
        f"/api/v1/leads/{{ref}}/{action}": {"post"}
        for action in ("accept", "reject", "contact", "qualify", "disqualify", "convert", "stage", "won", "lost")
    },
    "/api/v1/events": {"post"},
    "/api/v1/events/batch": {"post"},
    "/api/v1/queue": {"get"},
    "/api/v1/campaigns": {"get", "post"},
    "/api/v1/campaigns/{name}/costs": {"post"},
    **{f"/api/v1/reports/{name}": {"get"} for name in reports.CATALOG},
    "/api/v1/agreement": {"get"},
    "/api/v1/agreement/versions": {"get"},
    "/api/v1/agreement/versions/{version}": {"get"},
    "/api/v1/agreement/diff": {"get"},
    "/api/v1/agreement/candidates": {"get", "post"},
    "/api/v1/agreement/candidates/{candidate_id}": {"get"},
    "/api/v1/agreement/candidates/{candidate_id}/backtest": {"get"},
    "/api/v1/agreement/candidates/{candidate_id}/sign": {"post"},
    "/api/v1/forms": {"get", "post"},
    "/api/v1/tokens": {"get", "post"},
    "/api/v1/tokens/{token_id}": {"delete"},
    "/api/v1/webhooks": {"get", "post"},
    "/api/v1/webhooks/{webhook_id}": {"delete"},
    "/api/v1/audit": {"get"},  # and nothing else: the trail is read, never edited
    "/api/v1/leads/{ref}/export": {"get"},
    "/api/v1/leads/{ref}/erase": {"post"},
    "/capture/{form_key}": {"post", "options"},
    "/api/v1/accounts": {"get"},
    "/api/v1/accounts/{domain}": {"get"},
    "/api/v1/accounts/{domain}/owner": {"put"},
    "/api/v1/dedupe/pairs": {"get"},
    "/api/v1/dedupe/merge": {"post"},
    "/api/v1/dedupe/merge-accounts": {"post"},
    "/api/v1/reps/{name}/capacity": {"put"},
    "/api/v1/nurture": {"get", "post"},
    "/api/v1/nurture/stats": {"get"},
    "/api/v1/nurture/{name}": {"get"},
    "/api/v1/nurture/{name}/enroll": {"post"},
}


def test_a_request_without_a_valid_token_is_not_authenticated(api: Api) -> None:
    no_token = api.client.get(f"{V1}/leads")
    refused(no_token, 401, "not_authenticated", "Authorization: Bearer")
    assert no_token.headers["www-authenticate"] == "Bearer"
    wrong = api.client.get(f"{V1}/leads", headers={"Authorization": "Bearer lpt_not-a-token"})
    refused(wrong, 401, "not_authenticated", "not known")
    refused(api.client.post(f"{V1}/events", json={}), 401, "not_authenticated")
    basic = api.client.get(f"{V1}/agreement", headers={"Authorization": "Basic cm9vdDpwdw=="})
    refused(basic, 401, "not_authenticated")


def test_an_admin_creates_a_token_that_works_at_once_and_lists_it_without_its_secret(api: Api) -> None:
    created = api.post("/tokens", "root", {"name": "website forms", "role": "marketing"})
    assert created.status_code == 201, created.text
    token = created.json()
    assert (token["name"], token["role"], token["user"], token["revoked_at"]) == (
        "website forms",
        "marketing",
        None,
        None,
    )
    assert token["secret"].startswith("lpt_")
    headers = {"Authorization": f"Bearer {token['secret']}"}
    assert api.client.post(f"{V1}/leads", headers=headers, json={"email": "ann@acme.example"}).status_code == 201
    listed = {t["name"]: t for t in api.get("/tokens", "root").json()}
    assert listed["website forms"] == {k: v for k, v in token.items() if k != "secret"}
    assert all("secret" not in t for t in listed.values())
    for_rep = api.post("/tokens", "root", {"name": "alice's phone", "user": "alice"}).json()
    assert (for_rep["role"], for_rep["user"]) == ("rep", "alice")


def test_a_token_is_refused_a_bad_role_or_a_rep_without_a_name(api: Api) -> None:
    refused(api.post("/tokens", "root", {"name": "x", "role": "king"}), 422, "invalid_input", "role", "king")
    refused(api.post("/tokens", "root", {"name": "x", "role": "rep"}), 422, "invalid_input", "user: a rep's token")
    refused(api.post("/tokens", "root", {"name": "x"}), 422, "invalid_input", "role: say what the token may do")
    refused(api.post("/tokens", "root", {"name": "x", "user": "zed"}), 404, "not_found", "zed")
    refused(api.post("/tokens", "root", {"role": "marketing"}), 422, "invalid_input", "name")
    with UnitOfWork(api.engine) as uow:
        assert uow.session.scalars(select(ApiToken.name).where(ApiToken.name == "x")).all() == []


def test_a_revoked_token_is_not_authenticated_afterwards(api: Api) -> None:
    with UnitOfWork(api.engine) as uow:
        mia = uow.session.scalars(
            select(ApiToken.id).join(User, User.id == ApiToken.user_id).where(User.name == "mia")
        ).one()
    assert api.get("/agreement", "mia").status_code == 200
    revoked = api.client.delete(f"{V1}/tokens/{mia}", headers=api.auth("root"))
    assert revoked.status_code == 200, revoked.text
    assert revoked.json()["revoked_at"] == "2026-03-02T15:00:00Z"
    refused(api.get("/agreement", "mia"), 401, "not_authenticated", "revoked")
    refused(api.client.delete(f"{V1}/tokens/9999", headers=api.auth("root")), 404, "not_found", "9999")


def test_only_an_admin_manages_tokens(api: Api) -> None:
    refused(api.get("/tokens", "sam"), 403, "not_permitted", "sam", "manage access")
    refused(api.post("/tokens", "mia", {"name": "mine", "role": "admin"}), 403, "not_permitted", "mia")
    refused(api.client.delete(f"{V1}/tokens/1", headers=api.auth("alice")), 403, "not_permitted", "alice")
    assert len(api.get("/tokens", "root").json()) == 7


def test_every_api_error_has_a_code_and_a_detail(api: Api) -> None:
    nowhere = refused(api.client.get(f"{V1}/nowhere", headers=api.auth("mia")), 404, "not_found")
    assert set(nowhere) == {"code", "detail"}
    refused(api.client.get("/capture/x"), 405, "method_not_allowed")
    wrong_method = api.client.delete(f"{V1}/leads", headers=api.auth("mia"))
    assert set(refused(wrong_method, 405, "method_not_allowed")) == {"code", "detail"}
    broken = api.client.post(
        f"{V1}/leads", headers={**api.auth("mia"), "Content-Type": "application/json"}, content=b"{"
    )
    assert set(refused(broken, 422, "invalid_input")) == {"code", "detail", "problems"}
    refused(api.get("/leads/42", "mia"), 404, "not_found", "42")


def test_the_api_description_lists_every_path_with_a_summary_and_a_tag(api: Api) -> None:
    answer = api.client.get("/openapi.json")
    assert answer.status_code == 200
    paths = answer.json()["paths"]
    for path, methods in PATHS.items():
        assert path in paths, path
        assert methods <= set(paths[path]), (path, set(paths[path]))
        for method in methods:
            operation = paths[path][method]
            assert operation["summary"], (path, method)
            assert operation["description"], (path, method)
            assert operation["tags"], (path, method)
    assert "HTTPValidationError" not in answer.json()["components"]["schemas"]  # a 422 is documented as it is sent
    tags = {tag for ops in paths.values() for op in ops.values() for tag in op["tags"]}
    assert tags == {
        "leads",
        "events",
        "sales",
        "campaigns",
        "reports",
        "agreement",
        "forms",
        "tokens",
        "webhooks",
        "audit",
        "personal data",
        "accounts",
        "team",
        "dedupe",
        "screening",
        "nurture",
    }
    assert set(paths["/api/v1/audit"]) == {"get"}
    docs = api.client.get("/docs")
    assert docs.status_code == 200
    assert "swagger" in docs.text.lower()
