"""The demo world: accounts, people, campaigns and their costs, and what the people do over a year.

- Accounts are companies with an industry, a size (log-normal, median about 200 employees) and a country
  (US-heavy, a quarter in Europe). Each has one to a dozen people with job titles.
- The ideal customer, which the world knows and the agreement only approximates, is a manufacturing,
  logistics or automotive company of 200 to 5,000 employees, reached through a senior person. A person's
  hidden ``fit`` says how close they are to it.
- Some accounts are in a buying window for a few months: their people read pricing, ask for demos and reply
  to sales. A person's hidden ``intent`` says how much; fit and intent set how much a person engages, what
  they do, how sales judges them and whether they buy.
- Most people arrive through one campaign (their first touch); its channel is the lead's source. Campaigns
  cost money by their channel's model: a booth, clicks, a price per syndicated lead or per purchased record.
- A few are prospected by sales itself (source ``outbound``): an SDR picks a person at a well-fitting
  account and sends a short sequence of emails; a prospect who answers books a meeting. No campaign brings
  them, so they cost no campaign money.
- About one person in a hundred comes back weeks later under a tagged address (``ann+webinar@acme.com``) and
  downloads something: a duplicate lead, for ``leadpact dedupe`` to find.
- Events arrive when they happen, except trade-show scans (uploaded days after the show), a few late syncs,
  and a few retries that send an event id twice.

Everything is drawn from ``random.Random`` seeded by the world's seed, in a fixed order, so a seed always
gives the same world. People are streamed one at a time with their events: a million leads never sit in
memory together.
"""

from __future__ import annotations

import bisect
import dataclasses
import itertools
import math
import random
import re
from collections import defaultdict
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from leadpact.demo import catalog
from leadpact.demo.campaigns import CHANNEL_SHARES, Campaign, Cost, campaign_costs, plan_campaigns
from leadpact.demo.catalog import Country, Industry

DAY = 86_400
HOUR = 3_600
START = date(2025, 11, 24)
"""The world's first day (a Monday); the world runs a year up to ``END``, so its results never change."""
END = date(2026, 11, 21)
"""The day after the world's last day."""
EMEA = frozenset({"DE", "FR", "GB", "NL", "ES", "IT", "SE", "PL", "CH"})
OUTBOUND = "outbound"
"""The source of the people sales prospects itself."""
EVENT_IDS = "evt-"
"""How the ids of the world's events begin."""
DUPLICATE_SHARE = 0.01
"""The share of people who come back as a second lead under a tagged address, a duplicate to find and merge."""
OUTBOUND_SHARE = 0.05
"""Outbound's weight among the first-touch channels, before each person's fit shifts it (SDRs pick good fits)."""
SEQUENCE_DAYS = (0, 3, 8, 15)
"""The days, from the prospect's entry, on which an SDR's sequence sends its emails."""
_SLUG = re.compile(r"[^a-z]")


@dataclass(frozen=True, slots=True)
class Touch:
    """One event: what the person did, when, through which campaign, and when leadpact hears of it."""

    event_id: str
    type: str
    occurred_at: int
    campaign: str | None
    arrives_at: int


@dataclass(frozen=True, slots=True)
class Person:
    """A lead as the world knows it: the fields a form or list gives, plus what only the world knows."""

    number: int
    email: str
    first_name: str
    last_name: str
    title: str | None
    company: str | None
    domain: str | None
    industry: str | None
    employees: int | None
    country: str | None
    source: str
    campaign: str | None  # None: prospected by sales, no campaign brought them
    created_at: int
    arrives_at: int
    fit: float  # hidden: closeness to the ideal customer, 0..1
    intent: float  # hidden: how much they want to buy now, 0..1
    power: float  # hidden: the title's buying power, 0..1
    account_employees: int  # hidden when the source did not give it
    in_market: bool  # hidden: the account is in a buying window this year
    touches: tuple[Touch, ...]


@dataclass(frozen=True, slots=True)
class _Account:
    name: str
    domain: str
    industry: Industry
    employees: int
    country: Country
    size_fit: float
    need: float
    window: tuple[int, int] | None


def seconds(day: date, hour: float = 0.0) -> int:
    return int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp() + hour * HOUR)


def day_of(at: int) -> date:
    return datetime.fromtimestamp(at, UTC).date()


