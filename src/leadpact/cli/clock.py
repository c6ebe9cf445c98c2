"""``leadpact clock``: the store's clock, which a demo world runs on, shown, set and cleared."""

from __future__ import annotations

from typing import Annotated

import typer

from leadpact.cli.common import Json, as_at, out, to_json, unit_of_work, when
from leadpact.services import store_clock
from leadpact.services.clock import SystemClock
from leadpact.services.store_clock import Setting

clock_app = typer.Typer(
    help="The store's clock: the 'now' every command and the served app share while it is set (a demo world's), "
    "instead of real time. A command's --at still looks from the moment it names.",
    no_args_is_help=True,
)


@clock_app.command("show")
def clock_show(as_json: Json = False) -> None:
    """Whether the store runs on a clock of its own, and what time it is there."""
    with unit_of_work() as uow:
        setting = store_clock.current(uow)
    real = SystemClock()
    if as_json:
        shown = None if setting is None else {"now": setting.clock(real).now(), **_fields(setting)}
        out.print_json(to_json({"store_clock": shown, "real_now": real.now()}))
        return
    if setting is None:
        out.print(f"The store runs on real time: it is now {when(real.now())} UTC.")
        return
    _tell(setting)


@clock_app.command("set")
def clock_set(
    moment: Annotated[
        str,
        typer.Argument(
            help="What the clock reads now: an ISO 8601 moment (e.g. 2026-11-20T14:00:00Z), or 'latest', the last "
            "moment the database records a lead arriving, doing something or moving."
        ),
    ],
) -> None:
    """Run the store on a clock of its own: it reads MOMENT now and runs on in real time, for every command and
    the served app alike (a running 'leadpact serve' follows within seconds). 'leadpact demo' sets it to its
    world's last moment; 'leadpact clock clear' returns to real time."""
    with unit_of_work() as uow:
        setting = store_clock.set_to(uow, SystemClock(), store_clock.start_of(uow, moment))
    _tell(setting)


@clock_app.command("clear")
def clock_clear() -> None:
    """Return the store to real time, for every command and the served app."""
    with unit_of_work() as uow:
        was = store_clock.clear(uow, SystemClock())
    if was is None:
        out.print("The store already runs on real time.")
        return
    out.print(f"The store runs on real time again (its clock, set by {was.set_by}, is cleared).")


def _fields(setting: Setting) -> dict[str, object]:
    return {"starts_at": setting.starts_at, "set_at": setting.set_at, "set_by": setting.set_by}


def _tell(setting: Setting) -> None:
    now = setting.clock(SystemClock()).now()
    out.print(
        f"The store runs on its own clock: it is now {when(now)} UTC there. It read {as_at(setting.starts_at)} at "
        f"{when(setting.set_at)} UTC, set by {setting.set_by}, and runs on in real time; 'leadpact clock clear' "
        "returns to real time."
    )
