"""A rep's pages: my queue, my pipeline, the lead page that explains a score, and the actions taken on them.

The queue and the pipeline come a page at a time (``services.queue``, ``services.pipeline``): a link that fetches
the next page, which HTMX adds below the last one, or which opens as a page of its own without script. The queue
looks for news while it is open: leads handed to the rep since it was drawn, and SLA clocks that ran out, shown at
its top; the navigation counts the leads waiting to be accepted on every page.

Every action calls the service the CLI calls, as the viewer (a rep acts as themself; a manager or an admin acts
for the lead's owner). An HTMX request gets back the part of the page the action changed (a queue row, the lead
page's body, the pipeline) with the confirmation in the page's message area; a plain form post is sent back to
the page it came from (303), which shows the confirmation.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import RedirectResponse, Response

from leadpact.domain.agreement import Agreement as Terms
from leadpact.domain.errors import InvalidInput, NotPermitted
from leadpact.domain.feedback import Given, Moment
from leadpact.domain.permissions import Action, Role
from leadpact.http.deps import Agreement, Now, Uow
from leadpact.services import explain, feedback, intake, opportunities, pipeline, queue, sales, timeline
from leadpact.services.agreements import InForce
from leadpact.services.clock import Clock, parse_moment
from leadpact.services.explain import Explanation, ScorePoint
from leadpact.services.pipeline import Deal
from leadpact.services.queue import Cursor
from leadpact.services.team import user_named
from leadpact.store.tables import Account, Lead, User
from leadpact.store.unit_of_work import UnitOfWork
from leadpact.web.render import render
from leadpact.web.session import Posting, Viewer, Viewing

router = APIRouter()

View = Literal["queue", "lead", "pipeline"]
"""The page an action was taken on: it decides what the answer redraws, or where a plain post goes back to."""

DONE: dict[str, str] = {
    "accept": "accepted; the first-contact clock now runs.",
    "reject": "sent back to marketing; it has left your queue.",
    "contact": "contact logged.",
    "qualify": "qualification answers recorded; the lead is sales-qualified and ready to convert.",
    "convert": "converted to an opportunity; it is on your pipeline now.",
    "stage": "opportunity moved to another sales stage.",
    "revise": "amount and expected close date saved.",
    "won": "won; the lead is a customer.",
    "lost": "lost; the lead goes back to marketing for nurturing.",
    "feedback": "feedback recorded; marketing sees it in the feedback report.",
}
"""What each action did, in words, for the message area."""

THRESHOLD_COLOUR, SCORE_COLOUR = "#a15c00", "#2456c7"
RETIRED = "*"
"""The pipeline's column of the sales stages an earlier agreement version had, in links."""
LAPSES_SHOWN = 10
"""SLA clocks that ran out while the queue was open, listed by name at its top; the rest are counted."""


def _acting_as(viewer: Viewer) -> str | None:
    """Who the services act as: a rep as themself; anyone else for the lead's owner."""
    return viewer.principal.name if viewer.principal.role is Role.REP else None


def _rep_user(uow: UnitOfWork, viewer: Viewer, page: str) -> User:
    if viewer.principal.role is not Role.REP:
        raise NotPermitted(
            f"{page} is for sales reps: it lists the leads and deals assigned to them. You are signed in as "
            f"{viewer.principal.name} ({viewer.principal.role}); every lead is under Leads."
        )
    return user_named(uow, viewer.principal.name)


def _terms(terms: Terms) -> dict[str, Any]:
    """What the action forms offer: the agreement's reasons, questions and sales stages."""
    recycle = [
        (name, "no wait" if not r.recycle_after_days else f"{r.recycle_after_days:g} days")
        for name, r in terms.reject_reasons.items()
        if not r.disqualify
    ]
    disqualify = [(name, None) for name, r in terms.reject_reasons.items() if r.disqualify]
    return {
        "terms": terms,
        "reject_groups": [
            (label, g) for label, g in (("Recycle to marketing for", recycle), ("Disqualify", disqualify)) if g
        ],
        "stage_names": list(terms.stage_names()),
    }


def _done(code: str | None) -> str | None:
    return DONE.get(code) if code else None


# --- pages ------------------------------------------------------------------------------------------------


