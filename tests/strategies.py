"""Hypothesis strategies shared by the unit and service tests: moments near the hard edges of the calendar."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import strategies as st

from leadpact.domain.scoring import EventFact

CHICAGO_EDGES = (
    datetime(2026, 3, 8, 6, 0, tzinfo=UTC),  # midnight CST: the day the clocks spring forward begins
    datetime(2026, 3, 8, 8, 0, tzinfo=UTC),  # 02:00 CST becomes 03:00 CDT
    datetime(2026, 3, 9, 5, 0, tzinfo=UTC),  # midnight CDT: that 23-hour day ends
    datetime(2026, 11, 1, 5, 0, tzinfo=UTC),  # midnight CDT: the day the clocks fall back begins
    datetime(2026, 11, 1, 7, 0, tzinfo=UTC),  # 02:00 CDT becomes 01:00 CST
    datetime(2026, 11, 2, 6, 0, tzinfo=UTC),  # midnight CST: that 25-hour day ends
    datetime(2026, 6, 15, 5, 0, tzinfo=UTC),  # an ordinary midnight CDT
)
"""Moments where a local calendar day in America/Chicago starts, ends or changes length."""

EXAMPLE_TYPES = (
    "demo_request",
    "contact_form",
    "pricing_page_view",
    "webinar_attended",
    "webinar_registered",
    "whitepaper_download",
    "tradeshow_booth_visit",
    "form_submit",
    "email_click",
    "email_open",
    "unsubscribe",
)
CAPPED_TYPES = ("pricing_page_view", "email_click", "email_open", "unsubscribe")
UNKNOWN_TYPES = ("page_scroll", "chat_started")


def near_edges(spread: int = 30 * 3600) -> st.SearchStrategy[int]:
    """UTC seconds close to a local midnight or a daylight-saving change in Chicago."""
    offset = st.one_of(
        st.integers(-spread, spread),
        st.sampled_from((-3601, -3600, -1, 0, 1, 3599, 3600)),
    )
    return st.builds(
        lambda edge, s: int((edge + timedelta(seconds=s)).timestamp()), st.sampled_from(CHICAGO_EDGES), offset
    )


def event_facts(
    max_size: int = 25, types: tuple[str, ...] = (*EXAMPLE_TYPES, *CAPPED_TYPES, *UNKNOWN_TYPES)
) -> st.SearchStrategy[list[EventFact]]:
    """Events of a lead with distinct ids (the store has already dropped repeated ids), capped types often."""
    fact = st.tuples(near_edges(), st.sampled_from(types))
    return st.lists(fact, max_size=max_size).map(
        lambda items: [EventFact(at, f"e{n:03d}", kind) for n, (at, kind) in enumerate(items)]
    )
