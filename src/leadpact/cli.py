"""The ``leadpact`` command line: every use case, one command each; ``--help`` on any of them teaches it."""

from __future__ import annotations

import dataclasses
import getpass
import json
import os
import socket
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich import box
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from leadpact.analytics import attribution, calibration, costs, forecast, funnel, reasons, sla, sourced
from leadpact.analytics.history import Context
from leadpact.analytics.report import Kind, Report, clean
from leadpact.config import DATABASE_ENV, WEBHOOK_SECRET_ENV, WEBHOOKS_ENV, Settings
from leadpact.demo import people
from leadpact.demo import store as demo_store
from leadpact.demo.simulation import run_demo
from leadpact.demo.summary import DemoYear, story
from leadpact.domain.agreement_diff import (
    describe_condition,
    describe_event,
    describe_fit_rule,
    describe_hours,
    describe_reason,
    diff_agreements,
)
from leadpact.domain.agreement_file import parse_agreement
from leadpact.domain.audit import ACTIONS, Actor
from leadpact.domain.errors import Conflict, InvalidInput, LeadpactError
from leadpact.services import (
    activity,
    agreements,
    audit,
    auth,
    browse,
    explain,
    forms,
    handoff,
    imports,
    intake,
    opportunities,
    outbox,
    privacy,
    reports,
    rescore,
    sales,
    signoff,
    team,
    webhooks,
)
from leadpact.services.agreements import InForce
from leadpact.services.clock import Clock, FixedClock, RunningClock, SystemClock, parse_moment
from leadpact.store.database import DEFAULT_URL, connect, current_revision, empty, migrate
from leadpact.store.unit_of_work import UnitOfWork

T = TypeVar("T")

app = typer.Typer(
    help="leadpact: the lead agreement between marketing and sales, enforced on every lead.\n\n"
    "Start with 'leadpact demo' to see a whole world run through it, or 'leadpact init' and "
    "'leadpact agreement adopt FILE' to set up your own.",
    no_args_is_help=True,
    rich_markup_mode=None,
)
agreement_app = typer.Typer(help="Check, adopt, list, show and compare lead agreement versions.", no_args_is_help=True)
lead_app = typer.Typer(help="Look at leads.", no_args_is_help=True)
rep_app = typer.Typer(help="Sales reps and their teams.", no_args_is_help=True)
sla_app = typer.Typer(help="The hand-off SLA.", no_args_is_help=True)
user_app = typer.Typer(help="People who sign in to the web app, and their passwords.", no_args_is_help=True)
token_app = typer.Typer(help="API tokens for programs: create, list, revoke.", no_args_is_help=True)
form_app = typer.Typer(help="Web forms on your own site that post leads to POST /capture/{key}.", no_args_is_help=True)
webhook_app = typer.Typer(
    help="Webhooks: URLs that receive the outbox's messages (lead.assigned, sla.breached, ...), signed.",
    no_args_is_help=True,
)
report_app = typer.Typer(
    help="Close the loop: funnel, costs and ROI, SLA, reasons, grades, sourcing, attribution, forecast.\n\n"
    "Every report reads the recorded history as of --at (now by default), can be limited to a range of dates "
    "with --from and --to (in the agreement's time zone), and prints a table, --json or --csv.",
    no_args_is_help=True,
)
app.add_typer(agreement_app, name="agreement")
app.add_typer(lead_app, name="lead")
app.add_typer(rep_app, name="rep")
app.add_typer(sla_app, name="sla")
app.add_typer(report_app, name="report")
app.add_typer(user_app, name="user")
app.add_typer(token_app, name="token")
app.add_typer(form_app, name="form")
app.add_typer(webhook_app, name="webhook")

# Piped output is not squeezed to 80 columns: tables stay readable in files and CI logs.
out = Console(markup=False, highlight=False, width=None if sys.stdout.isatty() else 160)
wide = out if sys.stdout.isatty() else Console(markup=False, highlight=False, width=1000)
"""Report tables piped to a file keep every column whole."""
err = Console(stderr=True, markup=False, highlight=False, soft_wrap=True)

At = Annotated[
    str | None,
    typer.Option("--at", help="Act as of this moment (ISO 8601, e.g. 2026-11-23T15:00:00Z) instead of now."),
]
Json = Annotated[bool, typer.Option("--json", help="Print JSON for scripts instead of a table.")]
Rep = Annotated[str | None, typer.Option("--rep", help="The rep acting; defaults to the lead's owner.")]
LeadRef = Annotated[str, typer.Argument(help="The lead's email address or id.")]
EngineOption = Annotated[
    str,
    typer.Option(
        "--engine",
        help="Where the computation runs: 'app' (the database itself) or 'duckdb' (a copy read from the database, "
        "faster on large histories).",
    ),
]


@dataclasses.dataclass
class State:
    settings: Settings = dataclasses.field(default_factory=Settings)


state = State()


@app.callback()
def root(
    db: Annotated[
        str | None,
        typer.Option(
            "--db",
            help=f"Database URL (default: ${DATABASE_ENV}, else sqlite:///leadpact.db).",
            show_default=False,
        ),
    ] = None,
) -> None:
    state.settings = Settings.resolve(db)


def clock_for(at: str | None) -> Clock:
    return FixedClock(parse_moment(at, "--at")) if at else SystemClock()


@contextmanager
def unit_of_work() -> Iterator[UnitOfWork]:
    """A transaction on the configured database, which must be initialized."""
    engine = connect(state.settings.database_url)
    try:
        if current_revision(engine) is None:
            raise InvalidInput(
                f"the database {engine.url.render_as_string(hide_password=True)} is not set up; "
                "run 'leadpact init' first"
            )
        with UnitOfWork(engine, command_line()) as uow:
            yield uow
    finally:
        engine.dispose()


def command_line() -> Actor:
    """Who the command line's changes are recorded as made by: the account running it, on its host."""
    try:
        user = getpass.getuser()
    except (OSError, KeyError):  # no login name in the environment, no entry in the password database
        user = f"uid {os.getuid()}"
    return Actor(user, "cli", socket.gethostname())


def with_agreement(work: Callable[[UnitOfWork, InForce], T]) -> T:
    with unit_of_work() as uow:
        return work(uow, agreements.in_force(uow))


def to_json(value: Any) -> str:
    def default(obj: Any) -> Any:
        if isinstance(obj, datetime | date):
            return obj.isoformat()
        if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
            return dataclasses.asdict(obj)
        raise TypeError(f"cannot show {type(obj).__name__} as JSON")

    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        value = dataclasses.asdict(value)
    return json.dumps(value, default=default, indent=2)


def when(moment: datetime | None) -> str:
    return f"{moment:%Y-%m-%d %H:%M}" if moment else "-"


@app.command()
def init() -> None:
    """Create or upgrade the database schema; safe to run again."""
    engine = connect(state.settings.database_url)
    try:
        before, after = migrate(engine)
    finally:
        engine.dispose()
    where = engine.url.render_as_string(hide_password=True)
    if before == after:
        out.print(f"{where} is up to date (schema {after}).")
    else:
        out.print(f"{where} migrated from {before or 'empty'} to schema {after}.")


# --- agreements -------------------------------------------------------------------------------------------


@agreement_app.command("check")
def agreement_check(file: Annotated[Path, typer.Argument(help="The agreement YAML file.")]) -> None:
    """Validate an agreement file; every problem is listed with its line and key."""
    agreement = parse_agreement(_read(file), str(file))
    out.print(
        f"{file}: valid. {len(agreement.fit_rules)} fit rules, {len(agreement.events)} event types, "
        f"qualifies at score {agreement.qualified.score_at_least:g} for grades {', '.join(agreement.qualified.grades)}."
    )