@router.get("/queue")
def queue_page(
    request: Request,
    viewer: Viewing,
    uow: Uow,
    clock: Now,
    inforce: Agreement,
    after: str | None = None,
    done: str | None = None,
) -> Response:
    """The first page of the rep's queue, or the page after a place in it (``after``): HTMX asks for the rows alone."""
    rep = _rep_user(uow, viewer, "My queue")
    page = queue.page(uow, inforce, rep, clock.now(), Cursor.parse(after) if after else None)
    template = "queue/rows.html" if after and request.headers.get("HX-Request") else "queue/queue.html"
    return render(request, template, page=page, done=_done(done), **_terms(inforce.agreement))


@router.get("/queue/live")
def queue_live(
    request: Request,
    viewer: Viewing,
    uow: Uow,
    clock: Now,
    inforce: Agreement,
    since: str,
    opened: Annotated[str, Query(alias="from")],
) -> Response:
    """What changed since the queue was drawn (``from``), for its top: the leads handed over since the last look
    (``since``), every SLA clock that ran out meanwhile, and the navigation's count."""
    rep = _rep_user(uow, viewer, "My queue")
    now, first, last = clock.now(), parse_moment(opened, "from"), parse_moment(since, "since")
    lapses, lapsed = queue.lapsed(uow, rep, first, now, LAPSES_SHOWN)
    return render(
        request,
        "queue/live.html",
        opened=first,
        arrivals=queue.arrivals(uow, inforce, rep, last, now),
        lapses=lapses,
        lapsed=lapsed,
        waiting=queue.waiting(uow, rep, now),
        **_terms(inforce.agreement),
    )


@router.get("/queue/count")
def queue_count(request: Request, viewer: Viewing, uow: Uow, clock: Now) -> Response:
    """The navigation's count of the rep's leads waiting to be accepted (nothing for other roles)."""
    if viewer.principal.role is not Role.REP:
        return Response()
    waiting = queue.waiting(uow, user_named(uow, viewer.principal.name), clock.now())
    return render(request, "queue/count.html", waiting=waiting)


@router.get("/pipeline")
def pipeline_page(
    request: Request,
    viewer: Viewing,
    uow: Uow,
    inforce: Agreement,
    stage: str | None = None,
    after: str | None = None,
    closed: str | None = None,
    done: str | None = None,
) -> Response:
    """The rep's board. With ``stage`` and ``after`` the column's cards after that place, with ``closed`` the
    closed deals after that one: HTMX asks for them alone; without script they show on the board."""
    rep = _rep_user(uow, viewer, "My pipeline")
    htmx = bool(request.headers.get("HX-Request"))
    terms = _terms(inforce.agreement)
    if closed:
        deals, more = pipeline.closed_deals(uow, inforce, rep, closed)
        if htmx:
            return render(request, "queue/closed_rows.html", deals=deals, more=more)
    elif stage and after:
        deals, more = pipeline.column(uow, inforce, rep, None if stage == RETIRED else stage, after)
        if htmx:
            return render(request, "queue/deal_cards.html", deals=deals, more=more, key=stage, view="pipeline", **terms)
    body = _pipeline(uow, inforce, rep)
    board: pipeline.Board = body["board"]
    if closed:
        board.closed, board.more_closed = deals, more
    elif stage and after:
        for column in board.columns:
            if (column.stage or RETIRED) == stage:
                column.deals, column.more = deals, more
    return render(request, "queue/pipeline.html", done=_done(done), **body)


@router.get("/leads/{lead_id:int}")
def lead_page(
    request: Request,
    lead_id: int,
    viewer: Viewing,
    uow: Uow,
    clock: Now,
    inforce: Agreement,
    done: str | None = None,
) -> Response:
    lead = intake.find_lead(uow, str(lead_id))
    return render(request, "queue/lead.html", done=_done(done), **_lead(uow, inforce, lead, clock.now(), viewer))


def _pipeline(uow: UnitOfWork, inforce: InForce, rep: User) -> dict[str, Any]:
    """The rep's board: open deals by sales stage (in the agreement's order), then the closed ones."""
    return {"board": pipeline.board(uow, inforce, rep), "retired": RETIRED, **_terms(inforce.agreement)}


