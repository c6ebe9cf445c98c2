"""``leadpact workshop``: the calibration workshop, where both sides grade the same leads blind."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Annotated

import typer

from leadpact.cli.common import At, Json, clock_for, err, out, to_json, unit_of_work
from leadpact.cli.tables import Column, Table, Whole
from leadpact.domain.errors import InvalidInput
from leadpact.domain.report import Kind
from leadpact.services import workshops
from leadpact.services.workshops import WorkshopReport

workshop_app = typer.Typer(
    help="The calibration workshop: marketing and sales grade the same sample of leads, blind to the score, and "
    "see where they disagree with each other and with the agreement.",
    no_args_is_help=True,
)
Name = Annotated[str, typer.Argument(help="The workshop's name, e.g. q3-2026.")]
DISAGREEMENTS_SHOWN = 10
SIDES = (
    Column("side", Whole.WORD),
    Column("leads", Kind.COUNT),
    Column("kappa", Whole.FIGURE),
    Column("reading"),
    Column("same", Kind.COUNT, "same grade"),
    Column("higher", Kind.COUNT, "agreement higher"),
    Column("lower", Kind.COUNT, "agreement lower"),
)
APART = (
    Column("email", Whole.WORD),
    Column("marketing", Whole.WORD),
    Column("sales", Whole.WORD),
    Column("agreement", Whole.WORD),
    Column("apart", Kind.COUNT, "grades apart"),
)
POINTS = (
    Column("rule", Whole.WORD),
    Column("points", Whole.FIGURE),
    Column("suggested", Whole.FIGURE),
    Column("holds_on", Kind.COUNT, "holds on graded leads"),
)


@workshop_app.command("start")
def start(
    name: Name,
    sample: Annotated[
        int, typer.Option("--sample", help="How many leads to draw (at most 500).", show_default=True)
    ] = workshops.SAMPLE,
    seed: Annotated[
        int | None,
        typer.Option("--seed", help="Draw with this seed: the same seed on the same leads draws the same sample."),
    ] = None,
    at: At = None,
    as_json: Json = False,
) -> None:
    """Draw a sample of leads for both sides to grade, stratified by score.

    The leads are sorted by their score now into five bands of equal size and each band gives its share of the
    sample at random, so the sample covers the whole score range; they are graded in a shuffled order that says
    nothing of the score. Each side grades them A to D (the agreement's grades) on the page /workshops/NAME, or
    from a file with 'leadpact workshop label NAME FILE.csv'; 'leadpact workshop report NAME' compares them.
    """
    with unit_of_work() as uow:
        started = workshops.start(uow, clock_for(at), name, sample, seed)
        workshop = started.workshop
    if as_json:
        leads = [{"email": email} for email in started.emails]
        body = {"workshop": workshop.name, "version": workshop.version, "seed": workshop.seed, "leads": leads}
        out.print_json(to_json(body))
        return
    out.print(
        f"Workshop {workshop.name}: {len(started.emails)} leads drawn under agreement version {workshop.version} "
        f"(seed {workshop.seed}). Grade them on the page /workshops/{workshop.name}, or list each side's grades "
        f"in a CSV file (email, side, grade) for 'leadpact workshop label {workshop.name} FILE.csv':"
    )
    for email in started.emails:
        out.print(f"  {email}")


@workshop_app.command("label")
def label(
    name: Name,
    file: Annotated[Path, typer.Argument(help="A CSV file with the columns email, side and grade.")],
    at: At = None,
) -> None:
    """Store each side's grades of a workshop's leads from a CSV file.

    Columns: email (a lead of the workshop), side (marketing or sales) and grade (one of the agreement's grades).
    A side's grade replaces the grade that side gave the lead before. A file with any bad row is refused whole,
    each problem named by its row and column, and nothing of it is stored.
    """
    try:
        text = file.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise InvalidInput(f"{file}: cannot read it ({exc.strerror})") from exc
    except UnicodeDecodeError as exc:
        raise InvalidInput(f"{file}: the file is not UTF-8 text; save it as 'CSV UTF-8' and try again") from exc
    with unit_of_work() as uow:
        stored = workshops.label(uow, clock_for(at), name, text, str(file))
    sides = ", ".join(f"{side} {count}" for side, count in stored.by_side.items())
    replaced = f"; {stored.replaced} of them replaced a grade given before" if stored.replaced else ""
    out.print(f"{file}: {stored.rows} grades stored ({sides}){replaced}.")


@workshop_app.command("report")
def report(
    name: Name,
    out_file: Annotated[
        Path | None,
        typer.Option("--out", help="Write the suggested agreement, with the refitted fit points, to this file."),
    ] = None,
    as_json: Json = False,
) -> None:
    """How far the sides agree, how the agreement's grades compare with each side's, and the fit points the
    grades suggest.

    Kappa is Cohen's kappa between marketing's and sales' grades of the leads both graded, quadratic-weighted over
    the grades (A > B > C > D): 1 is perfect agreement, 0 no better than chance. The agreement's grade when the
    leads were drawn is compared with each side the same way. The suggested agreement is the one in force with its
    fit points refitted to the grades given; with --out it is written to a file for 'leadpact agreement backtest'.
    With fewer than 20 graded leads, or grades that give no reason to move any points, none are suggested and the
    report says why (docs/workshop.md explains the method).
    """
    with err.status("comparing the grades and refitting the fit points"), unit_of_work() as uow:
        found = workshops.report(uow, name)
    if out_file is not None:
        if found.suggested is None:
            raise InvalidInput(f"no agreement is suggested: {found.refit.reason}", "out")
        _write(out_file, found.suggested)
    if as_json:
        out.print_json(to_json(found.as_dict()))
        return
    _print(found)
    if out_file is not None:
        # on one line however long the path: it is copied as a command
        out.print(
            f"\nThe suggested agreement is in {out_file}: try it with 'leadpact agreement backtest {out_file}'.",
            soft_wrap=True,
        )
    elif found.suggested is not None:
        out.print("\nWrite the suggested agreement to a file with --out FILE, then 'leadpact agreement backtest FILE'.")


def _write(path: Path, text: str) -> None:
    """The whole file or, on a failure, nothing: written beside it, then put in its place."""
    folder = path.parent if str(path.parent) else Path(".")
    try:
        handle, temporary = tempfile.mkstemp(dir=folder, prefix=f".{path.name}.", suffix=".tmp")
        with os.fdopen(handle, "w", encoding="utf-8") as written:
            written.write(text)
        os.replace(temporary, path)
    except OSError as exc:
        raise InvalidInput(f"{path}: cannot write it ({exc.strerror})", "out") from exc


def _leads(count: int) -> str:
    return f"{count} lead" if count == 1 else f"{count} leads"


def _kappa(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def _print(found: WorkshopReport) -> None:
    graded = found.graded
    out.print(
        f"Workshop {found.workshop}: {found.leads} leads drawn {found.drawn_at:%Y-%m-%d} under agreement version "
        f"{found.version}; graded by marketing {graded['marketing']}, by sales {graded['sales']}, "
        f"by both {found.sides.leads}."
    )
    if found.note:
        out.print(f"Kappa between the sides: none, {found.note}.")
    else:
        sides = found.sides
        out.print(
            f"Kappa between the sides: {_kappa(found.kappa)}, {sides.reading} ({_leads(sides.leads)}; the same grade "
            f"on {sides.same}, at most one grade apart on {sides.within_one}; marketing graded higher on "
            f"{sides.first_higher}, sales on {sides.first_lower})."
        )
    table = Table(SIDES)
    for side, c in found.agreement.items():
        table.add(side, c.leads, _kappa(c.kappa), c.reading, c.same, c.first_higher, c.first_lower)
    out.print("\nThe agreement's grade at the draw against each side:")
    table.print()
    if found.disagreements:
        shown = found.disagreements[:DISAGREEMENTS_SHOWN]
        out.print(f"\nWhere the sides disagree most ({_leads(len(found.disagreements))} graded differently):")
        apart = Table(APART)
        for d in shown:
            apart.add(d.email, d.marketing, d.sales, d.agreement, d.gap)
        apart.print()
        if len(found.disagreements) > len(shown):
            out.print(f"  ... and {len(found.disagreements) - len(shown)} more: --json lists them all.")
    fit = found.refit
    if fit.reason is not None:
        out.print(f"\nNo fit points suggested: {fit.reason}.")
        return
    out.print(
        f"\nFit points refitted to {fit.grades} grades of {fit.leads} leads (agreement version "
        f"{found.refitted_version}); its grades against the grades given: kappa {_kappa(fit.kappa_in_force)} in "
        f"force, {_kappa(fit.kappa_refitted)} refitted (cross-validated: each lead graded by points fitted "
        "to other leads' grades):"
    )
    points = Table(POINTS)
    for rule in fit.rules:
        points.add(rule.rule, f"{rule.points:g}", f"{rule.suggested:g}", rule.holds_on)
    points.print()
    if fit.kappa_refitted is not None and fit.kappa_in_force is not None and fit.kappa_refitted < fit.kappa_in_force:
        out.print(
            "Refitted points grade leads they were not fitted to worse than the points in force: the grades may be "
            "too few or too far apart to move the points on. Grade more leads before proposing it."
        )