def size_fit(employees: int) -> float:
    """How well a company's size matches the ideal 200 to 5,000 employees."""
    if 200 <= employees <= 5000:
        return 1.0
    if 5000 < employees <= 20000:
        return 0.6
    if 100 <= employees < 200:
        return 0.5
    return 0.15


def _weighted(rng: random.Random, cumulative: Sequence[float]) -> int:
    return bisect.bisect(cumulative, rng.random() * cumulative[-1])


def _cumulative(weights: Sequence[float]) -> list[float]:
    return list(itertools.accumulate(weights))


def _slug(text: str) -> str:
    return _SLUG.sub("", text.lower())


def brand(index: int, seed: int) -> str:
    """An invented company brand, unique per index: a bijection of the index onto syllable combinations."""
    heads, middles, tails = catalog.BRAND_HEADS, catalog.BRAND_MIDDLES, catalog.BRAND_TAILS
    tiers = (
        len(heads) * len(tails),
        len(heads) * len(middles) * len(tails),
        len(heads) * len(middles) * len(middles) * len(tails),
    )
    rest = index
    for depth, size in enumerate(tiers):
        if rest < size:
            # 7919 is prime and shares no factor with any tier size (all 2^a * 5^b), so this permutes the tier
            code = (rest * 7919 + seed * 104_729) % size
            head, code = heads[code % len(heads)], code // len(heads)
            tail, code = tails[code % len(tails)], code // len(tails)
            parts = [middles[(code // len(middles) ** i) % len(middles)] for i in range(depth)]
            return head + "".join(parts) + tail
        rest -= size
    return f"{brand(rest % tiers[0], seed)}{rest // tiers[0] + 2}"


class World:
    """A seeded world of ``leads`` people: its campaigns, its people streamed in order, and their costs."""

    def __init__(self, leads: int, seed: int, start: date = START, end: date = END) -> None:
        if leads < 1:
            raise ValueError("a world needs at least one lead")
        self.leads = leads
        self.seed = seed
        self.start = start
        self.end = end
        self.campaigns = plan_campaigns(random.Random(f"campaigns-{seed}"), leads, start, end)
        self._industries = _cumulative([i.weight for i in catalog.INDUSTRIES])
        self._countries = _cumulative([c.weight for c in catalog.COUNTRIES])
        self._titles = _cumulative([t.weight for t in catalog.TITLES])
        # when each send, webinar and show happens, worked out once rather than for every person
        self.newsletters = sorted(
            (seconds(c.started_on, 15), c.name) for c in self.campaigns if c.channel == "email" and c.weight > 0
        )
        self.welcome_series = next(c for c in self.campaigns if c.channel == "email" and c.weight == 0).name
        self.webinars = [(seconds(c.ended_on, 16), c.name) for c in self.campaigns if c.channel == "webinar"]
        shows = [c for c in self.campaigns if c.channel == "trade_show"]
        self.shows = [(seconds(c.started_on, 15), c.name, c.region) for c in shows]
        self.uploads = {c.name: seconds(c.ended_on, 15) for c in shows}  # scans arrive days after this
        self._choices = {
            (channel, region): _regional(self.campaigns, channel, region)
            for channel in CHANNEL_SHARES
            for region in ("americas", "emea")
        }

    @property
    def end_at(self) -> int:
        return seconds(self.end)

    def people(self) -> Iterator[Person]:
        """Every person, account by account; the same seed gives the same people in the same order."""
        rng = random.Random(self.seed)
        twins = random.Random(f"duplicates-{self.seed}")  # their own draws: everyone else is drawn as before
        made = 0
        for index in itertools.count():
            account = self._account(rng, index)
            used: set[str] = set()
            for _ in range(_staff_size(rng, account)):
                person = self._person(rng, account, made, used)
                yield person
                made += 1
                if made == self.leads:
                    return
                twin = _duplicate(twins, person, made, self.end_at) if twins.random() < DUPLICATE_SHARE else None
                if twin is not None:
                    yield twin
                    made += 1
                    if made == self.leads:
                        return

    def costs(self, first_touches: Mapping[tuple[str, date], int]) -> Iterator[Cost]:
        """Each campaign's cost per day, from its plan and the first touches it brought, per campaign and day."""
        by_campaign: dict[str, dict[date, int]] = defaultdict(dict)
        for (name, day), count in first_touches.items():
            by_campaign[name][day] = count
        for campaign in self.campaigns:
            rng = random.Random(f"{self.seed}-{campaign.name}")
            for day, amount in campaign_costs(campaign, rng, by_campaign[campaign.name]):
                if amount > 0:
                    yield Cost(campaign.name, day, round(amount, 2))

    # --- accounts and people --------------------------------------------------------------------------

    def _account(self, rng: random.Random, index: int) -> _Account:
        industry = catalog.INDUSTRIES[_weighted(rng, self._industries)]
        country = catalog.COUNTRIES[_weighted(rng, self._countries)]
        employees = max(2, min(250_000, round(rng.lognormvariate(5.3, 1.5))))
        fit_of_size = size_fit(employees)
        need = 0.55 * industry.affinity + 0.3 * fit_of_size + 0.15 * rng.random()
        window = None
        if rng.random() < 0.04 + 0.4 * need**2:
            opens = seconds(self.start) + rng.randrange((self.end - self.start).days - 30) * DAY
            window = (opens, opens + rng.randint(45, 120) * DAY)
        name = brand(index, self.seed)
        return _Account(
            name=f"{name} {rng.choice(industry.nouns)}",
            domain=f"{name.lower()}.{country.tld}",
            industry=industry,
            employees=employees,
            country=country,
            size_fit=fit_of_size,
            need=need,
            window=window,
        )

    def _person(self, rng: random.Random, account: _Account, number: int, used: set[str]) -> Person:
        title = catalog.TITLES[_weighted(rng, self._titles)]
        first, last = rng.choice(catalog.FIRST_NAMES), rng.choice(catalog.LAST_NAMES)
        fit = 0.4 * account.industry.affinity + 0.3 * account.size_fit + 0.3 * title.power
        fit = min(1.0, max(0.0, fit + rng.gauss(0.0, 0.05)))
        in_market = account.window is not None and title.power >= 0.1
        intent = 0.5 + 0.5 * rng.random() if in_market else 0.05 + 0.3 * rng.random()
        channel = self._channel(rng, fit, intent)
        region = "emea" if account.country.code in EMEA else "americas"
        campaign = None if channel == OUTBOUND else self._campaign(rng, channel, region)
        if campaign is None:
            created, arrives = self._prospected(rng, account.country)
        else:
            created, arrives = self._first_moment(rng, campaign, account.country)
        free_mail = rng.random() < 0.06 + 0.4 * (title.power < 0.05) + 0.25 * (account.employees < 20)
        email = _email(rng, first, last, account, number, used, free_mail)
        given = _given_fields(rng, channel)
        person = _Behaviour(self, rng, account, created, arrives, intent, in_market, title.power)
        return Person(
            number=number,
            email=email,
            first_name=first,
            last_name=last,
            title=title.name if rng.random() > 0.04 else None,
            company=account.name if not free_mail or rng.random() < 0.85 else None,
            domain=account.domain if not free_mail or rng.random() < 0.3 else None,
            industry=account.industry.name if "industry" in given else None,
            employees=account.employees if "employees" in given else None,
            country=account.country.code,
            source=channel,
            campaign=campaign.name if campaign is not None else None,
            created_at=created,
            arrives_at=arrives,
            fit=fit,
            intent=intent,
            power=title.power,
            account_employees=account.employees,
            in_market=in_market,
            touches=person.touches(channel, campaign, number),
        )

    def _channel(self, rng: random.Random, fit: float, intent: float) -> str:
        """The first-touch channel: good-fit people come more through shows and partners, poor fit through lists;
        sales prospects good fits itself."""
        shift = {
            "trade_show": 0.5 + fit,
            "partner": 0.3 + 1.4 * fit,
            "purchased_list": 1.4 - fit,
            "content_syndication": 1.2 - 0.5 * fit,
            "webinar": 0.8 + 0.4 * intent,
            OUTBOUND: 4 * fit**2,
        }
        shares = {**CHANNEL_SHARES, OUTBOUND: OUTBOUND_SHARE}
        channels = list(shares)
        weights = _cumulative([shares[c] * shift.get(c, 1.0) for c in channels])
        return channels[_weighted(rng, weights)]

    def _campaign(self, rng: random.Random, channel: str, region: str) -> Campaign:
        options, cumulative = self._choices[(channel, region)]
        return options[_weighted(rng, cumulative)]

    def _prospected(self, rng: random.Random, country: Country) -> tuple[int, int]:
        """(when an SDR enters a prospect, the same): a weekday of the year, in the prospect's working hours."""
        days = (self.end - self.start).days
        day = self.start + timedelta(days=rng.randrange(days))
        while day.weekday() >= 5:
            day = self.start + timedelta(days=rng.randrange(days))
        at = min(seconds(day, rng.uniform(8, 17) - country.utc_offset), self.end_at - DAY)
        return at, at

    def _first_moment(self, rng: random.Random, campaign: Campaign, country: Country) -> tuple[int, int]:
        """(when the person responded, when leadpact hears of it): scans are uploaded days after a show."""
        local = -country.utc_offset
        span = (campaign.ended_on - campaign.started_on).days + 1
        if campaign.channel == "trade_show":
            day = campaign.started_on + timedelta(days=rng.randrange(span))
            at = seconds(day, rng.uniform(9, 17) + local)
            return at, seconds(campaign.ended_on, 15) + rng.randint(2, 6) * DAY
        if campaign.channel == "purchased_list":
            at = seconds(campaign.started_on, 15)
            return at, at
        if campaign.channel == "webinar":
            day = campaign.ended_on - timedelta(days=rng.randint(1, 20))
        else:
            day = campaign.started_on + timedelta(days=rng.randrange(span))
            while day.weekday() >= 5 and rng.random() < 0.65:  # fewer business inquiries on weekends
                day = campaign.started_on + timedelta(days=rng.randrange(span))
        at = min(seconds(day, rng.uniform(7, 20) + local), self.end_at - DAY)
        return at, at


def _regional(campaigns: Sequence[Campaign], channel: str, region: str) -> tuple[list[Campaign], list[float]]:
    """A channel's first-touch campaigns for people of a region: regional campaigns mostly reach their own."""
    options = [c for c in campaigns if c.channel == channel and c.weight > 0]
    return options, _cumulative([c.weight * (1.0 if c.region in (None, region) else 0.08) for c in options])


def _staff_size(rng: random.Random, account: _Account) -> int:
    """How many people of an account become leads: one mostly, more at larger companies and buying ones."""
    more = 0.3 + 0.25 * math.log10(account.employees) + (0.8 * account.need if account.window else 0.0)
    count = 1
    while count < 12 and rng.random() < more / (1 + more):
        count += 1
    return count


def _email(
    rng: random.Random, first: str, last: str, account: _Account, number: int, used: set[str], free_mail: bool
) -> str:
    """A work address unique within the account, or a free-mail address made unique by the person's number."""
    a, b = _slug(first), _slug(last)
    if free_mail:
        return f"{a}.{b}{number}@{rng.choice(account.country.free_mail)}"
    for local in (f"{a}.{b}", f"{a[0]}{b}", f"{a}{b[0]}", f"{a}_{b}"):
        if local not in used:
            used.add(local)
            return f"{local}@{account.domain}"
    local = next(f"{a}.{b}{n}" for n in itertools.count(2) if f"{a}.{b}{n}" not in used)
    used.add(local)
    return f"{local}@{account.domain}"


def _given_fields(rng: random.Random, channel: str) -> frozenset[str]:
    """Which firmographics besides company and country the source supplies: lists and syndication vendors
    sell them; a badge scan has what registration asked; a web form has the fields the visitor filled in."""
    if channel in ("purchased_list", "content_syndication", OUTBOUND):  # an SDR researched the account
        return frozenset({"industry", "employees"})
    industry, employees = (0.6, 0.4) if channel == "trade_show" else (0.6, 0.7)
    return frozenset(
        name for name, chance in (("industry", industry), ("employees", employees)) if rng.random() < chance
    )


class _Behaviour:
    """A person's events for the year, from the first touch on, by how engaged they are at each moment."""

    def __init__(
        self,
        world: World,
        rng: random.Random,
        account: _Account,
        created: int,
        arrives: int,
        intent: float,
        in_market: bool,
        power: float,
    ) -> None:
        self.world = world
        self.rng = rng
        self.account = account
        self.created = created
        self.arrives = arrives
        self.intent = intent
        self.in_market = in_market
        self.power = power
        self.region = "emea" if account.country.code in EMEA else "americas"
        self.bought = False  # a name on a purchased list never asked to hear from us: it engages less
        self.events: list[tuple[int, str, str | None]] = []

    def level(self, at: int) -> float:
        """How engaged the person is at a moment: curiosity that fades, and the buying window's pull."""
        base = (0.3 * self.intent if self.in_market else self.intent) * (0.5 if self.bought else 1.0)
        curiosity = base * (0.35 + 0.65 * math.exp(-(at - self.created) / (60 * DAY)))
        window = self.account.window
        if self.in_market and window is not None and window[0] <= at < window[1]:
            return max(curiosity, self.intent)
        return curiosity

    def touches(self, channel: str, first: Campaign | None, number: int) -> tuple[Touch, ...]:
        self.bought = channel in ("purchased_list", OUTBOUND)  # neither asked to hear from us
        if first is None:
            self._sequence()
        else:
            self._first(first)
        self._follow_ups()
        self._emails()
        self._webinars()
        self._shows()
        self._buying_window()
        return self._delivered(number)

    def add(self, at: int, kind: str, campaign: str | None = None) -> None:
        self.events.append((at, kind, campaign))

    def _first(self, campaign: Campaign) -> None:
        rng, at = self.rng, self.created
        channel = campaign.channel
        if channel == "trade_show":
            self.add(at, "tradeshow_booth_visit", campaign.name)
        elif channel == "webinar":
            self.add(at, "webinar_registered", campaign.name)
            if rng.random() < 0.4 + 0.35 * self.intent:
                self.add(seconds(campaign.ended_on, 16), "webinar_attended", campaign.name)
        elif channel == "content_syndication":
            self.add(at, "whitepaper_download", campaign.name)
        elif channel == "partner":
            self.add(at, "demo_request" if rng.random() < 0.25 + 0.3 * self.intent else "contact_form", campaign.name)
        elif channel in ("paid_search", "email"):
            roll = rng.random()
            kind = "demo_request" if roll < 0.12 * self.intent else "contact_form" if roll < 0.2 else "form_submit"
            self.add(at, kind, campaign.name)
        # a purchased record did nothing yet: it is a name on a list until it opens an email

    def _sequence(self) -> None:
        """An SDR's outreach: a few emails; one opened may get an answer that books a meeting, ending it."""
        rng = self.rng
        for days in SEQUENCE_DAYS:
            sent = self.created + days * DAY
            if rng.random() >= 0.3 + 0.4 * self.intent:
                continue
            opened = sent + int(rng.expovariate(1 / (6 * HOUR)))
            self.add(opened, "email_open")
            if rng.random() < 0.04 + 0.25 * self.intent * (0.4 + 0.6 * self.power):
                self.add(opened + rng.randint(HOUR, 2 * DAY), "demo_request")  # the meeting is booked
                return

    def _follow_ups(self) -> None:
        """The first three weeks: a few visits to pricing and content while the first interest lasts."""
        rng = self.rng
        kinds = ("pricing_page_view", "whitepaper_download", "form_submit", "contact_form")
        weights = _cumulative((0.2 + 0.5 * self.in_market, 0.45, 0.15, 0.05 + 0.15 * self.intent))
        for _ in range(_poisson(rng, 2.5 * self.level(self.created))):
            self.add(self.created + rng.randint(HOUR, 21 * DAY), kinds[_weighted(rng, weights)])

    def _emails(self) -> None:
        """The welcome series, then the newsletter: opens and clicks by engagement, until an unsubscribe."""
        rng, newsletters = self.rng, self.world.newsletters
        welcome = [(self.created + d * DAY, self.world.welcome_series) for d in catalog.WELCOME_SERIES_DAYS]
        later = newsletters[bisect.bisect_right(newsletters, (self.created, "\uffff")) :]
        for sent, name in sorted(welcome + later):
            engaged = self.level(sent)
            if rng.random() < 0.001 + 0.005 * (1 - engaged):
                self.add(sent + rng.randint(600, 2 * DAY), "unsubscribe", name)
                return
            if rng.random() >= 0.15 + 0.5 * engaged:
                continue
            opened = sent + int(rng.expovariate(1 / (8 * HOUR)))
            self.add(opened, "email_open", name)
            if rng.random() < 0.15:  # opened again the same day: the daily cap keeps one
                self.add(opened + rng.randint(60, 4 * HOUR), "email_open", name)
            if rng.random() < 0.2 + 0.4 * engaged:
                self.add(opened + rng.randint(5, 600), "email_click", name)
                if rng.random() < 0.3:
                    self.add(opened + rng.randint(600, HOUR), "pricing_page_view")

    def _webinars(self) -> None:
        """Later webinars: a dozen of the year's, as each person sees only some invitations."""
        rng = self.rng
        webinars = self.world.webinars
        for held, name in rng.sample(webinars, min(12, len(webinars))):
            if held > self.created + 3 * DAY and rng.random() < 0.01 + 0.08 * self.level(held):
                self.add(held - rng.randint(1, 14) * DAY, "webinar_registered", name)
                if rng.random() < 0.55:
                    self.add(held + rng.randint(0, 1800), "webinar_attended", name)

    def _shows(self) -> None:
        """Later trade shows: mostly those in the person's own region."""
        rng = self.rng
        shows = self.world.shows
        for opens, name, region in rng.sample(shows, min(4, len(shows))):
            near = 1.0 if region == self.region else 0.1
            if opens > self.created and rng.random() < near * (0.01 + 0.06 * self.level(opens)):
                self.add(opens + rng.randint(0, 2) * DAY + rng.randint(0, 6 * HOUR), "tradeshow_booth_visit", name)

    def _buying_window(self) -> None:
        """In the buying window: pricing, content, and the hand-raisers: contact forms and demo requests."""
        window = self.account.window
        if not self.in_market or window is None:
            return
        begin, end = max(window[0], self.created), min(window[1], self.world.end_at)
        if end <= begin:
            return
        rng = self.rng
        local = -self.account.country.utc_offset

        def moment() -> int:
            at = begin + rng.randrange(end - begin)
            return at - at % DAY + int((rng.uniform(8, 18) + local) * HOUR)  # in the person's working day

        for _ in range(1 + _poisson(rng, 4 * self.intent)):
            self.add(moment(), "pricing_page_view")
        for _ in range(_poisson(rng, 0.8)):
            self.add(moment(), "whitepaper_download")
        if rng.random() < 0.3:
            self.add(moment(), "form_submit")
        if rng.random() < 0.3 * self.intent:
            self.add(moment(), "contact_form")
        if rng.random() < (0.15 + 0.5 * self.intent) * (0.4 + 0.6 * self.power):
            self.add(moment(), "demo_request")

    def _delivered(self, number: int) -> tuple[Touch, ...]:
        """The events as leadpact receives them: ids, arrival times, late uploads and retried deliveries."""
        rng, out = self.rng, []
        end = self.world.end_at
        for n, (at, kind, campaign) in enumerate(sorted(e for e in self.events if self.created <= e[0] < end)):
            arrives = max(at, self.arrives)  # what a person did before leadpact knew them arrives with them
            upload = self.world.uploads.get(campaign or "")
            if kind == "tradeshow_booth_visit" and upload is not None:
                arrives = max(arrives, upload + rng.randint(2, 6) * DAY)
            elif rng.random() < 0.02:  # a sync that ran late
                arrives += rng.randint(1, 3) * DAY
            if arrives >= end:
                continue
            touch = Touch(f"{EVENT_IDS}{number}-{n}", kind, at, campaign, arrives)
            out.append(touch)
            if rng.random() < 0.01:  # a webhook retried: the same event id again
                out.append(Touch(touch.event_id, kind, at, campaign, arrives + rng.randint(300, 5400)))
        return tuple(out)


def _duplicate(rng: random.Random, person: Person, number: int, end: int) -> Person | None:
    """The same person arriving again weeks later under a tagged address (``ann+webinar@``), with one download:
    what ``leadpact dedupe`` is for. None when the world ends before then or the address is free mail."""
    created = person.created_at + rng.randint(7, 60) * DAY
    if person.domain is None or not person.email.endswith(f"@{person.domain}") or created + DAY >= end:
        return None
    local, domain = person.email.split("@")
    touch = Touch(f"{EVENT_IDS}{number}-0", "whitepaper_download", created, person.campaign, created)
    tag = rng.choice(("webinar", "news", "events"))
    return dataclasses.replace(
        person, number=number, email=f"{local}+{tag}@{domain}", created_at=created, arrives_at=created, touches=(touch,)
    )


def _poisson(rng: random.Random, mean: float) -> int:
    """A Poisson draw by Knuth's method; the means here are small."""
    limit, count, product = math.exp(-mean), 0, rng.random()
    while product > limit:
        count += 1
        product *= rng.random()
    return count