def _may_see(viewer: Viewer, lead: Lead, deals: list[Deal]) -> bool:
    """A rep sees the leads assigned to them and those of their deals; the other roles read every lead."""
    if viewer.principal.role is Role.REP:
        mine = lead.owner_id is not None and lead.owner_id == viewer.principal.user_id
        return mine or any(d.owner == viewer.principal.name for d in deals)
    return viewer.may(Action.READ_LEADS)


def _lead(uow: UnitOfWork, inforce: InForce, lead: Lead, now: datetime, viewer: Viewer) -> dict[str, Any]:
    """Everything the lead page shows."""
    deals = pipeline.deals_of(uow, inforce, lead)
    if not _may_see(viewer, lead, deals):
        raise NotPermitted(f"lead {lead.id} is not assigned to {viewer.principal.name}")
    x = explain.explain(uow, inforce, lead, now)
    threshold = inforce.agreement.qualified.score_at_least
    history = explain.score_history(uow, inforce, lead, now)
    may_act = viewer.may(Action.WORK_LEADS) and (
        viewer.principal.role is not Role.REP or lead.owner_id == viewer.principal.user_id
    )
    return {
        "x": x,
        "activity": timeline.timeline(uow, lead, now),
        "feedback_moments": _feedback_moments(uow, inforce, lead, viewer),
        "deals": deals,
        "open_deal": next((d for d in deals if d.closed_at is None), None),
        "clock": _sla_clock(x),
        "contacted": x.sla is not None and x.sla.contacted_at is not None,
        "may_act": may_act,
        "threshold": threshold,
        "chart_label": f"Score over time: {x.score:.1f} now; the agreement qualifies a lead at {threshold:g}",
        "chart_config": _score_chart(history, now, threshold),
        "account": uow.session.get(Account, lead.account_id) if lead.account_id is not None else None,
        **_terms(inforce.agreement),
    }


def _feedback_moments(uow: UnitOfWork, inforce: InForce, lead: Lead, viewer: Viewer) -> list[str]:
    """The moments the viewer may record feedback on: a contact logged, a deal lost or won that is theirs (a
    manager or an admin: anyone's); none without the agreement's feedback lists."""
    if inforce.agreement.feedback is None or not viewer.may(Action.WORK_LEADS):
        return []
    moments = []
    for moment in Moment:
        try:
            owner = feedback.subject(uow, lead, moment.value).owner_id
        except InvalidInput:
            continue
        if viewer.principal.role is not Role.REP or owner == viewer.principal.user_id:
            moments.append(moment.value)
    return moments


def _sla_clock(x: Explanation) -> tuple[str, datetime] | None:
    """Which SLA clock runs for the lead, and when it runs out."""
    if x.sla is None:
        return None
    if x.sla.accepted_at is None:
        return "Accept by", x.sla.accept_due
    if x.sla.contacted_at is None:
        return "First contact by", x.sla.contact_due
    return None


def _score_chart(points: list[ScorePoint], now: datetime, threshold: float) -> dict[str, Any]:
    """A Chart.js line of the score against days ago (now at the right), and the qualification line dashed."""

    def ago(at: datetime) -> float:
        return round((now - at).total_seconds() / 86_400, 3)

    span = max(ago(points[0].at), 1.0)
    score = [{"x": ago(p.at), "y": round(p.score, 2)} for p in points]
    line = [{"x": span, "y": threshold}, {"x": 0, "y": threshold}]
    return {
        "type": "line",
        "data": {
            "datasets": [
                {"label": "Score", "data": score, "borderColor": SCORE_COLOUR, "backgroundColor": SCORE_COLOUR},
                {
                    "label": f"Qualifies at {threshold:g}",
                    "data": line,
                    "borderColor": THRESHOLD_COLOUR,
                    "backgroundColor": THRESHOLD_COLOUR,
                    "borderDash": [6, 4],
                },
            ]
        },
        "options": {
            "elements": {"point": {"radius": 0, "hitRadius": 6}, "line": {"borderWidth": 2}},
            "interaction": {"mode": "nearest", "intersect": False},
            "scales": {
                "x": {
                    "type": "linear",
                    "reverse": True,
                    "min": 0,
                    "max": span,
                    "title": {"display": True, "text": "days ago"},
                },
                "y": {"beginAtZero": True, "title": {"display": True, "text": "points"}},
            },
        },
    }


# --- actions ----------------------------------------------------------------------------------------------

Work = Callable[[Lead, str | None], object]
"""An action on a lead, given the rep to act as."""

