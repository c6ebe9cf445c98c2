"""``leadpact model``: the predictive model of the store's leads."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.progress import Progress

from leadpact.cli.common import Json, as_at, clock_for, err, out, to_json, unit_of_work, with_agreement
from leadpact.cli.tables import Column, Table, Whole
from leadpact.services import models
from leadpact.services.clock import parse_moment

model_app = typer.Typer(
    help="The predictive model: the chance a lead reaches an opportunity or a won deal, learned from the store.\n\n"
    "'model train' learns a new version from the leads handed to sales and what came of them; 'model show' says how "
    "it held up on the latest months. Every lead's explanation ('lead show', the API, the lead page) then gives the "
    "newest version's chance for the lead, feature by feature.",
    no_args_is_help=True,
)

Target = Annotated[
    str,
    typer.Option(
        "--target",
        help="What to predict for a hand-off: 'opportunity' (the lead reaches an opportunity) or 'won' (a won deal).",
    ),
]
AsOf = Annotated[
    str | None,
    typer.Option(
        "--at",
        help="Learn as of this moment (ISO 8601, e.g. 2026-12-01T00:00:00Z) instead of now: only the history "
        "recorded up to then is read.",
    ),
]
Horizon = Annotated[
    int | None,
    typer.Option(
        "--horizon",
        help="Days after a hand-off within which the outcome counts (default: 90 for opportunity, 180 for won). "
        "A hand-off more recent than that is left out: its outcome is not known yet.",
        show_default=False,
    ),
]
Version = Annotated[int | None, typer.Option("--version", help="A version to show instead of the newest.")]

METRICS = (
    ("auc", "AUC (ranking; 0.5 is chance)", "{:.3f}"),
    ("brier", "Brier score (lower is better)", "{:.4f}"),
    ("calibration_error", "calibration error (lower is better)", "{:.4f}"),
    ("top_decile_lift", "lift in the top tenth", "{:.2f}"),
)
FEATURES = (
    Column("feature", Whole.WORD),
    Column("kind", Whole.WORD),
    Column("spread", Whole.FIGURE, "moves the log-odds by"),
    Column("meaning", title="what it is"),
)


@model_app.command("train")
def model_train(
    target: Target = "opportunity", at: AsOf = None, horizon: Horizon = None, as_json: Json = False
) -> None:
    """Learn a new version of the model from the store's history; an earlier version is kept.

    Each time the agreement handed a lead to sales is a row: what was known of the lead then (its fields, its
    account's, its engagement and events up to that moment) and whether it reached the target within the horizon.
    The model is checked on the latest months, having learned on the months before (never a random split); it
    needs at least 200 hand-offs with a known outcome, with at least 40 of each outcome, and says so otherwise.
    """
    moment = parse_moment(at, "at") if at else None
    with Progress(transient=True, console=err) as bar:
        task = bar.add_task("learning from the hand-offs", total=None)

        def step(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        trained = with_agreement(
            lambda uow, inforce: models.train(uow, clock_for(None), inforce, target, moment, horizon, step)
        )
    if as_json:
        out.print_json(to_json(trained))
        return
    s = trained.summary
    out.print(f"Trained model version {trained.version}: {_question(trained)}.")
    _print_sizes(trained)
    _print_quality(s)
    out.print(f"'leadpact model show' lists its {len(s['features'])} features; every lead's explanation uses it now.")


@model_app.command("show")
def model_show(version: Version = None, as_json: Json = False) -> None:
    """How a version of the model (the newest by default) held up on the latest months, and what it learned from.

    The quality (AUC, Brier score, calibration error, lift in the top tenth) is measured on the validation months,
    which the model did not learn from, against a baseline in the same run: the agreement's own score at the
    hand-off, made a probability on the same months the model learned from. The features are listed by how much
    they move the chance.
    """
    with unit_of_work() as uow:
        trained, every = models.show(uow, version), models.versions(uow)
    if as_json:
        out.print_json(to_json(trained))
        return
    s = trained.summary
    out.print(f"Model version {trained.version}: {_question(trained)}.")
    out.print(
        f"Trained {as_at(trained.trained_at)} by {trained.trained_by}, as of {as_at(trained.as_of)}, under agreement "
        f"v{s['agreement_version']}; {_decay(s['half_life_days'])}."
    )
    _print_sizes(trained)
    _print_quality(s)
    table = Table(
        FEATURES,
        title="Features, the most moving first (the spread of each one's effect over the hand-offs learned from)",
    )
    for f in s["features"]:
        table.add(f["feature"], f["kind"], f"{f['spread']:.3f}", f["meaning"])
    table.print()
    out.print(
        "Versions: "
        + "; ".join(f"{v} ({t}, as of {as_at(a)}, {r} hand-offs, {p} reached it)" for v, t, a, r, p in every)
    )


def _question(trained: models.Version) -> str:
    target = models.TARGETS[trained.target]
    return f"the chance a hand-off {target.words} within {trained.summary['horizon_days']} days"


def _print_sizes(trained: models.Version) -> None:
    s = trained.summary
    learning, validation, cv = s["training"], s["validation"], s["cross_validation"]
    out.print(
        f"Learned on {learning['rows']} hand-offs ({learning['positives']} reached it), {_day(learning['first'])} "
        f"to {_day(learning['last'])}; checked on the validation months {', '.join(validation['months'])}: "
        f"{validation['rows']} hand-offs ({validation['positives']} reached it), {_day(validation['first'])} to "
        f"{_day(validation['last'])}."
    )
    chosen = (
        f"chosen by {cv['folds']} time-ordered folds of the learning months"
        if cv["folds"]
        else "the mildest, as no time-ordered fold of the learning months held both outcomes on both sides"
    )
    out.print(
        f"The penalty (C = {s['penalty_c']:g}) was {chosen}; the version kept is the same recipe learned again on "
        f"all {trained.rows} hand-offs ({trained.positives} reached it), {s['columns']} columns."
    )


def _print_quality(s: dict[str, Any]) -> None:
    q = s["quality"]
    table = Table(
        (
            Column("measure", title="on the validation months"),
            Column("model", Whole.FIGURE),
            Column("baseline", Whole.FIGURE, "baseline: the agreement's score"),
            Column("base_rate", Whole.FIGURE, f"base rate ({q['base_rate']['probability']:.1%})"),
        ),
        title="Quality",
    )
    constant = {"auc": 0.5, "top_decile_lift": 1.0, **q["base_rate"]}
    for key, words, shape in METRICS:
        table.add(words, shape.format(q["model"][key]), shape.format(q["baseline"][key]), shape.format(constant[key]))
    table.print()
    model, baseline = q["model"]["auc"], q["baseline"]["auc"]
    verdict = "better than" if model > baseline else "no better than"
    out.print(
        f"The model ranks the validation hand-offs {verdict} the agreement's score (AUC {model:.3f} against "
        f"{baseline:.3f})."
    )


def _day(iso: str) -> str:
    return iso[:10]


def _decay(half_life: float | None) -> str:
    if half_life is None:
        return "engagement at a hand-off does not decay"
    return f"engagement at a hand-off decays with a half-life of {half_life:g} days"