def _read(file: Path) -> str:
    try:
        return file.read_text(encoding="utf-8")
    except OSError as exc:
        raise InvalidInput(f"{file}: cannot read it ({exc.strerror})") from exc


@agreement_app.command("adopt")
def agreement_adopt(
    file: Annotated[Path, typer.Argument(help="The agreement YAML file.")],
    marketing: Annotated[str, typer.Option(help="Who signs for marketing.")],
    sales_: Annotated[str, typer.Option("--sales", help="Who signs for sales.")],
    at: At = None,
) -> None:
    """Adopt a signed agreement: it becomes the next version, in force from now.

    Once managers are recorded, --marketing and --sales must name a manager of that side.
    """
    with unit_of_work() as uow:
        unchecked = signoff.check_signers(uow, marketing, sales_)
        row = agreements.adopt(uow, clock_for(at), _read(file), str(file), marketing, sales_)
        out.print(
            f"Adopted {file} as version {row.version}, signed by {row.marketing_signoff} and {row.sales_signoff}."
        )
    if unchecked:
        err.print(f"note: {unchecked}")


@agreement_app.command("list")
def agreement_list(as_json: Json = False) -> None:
    """Every adopted version, newest last."""
    with unit_of_work() as uow:
        rows = agreements.versions(uow)
        if as_json:
            out.print_json(
                to_json(
                    [
                        {
                            "version": r.version,
                            "name": r.name,
                            "sha256": r.sha256,
                            "marketing": r.marketing_signoff,
                            "sales": r.sales_signoff,
                            "adopted_at": r.adopted_at,
                        }
                        for r in rows
                    ]
                )
            )
            return
        table = Table("version", "name", "adopted (UTC)", "marketing", "sales", "sha256")
        for r in rows:
            table.add_row(
                str(r.version),
                r.name,
                when(r.adopted_at),
                r.marketing_signoff,
                r.sales_signoff,
                r.sha256[:12],
            )
        out.print(table if rows else "No agreement adopted yet.")


@agreement_app.command("show")
def agreement_show(
    version: Annotated[int | None, typer.Argument(help="Version number; default: the one in force.")] = None,
    raw: Annotated[bool, typer.Option("--raw", help="Print the file exactly as adopted.")] = False,
) -> None:
    """Show an agreement version in plain words (or the file with --raw)."""
    with unit_of_work() as uow:
        row, a = agreements.load_version(uow, version)
    if raw:
        sys.stdout.write(row.text)
        return
    out.print(f"{a.name} - version {row.version}, adopted {when(row.adopted_at)} UTC")
    out.print(f"Signed by {row.marketing_signoff} (marketing) and {row.sales_signoff} (sales)")
    out.print(f"Calendar: {a.timezone}; working {describe_hours(a)}; {len(a.holidays)} holidays")
    out.print("\nFit")
    for rule in a.fit_rules:
        out.print(f"  {rule.id}: {describe_fit_rule(rule)}")
    out.print(
        "  grades: "
        + ", ".join(
            f"{g.grade} from {g.fit_at_least:g}" if g.fit_at_least is not None else f"{g.grade} below" for g in a.grades
        )
    )
    decay = f"halving every {a.half_life_days:g} days" if a.half_life_days else "no decay"
    out.print(f"\nEngagement ({decay})")
    for name, event in a.events.items():
        out.print(f"  {name}: {describe_event(event)}")
    q = a.qualified
    out.print(
        f"\nQualified when score reaches {q.score_at_least:g} with grade {'/'.join(q.grades)}; "
        f"an immediate event hands off grade {'/'.join(q.immediate_grades)}"
    )
    out.print(
        "Priority: "
        + ", ".join(
            f"{b.band} from {b.score_at_least:g}" if b.score_at_least is not None else f"{b.band} below"
            for b in a.priority
        )
    )
    h = a.handoff
    out.print(
        f"\nHand-off: accept within {h.accept_within} and first contact within "
        f"{h.first_contact_within} (working time); on breach: {h.on_breach}"
    )
    for route in h.routing:
        out.print(
            f"  route to {route.team}" + (f" when {describe_condition(route.when)}" if route.when else " otherwise")
        )
    out.print("\nReject reasons: " + "; ".join(f"{n} ({describe_reason(r)})" for n, r in a.reject_reasons.items()))
    out.print(
        "Sales stages: "
        + ", ".join(
            f"{s.name} {s.probability:.0%} (lost: {', '.join(a.lost_reasons.get(s.name, ()))})" for s in a.sales_stages
        )
    )


@agreement_app.command("diff")
def agreement_diff(
    a: Annotated[int, typer.Argument(help="The older version.")],
    b: Annotated[int, typer.Argument(help="The newer version.")],
) -> None:
    """What changed from version A to version B, in plain words."""
    with unit_of_work() as uow:
        _, old = agreements.load_version(uow, a)
        _, new = agreements.load_version(uow, b)
    lines = diff_agreements(old, new)
    out.print(f"From version {a} to version {b}:" if lines else f"Versions {a} and {b} agree on everything.")
    for line in lines:
        out.print(f"  - {line}")


# --- leads ------------------------------------------------------------------------------------------------


@lead_app.command("show")
def lead_show(lead: LeadRef, at: At = None, as_json: Json = False) -> None:
    """Explain a lead: fit rules matched, every counted event with its decay, score, grade, stage, SLA."""
    now = clock_for(at).now()

    def work(uow: UnitOfWork, inforce: InForce) -> explain.Explanation:
        return explain.explain(uow, inforce, intake.find_lead(uow, lead), now)

    x = with_agreement(work)
    if as_json:
        out.print_json(to_json(x))
        return
    out.print(f"{x.name or x.email} <{x.email}> (lead {x.id})  {x.title or ''} {x.company or ''}")
    out.print(
        f"Score {x.score:.1f} = fit {x.fit:g} + engagement {x.engagement:.1f}   grade {x.grade}   "
        f"priority {x.priority}   stage {x.stage}   owner {x.owner or '-'}   as of {when(x.at)} UTC, "
        f"agreement v{x.version}"
    )
    table = Table("fit rule", "points", "because", title="Fit", title_justify="left")
    for f in x.fit_rules:
        table.add_row(f.rule, f"{f.points:+g}", f.rule_text)
    out.print(table if x.fit_rules else "Fit: no rule matched.")
    table = Table("occurred (UTC)", "event", "id", "points", "decay", "now", title="Engagement", title_justify="left")
    for e in x.events:
        table.add_row(when(e.occurred_at), e.type, e.event_id, f"{e.points:+g}", f"x{e.factor:.3f}", f"{e.value:+.2f}")
    out.print(table if x.events else "Engagement: no counted event.")
    if x.sla:
        out.print(
            f"SLA: with {x.sla.owner} since {when(x.sla.assigned_at)}; accept by {when(x.sla.accept_due)}, "
            f"first contact by {when(x.sla.contact_due)}: {x.sla.state}"
        )
    table = Table("at (UTC)", "from", "to", "by", "reason", title="Stage history", title_justify="left")
    for h in x.history:
        table.add_row(when(h.at), h.from_stage or "-", h.to_stage, h.by, h.reason or "")
    out.print(table)


