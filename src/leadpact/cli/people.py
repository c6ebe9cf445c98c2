"""``leadpact user`` and ``leadpact token``: the people who sign in (their roles and access), and the API tokens of
programs."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from leadpact.cli.common import Json, clock_for, out, to_json, unit_of_work, when
from leadpact.cli.tables import Column, Columns, Table, Whole, Wide, view
from leadpact.domain.errors import InvalidInput
from leadpact.services import auth, people, team
from leadpact.services.handoff import Rerouted

user_app = typer.Typer(
    help="People who sign in to the web app: their roles, passwords and access.", no_args_is_help=True
)
token_app = typer.Typer(help="API tokens for programs: create, list, revoke.", no_args_is_help=True)


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
    role: Annotated[
        str, typer.Option(help="admin, marketing, manager or qualifier (add reps with 'leadpact rep add').")
    ],
    team_name: Annotated[
        str | None, typer.Option("--team", help="A qualifier's team: the one the agreement's screening names.")
    ] = None,
    new_team: Annotated[bool, typer.Option("--new-team", help="Start the team: it does not exist yet.")] = False,
    side: Annotated[
        str | None, typer.Option(help="A manager's side of the agreement, marketing or sales: they sign for it.")
    ] = None,
    email: Annotated[str | None, typer.Option(help="Where notifications go.")] = None,
    password_stdin: PasswordStdin = False,
) -> None:
    """Add a person who signs in to the web app, and set their password."""
    if role == "rep":  # a rep belongs to a team, which this command does not take
        raise InvalidInput("add reps with 'leadpact rep add NAME --team TEAM', then set a password", "role")
    password = _password(name, password_stdin)
    with unit_of_work() as uow:
        team.add_user(uow, clock_for(None), name, role, team=team_name, email=email, side=side, new_team=new_team)
        auth.set_password(uow, clock_for(None), name, password)
    out.print(f"{name} ({role}{', ' + side if side else ''}) can sign in now.")


@user_app.command("password")
def user_password(
    name: Annotated[str, typer.Argument(help="The person (a rep too).")], password_stdin: PasswordStdin = False
) -> None:
    """Set or reset a person's password."""
    password = _password(name, password_stdin)
    with unit_of_work() as uow:
        auth.set_password(uow, clock_for(None), name, password)
    out.print(f"{name}'s password is set.")


USERS = (
    Column("name"),
    Column("role"),
    Column("team", Whole.WORD),
    Column("email", Whole.WORD, wide=True),
    Column("last_sign_in_at", Whole.WORD, "last sign-in"),
    Column("access"),
)


@user_app.command("list")
def user_list(columns: Columns = None, wide: Wide = False, as_json: Json = False) -> None:
    """Everyone, with their role, team, last sign-in and access (disabled or not); --wide adds their email."""
    chosen = view(columns, wide)
    with unit_of_work() as uow:
        everyone = people.people(uow)
    if as_json:
        out.print_json(to_json(everyone))
        return
    table = Table(USERS, chosen)
    for person in everyone:
        role = f"{person.role} ({person.side})" if person.side else person.role
        table.add(
            person.name,
            role,
            person.team or "-",
            person.email or "-",
            when(person.last_sign_in_at),
            _access(person),
        )
    table.print()


def _access(person: people.Person) -> str:
    if person.disabled_at is not None:
        return f"disabled {when(person.disabled_at)}"
    return "signs in" if person.signs_in else "no password"


@user_app.command("disable")
def user_disable(name: Annotated[str, typer.Argument(help="The person.")]) -> None:
    """End a person's access: sign-in, their browser sessions and their API tokens. They are kept, with what they
    did; a rep's open leads go to other reps as the agreement routes them."""
    with unit_of_work() as uow:
        disabled = people.disable(uow, clock_for(None), name)
    rerouted_lines(disabled.rerouted)
    out.print(disabled.said)


