"""The example agreement with a screening section, for the screening tests."""

from __future__ import annotations

from tests.conftest import EXAMPLE

SECTION = """
screening:
  when: {score_at_least: 25, grades: [A, B, C], sources: [webinar, Tradeshow]}
  team: sdr
  first_call_within: 4h
  ready:
    budget: [yes]
    authority: [decision_maker, influencer]
  not_yet_days: 30
"""


def with_screening(section: str = SECTION) -> str:
    """The example agreement's text with a screening section added at the end."""
    return EXAMPLE.read_text() + section