@lead_app.command("list")
def lead_list(
    stage_: Annotated[str | None, typer.Option("--stage", help="Only this stage (inquiry, mql, sal, ...).")] = None,
    grade: Annotated[str | None, typer.Option(help="Only this grade.")] = None,
    source: Annotated[str | None, typer.Option(help="Only this source.")] = None,
    owner: Annotated[str | None, typer.Option(help="Only leads owned by this rep.")] = None,
    search: Annotated[str | None, typer.Option(help="Text in the email, the name or the company name.")] = None,
    limit: Annotated[int, typer.Option(help="At most this many leads.")] = 50,
    at: At = None,
    as_json: Json = False,
) -> None:
    """Leads, highest score first, filtered by stage, grade, source, owner or text."""
    now = clock_for(at).now()
    where = browse.LeadFilter(stage_, grade, source, owner, search)
    rows = with_agreement(lambda uow, inforce: browse.list_leads(uow, inforce, now, where, limit))
    if as_json:
        out.print_json(to_json(rows))
        return
    table = Table("id", "email", "company", "title", "source", "stage", "grade", "priority", "score", "owner")
    for r in rows:
        table.add_row(
            str(r.id),
            r.email,
            r.company or "-",
            r.title or "-",
            r.source or "-",
            r.stage,
            r.grade,
            r.priority,
            f"{r.score:.1f}",
            r.owner or "-",
        )
    out.print(table if rows else "No lead matches.")


@lead_app.command("export")
def lead_export(
    email: Annotated[str, typer.Argument(help="The person's email address.")], as_json: Json = False
) -> None:
    """Everything held about a person: fields, consents, events, score ledger, history, deals, messages, audit.

    For a request to see one's data (GDPR article 15). The export is kept in the audit trail.
    """
    with unit_of_work() as uow:
        data = privacy.export(uow, SystemClock(), email)
    if as_json:
        out.print_json(to_json(data))
        return
    lead = data["lead"]
    out.print(f"{lead['email']} (lead {lead['id']}): {lead['first_name'] or ''} {lead['last_name'] or ''}".rstrip())
    for key in ("title", "company", "country", "source", "campaign", "stage", "owner"):
        out.print(f"  {key}: {lead[key] if lead[key] is not None else '-'}")
    for name, value in data["custom_fields"].items():
        out.print(f"  {name}: {value}")
    consent = data["consents"][-1] if data["consents"] else None
    out.print(
        "  marketing email: "
        + (f"{'yes' if consent['granted'] else 'no'} ({consent['source']}, {when(consent['at'])})" if consent else "-")
    )
    for key in ("events", "score_ledger", "stage_history", "assignments", "opportunities", "messages", "audit"):
        out.print(f"  {key.replace('_', ' ')}: {len(data[key])}")
    out.print("--json gives every row.")


@lead_app.command("erase")
def lead_erase(
    email: Annotated[str, typer.Argument(help="The person's email address.")],
    reason: Annotated[str, typer.Option(help="Why, e.g. 'erasure request of 2026-12-01' (kept with the erasure).")],
    vacuum: Annotated[
        bool, typer.Option("--vacuum/--no-vacuum", help="Compact the database afterwards, so no copy is left.")
    ] = True,
) -> None:
    """Erase a person's personal data everywhere it is held; the lead stays as an anonymous row (GDPR article 17).

    The name, the email's address part, custom fields, consents and event ids go; what the agreement scores on
    and the reports count stays, so every report's totals are unchanged. The erasure is recorded (the email only
    as its SHA-256) and kept in the audit trail; docs/privacy.md says exactly what is kept.
    """
    with unit_of_work() as uow:
        erased = privacy.erase(uow, SystemClock(), email, reason)
    if vacuum:
        engine = connect(state.settings.database_url)
        try:
            with err.status("compacting the database"):
                privacy.compact(engine)
        finally:
            engine.dispose()
    kept = f"; kept as what the agreement scores on: {', '.join(erased.kept)}" if erased.kept else ""
    out.print(
        f"Erased {email}: lead {erased.lead_id} is now {erased.placeholder}; {erased.events} event ids and "
        f"{erased.messages} messages rewritten{kept}."
    )
    if not vacuum:
        out.print("The database was not compacted: old values stay in its free pages until it is (VACUUM).")


# --- reps and the SLA -------------------------------------------------------------------------------------


@rep_app.command("add")
def rep_add(
    name: Annotated[str, typer.Argument(help="The rep's name, as they will be named in every command.")],
    team_: Annotated[str, typer.Option("--team", help="The team (created if new); routing names teams.")],
    capacity: Annotated[int, typer.Option(help="Relative share of new leads (2 gets twice as many as 1).")] = 1,
    email: Annotated[str | None, typer.Option(help="Where notifications go.")] = None,
) -> None:
    """Add a sales rep to a team."""
    with unit_of_work() as uow:
        team.add_user(uow, SystemClock(), name, "rep", team_, capacity, email)
    out.print(f"{name} joined team {team_} with capacity {capacity}.")


@rep_app.command("away")
def rep_away(name: Annotated[str, typer.Argument(help="The rep.")]) -> None:
    """Mark a rep unavailable: they get no new leads until 'rep back'."""
    with unit_of_work() as uow:
        team.set_available(uow, SystemClock(), name, False)
    out.print(f"{name} is away and gets no new leads.")


@rep_app.command("back")
def rep_back(name: Annotated[str, typer.Argument(help="The rep.")]) -> None:
    """Mark a rep available again."""
    with unit_of_work() as uow:
        team.set_available(uow, SystemClock(), name, True)
    out.print(f"{name} is back and gets new leads again.")


@rep_app.command("manager")
def rep_manager(
    team_: Annotated[str, typer.Argument(help="The team.")],
    name: Annotated[str, typer.Argument(help="The manager (added as a user if new).")],
) -> None:
    """Name the manager of a team: escalated SLA breaches go to them."""
    with unit_of_work() as uow:
        if not any(u.name == name for u, _ in team.reps(uow)):
            team.add_user(uow, SystemClock(), name, "manager")
        team.set_manager(uow, SystemClock(), team_, name)
    out.print(f"{name} manages team {team_}.")


@rep_app.command("list")
def rep_list(as_json: Json = False) -> None:
    """Everyone, with team, capacity and availability."""
    with unit_of_work() as uow:
        people = [(u.name, u.role, t.name if t else None, u.capacity, u.available) for u, t in team.reps(uow)]
    if as_json:
        keys = ("name", "role", "team", "capacity", "available")
        out.print_json(to_json([dict(zip(keys, p, strict=True)) for p in people]))
        return
    table = Table("name", "role", "team", "capacity", "available")
    for name, role, team_name, capacity, available in people:
        table.add_row(name, role, team_name or "-", str(capacity), "yes" if available else "away")
    out.print(table)


@sla_app.command("check")
def sla_check(at: At = None) -> None:
    """Record SLA breaches due by now and reassign or escalate as the agreement says."""
    clock = clock_for(at)
    report = with_agreement(lambda uow, inforce: handoff.check_sla(uow, clock, inforce))
    for line in report.lines:
        out.print(line)
    out.print(
        f"{report.accept_breaches} accept and {report.contact_breaches} contact breaches; "
        f"{report.reassigned} reassigned, {report.escalated} escalated, {report.assigned} waiting leads assigned."
    )


