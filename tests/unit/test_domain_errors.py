"""A throttled request says when to try again."""

from __future__ import annotations

from leadpact.domain.errors import Throttled


def test_a_throttled_request_carries_its_wait_and_its_code() -> None:
    error = Throttled("posted too often; try again in 30 seconds", retry_after=30)
    assert (error.code, error.detail, error.retry_after) == (
        "too_many_requests",
        "posted too often; try again in 30 seconds",
        30,
    )
