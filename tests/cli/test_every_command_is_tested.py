"""Every command of the CLI has a test that runs it through Typer's runner: a new command needs one to pass.

``TESTED`` names, for each command, the test module that runs it and checks what it prints and stores. The
command tree is walked from the app itself, so a command added without a line here fails the first test.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path

import typer
from typer.core import TyperGroup

from leadpact.cli import app

ROOT = Path(__file__).parents[2]
CLI = "tests/cli"
ACCESS, ADMIN = "tests/test_cli_access.py", "tests/test_cli_admin.py"
REPORTS = "tests/reports/test_report_cli.py"

TESTED: Mapping[str, str] = {
    "init": f"{CLI}/test_schema.py",
    "health": f"{CLI}/test_health.py",
    **{f"profile {n}": f"{CLI}/test_profile.py" for n in ("learn", "show", "score", "compare", "suggest")},
    **{f"model {n}": f"{CLI}/test_model.py" for n in ("train", "show")},
    **{f"workshop {n}": f"{CLI}/test_workshop.py" for n in ("start", "label", "report")},
    "rescore": f"{CLI}/test_scoring.py",
    **dict.fromkeys(
        ("queue", "accept", "reject", "contact", "qualify", "convert", "stage", "won", "lost", "disqualify"),
        f"{CLI}/test_sales.py",
    ),
    "import": f"{CLI}/test_imports.py",
    "audit": ADMIN,
    "serve": ACCESS,
    "demo": "tests/test_demo.py",
    **{
        f"agreement {name}": f"{CLI}/test_agreement.py"
        for name in ("check", "adopt", "list", "show", "diff", "backtest")
    },
    **{f"nurture {n}": f"{CLI}/test_nurture.py" for n in ("adopt", "list", "show", "enroll", "stats")},
    "lead show": f"{CLI}/test_leads.py",
    "lead list": f"{CLI}/test_leads.py",
    "lead export": ADMIN,
    "lead erase": ADMIN,
    **{f"rep {name}": f"{CLI}/test_team.py" for name in ("add", "away", "back", "manager", "list", "remove")},
    "sla check": f"{CLI}/test_team.py",
    **{f"account {n}": f"{CLI}/test_accounts.py" for n in ("show", "list", "owner")},
    "rep capacity": f"{CLI}/test_accounts.py",
    **{f"dedupe {n}": f"{CLI}/test_dedupe.py" for n in ("merge", "merge-accounts")},
    **{
        f"report {name}": REPORTS
        for name in ("funnel", "costs", "sourced", "sla", "reasons", "attribution", "forecast", "grades")
    },
    **{f"report {name}": REPORTS for name in ("feedback", "value", "screening")},
    "feedback": f"{CLI}/test_feedback.py",
    **{
        f"screening {n}": f"{CLI}/test_screening.py"
        for n in ("queue", "call", "answer", "pass", "not-yet", "disqualify")
    },
    "user add": ACCESS,
    **{
        f"user {name}": f"{CLI}/test_people.py"
        for name in ("password", "list", "disable", "enable", "role", "reset-password")
    },
    "token create": ACCESS,
    "token list": ACCESS,
    "token revoke": ACCESS,
    "form add": ACCESS,
    "form list": ACCESS,
    "form snippet": ADMIN,
    "webhook add": ADMIN,
    "webhook list": ADMIN,
    "webhook remove": ADMIN,
    **{f"clock {n}": f"{CLI}/test_clock.py" for n in ("show", "set", "clear")},
    "export parquet": f"{CLI}/test_export.py",
}
"""Each command, as typed after 'leadpact', and the test module that runs it."""


def commands(command: object, prefix: tuple[str, ...] = ()) -> Iterator[str]:
    """Every command under ``command`` (not the groups), as typed after the program's name."""
    if not isinstance(command, TyperGroup):
        yield " ".join(prefix)
        return
    for name, sub in command.commands.items():
        yield from commands(sub, (*prefix, name))


def untested(cli: typer.Typer, tested: Mapping[str, str]) -> list[str]:
    return [path for path in commands(typer.main.get_command(cli)) if path not in tested]


def test_every_command_has_a_test_and_every_test_named_is_of_a_command() -> None:
    assert untested(app, TESTED) == [], "add a test for each, and its module to TESTED"
    assert sorted(set(TESTED) - set(commands(typer.main.get_command(app)))) == []


def test_each_module_named_runs_its_command_by_name() -> None:
    for path, module in TESTED.items():
        text = (ROOT / module).read_text()
        assert all(f'"{word}"' in text for word in path.split()), f"{module} does not run '{path}'"


def test_a_command_added_without_a_test_is_caught() -> None:
    cli = typer.Typer()
    cli.command("init")(lambda: None)
    group = typer.Typer()
    group.command("show")(lambda: None)
    group.command("purge")(lambda: None)
    cli.add_typer(group, name="lead")
    assert untested(cli, {"init": "", "lead show": ""}) == ["lead purge"]