@app.command("rescore")
def rescore_cmd(at: At = None, engine: EngineOption = "app", as_json: Json = False) -> None:
    """Recompute every lead from its raw events under the agreement in force, and amend what is out of line.

    Run it after adopting a new agreement version. The ledger gets adjustment rows (history is never
    rewritten), event verdicts and lead scores are set from the batch; stages are left as they were decided.
    A rescore that finds nothing out of line writes nothing.
    """
    if engine not in ("app", "duckdb"):
        raise InvalidInput(f"--engine: '{engine}' is not an engine; use 'app' or 'duckdb'")
    clock = clock_for(at)
    with err.status("rescoring every lead"):
        report = with_agreement(lambda uow, inforce: rescore.rescore(uow, clock, inforce, engine))
    if as_json:
        out.print(to_json(report))
        return
    out.print(
        f"Rescored {report.leads} leads under agreement version {report.version} on {report.engine} "
        f"in {report.seconds:.1f} s: {report.leads_changed} leads changed, {report.ledger_rows} ledger "
        f"adjustments, {report.verdicts_changed} event verdicts flipped."
    )


@app.command("queue")
def queue_cmd(rep: Annotated[str, typer.Argument(help="The rep.")], at: At = None, as_json: Json = False) -> None:
    """A rep's leads: hottest first, then the SLA that runs out first."""
    now = clock_for(at).now()
    items = with_agreement(lambda uow, inforce: explain.queue(uow, inforce, team.user_named(uow, rep), now))
    if as_json:
        out.print_json(to_json(items))
        return
    table = Table("lead", "email", "stage", "priority", "score", "grade", "source", "why", "SLA")
    for i in items:
        table.add_row(
            str(i.lead_id),
            i.email,
            i.stage,
            i.priority,
            f"{i.score:.1f}",
            i.grade,
            i.source or "-",
            "; ".join(i.top_reasons),
            i.sla,
        )
    out.print(table if items else f"{rep} has no open leads.")


# --- rep actions ------------------------------------------------------------------------------------------


def act(at: str | None, work: Callable[[UnitOfWork, Clock, InForce, Any], T], lead: str) -> T:
    clock = clock_for(at)
    return with_agreement(lambda uow, inforce: work(uow, clock, inforce, intake.lead_for_change(uow, lead)))


@app.command()
def accept(lead: LeadRef, rep: Rep = None, at: At = None) -> None:
    """Accept a lead handed to you (it becomes a sales-accepted lead)."""
    act(at, lambda uow, clock, inforce, found: sales.accept(uow, clock, inforce, found, rep), lead)
    out.print(f"{lead} accepted.")


@app.command()
def reject(
    lead: LeadRef,
    reason: Annotated[str, typer.Option(help="A reject reason of the agreement (see 'agreement show').")],
    rep: Rep = None,
    at: At = None,
) -> None:
    """Send a lead back to marketing with a reason: recycled to nurture, or disqualified."""
    act(at, lambda uow, clock, inforce, found: sales.reject(uow, clock, inforce, found, reason, rep), lead)
    out.print(f"{lead} rejected: {reason}.")


@app.command()
def contact(lead: LeadRef, rep: Rep = None, at: At = None) -> None:
    """Log a contact with the lead (the first one stops the first-contact SLA clock)."""
    first = act(at, lambda uow, clock, inforce, found: sales.contact(uow, clock, found, rep), lead)
    out.print(f"Contact with {lead} logged" + (" (first contact)." if first else "."))


@app.command()
def qualify(
    lead: LeadRef,
    budget: Annotated[str | None, typer.Option(help="Answer to the budget question.")] = None,
    authority: Annotated[str | None, typer.Option(help="Answer to the authority question.")] = None,
    timing: Annotated[str | None, typer.Option(help="Answer to the timing question.")] = None,
    answer: Annotated[list[str] | None, typer.Option(help="Any other question: KEY=VALUE (repeatable).")] = None,
    rep: Rep = None,
    at: At = None,
) -> None:
    """Record the qualification answers: the accepted lead becomes a sales-qualified lead."""
    answers = {k: v for k, v in (("budget", budget), ("authority", authority), ("timing", timing)) if v}
    for item in answer or []:
        key, sep, value = item.partition("=")
        if not sep:
            raise InvalidInput(f"--answer: '{item}' is not KEY=VALUE")
        answers[key.strip()] = value.strip()
    act(at, lambda uow, clock, inforce, found: sales.confirm(uow, clock, inforce, found, answers, rep), lead)
    out.print(f"{lead} is sales-qualified.")


@app.command()
def convert(
    lead: LeadRef,
    amount: Annotated[float, typer.Option(help="Expected deal amount.")],
    close_date: Annotated[str, typer.Option(help="Expected close date, YYYY-MM-DD.")],
    rep: Rep = None,
    at: At = None,
) -> None:
    """Convert a sales-qualified lead to an opportunity in the first sales stage."""
    try:
        close = date.fromisoformat(close_date)
    except ValueError as exc:
        raise InvalidInput(f"--close-date: '{close_date}' is not a date like 2027-03-31") from exc
    opp = act(
        at,
        lambda uow, clock, inforce, found: opportunities.convert(uow, clock, inforce, found, amount, close, rep),
        lead,
    )
    out.print(f"{lead} is now opportunity {opp.id} in stage {opp.stage}.")


@app.command()
def stage(
    lead: LeadRef,
    to: Annotated[str, typer.Argument(help="The next sales stage, or an earlier one.")],
    rep: Rep = None,
    at: At = None,
) -> None:
    """Move the lead's opportunity to another sales stage."""
    act(
        at,
        lambda uow, clock, inforce, found: opportunities.move_stage(uow, clock, inforce, found, to, rep),
        lead,
    )
    out.print(f"{lead}: opportunity moved to {to}.")


@app.command()
def won(lead: LeadRef, rep: Rep = None, at: At = None) -> None:
    """Close the lead's opportunity as won: the lead becomes a customer."""
    act(at, lambda uow, clock, inforce, found: opportunities.win(uow, clock, inforce, found, rep), lead)
    out.print(f"{lead}: won.")


@app.command()
def lost(
    lead: LeadRef,
    reason: Annotated[str, typer.Option(help="A lost reason of the opportunity's current stage.")],
    rep: Rep = None,
    at: At = None,
) -> None:
    """Close the lead's opportunity as lost, with a reason; the lead goes back to nurturing."""
    act(
        at,
        lambda uow, clock, inforce, found: opportunities.lose(uow, clock, inforce, found, reason, rep),
        lead,
    )
    out.print(f"{lead}: lost ({reason}).")


@app.command()
def disqualify(
    lead: LeadRef,
    reason: Annotated[str, typer.Option(help="A reject reason of the agreement that disqualifies.")],
    by: Annotated[str | None, typer.Option(help="The marketing user taking it out.")] = None,
    at: At = None,
) -> None:
    """Marketing takes an inquiry out for good (spam, bad data, a competitor)."""
    act(at, lambda uow, clock, inforce, found: sales.disqualify(uow, clock, inforce, found, reason, by), lead)
    out.print(f"{lead} disqualified: {reason}.")


# --- import -----------------------------------------------------------------------------------------------