ViewField = Annotated[View, Form()]


def _act(
    request: Request,
    uow: UnitOfWork,
    clock: Clock,
    inforce: InForce,
    viewer: Viewer,
    lead_id: int,
    view: View,
    done: str,
    work: Work,
) -> Response:
    viewer.principal.require(Action.WORK_LEADS)
    lead = intake.lead_for_change(uow, str(lead_id))
    viewer.principal.require_owner(lead.owner_id, f"lead {lead_id}")
    work(lead, _acting_as(viewer))
    # a rep who sent the lead back from its page may no longer see that page: their queue is where to go
    gone = view == "lead" and not _may_see(viewer, lead, pipeline.deals_of(uow, inforce, lead))
    back = "/queue" if gone else {"queue": "/queue", "pipeline": "/pipeline", "lead": f"/leads/{lead.id}"}[view]
    htmx = bool(request.headers.get("HX-Request"))
    if gone and htmx:
        return Response(headers={"HX-Redirect": f"{back}?done={done}"})
    if not htmx:
        return RedirectResponse(f"{back}?done={done}", status_code=303)
    return _fragment(request, uow, inforce, viewer, lead, view, f"{lead.email}: {DONE[done]}", clock.now())


def _fragment(
    request: Request,
    uow: UnitOfWork,
    inforce: InForce,
    viewer: Viewer,
    lead: Lead,
    view: View,
    message: str,
    now: datetime,
) -> Response:
    """The part of ``view`` an action on ``lead`` changed, redrawn, with ``message`` for the message area."""
    terms = _terms(inforce.agreement)
    if view == "queue":
        owner = uow.session.get(User, lead.owner_id) if lead.owner_id else None
        item = queue.item(uow, inforce, owner, lead.id, now) if owner else None
        return render(request, "queue/row.html", item=item, message=message, **terms)
    deals = pipeline.deals_of(uow, inforce, lead)
    if view == "pipeline" and deals and deals[0].owner:  # every opportunity has the owner who converted it
        body = _pipeline(uow, inforce, user_named(uow, deals[0].owner))
        return render(request, "queue/pipeline_body.html", message=message, **body)
    return render(request, "queue/lead_body.html", message=message, **_lead(uow, inforce, lead, now, viewer))


async def form_answers(request: Request) -> dict[str, str]:
    """The qualification answers of the form: a field ``q.<question>`` per question, unanswered ones left out."""
    form = await request.form()
    return {k.removeprefix("q."): v for k, v in form.items() if k.startswith("q.") and isinstance(v, str) and v}


@router.post("/leads/{lead_id:int}/accept")
def accept(
    request: Request, lead_id: int, viewer: Posting, uow: Uow, clock: Now, inforce: Agreement, view: ViewField = "lead"
) -> Response:
    def work(lead: Lead, rep: str | None) -> None:
        sales.accept(uow, clock, inforce, lead, rep)

    return _act(request, uow, clock, inforce, viewer, lead_id, view, "accept", work)


@router.post("/leads/{lead_id:int}/reject")
def reject(
    request: Request,
    lead_id: int,
    viewer: Posting,
    uow: Uow,
    clock: Now,
    inforce: Agreement,
    reason: Annotated[str, Form()],
    view: ViewField = "lead",
    note: Annotated[str | None, Form()] = None,
) -> Response:
    def work(lead: Lead, rep: str | None) -> None:
        sales.reject(uow, clock, inforce, lead, reason, rep, note)

    return _act(request, uow, clock, inforce, viewer, lead_id, view, "reject", work)


@router.post("/leads/{lead_id:int}/contact")
def contact(
    request: Request, lead_id: int, viewer: Posting, uow: Uow, clock: Now, inforce: Agreement, view: ViewField = "lead"
) -> Response:
    def work(lead: Lead, rep: str | None) -> None:
        sales.contact(uow, clock, lead, rep)

    return _act(request, uow, clock, inforce, viewer, lead_id, view, "contact", work)


@router.post("/leads/{lead_id:int}/qualify")
def qualify(
    request: Request,
    lead_id: int,
    viewer: Posting,
    uow: Uow,
    clock: Now,
    inforce: Agreement,
    answers: Annotated[dict[str, str], Depends(form_answers)],
    view: ViewField = "lead",
) -> Response:
    def work(lead: Lead, rep: str | None) -> None:
        sales.qualify(uow, clock, inforce, lead, answers, rep)

    return _act(request, uow, clock, inforce, viewer, lead_id, view, "qualify", work)


