"""Running the demo world through leadpact: a year in time order, through the services alone.

The year is walked in ticks of the agreement's calendar: six a working day (07:00 to 17:00, every two
hours) and one at noon on other days, a day's ticks in one transaction. At each tick:

1. the reps do what they planned to do since the last tick, each at its own moment;
2. the day's campaign costs are booked, the leads that arrived are captured, and the events that arrived
   are ingested in one batch (late trade-show scans and retried deliveries included);
3. on working days the SLA is checked: breaches are recorded and the leads reassigned, as agreed;
4. every new assignment gets the rep's reaction planned: review, call, qualify, convert, move the deal on,
   win or lose, each after a delay in the rep's own working hours, or never;
5. with a way to send email, at 09:00 on working days the nurture pass enrols, writes and sends the emails due
   (``demo.nurture``), and what each person will do with an email that arrived is planned: open it, click,
   unsubscribe, or nothing.

A planned action runs only if the lead is still where the rep left it: a lead reassigned after a breach,
withdrawn by late events or taken back by marketing is no longer theirs. The year ends on a fixed day, at its
last tick: a seed always gives the same history, and reports read as of that moment always the same numbers.
"""

from __future__ import annotations

import bisect
import heapq
import itertools
import json
import random
import zlib
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from importlib import resources
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, select

from leadpact.config import Settings
from leadpact.demo import nurture as emails
from leadpact.demo import people, reps
from leadpact.demo import screening as qualifiers
from leadpact.demo.reps import Rep
from leadpact.demo.summary import DemoYear, Sent, describe
from leadpact.demo.world import DAY, HOUR, Person, World, day_of, seconds
from leadpact.domain.agreement import Agreement
from leadpact.domain.agreement_file import parse_agreement
from leadpact.domain.lifecycle import WORKING, Stage
from leadpact.domain.routing import team_for
from leadpact.domain.scoring import from_seconds, local_day
from leadpact.domain.screening import unready
from leadpact.services import (
    accounts,
    agreements,
    campaigns,
    engagement,
    feedback,
    handoff,
    intake,
    mailer,
    nurture,
    opportunities,
    sales,
    screening,
    team,
)
from leadpact.services.agreements import InForce
from leadpact.services.clock import FixedClock
from leadpact.store.tables import Account, Assignment, Lead, NurtureMessage, ScreeningEntry
from leadpact.store.unit_of_work import UnitOfWork

Progress = Callable[[int, int], None]
"""Called with (days done, days in all) as the year goes by."""

WORKING_TICKS = (time(7), time(9), time(11), time(13), time(15), time(17))
QUIET_TICK = time(12)
NURTURE_TICK = time(9)
"""Marketing's emails go out once a working day, at nine."""
DEAL_STEPS = frozenset({"stage", "won", "lost"})
NAMED_ACCOUNT_EMPLOYEES = 5_000
"""Accounts this large are named accounts, each owned by a rep."""
"""What a rep does to an open deal, planned in order when the deal opens; postponing one postpones the rest."""


def example_agreement() -> str:
    return resources.files("leadpact").joinpath("examples/agreement.yaml").read_text(encoding="utf-8")


def demo_agreement() -> str:
    """The example agreement with the demo's screening section."""
    return example_agreement().rstrip("\n") + "\n" + qualifiers.SECTION


def run_demo(
    engine: Engine, leads: int = 2000, seed: int = 7, progress: Progress | None = None, mail: Settings | None = None
) -> DemoYear:
    """Generate the world, run its year through leadpact on ``engine`` (migrated and empty), and describe it.

    ``mail`` is how the nurture emails are sent (``leadpact demo`` delivers them into a Maildir); without it the
    year runs without nurture."""
    simulation = Simulation(engine, World(leads, seed), mail)
    simulation.run(progress)
    return simulation.year()


@dataclass(order=True)
class _Due:
    """A rep's planned action: ``ref`` is the assignment (or opportunity) it belongs to."""

    at: int
    seq: int
    kind: str = field(compare=False)
    rep: str = field(compare=False)
    lead_id: int = field(compare=False, default=0)
    ref: int = field(compare=False, default=0)
    value: str = field(compare=False, default="")