@app.command("import")
def import_cmd(
    kind: Annotated[str, typer.Argument(help="What the file holds: leads, events, campaigns or costs.")],
    file: Annotated[Path, typer.Argument(help="The CSV file; the first line names the columns.")],
    map_: Annotated[
        list[str] | None,
        typer.Option(
            "--map",
            help='Map a header to a field, e.g. --map "Job Title=title", or leave a column out: --map "Notes=-" '
            "(repeatable).",
        ),
    ] = None,
    at: At = None,
) -> None:
    """Import a CSV file. Every bad row is reported and then nothing is stored; re-importing adds nothing twice.

    Lead columns: email, first_name, last_name, title, company, domain, industry, employees, country, source,
    campaign, created_at; other columns are kept as custom fields. Event columns: event_id, email, type,
    occurred_at, campaign. Campaign columns: name, channel, started_on, ended_on. Cost columns: campaign,
    date, amount. Common CRM export headers (Job Title, Company Name, Lead Source, ...) are recognized.
    """
    if kind not in imports.KINDS:
        raise InvalidInput(f"'{kind}' is not something to import; use one of: {', '.join(imports.KINDS)}")
    mapping = imports.parse_map(map_ or [], kind)
    clock = clock_for(at)
    total = _count_rows(file)
    with Progress(transient=True, console=err) as bar, unit_of_work() as uow:
        task = bar.add_task(f"importing {kind}", total=total)

        def advance(n: int) -> None:
            bar.advance(task, n)

        report = imports.run(uow, clock, kind, file, mapping, advance)
    out.print(
        f"{file}: {report.rows} rows; {report.created} new, {report.updated} updated, "
        f"{report.unchanged + report.duplicates} already there."
    )
    if kind == "events":
        out.print(f"{report.counted} events counted toward scores; {report.qualified} leads qualified.")
    if report.campaigns_created:
        out.print(f"New campaigns: {', '.join(report.campaigns_created)}")
    if report.custom_fields:
        out.print(f"Kept as custom fields: {', '.join(report.custom_fields)}")


def _count_rows(file: Path) -> int | None:
    try:
        with file.open("rb") as handle:
            return max(sum(1 for _ in handle) - 1, 0)
    except OSError:
        return None  # the import itself reports the file as unreadable


# --- reports ----------------------------------------------------------------------------------------------

From = Annotated[
    str | None, typer.Option("--from", help="First local date covered (YYYY-MM-DD, the agreement's time zone).")
]
To = Annotated[str | None, typer.Option("--to", help="Last local date covered, inclusive (YYYY-MM-DD).")]
Csv = Annotated[bool, typer.Option("--csv", help="Print CSV for spreadsheets instead of a table.")]


def parse_day(text: str | None, option: str) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text.strip())
    except ValueError as exc:
        raise InvalidInput(f"{option}: '{text}' is not a date like 2026-01-31") from exc


def show_report(
    compute: Callable[[Context], Report],
    first: str | None,
    last: str | None,
    at: str | None,
    engine: str,
    as_json: bool,
    as_csv: bool,
) -> None:
    """Compute a report over the configured database and print it as asked."""
    if as_json and as_csv:
        raise InvalidInput("--json and --csv: choose one")
    start, end, clock = parse_day(first, "--from"), parse_day(last, "--to"), clock_for(at)
    with err.status("computing the report"):
        report = with_agreement(lambda uow, inforce: reports.run(uow, clock, inforce, compute, start, end, engine))
    if as_json:
        out.print_json(json.dumps(report.as_dict()))
    elif as_csv:
        report.write_csv(sys.stdout)
    else:
        print_report(report)


def print_report(report: Report, heading: bool = True) -> None:
    scope = report.scope
    if heading:
        dates = ""
        if scope.get("from") or scope.get("to"):
            dates = f", {scope.get('from') or 'the beginning'} to {scope.get('to') or 'the end'}"
        out.print(f"{report.title}{dates}, as of {scope.get('at', '')} ({scope.get('timezone', '')})")
    for part in (report, *report.sections):
        title = part.title if part is not report or not heading else None
        table = Table(title=title, title_justify="left", box=box.SIMPLE_HEAD)
        for column in part.columns:
            table.add_column(column.title, justify="left" if column.kind == Kind.TEXT else "right")
        for row in part.rows:
            table.add_row(*(cell(column.kind, row.get(column.key)) for column in part.columns))
        wide.print(table)
    for note in report.notes:
        out.print(f"  {note}")


def cell(kind: Kind, value: Any) -> str:
    """A value as a reader expects it: money with a $ and thousands, shares as percentages, '-' for none."""
    value = clean(value)
    if value is None:
        return "-"
    if kind == Kind.TEXT:
        return str(value)
    if kind == Kind.COUNT:
        return f"{value:,}"
    if kind == Kind.MONEY:
        return f"${value:,.0f}"
    if kind == Kind.SHARE:
        return f"{100 * value:.1f} %"
    if kind in (Kind.DAYS, Kind.HOURS):
        return f"{value:,.1f}"
    return f"{value:,.2f}"


@agreement_app.command("backtest")
def agreement_backtest(
    file: Annotated[Path, typer.Argument(help="The candidate agreement YAML file.")],
    against: Annotated[
        int | None, typer.Option("--against", help="The version to compare with (default: the one in force).")
    ] = None,
    since: Annotated[
        str | None, typer.Option("--since", help="Count MQLs and won deals from this local date (YYYY-MM-DD).")
    ] = None,
    at: At = None,
    engine: EngineOption = "app",
    as_json: Json = False,
) -> None:
    """Replay the recorded history under a candidate agreement and compare it with a version, changing nothing.

    Side by side per month: MQLs, the share that became opportunities and won (as recorded), the won revenue
    each would have qualified (recall), the MQLs the candidate adds or drops, leads per rep per week, and
    every lead whose qualification changes. Use it before adopting a new version.
    """
    text, first, clock = _read(file), parse_day(since, "--since"), clock_for(at)
    with err.status("replaying the history under both agreements"):
        result = with_agreement(
            lambda uow, inforce: reports.backtest(uow, clock, inforce, text, str(file), against, first, engine)
        )
    if as_json:
        out.print_json(to_json(result.as_dict()))
        return
    print_report(result.months)
    print_report(result.load, heading=False)
    total = result.months.rows[-1]
    out.print(
        f"{len(result.changed):,} leads change: {total['added']:,} more MQLs under the candidate "
        f"({total['added_never_converted']:,} of them never had an opportunity), {total['dropped']:,} fewer."
    )
    for change in result.changed[:CHANGED_SHOWN]:
        rec = change["recorded"]
        fate = "won" if rec["won"] else "had an opportunity" if rec["opportunity"] else "no opportunity"
        out.print(
            f"  {change['email']} (lead {change['id']}): {_mql(change['current'])} -> "
            f"{_mql(change['candidate'])}; recorded: {fate}"
        )
    if len(result.changed) > CHANGED_SHOWN:
        out.print(f"  ... and {len(result.changed) - CHANGED_SHOWN:,} more: --json lists them all.")


CHANGED_SHOWN = 20


def _mql(outcome: dict[str, Any]) -> str:
    day = outcome["qualified_on"]
    if outcome["mql"]:
        return f"MQL on {day}"
    return "no MQL in the period" + (f" (MQL on {day})" if day else "")


@report_app.command("funnel")
def report_funnel(
    by: Annotated[str, typer.Option(help="Group by source, campaign, month (of capture) or grade.")] = "source",
    first: From = None,
    last: To = None,
    at: At = None,
    engine: EngineOption = "app",
    as_json: Json = False,
    as_csv: Csv = False,
) -> None:
    """Leads captured in the period and how far they got: MQL, SAL, SQL, opportunity, won, revenue.

    A lead counts at every stage it ever reached, even if it was recycled or lost later. Shows each step's
    conversion rate and the median days between first arrivals at each stage.
    """
    show_report(lambda ctx: funnel.funnel(ctx, by), first, last, at, engine, as_json, as_csv)


@report_app.command("costs")
def report_costs(
    by: Annotated[str, typer.Option(help="Group by source (the campaigns' channel) or campaign.")] = "source",
    first: From = None,
    last: To = None,
    at: At = None,
    engine: EngineOption = "app",
    as_json: Json = False,
    as_csv: Csv = False,
) -> None:
    """Cost, cost per lead, MQL, SQL, opportunity and won deal, and ROI by source or campaign.

    Cost is the campaign costs whose local day is in the range (and not after --at); leads are the cohort
    captured in the range. A campaign with no cost recorded is listed as such, never as zero.
    """
    show_report(lambda ctx: costs.costs(ctx, by), first, last, at, engine, as_json, as_csv)


