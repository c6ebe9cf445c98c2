"""A working calendar without working time is refused, not waited on for ever."""

from __future__ import annotations

from dataclasses import replace

import pytest

from leadpact.domain.agreement import Duration
from leadpact.domain.calendar import add_working_time, working_seconds_between
from tests.factories import parsed

EXAMPLE = parsed()
NO_WORKING_DAYS = replace(EXAMPLE, working_hours=replace(EXAMPLE.working_hours, days=()))
MONDAY_9AM = 1_772_463_600  # Monday 2 March 2026, 09:00 in Chicago


def test_working_time_cannot_be_added_on_a_calendar_with_no_working_day() -> None:
    with pytest.raises(ValueError, match="no working time"):
        add_working_time(NO_WORKING_DAYS, MONDAY_9AM, Duration(4, "h"))


def test_a_calendar_with_no_working_day_counts_no_working_time_between_two_moments() -> None:
    friday_6pm = MONDAY_9AM + 4 * 86_400 + 9 * 3600
    assert working_seconds_between(EXAMPLE, MONDAY_9AM, friday_6pm) == (9 + 4 * 10) * 3600
    assert working_seconds_between(NO_WORKING_DAYS, MONDAY_9AM, friday_6pm) == 0