def rerouted_lines(rerouted: tuple[Rerouted, ...]) -> None:
    for lead in rerouted:
        out.print(f"lead {lead.email}: {f'now {lead.to}' if lead.to else 'waits for a rep who can take it'}")


@user_app.command("enable")
def user_enable(name: Annotated[str, typer.Argument(help="The person.")]) -> None:
    """Give a disabled person their access back (a rep takes new leads again)."""
    with unit_of_work() as uow:
        user = people.enable(uow, clock_for(None), name).name
    out.print(f"{user} has access again.")


@user_app.command("role")
def user_role(
    name: Annotated[str, typer.Argument(help="The person.")],
    role: Annotated[str, typer.Option(help="admin, marketing, manager, rep or qualifier.")],
    side: Annotated[str | None, typer.Option(help="A manager's side, marketing or sales: they sign for it.")] = None,
    team_name: Annotated[
        str | None, typer.Option("--team", help="A rep's or a qualifier's team (one there is); by default theirs.")
    ] = None,
) -> None:
    """Change a person's role; a rep who becomes something else hands their open leads on. The last admin with
    access keeps the role."""
    with unit_of_work() as uow:
        user, rerouted = people.set_role(uow, clock_for(None), name, role, side, team_name)
        said = f"{user.name} is now {user.role}{f' ({user.side})' if user.side else ''}."
    rerouted_lines(tuple(rerouted))
    out.print(said)


@user_app.command("reset-password")
def user_reset_password(name: Annotated[str, typer.Argument(help="The person.")]) -> None:
    """Give a person a new password, printed once; their old one stops working and they are signed out."""
    with unit_of_work() as uow:
        password = people.new_password(uow, clock_for(None), name)
    out.print(f"{name}'s new password, shown only now (they are signed out everywhere):")
    out.print(password, soft_wrap=True)


@token_app.command("create")
def token_create(
    name: Annotated[str, typer.Argument(help="Who or what uses it, e.g. 'website forms' or 'crm sync'.")],
    role: Annotated[str | None, typer.Option(help="What it may do: admin, marketing or manager.")] = None,
    user: Annotated[
        str | None, typer.Option("--user", help="Act as this person, with their role (a rep's token needs it).")
    ] = None,
) -> None:
    """Create an API token and print it once; only its digest is kept."""
    with unit_of_work() as uow:
        secret, token = auth.create_token(uow, clock_for(None), name, role or "", user)
        made = (token.id, token.role)
    out.print(f"Token {made[0]} ({made[1]}). Send it as 'Authorization: Bearer TOKEN'; it is shown only now:")
    out.print(secret, soft_wrap=True)


TOKENS = (
    Column("id", Whole.FIGURE),
    Column("name"),
    Column("role", Whole.WORD),
    Column("user", Whole.WORD),
    Column("created_at", Whole.WORD),
    Column("revoked_at", Whole.WORD),
)


@token_app.command("list")
def token_list(columns: Columns = None, wide: Wide = False, as_json: Json = False) -> None:
    """Every API token, with its role and whether it was revoked (the secrets are not kept)."""
    chosen = view(columns, wide)
    with unit_of_work() as uow:
        rows = [(t.id, t.name, t.role, user, t.created_at, t.revoked_at) for t, user in auth.tokens(uow)]
    keys = ("id", "name", "role", "user", "created_at", "revoked_at")
    if as_json:
        out.print_json(to_json([dict(zip(keys, row, strict=True)) for row in rows]))
        return
    table = Table(TOKENS, chosen)
    for id_, name, role, user, created, revoked in rows:
        table.add(id_, name, role, user or "-", when(created), when(revoked))
    table.print()


@token_app.command("revoke")
def token_revoke(token_id: Annotated[int, typer.Argument(help="The token's id ('leadpact token list').")]) -> None:
    """Revoke an API token: requests with it are refused from now on."""
    with unit_of_work() as uow:
        name = auth.revoke_token(uow, clock_for(None), token_id).name
    out.print(f"Token {token_id} ('{name}') is revoked.")
