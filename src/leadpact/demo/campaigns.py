"""The year's marketing programs on every channel, and what each costs by its channel's cost model.

- Trade shows: a big fixed cost up front (booth, travel, staff), a little more per expected visitor.
- Webinars: the platform on the day, and promotion in the two weeks before.
- Paid search: a daily spend, clicks times the cost per click, lower on weekends.
- Content syndication: a price per lead the vendor delivers (CPL); purchased lists: a price per record.
- Partners: a market-development fee each quarter and a referral fee per lead.
- Email: nearly free: a few hundred per newsletter send, and the welcome series' monthly share.

A bigger world runs more programs of each kind rather than bigger ones, so costs per lead stay realistic.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from datetime import date, timedelta

from leadpact.demo import catalog

CHANNEL_SHARES = {
    # share of first touches, before each person's fit shifts it
    "paid_search": 0.24,
    "content_syndication": 0.17,
    "webinar": 0.15,
    "trade_show": 0.12,
    "purchased_list": 0.12,
    "partner": 0.12,
    "email": 0.08,
}


@dataclass(frozen=True, slots=True)
class Campaign:
    """A marketing program: where first touches come from, and what it costs by its channel's model."""

    name: str
    channel: str
    started_on: date
    ended_on: date
    region: str | None  # "emea" or "americas" when it reaches one region more than the other
    weight: float  # its share of its channel's first touches
    unit_cost: float  # per the channel: fixed booth cost, cost per click, per lead, per record or per send
    expected_leads: float


@dataclass(frozen=True, slots=True)
class Cost:
    campaign: str
    day: date
    amount: float


def campaign_scale(leads: int) -> int:
    """How many times the default set of campaigns a world runs: a bigger world runs more programs."""
    return max(1, round(math.sqrt(leads / 2000)))


def plan_campaigns(rng: random.Random, leads: int, start: date, end: date) -> tuple[Campaign, ...]:
    """The year's campaigns on every channel, with their cost models, scaled to the world's size."""
    scale = campaign_scale(leads)
    days = (end - start).days
    plans: list[Campaign] = []
    plans += _trade_shows(rng, scale, start, days)
    plans += _webinars(rng, scale, start, days)
    plans += _always_on(rng, scale, start, end)
    plans += _syndication(rng, scale, start, days)
    plans += _lists(rng, scale, start, days)
    plans += _newsletters(rng, start, end)
    return tuple(_with_expected(_named_once(plans), leads))


def _named_once(plans: list[Campaign]) -> list[Campaign]:
    """The plans with every name used once: in a big world an outlet or vendor can run twice in one month, and
    the later program is numbered (" #2"), as costs and leads name their campaign."""
    taken: set[str] = set()
    out = []
    for plan in plans:
        name, n = plan.name, 1
        while name in taken:
            n += 1
            name = f"{plan.name} #{n}"
        taken.add(name)
        out.append(plan if name == plan.name else replace(plan, name=name))
    return out


def _with_expected(plans: list[Campaign], leads: int) -> Iterator[Campaign]:
    for channel, share in CHANNEL_SHARES.items():
        mine = [c for c in plans if c.channel == channel]
        total = sum(c.weight for c in mine)
        for c in mine:
            yield Campaign(
                c.name,
                c.channel,
                c.started_on,
                c.ended_on,
                c.region,
                c.weight,
                c.unit_cost,
                leads * share * c.weight / total,
            )


def _weekday(day: date, weekday: int) -> date:
    return day + timedelta(days=(weekday - day.weekday()) % 7)


def _numbered(name: str, index: int, pool: int) -> str:
    return name if index < pool else f"{name} #{index // pool + 1}"


def _trade_shows(rng: random.Random, scale: int, start: date, days: int) -> list[Campaign]:
    count = 4 * scale
    out = []
    for i in range(count):
        name, emea = catalog.TRADE_SHOWS[i % len(catalog.TRADE_SHOWS)]
        opens = _weekday(start + timedelta(days=int((i + 0.5) * (days - 40) / count) + rng.randint(0, 6)), 1)
        if opens.month in (7, 8, 12):  # no shows in the summer and holiday lull
            opens = _weekday(opens + timedelta(days=35), 1)
        opens = min(opens, start + timedelta(days=days - 14))
        label = f"{_numbered(name, i, len(catalog.TRADE_SHOWS))} {opens.year}"
        booth = rng.uniform(12_000, 20_000)
        out.append(
            Campaign(
                label,
                "trade_show",
                opens,
                opens + timedelta(days=2),
                "emea" if emea else "americas",
                rng.uniform(0.7, 1.3),
                booth,
                0,
            )
        )
    return out


def _webinars(rng: random.Random, scale: int, start: date, days: int) -> list[Campaign]:
    count = 12 * scale
    out = []
    for i in range(count):
        topic = catalog.WEBINAR_TOPICS[i % len(catalog.WEBINAR_TOPICS)]
        held = _weekday(start + timedelta(days=21 + int(i * (days - 28) / count)), rng.choice((2, 3)))
        name = f"Webinar: {_numbered(topic, i, len(catalog.WEBINAR_TOPICS))}"
        out.append(Campaign(name, "webinar", held - timedelta(days=21), held, None, rng.uniform(0.6, 1.4), 1500, 0))
    return out