@report_app.command("sourced")
def report_sourced(
    first: From = None,
    last: To = None,
    at: At = None,
    engine: EngineOption = "app",
    as_json: Json = False,
    as_csv: Csv = False,
) -> None:
    """Share of pipeline and revenue from marketing-sourced and sales-sourced leads.

    A lead is sales-sourced when its source is one of the agreement's sales_sources. Pipeline is the deals
    opened in the range; revenue is the deals won with their close in the range.
    """
    show_report(sourced.sourced, first, last, at, engine, as_json, as_csv)


@report_app.command("sla")
def report_sla(
    by: Annotated[str, typer.Option(help="Group by rep, team or source.")] = "rep",
    first: From = None,
    last: To = None,
    at: At = None,
    engine: EngineOption = "app",
    as_json: Json = False,
    as_csv: Csv = False,
) -> None:
    """How fast sales accepted and first contacted the leads handed to them.

    Per assignment started in the range: accepted and contacted within the SLA, never contacted, median and
    90th-percentile working hours to first contact, breaches and reassignments, as of --at.
    """
    show_report(lambda ctx: sla.sla(ctx, by), first, last, at, engine, as_json, as_csv)


@report_app.command("reasons")
def report_reasons(
    by: Annotated[str, typer.Option(help="Group by stage, source or rep.")] = "stage",
    first: From = None,
    last: To = None,
    at: At = None,
    engine: EngineOption = "app",
    as_json: Json = False,
    as_csv: Csv = False,
) -> None:
    """Why reps sent leads back and why deals were lost, with counts and shares.

    Reject and lost reasons in the range, each a share of its group's rejects or losses; a second table
    follows the recycled leads to the opportunities and wins they reached later.
    """
    show_report(lambda ctx: reasons.reasons(ctx, by), first, last, at, engine, as_json, as_csv)


@report_app.command("attribution")
def report_attribution(
    model: Annotated[
        str, typer.Option(help="How credit is shared: first, last, linear, u_shaped, w_shaped or time_decay.")
    ] = "u_shaped",
    first: From = None,
    last: To = None,
    at: At = None,
    engine: EngineOption = "app",
    as_json: Json = False,
    as_csv: Csv = False,
) -> None:
    """Pipeline and revenue credited to campaigns from the touches before each deal.

    Pipeline is the deals created in the range that are open or won; revenue is the deals won in the range.
    Deals with no campaign touch are shown as (no touch), so the totals match the deals' amounts. The notes
    state the model's rule; docs/reports.md has them all.
    """
    show_report(lambda ctx: attribution.attribution(ctx, model), first, last, at, engine, as_json, as_csv)


@report_app.command("forecast")
def report_forecast(
    first: From = None,
    last: To = None,
    at: At = None,
    engine: EngineOption = "app",
    as_json: Json = False,
    as_csv: Csv = False,
) -> None:
    """Open pipeline per expected close month, weighted by the agreement's stage probabilities and by history.

    --from and --to filter the expected close dates. The historical weight of a stage is the share of the
    closed deals that passed through it and were won; the stage table shows both weights per stage.
    """
    show_report(forecast.forecast, first, last, at, engine, as_json, as_csv)


@report_app.command("grades")
def report_grades(
    first: From = None,
    last: To = None,
    at: At = None,
    engine: EngineOption = "app",
    as_json: Json = False,
    as_csv: Csv = False,
) -> None:
    """Do the grades predict revenue? Conversion to opportunity and to won by grade, priority band, score decile.

    Each lead captured in the period is replayed under the agreement in force (grade before sales' answers,
    peak score); rates come with 95 % confidence intervals, and the report says whether A beats B beats C and
    whether the qualification threshold separates the leads that convert.
    """
    show_report(calibration.calibration, first, last, at, engine, as_json, as_csv)


# --- people who sign in, API tokens, capture forms, serving ---------------------------------------------


def _password(name: str, password_stdin: bool) -> str:
    if password_stdin:
        return sys.stdin.readline().rstrip("\n")
    password: str = typer.prompt(f"Password for {name}", hide_input=True, confirmation_prompt=True)
    return password


PasswordStdin = Annotated[
    bool, typer.Option("--password-stdin", help="Read the password from standard input instead of asking.")
]


@user_app.command("add")
def user_add(
    name: Annotated[str, typer.Argument(help="The person's name; they sign in with it.")],
    role: Annotated[str, typer.Option(help="admin, marketing or manager (add reps with 'leadpact rep add').")],
    side: Annotated[
        str | None, typer.Option(help="A manager's side of the agreement, marketing or sales: they sign for it.")
    ] = None,
    email: Annotated[str | None, typer.Option(help="Where notifications go.")] = None,
    password_stdin: PasswordStdin = False,
) -> None:
    """Add a person who signs in to the web app, and set their password."""
    if role == "rep":
        raise InvalidInput("--role: add reps with 'leadpact rep add NAME --team TEAM', then set a password")
    password = _password(name, password_stdin)
    with unit_of_work() as uow:
        team.add_user(uow, SystemClock(), name, role, email=email, side=side)
        auth.set_password(uow, SystemClock(), name, password)
    out.print(f"{name} ({role}{', ' + side if side else ''}) can sign in now.")


@user_app.command("password")
def user_password(
    name: Annotated[str, typer.Argument(help="The person (a rep too).")], password_stdin: PasswordStdin = False
) -> None:
    """Set or reset a person's password."""
    password = _password(name, password_stdin)
    with unit_of_work() as uow:
        auth.set_password(uow, SystemClock(), name, password)
    out.print(f"{name}'s password is set.")


@token_app.command("create")
def token_create(
    name: Annotated[str, typer.Argument(help="Who or what uses it, e.g. 'website forms' or 'crm sync'.")],
    role: Annotated[str | None, typer.Option(help="What it may do: admin, marketing or manager.")] = None,
    user: Annotated[
        str | None, typer.Option("--user", help="Act as this person, with their role (a rep's token needs it).")
    ] = None,
) -> None:
    """Create an API token and print it once; only its digest is kept."""
    if not role and not user:
        raise InvalidInput("say what the token may do: --role ROLE, or --user NAME to act as a person")
    with unit_of_work() as uow:
        secret, token = auth.create_token(uow, SystemClock(), name, role or "", user)
        made = (token.id, token.role)
    out.print(f"Token {made[0]} ({made[1]}). Send it as 'Authorization: Bearer TOKEN'; it is shown only now:")
    out.print(secret, soft_wrap=True)


@token_app.command("list")
def token_list(as_json: Json = False) -> None:
    """Every API token, with its role and whether it was revoked (the secrets are not kept)."""
    with unit_of_work() as uow:
        rows = [(t.id, t.name, t.role, user, t.created_at, t.revoked_at) for t, user in auth.tokens(uow)]
    keys = ("id", "name", "role", "user", "created_at", "revoked_at")
    if as_json:
        out.print_json(to_json([dict(zip(keys, row, strict=True)) for row in rows]))
        return
    table = Table(*keys)
    for id_, name, role, user, created, revoked in rows:
        table.add_row(str(id_), name, role, user or "-", when(created), when(revoked))
    out.print(table)


