"""The admin's commands: webhooks, the audit trail, a person's data, and the snippet of a capture form."""

from __future__ import annotations

import getpass
import json
import socket

from sqlalchemy import Engine
from typer.testing import CliRunner

from leadpact.cli import app
from leadpact.services.clock import FixedClock
from tests.conftest import adopt_example
from tests.factories import capture
from tests.test_cli_access import refused, run


def _url(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=False)


def test_webhooks_are_added_with_a_secret_shown_once_listed_and_removed(sqlite_engine: Engine) -> None:
    url = _url(sqlite_engine)
    made = json.loads(run(url, "webhook", "add", "https://crm.acme.example/hook", "--topic", "lead.*", "--json"))
    assert (made["id"], made["topics"]) == (1, ["lead.*"])
    assert made["secret"].startswith("whsec_")
    printed = run(url, "webhook", "add", "https://chat.acme.example/hook")
    assert "Webhook 2 receives every topic at https://chat.acme.example/hook." in printed
    listed = json.loads(run(url, "webhook", "list", "--json"))
    assert [(w["id"], w["url"], w["failing"]) for w in listed] == [
        (1, "https://crm.acme.example/hook", 0),
        (2, "https://chat.acme.example/hook", 0),
    ]
    assert made["secret"] not in run(url, "webhook", "list")
    assert "Webhook 1 (https://crm.acme.example/hook) is removed." in run(url, "webhook", "remove", "1")
    assert "no webhook 1" in refused(url, "webhook", "remove", "1")
    assert "topic: 'lead.eaten' is not a topic" in refused(
        url, "webhook", "add", "https://x.example", "--topic", "lead.eaten"
    )


def test_the_audit_trail_shows_what_the_commands_changed_and_who_ran_them(sqlite_engine: Engine) -> None:
    url = _url(sqlite_engine)
    run(url, "rep", "add", "ann", "--team", "americas", "--new-team")
    run(url, "rep", "away", "ann")
    entries = json.loads(run(url, "audit", "--json"))
    assert [(e["action"], e["subject"], e["actor"], e["via"], e["address"]) for e in entries] == [
        ("team.away", "person ann", getpass.getuser(), "cli", socket.gethostname()),
        ("person.add", "person ann", getpass.getuser(), "cli", socket.gethostname()),
    ]
    table = run(url, "audit", "--since", "2000-01-01")
    assert "marked a rep away" in table
    assert "Nothing recorded since 2999-01-01." in run(url, "audit", "--since", "2999-01-01")
    assert "--since: 'soon' is not an ISO 8601 time" in refused(url, "audit", "--since", "soon")


def test_a_persons_data_is_exported_and_erased_from_the_command_line(sqlite_engine: Engine, clock: FixedClock) -> None:
    url = _url(sqlite_engine)
    inforce = adopt_example(sqlite_engine, clock)
    capture(sqlite_engine, clock, inforce, "ann@acme.example", first_name="Ann", title="VP Sales")
    exported = json.loads(run(url, "lead", "export", "ann@acme.example", "--json"))
    assert (exported["lead"]["first_name"], exported["lead"]["title"]) == ("Ann", "VP Sales")
    summary = run(url, "lead", "export", "ann@acme.example")
    assert "ann@acme.example (lead 1): Ann" in summary
    assert "stage history: 1" in summary
    assert "--reason" in CliRunner().invoke(app, ["--db", url, "lead", "erase", "ann@acme.example"]).output
    erased = run(url, "lead", "erase", "ann@acme.example", "--reason", "asked by email")
    assert "Erased ann@acme.example: lead 1 is now erased-1@acme.example" in erased
    assert "kept as what the agreement scores on: title" in erased
    assert "was erased on" in refused(url, "lead", "export", "ann@acme.example")


def test_a_forms_snippet_posts_to_its_key_with_a_consent_box_and_a_trap(sqlite_engine: Engine) -> None:
    url = _url(sqlite_engine)
    run(url, "form", "add", "contact us", "--map", "work_email=email")
    html = run(url, "form", "snippet", "contact us", "--base-url", "https://leads.acme.example/")
    assert '<form method="post" action="https://leads.acme.example/capture/' in html
    assert '<input name="work_email" type="email" required>' in html
    assert 'name="consent" value="yes"' in html
    assert '<input name="website_url" tabindex="-1" autocomplete="off">' in html
    assert "no form is named 'nope'" in refused(url, "form", "snippet", "nope")