class Simulation:
    """The world's year, tick by tick, with the reps' plans in a queue ordered by time."""

    def __init__(self, engine: Engine, world: World, mail: Settings | None) -> None:
        self.engine = engine
        self.world = world
        self.mail = mail
        self.rng = random.Random(f"sales-{world.seed}")
        self.feedback_rng = random.Random(f"feedback-{world.seed}")  # its own stream: the sales year stays as it was
        self.screening_rng = random.Random(f"screening-{world.seed}")  # the qualifiers' own stream, likewise
        self.nurture_rng = random.Random(f"nurture-{world.seed}")  # the email readers' own stream, likewise
        self.clock = FixedClock(from_seconds(seconds(world.start)))
        self.inforce = self._set_up()
        agreement = self.inforce.agreement
        self.zone = ZoneInfo(agreement.timezone)
        self.ticks = _ticks(agreement, world.start, world.end)
        self.reps = {r.name: r for r in reps.REPS}
        self.calendars = {r.name: reps.calendar_of(r, agreement) for r in reps.REPS}
        self.rep_ids = self._rep_ids()
        self.rep_names = {user_id: name for name, user_id in self.rep_ids.items()}
        self.campaign_ids = self._record_campaigns()
        self.by_lead: dict[int, Person] = {}  # once captured
        self.lead_ids: dict[int, int] = {}  # person number -> lead id
        self.due: list[_Due] = []
        self.seq = 0
        self.last_assignment = 0
        self.last_screening = 0
        self.away: dict[str, tuple[int, int]] = {}
        self.deferred: dict[int, tuple[int, int]] = {}  # deal id: (at, seq) of its step postponed for an away rep
        self.sent = Counter[str]()
        self.named: set[int] = set()  # the named accounts given an owner so far, by account id
        count = len(self.ticks)
        self.captures: list[list[Person]] = [[] for _ in range(count)]
        self.arrivals: list[list[tuple[int, int]]] = [[] for _ in range(count)]  # (person number, touch index)
        self.costs: list[list[tuple[int, date, float]]] = [[] for _ in range(count)]
        self.by_number: dict[int, Person] = {}
        self._load()
        self._plan_holidays()

    # --- setting up -----------------------------------------------------------------------------------

    def _set_up(self) -> InForce:
        """Adopt the example agreement with a screening section, signed by its owners, staff the teams, and have
        marketing adopt the example nurture sequences when there is a way to send them."""
        text = demo_agreement()
        with UnitOfWork(self.engine) as uow:
            parsed = parse_agreement(text, "agreement.yaml")
            marketing, sales_ = (parsed.owners[k].split(",")[0] for k in ("marketing", "sales"))
            agreements.adopt(uow, self.clock, text, "examples/agreement.yaml", marketing, sales_)
            for rep in reps.REPS:
                team.add_user(uow, self.clock, rep.name, "rep", rep.team, rep.capacity, rep.email)
            for qualifier in qualifiers.QUALIFIERS:
                team.add_user(uow, self.clock, qualifier.name, "qualifier", qualifiers.TEAM, email=qualifier.email)
            for team_name, manager in reps.MANAGERS.items():
                team.add_user(uow, self.clock, manager, "manager")
                team.set_manager(uow, self.clock, team_name, manager)
            people.add_staff(uow, self.clock)
        with UnitOfWork(self.engine) as uow:
            inforce = agreements.in_force(uow)
            if self.mail is not None:
                emails.adopt(uow, self.clock, inforce)
            return inforce

    def _rep_ids(self) -> dict[str, int]:
        with UnitOfWork(self.engine) as uow:
            return {name: team.user_named(uow, name).id for name in self.reps}

    def _record_campaigns(self) -> dict[str, int]:
        """The year's marketing plan is entered up front, as marketing ops does; costs are booked as they fall."""
        plan = [campaigns.CampaignInput(c.name, c.channel, c.started_on, c.ended_on) for c in self.world.campaigns]
        with UnitOfWork(self.engine) as uow:
            return campaigns.record_campaigns(uow, self.clock, plan)[0]

    def _load(self) -> None:
        """Sort the world into ticks: each lead, event and cost is taken at the first tick after it arrives."""
        first_touches: Counter[tuple[str, date]] = Counter()
        for person in self.world.people():
            self.by_number[person.number] = person
            if person.campaign is not None:  # what sales prospects itself costs no campaign anything
                first_touches[(person.campaign, day_of(person.created_at))] += 1
            self.captures[self._tick_of(person.arrives_at)].append(person)
            for n, touch in enumerate(person.touches):
                self.arrivals[self._tick_of(touch.arrives_at)].append((person.number, n))
                self.sent["events"] += 1
                self.sent["late"] += touch.arrives_at - touch.occurred_at > DAY
        for cost in self.world.costs(first_touches):
            self.costs[self._tick_of(seconds(cost.day))].append(
                (self.campaign_ids[cost.campaign], cost.day, cost.amount)
            )

    def _tick_of(self, at: int) -> int:
        return min(bisect.bisect_left(self.ticks, at), len(self.ticks) - 1)

    def _plan_holidays(self) -> None:
        """Each rep takes two weeks off in the summer: away, their leads breach and move to colleagues."""
        for rep in reps.REPS:
            monday = date(self.world.end.year, 6, 1) + timedelta(days=self.rng.randrange(0, 84))
            monday -= timedelta(days=monday.weekday())
            leaves, returns = seconds(monday, 6), seconds(monday + timedelta(days=14), 6)
            if seconds(self.world.start) < leaves and returns < self.world.end_at:
                self.away[rep.name] = (leaves, returns)
                self._plan(leaves, "away", rep.name)
                self._plan(returns, "back", rep.name)

    # --- the year ---------------------------------------------------------------------------------------

    def run(self, progress: Progress | None = None) -> None:
        """Walk the year a day at a time: one transaction per day, the clock set for every step in it."""
        agreement = self.inforce.agreement
        by_day = itertools.groupby(enumerate(self.ticks), lambda t: local_day(agreement, t[1]))
        days = [list(ticks) for _, ticks in by_day]
        for done, ticks in enumerate(days, 1):
            with UnitOfWork(self.engine) as uow:
                for index, at in ticks:
                    self._tick(uow, index, at)
            if progress is not None:
                progress(done, len(days))

    def _tick(self, uow: UnitOfWork, index: int, at: int) -> None:
        self._act_until(uow, at)
        self.clock.at = from_seconds(at)
        self._arrive(uow, index)
        agreement = self.inforce.agreement
        if local_day(agreement, at).weekday() in agreement.working_hours.days:
            handoff.check_sla(uow, self.clock, self.inforce)
        self._take_screenings(uow, at)
        self._react(uow, at)
        if self.mail is not None and self.clock.at.astimezone(self.zone).time() == NURTURE_TICK:
            self._nurture(uow, at, self.mail)

    def year(self) -> DemoYear:
        """The year's facts, ended at its last tick: nothing happens after it."""
        sent = Sent(
            seed=self.world.seed,
            first_day=self.world.start,
            last_day=self.world.end - timedelta(days=1),
            ended_at=from_seconds(self.ticks[-1]),
            leads=len(self.by_lead),
            events=self.sent["events"],
            late=self.sent["late"],
        )
        with UnitOfWork(self.engine) as uow:
            return describe(uow, self.inforce, sent)

    def _arrive(self, uow: UnitOfWork, index: int) -> None:
        campaigns.record_costs(uow, self.clock, self.costs[index])
        arriving = self.captures[index]
        if arriving:
            captured = intake.capture_leads(uow, self.clock, self.inforce, [_lead_input(p) for p in arriving])
            for person, (lead, _, _) in zip(arriving, captured, strict=True):
                self.lead_ids[person.number] = lead.id
                self.by_lead[lead.id] = person
                self._name_account(uow, person, lead)
                emails.sign_up(uow, lead)
        batch = []
        for number, n in self.arrivals[index]:
            touch = self.by_number[number].touches[n]
            campaign = self.campaign_ids.get(touch.campaign) if touch.campaign else None
            lead_id = self.lead_ids[number]
            batch.append(engagement.NewEvent.of(touch.event_id, lead_id, touch.type, touch.occurred_at, campaign))
            if touch.type == emails.UNSUBSCRIBE:
                emails.withdraw(uow, uow.session.get_one(Lead, lead_id), from_seconds(touch.occurred_at))
        if batch:
            engagement.ingest(uow, self.clock, self.inforce, batch)

    def _name_account(self, uow: UnitOfWork, person: Person, lead: Lead) -> None:
        """The largest accounts are named accounts: from their first lead on, each has an owner, a rep of the team
        its region routes to, to whom the agreement gives its leads while the owner can take them."""
        if (
            person.account_employees < NAMED_ACCOUNT_EMPLOYEES
            or lead.account_id is None
            or lead.account_id in self.named
        ):
            return
        self.named.add(lead.account_id)
        account = uow.session.get_one(Account, lead.account_id)
        region = team_for(self.inforce.agreement, {"account.country": person.country})
        members = sorted(r.name for r in reps.REPS if r.team == region)
        if account.domain and members:
            owner = members[zlib.crc32(account.domain.encode()) % len(members)]
            accounts.set_owner(uow, self.clock, account.domain, owner)

    def _react(self, uow: UnitOfWork, now: int) -> None:
        """Plan each new assignment's first move: a review, or a call when it came already accepted."""
        uow.session.flush()
        rows = uow.session.execute(
            select(Assignment.id, Assignment.lead_id, Assignment.user_id, Assignment.accepted_at)
            .where(Assignment.id > self.last_assignment)
            .order_by(Assignment.id)
        )
        for assignment_id, lead_id, user_id, accepted_at in rows.all():
            self.last_assignment = assignment_id
            rep = self.reps[self.rep_names[user_id]]
            if accepted_at is None:
                if self.rng.random() >= rep.style.ignores:
                    self._after(now, rep, rep.style.review_hours, "review", lead_id, assignment_id)
            elif self.rng.random() >= rep.style.never_calls:
                self._after(now, rep, rep.style.call_hours, "call", lead_id, assignment_id)

    def _nurture(self, uow: UnitOfWork, now: int, mail: Settings) -> None:
        """The worker's nurture pass; then what each person will do with the emails that just arrived."""
        nurture.advance(uow, self.clock, self.inforce, mail.public_url)
        mailer.send_due(uow, self.clock, mail)
        arrived = uow.session.execute(
            select(NurtureMessage.id, NurtureMessage.lead_id, NurtureMessage.targets)
            .where(NurtureMessage.sent_at == self.clock.now())
            .order_by(NurtureMessage.id)
        )
        for message_id, lead_id, targets in arrived.all():
            for reaction in emails.reactions(self.nurture_rng, self.by_lead[lead_id], json.loads(targets)):
                self._plan(now + reaction.after, reaction.kind, "", lead_id, message_id, reaction.link)

    # --- the qualifiers ---------------------------------------------------------------------------------

    def _take_screenings(self, uow: UnitOfWork, now: int) -> None:
        """Each lead sent to screening since the last tick is taken by a qualifier, who plans the first call."""
        uow.session.flush()
        rows = uow.session.execute(
            select(ScreeningEntry.id, ScreeningEntry.lead_id)
            .where(ScreeningEntry.id > self.last_screening)
            .order_by(ScreeningEntry.id)
        )
        rng = self.screening_rng
        for entry_id, lead_id in rows.all():
            self.last_screening = entry_id
            qualifier = qualifiers.pick(rng)
            at = reps.after_working_hours(self.inforce.agreement, now, qualifiers.first_call_hours(rng, qualifier))
            self._plan(at, "screen", qualifier.name, lead_id, entry_id, "1")

    def _screen(self, uow: UnitOfWork, due: _Due) -> None:
        """A qualifier's call, and the decision it brings: pass, not yet or disqualify, or another call later."""
        lead = uow.session.get_one(Lead, due.lead_id)
        entry = handoff.open_screening(uow, lead) if lead.stage == Stage.SCREENING else None
        if entry is None or entry.id != due.ref:  # withdrawn by late events meanwhile
            return
        rng, person, by, calls = self.screening_rng, self.by_lead[lead.id], due.rep, int(due.value)
        outcome = qualifiers.outcome(rng, person)
        screening.call(uow, self.clock, self.inforce, lead, outcome, by=by)
        if outcome == "wrong_number":
            reason = reps.choose(rng, {"bad_data": 1}, screening.reasons(self.inforce))
            screening.disqualify(uow, self.clock, self.inforce, lead, reason, "wrong number", by=by)
        elif outcome == "no_answer" and calls < qualifiers.MAX_CALLS:
            at = reps.after_working_hours(self.inforce.agreement, due.at, qualifiers.retry_hours(rng))
            self._plan(at, "screen", by, lead.id, entry.id, str(calls + 1))
        elif outcome == "no_answer":
            screening.not_yet(uow, self.clock, self.inforce, lead, f"no answer after {calls} calls", by=by)
        else:
            agreement = self.inforce.agreement
            answers = qualifiers.answers(rng, person, agreement.questions)
            terms = screening.terms(self.inforce)
            if unready(terms, answers) is None:
                screening.pass_to_sales(uow, self.clock, self.inforce, lead, "ready: budget and a say", by, answers)
            elif qualifiers.disqualifies(rng, person):
                reason = reps.choose(rng, {"bad_data": 1}, screening.reasons(self.inforce))
                screening.disqualify(uow, self.clock, self.inforce, lead, reason, "not a buyer", by=by)
            else:
                screening.answer(uow, self.clock, self.inforce, lead, answers, by=by)
                screening.not_yet(uow, self.clock, self.inforce, lead, "not ready yet", by=by)

    # --- the reps ---------------------------------------------------------------------------------------

    def _plan(self, at: int, kind: str, rep: str, lead_id: int = 0, ref: int = 0, value: str = "") -> None:
        self.seq += 1
        heapq.heappush(self.due, _Due(at, self.seq, kind, rep, lead_id, ref, value))

    def _after(self, start: int, rep: Rep, hours: tuple[float, float], kind: str, lead_id: int, ref: int) -> None:
        at = reps.after_working_hours(self.calendars[rep.name], start, self.rng.uniform(*hours))
        self._plan(at, kind, rep.name, lead_id, ref)

    def _act_until(self, uow: UnitOfWork, until: int) -> None:
        while self.due and self.due[0].at <= until:
            due = heapq.heappop(self.due)
            self.clock.at = from_seconds(due.at)
            if due.kind in ("away", "back"):
                team.set_available(uow, self.clock, due.rep, due.kind == "back")
                continue
            if due.kind == "screen":
                self._screen(uow, due)
                continue
            if due.kind in emails.REACTIONS:
                token = uow.session.get_one(NurtureMessage, due.ref).token
                emails.react(uow, self.clock, token, due.kind, due.value)
                continue
            if due.kind in DEAL_STEPS and (due.at, due.seq) < self.deferred.get(due.ref, (0, 0)):
                # an earlier step of this deal waits for its rep to be back: this one follows it
                self._plan(self.deferred[due.ref][0], due.kind, due.rep, due.lead_id, due.ref, due.value)
                continue
            away = self.away.get(due.rep)
            if away is not None and away[0] <= due.at < away[1]:  # the rep does it when back
                self._plan(away[1] + HOUR, due.kind, due.rep, due.lead_id, due.ref, due.value)
                if due.kind in DEAL_STEPS:  # the deal's later steps wait for this one, planned just now
                    self.deferred[due.ref] = max(self.deferred.get(due.ref, (0, 0)), (away[1] + HOUR, self.seq))
                continue
            lead = uow.session.get_one(Lead, due.lead_id)
            if lead.owner_id == self.rep_ids[due.rep]:
                self._act(uow, due, lead)

    def _act(self, uow: UnitOfWork, due: _Due, lead: Lead) -> None:
        person, rep = self.by_lead[lead.id], self.reps[due.rep]
        if due.kind in ("review", "call", "qualify", "convert"):
            current = handoff.active_assignment(uow, lead)
            if current is None or current.id != due.ref:
                return
            {"review": self._review, "call": self._call, "qualify": self._qualify, "convert": self._convert}[due.kind](
                uow, due, lead, person, rep
            )
            return
        if lead.stage != Stage.OPPORTUNITY or opportunities.open_opportunity(uow, lead).id != due.ref:
            return
        if due.kind == "stage":
            opportunities.move_stage(uow, self.clock, self.inforce, lead, due.value)
        elif due.kind == "won":
            opportunities.win(uow, self.clock, self.inforce, lead)
            self._feedback(uow, lead, person, "won")
        else:
            opportunities.lose(uow, self.clock, self.inforce, lead, due.value)
            self._feedback(uow, lead, person, "lost", due.value)

    def _feedback(self, uow: UnitOfWork, lead: Lead, person: Person, moment: str, reason: str | None = None) -> None:
        """What the rep notes, from the agreement's feedback lists (none without them)."""
        lists = self.inforce.agreement.feedback
        given = reps.feedback(self.feedback_rng, person, moment, lists, reason) if lists else None
        if given is not None:
            feedback.record(uow, self.clock, self.inforce, lead, moment, given)

    def _review(self, uow: UnitOfWork, due: _Due, lead: Lead, person: Person, rep: Rep) -> None:
        if lead.stage != Stage.MQL:
            return
        reason = reps.review(self.rng, person, list(self.inforce.agreement.reject_reasons))
        if reason is not None:
            sales.reject(uow, self.clock, self.inforce, lead, reason)
            return
        sales.accept(uow, self.clock, self.inforce, lead)
        if self.rng.random() >= rep.style.never_calls:
            self._after(due.at, rep, rep.style.call_hours, "call", lead.id, due.ref)

    def _call(self, uow: UnitOfWork, due: _Due, lead: Lead, person: Person, rep: Rep) -> None:
        if lead.stage not in WORKING:
            return
        if sales.contact(uow, self.clock, lead):
            self._feedback(uow, lead, person, "contact")
        if lead.stage == Stage.SAL:
            self._after(due.at, rep, (8.0, 60.0), "qualify", lead.id, due.ref)

    def _qualify(self, uow: UnitOfWork, due: _Due, lead: Lead, person: Person, rep: Rep) -> None:
        """After the first conversations: back to marketing, or the answers that make it an SQL."""
        if lead.stage != Stage.SAL:
            return
        agreement = self.inforce.agreement
        reason = reps.after_call(self.rng, person, list(agreement.reject_reasons))
        if reason is not None:
            sales.reject(uow, self.clock, self.inforce, lead, reason)
            return
        sales.qualify(uow, self.clock, self.inforce, lead, reps.answers(self.rng, person, agreement.questions))
        self._after(due.at, rep, (2.0, 24.0), "convert", lead.id, due.ref)

    def _convert(self, uow: UnitOfWork, due: _Due, lead: Lead, person: Person, rep: Rep) -> None:
        """A deal is opened, or the lead sent back after all; how the deal will go is settled when it opens."""
        if lead.stage != Stage.SQL:
            return
        agreement = self.inforce.agreement
        reason = reps.before_deal(self.rng, person, list(agreement.reject_reasons))
        if reason is not None:
            sales.reject(uow, self.clock, self.inforce, lead, reason)
            return
        closes = (self.clock.at + timedelta(days=self.rng.randint(45, 150))).date()
        deal = opportunities.convert(uow, self.clock, self.inforce, lead, reps.deal_amount(self.rng, person), closes)
        at = due.at
        for step in reps.deal_path(self.rng, person, agreement.stage_names(), agreement.lost_reasons):
            at = reps.after_working_hours(self.calendars[rep.name], at + step.days * DAY, 1.0)
            self._plan(at, step.kind, rep.name, lead.id, deal.id, step.value)


def _ticks(agreement: Agreement, start: date, end: date) -> list[int]:
    """The moments the world is looked at, ending with the world's last moment."""
    zone = ZoneInfo(agreement.timezone)
    end_at = seconds(end)
    out: list[int] = []
    for offset in range((end - start).days + 1):
        day = start + timedelta(days=offset)
        moments = WORKING_TICKS if day.weekday() in agreement.working_hours.days else (QUIET_TICK,)
        out.extend(int(datetime.combine(day, m, tzinfo=zone).timestamp()) for m in moments)
    return sorted({at for at in out if seconds(start) <= at < end_at} | {end_at})


def _lead_input(person: Person) -> intake.LeadInput:
    return intake.LeadInput(
        email=person.email,
        first_name=person.first_name,
        last_name=person.last_name,
        title=person.title,
        company=person.company,
        domain=person.domain,
        industry=person.industry,
        employees=person.employees,
        country=person.country,
        source=person.source,
        campaign=person.campaign,
        created_at=from_seconds(person.created_at),
    )