@router.post("/leads/{lead_id:int}/convert")
def convert(
    request: Request,
    lead_id: int,
    viewer: Posting,
    uow: Uow,
    clock: Now,
    inforce: Agreement,
    amount: Annotated[float, Form()],
    close_date: Annotated[date, Form()],
    view: ViewField = "lead",
) -> Response:
    def work(lead: Lead, rep: str | None) -> None:
        opportunities.convert(uow, clock, inforce, lead, amount, close_date, rep)

    return _act(request, uow, clock, inforce, viewer, lead_id, view, "convert", work)


@router.post("/leads/{lead_id:int}/stage")
def move_stage(
    request: Request,
    lead_id: int,
    viewer: Posting,
    uow: Uow,
    clock: Now,
    inforce: Agreement,
    stage: Annotated[str, Form()],
    view: ViewField = "lead",
) -> Response:
    def work(lead: Lead, rep: str | None) -> None:
        opportunities.move_stage(uow, clock, inforce, lead, stage, rep)

    return _act(request, uow, clock, inforce, viewer, lead_id, view, "stage", work)


@router.post("/leads/{lead_id:int}/revise")
def revise(
    request: Request,
    lead_id: int,
    viewer: Posting,
    uow: Uow,
    clock: Now,
    inforce: Agreement,
    amount: Annotated[float, Form()],
    close_date: Annotated[date, Form()],
    view: ViewField = "lead",
) -> Response:
    """The open opportunity's amount and expected close date, edited where the deal is shown."""

    def work(lead: Lead, rep: str | None) -> None:
        opportunities.revise(uow, clock, lead, amount, close_date, rep)

    return _act(request, uow, clock, inforce, viewer, lead_id, view, "revise", work)


@router.post("/leads/{lead_id:int}/won")
def won(
    request: Request, lead_id: int, viewer: Posting, uow: Uow, clock: Now, inforce: Agreement, view: ViewField = "lead"
) -> Response:
    def work(lead: Lead, rep: str | None) -> None:
        opportunities.win(uow, clock, inforce, lead, rep)

    return _act(request, uow, clock, inforce, viewer, lead_id, view, "won", work)


@router.post("/leads/{lead_id:int}/lost")
def lost(
    request: Request,
    lead_id: int,
    viewer: Posting,
    uow: Uow,
    clock: Now,
    inforce: Agreement,
    reason: Annotated[str, Form()],
    view: ViewField = "lead",
) -> Response:
    def work(lead: Lead, rep: str | None) -> None:
        opportunities.lose(uow, clock, inforce, lead, reason, rep)

    return _act(request, uow, clock, inforce, viewer, lead_id, view, "lost", work)


async def _feedback_given(request: Request) -> Given:
    """The feedback form: a competitor, product requests (a box each), a message and a note; blanks left out."""
    form = await request.form()

    def one(key: str) -> str | None:
        value = form.get(key)
        return value if isinstance(value, str) and value.strip() else None

    requests = tuple(v for v in form.getlist("requests") if isinstance(v, str) and v)
    return Given(one("competitor"), requests, one("message"), one("note"))


@router.post("/leads/{lead_id:int}/feedback")
def record_feedback(
    request: Request,
    lead_id: int,
    viewer: Posting,
    uow: Uow,
    clock: Now,
    inforce: Agreement,
    moment: Annotated[str, Form()],
    given: Annotated[Given, Depends(_feedback_given)],
) -> Response:
    """Feedback on the lead's contact, lost or won deal; the lead page is redrawn with it in the timeline."""
    viewer.principal.require(Action.WORK_LEADS)
    lead = intake.lead_for_change(uow, str(lead_id))
    viewer.principal.require_owner(feedback.subject(uow, lead, moment).owner_id, f"the {moment} of lead {lead_id}")
    feedback.record(uow, clock, inforce, lead, moment, given, _acting_as(viewer))
    if not request.headers.get("HX-Request"):
        return RedirectResponse(f"/leads/{lead.id}?done=feedback", status_code=303)
    return _fragment(request, uow, inforce, viewer, lead, "lead", f"{lead.email}: {DONE['feedback']}", clock.now())
