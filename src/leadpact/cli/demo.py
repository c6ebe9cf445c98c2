"""``leadpact demo``: a year of a realistic B2B world run through the whole loop, and its reports."""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import Progress

from leadpact.cli.common import as_at, err, out, state, unit_of_work, with_agreement
from leadpact.cli.reports import print_report
from leadpact.demo import nurture, people
from leadpact.demo import store as demo_store
from leadpact.demo.simulation import run_demo
from leadpact.demo.summary import DemoYear, story
from leadpact.domain.errors import Conflict, InvalidInput
from leadpact.services import store_clock
from leadpact.services.clock import FixedClock, SystemClock
from leadpact.services.store_clock import Setting
from leadpact.store.database import DEFAULT_URL, connect, empty, migrate

commands = typer.Typer()


@commands.command()
def demo(
    leads: Annotated[int, typer.Option(help="How many leads the world has.")] = 2000,
    seed: Annotated[int, typer.Option(help="The world's seed: the same seed gives the same world and reports.")] = 7,
    replace: Annotated[
        bool,
        typer.Option(
            "--replace", help="Empty the database first (every lead, agreement, rep and campaign) and its mailbox."
        ),
    ] = False,
) -> None:
    """Build a year of a realistic B2B world into the database, run it through the whole loop, print its reports.

    Accounts, people, campaigns with their costs, a year of engagement, qualifiers who screen the webinar and
    trade-show inquiries, and reps who accept, reject, call late or never, convert, win and lose, all under the
    example agreement with a screening section; nurture emails, delivered into a Maildir beside the database
    (never to a mail server), opened, clicked, unsubscribed from. Then the reports as of the year's end:
    the funnel and costs by source, the SLA by team, reject and lost reasons, and whether the grades predict
    conversion; and commands to explore further: 'lead show EMAIL', 'queue REP', more reports, and
    'agreement backtest FILE' to try a change to the agreement on the year's history.

    The store's clock is set to the world's last moment: every command and 'leadpact serve' work on the world as
    if its year were ending now, until 'leadpact clock clear'.
    """
    if leads < 1:
        raise InvalidInput("--leads: a world needs at least 1 lead")
    engine = connect(state.settings.database_url)
    where = engine.url.render_as_string(hide_password=True)
    try:
        mailbox = demo_store.mailbox_beside(engine)
        held = [f"{where} already holds {found}"] if (found := demo_store.holdings(engine)) else []
        if kept := demo_store.emails_in(mailbox):
            held.append(f"{mailbox} already holds {kept:,} email{'' if kept == 1 else 's'}")
        if held and not replace:
            raise Conflict(f"{'; '.join(held)}; run 'leadpact demo --replace' to empty it, or use --db")
        if replace:
            empty(engine)
            demo_store.empty_mailbox(mailbox)
        migrate(engine)
        started = time.perf_counter()
        with Progress(transient=True, console=err) as bar:
            task = bar.add_task("simulating a year", total=None)
            year = run_demo(
                engine,
                leads,
                seed,
                lambda done, total: bar.update(task, completed=done, total=total),
                nurture.delivering_to(mailbox, state.settings),
            )
        seconds = time.perf_counter() - started
    finally:
        engine.dispose()
    with err.status("computing the reports"):
        told = with_agreement(lambda uow, inforce: story(uow, inforce, year))
    with unit_of_work() as uow:
        logins = people.add_logins(uow, FixedClock(year.ended_at))
        clock = store_clock.set_to(uow, SystemClock(), store_clock.start_of(uow, store_clock.LATEST))
    _print_year(year, where, seconds, mailbox)
    out.print(f"\nThe reports, as of the year's end ({as_at(year.ended_at)}):")
    for report in told:
        out.print()
        # a report's further sections are left to 'leadpact report', which the hints name: one screen or two here
        print_report(dataclasses.replace(report, sections=()), heading=False)
    _print_hints(year)
    _print_logins(logins, clock)


def _print_logins(logins: list[people.Login], clock: Setting) -> None:
    command = _command()
    out.print(
        f"\nThe store's clock now reads {as_at(clock.starts_at)}, the world's last activity, and runs on from there: "
        f"every command and the served app work on the world as if its year were ending now ('{command} clock "
        "clear' returns them to real time)."
    )
    out.print(
        f"Serve it: '{command} serve' runs the web app, the API and the worker; open http://127.0.0.1:8000 and sign "
        f"in with the password '{people.PASSWORD}' as any of:"
    )
    for login in logins:
        what = login.role + (f", {login.side} side: signs the agreement" if login.side else "")
        what += f", team {login.team}" if login.team else ""
        out.print(f"  {login.name:<14} {what}")


