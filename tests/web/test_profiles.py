"""The profiles page over HTTP on both engines: the profiles learned with their quality and traits, lists uploaded
and compared in a table and a bar chart, refusals next to the form, uploads limited in size, and who may come.

Learning takes a few seconds and is the service's to test (tests/services/test_profiles.py): the module learns
the customer table once, and each test that needs the profile is given the row it was stored as."""

from __future__ import annotations

import html
import json
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, insert, select

from leadpact.app import create_app
from leadpact.config import Settings
from leadpact.http.middleware import limit_for
from leadpact.learning.traits import TIMES
from leadpact.services import profiles
from leadpact.services.clock import FixedClock
from leadpact.store.database import connect
from leadpact.store.tables import Profile
from leadpact.store.unit_of_work import UnitOfWork
from tests.conftest import adopt_example
from tests.factories import add_team
from tests.learning.test_profile import customers
from tests.web.conftest import START
from tests.web.test_lead_page import Person, Web


@pytest.fixture
def web(engine: Engine, clock: FixedClock) -> Iterator[Web]:
    inforce = adopt_example(engine, clock)
    add_team(engine, clock, "americas", {"alice": 1})
    app = create_app(Settings(database_url=engine.url.render_as_string(hide_password=False)), clock)
    yield Web(app, engine, clock, inforce)
    app.state.engine.dispose()


@pytest.fixture(scope="module")
def learned(tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path) -> dict[str, Any]:
    """The profile 'default' version 1 learned from a CRM export (crm.csv) at the tests' moment, as its row of
    ``profiles`` holds it."""
    path = tmp_path_factory.mktemp("learned") / "learned.db"
    shutil.copy(sqlite_template, path)
    engine = connect(f"sqlite:///{path}")
    with UnitOfWork(engine) as uow:
        table = customers(500).to_csv(index=False).encode()
        profiles.learn_file(uow, FixedClock(START), table, "crm.csv", "bought", id_column="customer_no")
    with engine.connect() as connection:
        row = dict(connection.execute(select(Profile.__table__)).mappings().one())
    engine.dispose()
    del row["id"]
    return row


def learn(web: Web, learned: dict[str, Any]) -> None:
    """The module's profile, stored in this test's database as learning it stored it."""
    with UnitOfWork(web.engine) as uow:
        uow.session.execute(insert(Profile).values(**learned))


def text(response: object) -> str:
    body = getattr(response, "text", "")
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", body)).split())


def upload(person: Person, lists: dict[str, bytes], costs: str = "") -> Any:
    files = [("lists", (name, content, "text/csv")) for name, content in lists.items()]
    form = {"csrf": person.csrf, "name": "default", "costs": costs}
    return person.client.post("/profiles/compare", data=form, files=files, follow_redirects=False)


def test_marketing_sees_the_profiles_quality_and_traits(web: Web, learned: dict[str, Any]) -> None:
    mia = web.person("mia", "marketing", "/profiles")
    assert "No profile yet." in text(mia.client.get("/profiles"))
    learn(web, learned)
    page = text(mia.client.get("/profiles"))
    assert re.search(r"default version 1 from crm\.csv, .* by leadpact 49\d \d+ \(\d+\.\d%\) 0\.\d{3}", page)
    assert "AUC: the chance a buyer ranks above a non-buyer" in page
    assert re.search(rf"More likely to buy industry = logistics: \d\.\d{TIMES} as likely to buy; \d+ % of buyers", page)
    assert "Left out: bought (the outcome); customer_no (named with --id); email (identifier" in page


def test_lists_uploaded_are_compared_in_a_table_and_a_chart_and_nothing_is_kept(
    web: Web, learned: dict[str, Any]
) -> None:
    learn(web, learned)
    mia = web.person("mia", "marketing", "/profiles")
    show = customers(60, seed=3).drop(columns=["bought"]).to_csv(index=False).encode()
    weak = customers(50, seed=4).drop(columns=["bought", "visits"])
    weak["industry"] = "education"
    answer = upload(mia, {"weak.csv": weak.to_csv(index=False).encode(), "show.csv": show}, "weak.csv=2,000")
    assert answer.status_code == 200
    page = text(answer)
    assert re.search(rf"Which list matches best .* show\.csv 60 [\d.]+ [\d.]+ [\d.]+{TIMES} — — weak\.csv", page)
    assert "weak.csv lacks visits: counted as missing 50" in page
    assert re.search(
        rf"weak\.csv lacks visits: counted as missing 50 [\d.]+ [\d.]+ [\d.]+{TIMES} \$2,000 \$[\d,]+", page
    )
    chart = re.search(r'aria-label="Expected buyers per 1,000 names[^"]*" data-chart="([^"]+)"', answer.text)
    assert chart is not None
    config = json.loads(html.unescape(chart[1]))
    assert config["data"]["labels"] == ["show.csv", "weak.csv"]
    assert [d["label"] for d in config["data"]["datasets"]] == [
        "expected buyers per 1,000 names",
        "at the profile's base rate",
    ]
    with UnitOfWork(web.engine) as uow:
        assert [p.version for p in profiles.newest(uow)] == [1]


def test_a_refusal_comes_back_next_to_the_form_and_a_body_too_large_is_refused(
    web: Web, learned: dict[str, Any]
) -> None:
    learn(web, learned)
    mia = web.person("mia", "marketing", "/profiles")
    show = customers(20, seed=5).to_csv(index=False).encode()
    none = mia.post("/profiles/compare", {"name": "default", "costs": ""})
    assert (none.status_code, "choose one or more CSV files to compare" in text(none)) == (422, True)
    costly = upload(mia, {"show.csv": show}, "other.csv=5")
    assert costly.status_code == 422
    assert "'other.csv' is none of the lists compared (show.csv)" in text(costly)
    assert "other.csv=5" in costly.text  # what was typed is kept
    broken = upload(mia, {"bad.csv": b"a,b\n1,2,3\n"})
    assert "bad.csv: line 2: 3 values where the first line names 2 columns" in text(broken)
    limit = limit_for("/profiles/compare")
    too_large = upload(mia, {"huge.csv": b"a\n" + b"1\n" * (limit // 2 + 1)})
    assert too_large.status_code == 413
    assert f"The request's body is over the {limit // 2**20} MiB this address takes." in text(too_large)


def test_only_those_who_may_learn_see_the_profiles(web: Web) -> None:
    alice = web.person("alice", "rep", "/queue")
    assert alice.client.get("/profiles").status_code == 403
    dana = web.person("dana", "manager", "/profiles", side="marketing")
    assert dana.client.get("/profiles").status_code == 200
