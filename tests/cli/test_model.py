"""'leadpact model train' and 'leadpact model show' on the small world of tests.learning.leadmodel_world."""

from __future__ import annotations

import json

import pytest

from leadpact.cli.common import as_at
from leadpact.cli.model import FEATURES
from tests.cli.test_tables import WIDTHS, at_width, grids, readable
from tests.learning.leadmodel_world import AS_OF, World, shared
from tests.test_cli_access import refused, run

AT = as_at(AS_OF)


@pytest.fixture
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    return shared("sqlite", tmp_path_factory.getbasetemp())


def url_of(world: World) -> str:
    return world.engine.url.render_as_string(hide_password=False)


def test_a_model_is_trained_shown_and_trained_again_as_a_new_version(world: World) -> None:
    url = url_of(world)
    printed = run(url, "model", "train", "--at", AT, "--horizon", "30")
    assert "Trained model version 1: the chance a hand-off reaches an opportunity within 30 days." in printed
    assert "checked on the validation months 2026-09, 2026-10" in printed
    for words in ("AUC (ranking; 0.5 is chance)", "Brier score", "calibration error", "lift in the top tenth"):
        assert words in printed
    assert "The model ranks the validation hand-offs better than the agreement's score" in printed
    shown = run(url, "model", "show")
    assert "Model version 1: the chance a hand-off reaches an opportunity within 30 days." in shown
    assert "as of 2026-12-01T00:00:00Z, under agreement v1; engagement at a hand-off decays with a half-life of 30" in (
        shown.replace("\n", " ")
    )
    for feature in ("industry", "source", "events.pricing_page_view", "the account's industry, else the lead's own"):
        assert feature in shown
    again = json.loads(run(url, "model", "train", "--at", AT, "--horizon", "30", "--json"))
    assert (again["version"], again["target"], again["summary"]["horizon_days"]) == (2, "opportunity", 30)
    first = json.loads(run(url, "model", "show", "--version", "1", "--json"))
    assert first["version"] == 1
    assert first["summary"]["quality"] == again["summary"]["quality"]  # the same history gives the same model
    assert first["rows"] == first["summary"]["training"]["rows"] + first["summary"]["validation"]["rows"]
    assert "Versions: 1 (opportunity, as of 2026-12-01T00:00:00Z" in run(url, "model", "show")


def test_too_little_history_and_wrong_options_are_refused_naming_what_is_needed(world: World) -> None:
    url = url_of(world)
    early = refused(url, "model", "train", "--at", "2026-05-01T00:00:00Z", "--horizon", "30")
    assert early.startswith("too little history to learn from: ")
    assert "the model needs at least 200 such hand-offs, with at least 40 of each outcome" in early
    assert refused(url, "model", "train", "--target", "revenue").startswith(
        "--target: 'revenue' is not something the model predicts; choose opportunity or won"
    )
    assert refused(url, "model", "train", "--horizon", "0").startswith("--horizon: 0 is not a number of days")
    assert refused(url, "model", "train", "--at", "yesterday").startswith("--at: 'yesterday' is not an ISO 8601")
    assert refused(url, "model", "show").startswith("no model has been trained yet; run 'leadpact model train'")
    assert refused(url, "model", "show", "--version", "4").startswith("there is no model version 4")


@pytest.mark.parametrize("width", WIDTHS)
def test_a_model_reads_in_a_terminal(world: World, width: int) -> None:
    url = url_of(world)
    trained = at_width(url, width, "model", "train", "--at", AT, "--horizon", "30")
    shown = at_width(url, width, "model", "show")
    for printed in (trained, shown):
        readable(printed, width)
    quality = ["on the validation months", "model", "baseline: the agreement's score"]
    assert [grid.headings[:3] for grid in grids(trained)] == [quality]
    assert [grid.headings for grid in grids(shown)][1] == [column.heading for column in FEATURES]