@token_app.command("revoke")
def token_revoke(token_id: Annotated[int, typer.Argument(help="The token's id ('leadpact token list').")]) -> None:
    """Revoke an API token: requests with it are refused from now on."""
    with unit_of_work() as uow:
        name = auth.revoke_token(uow, SystemClock(), token_id).name
    out.print(f"Token {token_id} ('{name}') is revoked.")


@form_app.command("add")
def form_add(
    name: Annotated[str, typer.Argument(help="The form, e.g. 'contact us'.")],
    source: Annotated[str, typer.Option(help="The source its leads get, e.g. website.")] = "website",
    origin: Annotated[
        list[str] | None,
        typer.Option("--origin", help="A site allowed to post it from a browser, e.g. https://www.acme.com (repeat)."),
    ] = None,
    map_: Annotated[
        list[str] | None,
        typer.Option("--map", help='A form field in the lead\'s terms, e.g. "work_email=email" (repeat).'),
    ] = None,
    campaign: Annotated[str | None, typer.Option(help="The campaign its leads and events belong to.")] = None,
    event_type: Annotated[str, typer.Option(help="The event each submission records.")] = forms.DEFAULT_EVENT,
) -> None:
    """Add a web form: its key goes into the form's action URL on your site."""
    mapping = dict(item.split("=", 1) for item in map_ or [] if "=" in item)
    if len(mapping) != len(map_ or []):
        raise InvalidInput("--map: each is FORM_FIELD=LEAD_FIELD, e.g. work_email=email")
    with unit_of_work() as uow:
        form = forms.add_form(uow, SystemClock(), name, source, origin or [], mapping, campaign, event_type)
        key = form.key
    out.print(f"Form '{name}' posts to /capture/{key} (form-encoded or JSON).")
    out.print(f'The HTML to paste on your site: leadpact form snippet "{name}"')
    if not origin:
        out.print("No --origin was given: browsers on other sites cannot post it; servers can.")


@form_app.command("list")
def form_list(as_json: Json = False) -> None:
    """Every capture form with its key, source, event and allowed origins."""
    with unit_of_work() as uow:
        rows = [(f.name, f.key, f.source, f.event_type, forms.allowed_origins(f)) for f in forms.forms(uow)]
    keys = ("name", "key", "source", "event_type", "origins")
    if as_json:
        out.print_json(to_json([dict(zip(keys, row, strict=True)) for row in rows]))
        return
    table = Table(*keys)
    for name, key, source, event_type, origins in rows:
        table.add_row(name, key, source, event_type, " ".join(origins) or "-")
    out.print(table)


@form_app.command("snippet")
def form_snippet(
    name: Annotated[str, typer.Argument(help="The form ('leadpact form list').")],
    base_url: Annotated[
        str, typer.Option(help="Where leadpact is served, as the site's visitors reach it.")
    ] = "http://127.0.0.1:8000",
) -> None:
    """The HTML of the form to paste on your site: its fields, a consent box, and a trap for programs.

    A field hidden from people is filled only by programs that fill every field: such a submission is
    answered as usual and not taken. Rename the inputs freely: the form's --map says what each one is.
    """
    with unit_of_work() as uow:
        form = forms.form_named(uow, name)
        html = forms.snippet(form, f"{base_url.rstrip('/')}/capture/{form.key}")
    sys.stdout.write(html + "\n")


@webhook_app.command(
    "add",
    help="Subscribe a URL to the outbox's messages; prints the secret that signs them, once.\n\n"
    "Each delivery is a JSON POST with 'Leadpact-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "
    "\"<t>.<body>\">' and a 'Leadpact-Delivery' id that stays the same on retries; docs/webhooks.md shows how to "
    f"verify it. Topics: {', '.join(outbox.TOPICS)}.",
)
def webhook_add(
    url: Annotated[str, typer.Argument(help="Where to POST the messages, e.g. https://crm.example.com/hooks/leads.")],
    topic: Annotated[
        list[str] | None,
        typer.Option("--topic", help="A topic to receive, e.g. lead.assigned, or lead.* (repeat; default: all)."),
    ] = None,
    as_json: Json = False,
) -> None:
    with unit_of_work() as uow:
        hook, secret = webhooks.add(uow, SystemClock(), url, topic or [])
        webhook_id, address, topics = hook.id, hook.url, hook.topics.split()
    if as_json:
        out.print_json(to_json({"id": webhook_id, "url": address, "topics": topics, "secret": secret}))
        return
    out.print(f"Webhook {webhook_id} receives {', '.join(topics) or 'every topic'} at {address}.")
    out.print("Its signing secret, shown only now (docs/webhooks.md shows how to verify a delivery with it):")
    out.print(secret, soft_wrap=True)


@webhook_app.command("list")
def webhook_list(as_json: Json = False) -> None:
    """Every webhook with its topics and how its deliveries go: delivered, waiting, failing and the last error."""
    with unit_of_work() as uow:
        rows = webhooks.subscriptions(uow)
    if as_json:
        out.print_json(to_json(rows))
        return
    table = Table("id", "url", "topics", "delivered", "waiting", "failing", "last error")
    for row in rows:
        error = (
            f"{row.last_error} ({row.attempts} attempts, the last {when(row.last_attempt_at)}; "
            f"next after {when(row.retry_at)})"
            if row.failing
            else "-"
        )
        table.add_row(
            str(row.id),
            row.url,
            ", ".join(row.topics) or "all",
            str(row.delivered),
            str(row.waiting),
            str(row.failing),
            error,
        )
    out.print(table if rows else "No webhook yet: 'leadpact webhook add URL'.")


@webhook_app.command("remove")
def webhook_remove(
    webhook_id: Annotated[int, typer.Argument(help="The webhook's id ('leadpact webhook list').")],
) -> None:
    """Remove a webhook: nothing more is sent to it, not even what was waiting."""
    with unit_of_work() as uow:
        url = webhooks.remove(uow, SystemClock(), webhook_id).url
    out.print(f"Webhook {webhook_id} ({url}) is removed.")


@app.command("audit")
def audit_cmd(
    since: Annotated[
        str | None, typer.Option(help="From this moment (ISO 8601) or day (YYYY-MM-DD, UTC) on.", show_default=False)
    ] = None,
    limit: Annotated[int, typer.Option(help="At most this many entries, newest first.")] = 100,
    as_json: Json = False,
) -> None:
    """The audit trail: every change made by a person or a token, who made it, when and from where."""
    start = parse_moment(since, "--since") if since else None
    with unit_of_work() as uow:
        rows = [
            (e.id, e.at, e.actor, e.via, e.address, e.action, e.subject, audit.detail_of(e))
            for e in audit.entries(uow, start, limit)
        ]
    keys = ("id", "at", "actor", "via", "address", "action", "subject", "detail")
    if as_json:
        out.print_json(to_json([dict(zip(keys, row, strict=True)) for row in rows]))
        return
    table = Table("at (UTC)", "who", "from", "did", "to", "detail")
    for _, at, actor, via, address, action, subject, detail in rows:
        words = ", ".join(f"{k} {v}" for k, v in detail.items() if v not in (None, "", [], {}))
        table.add_row(when(at), actor, f"{via} {address or ''}".strip(), ACTIONS.get(action, action), subject, words)
    out.print(table if rows else "Nothing recorded" + (f" since {since}." if since else " yet."))