def _print_year(year: DemoYear, where: str, seconds: float, mailbox: Path) -> None:
    out.print(
        f"A year of leads, {year.first_day} to {year.last_day}, run through the example agreement (with screening) "
        f"into {where} in {seconds:.0f} s (seed {year.seed})."
    )
    out.print(
        f"{year.leads:,} leads at {year.accounts:,} accounts from {year.campaigns} campaigns; {year.events_sent:,} "
        f"events delivered, {year.events_recorded:,} recorded (retried deliveries stored once), "
        f"{year.late_events:,} of them a day or more late."
    )
    out.print(f"{year.owned_accounts} named accounts have an owner, who gets their leads while able to take them.")
    nurtured = year.nurtured
    out.print(
        f"Nurture: {nurtured.enrolled:,} enrolments in the sequences marketing adopted on the first day; "
        f"{nurtured.sent:,} emails sent to the demo's mailbox {mailbox} (a Maildir), {nurtured.opened:,} opened, "
        f"{nurtured.clicked:,} clicked, {nurtured.unsubscribed:,} unsubscribed from; {nurtured.qualified:,} leads "
        "qualified after an email.",
        soft_wrap=True,
    )


def _command() -> str:
    """How to call leadpact on this database again."""
    url = state.settings.database_url
    return "leadpact" if url == DEFAULT_URL else f"leadpact --db {url}"


def _print_hints(year: DemoYear) -> None:
    command = _command()
    at = f"--at {as_at(year.ended_at)}"
    looks = [(f"{command} lead list --stage sal", "accepted leads, highest score first")]
    if year.example_rep:
        looks.append((f"{command} queue {year.example_rep}", "a rep's open leads, hottest first, with their SLA"))
    if year.example_lead:
        looks.append((f"{command} lead show {year.example_lead}", "why it scores what it does, its SLA and history"))
    if year.example_customer:
        looks.append((f"{command} lead show {year.example_customer}", "the biggest deal won"))
    if year.example_account:
        looks.append((f"{command} account show {year.example_account} {at}", "a named account: people, engagement"))
    looks += [
        (f"{command} health {at}", "the agreement's health bounds at the year's end: held or broken"),
        (f"{command} profile learn", "who buys: the traits that set the year's customers apart"),
        (f"{command} workshop start q4 --sample 20 {at}", "leads for both sides to grade blind, then compare"),
        (f"{command} nurture stats", "the two nurture sequences: who is in them, what their emails did"),
        (f"{command} screening queue {at}", "the qualifiers' queue: inquiries waiting for a call, hottest first"),
    ]
    _print_commands("Look around:", looks)
    _print_commands(
        "More reports, as of the year's end like those above (without --at they look from now):",
        [
            (f"{command} report funnel --by campaign {at}", "which campaigns brought revenue"),
            (f"{command} report sla --by rep {at}", "who keeps the SLA, who lets leads wait"),
            (f"{command} report screening --by source {at}", "which sources' inquiries the qualifiers pass"),
            (f"{command} report reasons {at}", "as above, then which recycled leads converted later"),
            (f"{command} report grades {at}", "as above, then by priority band, score decile, threshold"),
            (f"{command} report attribution {at}", "revenue credited to the campaigns deals touched"),
            (f"{command} report forecast {at}", "the open pipeline by expected close month"),
        ],
    )
    out.print(
        f"\nTry a change before adopting it: save the agreement in force in a file ('{command} agreement show "
        f"--raw' prints it), raise its qualification score (qualified: score_at_least) from {year.threshold:g} to "
        f"{year.threshold + 15:g}, and replay the year under both versions; the backtest lists every lead that "
        "would change, and changes nothing:"
    )
    out.print(f"  {command} agreement backtest FILE {at}", soft_wrap=True)


def _print_commands(title: str, commands: list[tuple[str, str]]) -> None:
    """Commands in a column, each with why to run it; a long line is left whole, so it copies as one command."""
    width = max(len(command) for command, _ in commands)
    out.print(f"\n{title}")
    for command, why in commands:
        out.print(f"  {command.ljust(width)}   # {why}", soft_wrap=True)