def _always_on(rng: random.Random, scale: int, start: date, end: date) -> list[Campaign]:
    """Paid search and partner programs run all year, each in one region."""
    last = end - timedelta(days=2)
    out = []
    for i in range(2 * scale):
        region = "americas" if i % 2 == 0 else "emea"
        group = catalog.SEARCH_GROUPS[(i // 2) % len(catalog.SEARCH_GROUPS)]
        name = f"Paid search - {'Americas' if region == 'americas' else 'EMEA'} - {group}"
        cpc = rng.uniform(2.8, 5.5)
        out.append(
            Campaign(
                _numbered(name, i, 2 * len(catalog.SEARCH_GROUPS)),
                "paid_search",
                start,
                last,
                region,
                rng.uniform(0.7, 1.3),
                cpc,
                0,
            )
        )
    for i in range(2 * scale):
        partner = catalog.PARTNERS[i % len(catalog.PARTNERS)]
        region = "emea" if "EMEA" in partner else "americas"
        name = _numbered(f"Partner - {partner}", i, len(catalog.PARTNERS))
        out.append(Campaign(name, "partner", start, last, region, rng.uniform(0.7, 1.3), 120, 0))
    return out


def _syndication(rng: random.Random, scale: int, start: date, days: int) -> list[Campaign]:
    count = 4 * scale
    out = []
    for i in range(count):
        opens = start + timedelta(days=int(i * (days - 90) / count) + rng.randint(0, 20))
        outlet = catalog.SYNDICATION_OUTLETS[i % len(catalog.SYNDICATION_OUTLETS)]
        name = _numbered(f"Syndication - {outlet} - {opens:%b %Y}", i, len(catalog.SYNDICATION_OUTLETS) * 12)
        closes = min(opens + timedelta(days=rng.randint(60, 89)), start + timedelta(days=days - 2))
        out.append(
            Campaign(name, "content_syndication", opens, closes, None, rng.uniform(0.7, 1.3), rng.uniform(45, 85), 0)
        )
    return out


def _lists(rng: random.Random, scale: int, start: date, days: int) -> list[Campaign]:
    count = 3 * scale
    out = []
    for i in range(count):
        bought = _weekday(start + timedelta(days=int((i + 0.3) * (days - 30) / count)), 0)
        vendor = catalog.LIST_VENDORS[i % len(catalog.LIST_VENDORS)]
        name = _numbered(f"List - {vendor} - {bought:%b %Y}", i, len(catalog.LIST_VENDORS) * 12)
        out.append(
            Campaign(name, "purchased_list", bought, bought, None, rng.uniform(0.6, 1.4), rng.uniform(2.5, 6.0), 0)
        )
    return out


def _newsletters(rng: random.Random, start: date, end: date) -> list[Campaign]:
    """A weekly newsletter on Tuesdays, each send a campaign; the welcome series runs all year."""
    out = [Campaign("Nurture - welcome series", "email", start, end - timedelta(days=1), None, 0.0, 300, 0)]
    day = _weekday(start, 1)
    while day < end:
        out.append(Campaign(f"Newsletter {day:%Y-%m-%d}", "email", day, day, None, 1.0, rng.uniform(150, 300), 0))
        day += timedelta(days=catalog.NEWSLETTER_EVERY_DAYS)
    return out


def campaign_costs(
    campaign: Campaign, rng: random.Random, leads_by_day: Mapping[date, int]
) -> Iterator[tuple[date, float]]:
    """A campaign's spend per day, by its channel's cost model; ``leads_by_day`` counts its first touches."""
    c = campaign
    span = [c.started_on + timedelta(days=d) for d in range((c.ended_on - c.started_on).days + 1)]
    if c.channel == "trade_show":
        # booth, travel and staff, paid up front; a little per visitor for badge scanning and follow-up kits
        yield c.started_on, c.unit_cost + 150 * c.expected_leads
    elif c.channel == "webinar":
        for day in span[-15:-1]:
            yield day, 40 * c.expected_leads / 14
        yield c.ended_on, c.unit_cost
    elif c.channel == "paid_search":
        per_day = c.expected_leads / len(span) / 0.035  # clicks a day at a 3.5 % conversion to a form
        for day in span:
            weekend = 0.45 if day.weekday() >= 5 else 1.0
            yield day, per_day * weekend * rng.uniform(0.8, 1.2) * c.unit_cost
    elif c.channel in ("content_syndication", "purchased_list"):
        for day, count in sorted(leads_by_day.items()):  # a price per lead delivered, or per record bought
            yield day, c.unit_cost * count
    elif c.channel == "partner":
        # a market-development fee each quarter, and a referral fee per lead
        fees = {day: 6000.0 for day in span if day.day == 1 and day.month in (1, 4, 7, 10)}
        for day, count in leads_by_day.items():
            fees[day] = fees.get(day, 0.0) + c.unit_cost * count
        yield from sorted(fees.items())
    elif c.weight > 0:
        yield c.started_on, c.unit_cost  # a newsletter send: the email platform and the writing
    else:
        for day in span:
            if day.day == 1:
                yield day, c.unit_cost  # the welcome series' share of the platform, monthly