def _clock_start(uow: UnitOfWork, text: str | None) -> Clock:
    if text is None:
        return SystemClock()
    if text != "latest":
        return RunningClock(parse_moment(text, "--clock-start"))
    latest = activity.latest(uow)
    if latest is None:
        raise InvalidInput("--clock-start latest: the database records no activity yet")
    return RunningClock(latest)


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="The address to listen on (0.0.0.0 for every interface).")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="The port.")] = 8000,
    clock_start: Annotated[
        str | None,
        typer.Option(
            "--clock-start",
            help="Run the clock from this moment (ISO 8601) instead of now, or from 'latest', the last activity "
            "the database records: a demo world is served as if its year were ending now.",
        ),
    ] = None,
    worker_seconds: Annotated[
        float, typer.Option(help="How often the worker checks the SLA and delivers the outbox (0: no worker).")
    ] = 5.0,
    forwarded_allow_ips: Annotated[
        str,
        typer.Option(
            help="The proxies in front whose X-Forwarded-For and X-Forwarded-Proto are believed (addresses, or '*'): "
            "sign-in throttling and capture limits then count each visitor's own address, and HTTPS is seen as "
            "such. Only the same host's by default."
        ),
    ] = "127.0.0.1",
) -> None:
    """Serve the web app, the JSON API (docs at /docs) and the background worker, in one process.

    The worker records SLA breaches and acts on them, and delivers the outbox: each message to the webhooks
    subscribed to its topic ('leadpact webhook add'), signed; to each URL in LEADPACT_WEBHOOKS (signed with
    LEADPACT_WEBHOOK_SECRET); and emails through LEADPACT_SMTP_URL (smtp://host:port) from LEADPACT_MAIL_FROM.
    """
    # the web stack takes most of a second to import: only this command pays for it
    import uvicorn

    from leadpact.api.app import create_app

    with unit_of_work() as uow:  # refuses a database that is not set up
        clock = _clock_start(uow, clock_start)
        subscribed = len(webhooks.subscriptions(uow))
    settings = state.settings
    application = create_app(settings, clock, worker_every=worker_seconds or None)
    where = connect(settings.database_url).url.render_as_string(hide_password=True)
    out.print(f"leadpact on {where}: http://{host}:{port}  (API docs: http://{host}:{port}/docs)")
    if clock_start:
        out.print(f"The clock runs from {_moment(clock.now())}.")
    if worker_seconds:
        channels = [*settings.webhooks, *([settings.smtp_url] if settings.smtp_url else [])]
        if subscribed:
            channels.append(f"{subscribed} webhook subscription{'s' if subscribed != 1 else ''}")
        out.print(
            f"Worker every {worker_seconds:g} s; delivering to: {', '.join(channels) or 'nowhere yet (outbox keeps)'}"
        )
        if settings.webhooks and not settings.webhook_secret:
            err.print(
                f"note: the {WEBHOOKS_ENV} deliveries are not signed: set {WEBHOOK_SECRET_ENV}, or subscribe the "
                "URLs with 'leadpact webhook add' (each gets its own secret)"
            )
    uvicorn.run(
        application,
        host=host,
        port=port,
        log_level="warning",
        proxy_headers=True,
        forwarded_allow_ips=forwarded_allow_ips,
    )


# --- the demo ---------------------------------------------------------------------------------------------


@app.command()
def demo(
    leads: Annotated[int, typer.Option(help="How many leads the world has.")] = 2000,
    seed: Annotated[int, typer.Option(help="The world's seed: the same seed gives the same world and reports.")] = 7,
    replace: Annotated[
        bool, typer.Option("--replace", help="Empty the database first: every lead, agreement, rep and campaign.")
    ] = False,
) -> None:
    """Build a year of a realistic B2B world into the database, run it through the whole loop, print its reports.

    Accounts, people, campaigns with their costs, a year of engagement, and reps who accept, reject, call late
    or never, convert, win and lose, all under the example agreement. Then the reports as of the year's end:
    the funnel and costs by source, the SLA by team, reject and lost reasons, and whether the grades predict
    conversion; and commands to explore further: 'lead show EMAIL', 'queue REP', more reports, and
    'agreement backtest FILE' to try a change to the agreement on the year's history.
    """
    if leads < 1:
        raise InvalidInput("--leads: a world needs at least 1 lead")
    engine = connect(state.settings.database_url)
    where = engine.url.render_as_string(hide_password=True)
    try:
        held = demo_store.holdings(engine)
        if held and not replace:
            raise Conflict(f"{where} already holds {held}; run 'leadpact demo --replace' to empty it, or use --db")
        if replace:
            empty(engine)
        migrate(engine)
        started = time.perf_counter()
        with Progress(transient=True, console=err) as bar:
            task = bar.add_task("simulating a year", total=None)
            year = run_demo(engine, leads, seed, lambda done, total: bar.update(task, completed=done, total=total))
        seconds = time.perf_counter() - started
    finally:
        engine.dispose()
    with err.status("computing the reports"):
        told = with_agreement(lambda uow, inforce: story(uow, inforce, year))
    with unit_of_work() as uow:
        logins = people.add_logins(uow, FixedClock(year.ended_at))
    _print_year(year, where, seconds)
    out.print(f"\nThe reports, as of the year's end ({_moment(year.ended_at)}):")
    for report in told:
        out.print()
        # a report's further sections are left to 'leadpact report', which the hints name: one screen or two here
        print_report(dataclasses.replace(report, sections=()), heading=False)
    _print_hints(year)
    _print_logins(logins)


def _print_logins(logins: list[people.Login]) -> None:
    command = _command()
    out.print(
        f"\nServe it: '{command} serve --clock-start latest' runs the web app, the API and the worker as if the "
        "year were ending now; open http://127.0.0.1:8000 and sign in with the password "
        f"'{people.PASSWORD}' as any of:"
    )
    for login in logins:
        what = login.role + (f", {login.side} side: signs the agreement" if login.side else "")
        what += f", team {login.team}" if login.team else ""
        out.print(f"  {login.name:<14} {what}")


def _moment(at: datetime) -> str:
    """A UTC moment as --at takes it."""
    return at.isoformat().replace("+00:00", "Z")


def _print_year(year: DemoYear, where: str, seconds: float) -> None:
    out.print(
        f"A year of leads, {year.first_day} to {year.last_day}, run through the example agreement into {where} "
        f"in {seconds:.0f} s (seed {year.seed})."
    )
    out.print(
        f"{year.leads:,} leads at {year.accounts:,} accounts from {year.campaigns} campaigns; {year.events_sent:,} "
        f"events delivered, {year.events_recorded:,} recorded (retried deliveries stored once), "
        f"{year.late_events:,} of them a day or more late."
    )


def _command() -> str:
    """How to call leadpact on this database again."""
    url = state.settings.database_url
    return "leadpact" if url == DEFAULT_URL else f"leadpact --db {url}"


def _print_hints(year: DemoYear) -> None:
    command = _command()
    at = f"--at {_moment(year.ended_at)}"
    looks = [(f"{command} lead list --stage sal", "accepted leads, highest score first")]
    if year.example_rep:
        looks.append((f"{command} queue {year.example_rep}", "a rep's open leads, hottest first, with their SLA"))
    if year.example_lead:
        looks.append((f"{command} lead show {year.example_lead}", "why it scores what it does, its SLA and history"))
    if year.example_customer:
        looks.append((f"{command} lead show {year.example_customer}", "the biggest deal won"))
    _print_commands("Look around:", looks)
    _print_commands(
        "More reports, as of the year's end like those above (without --at they look from now):",
        [
            (f"{command} report funnel --by campaign {at}", "which campaigns brought revenue"),
            (f"{command} report sla --by rep {at}", "who keeps the SLA, who lets leads wait"),
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


def main() -> None:
    """Entry point: user errors print one clear line and exit 2."""
    try:
        app()
    except LeadpactError as exc:
        err.print(f"error: {exc.detail}")
        sys.exit(2)
