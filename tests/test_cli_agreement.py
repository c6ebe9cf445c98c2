"""'leadpact agreement adopt': the two names it signs with are the managers of each side, once there are any."""

from __future__ import annotations

from sqlalchemy import Engine, select
from typer.testing import CliRunner

from leadpact.cli import app
from leadpact.cli.common import worded
from leadpact.domain.errors import InvalidInput
from leadpact.services.clock import FixedClock
from leadpact.store.tables import AgreementVersion
from leadpact.store.unit_of_work import UnitOfWork
from tests.conftest import EXAMPLE
from tests.people import seed_people


def _adopt(engine: Engine, marketing: str, sales: str) -> tuple[int, str, BaseException | None]:
    url = engine.url.render_as_string(hide_password=False)
    args = ["--db", url, "agreement", "adopt", str(EXAMPLE), "--marketing", marketing, "--sales", sales]
    result = CliRunner().invoke(app, args)
    return result.exit_code, result.output, result.exception


def _versions(engine: Engine) -> list[tuple[str, str]]:
    with UnitOfWork(engine) as uow:
        rows = uow.session.execute(select(AgreementVersion.marketing_signoff, AgreementVersion.sales_signoff))
        return [(m, s) for m, s in rows]


def test_adopting_names_managers_of_each_side_once_the_store_has_them(sqlite_engine: Engine, clock: FixedClock) -> None:
    seed_people(sqlite_engine, clock, passwords=False)  # dana manages for marketing, sam for sales
    for marketing, sales, option in (("Anybody", "sam", "--marketing"), ("dana", "Whoever", "--sales")):
        code, _, error = _adopt(sqlite_engine, marketing, sales)
        assert isinstance(error, InvalidInput), error
        assert worded(error).startswith(f"{option}: ")
    code, _, error = _adopt(sqlite_engine, "sam", "dana")  # each signs for their own side only
    assert isinstance(error, InvalidInput)
    assert "managers for marketing: dana" in error.detail
    assert _versions(sqlite_engine) == []
    code, output, error = _adopt(sqlite_engine, "dana", "sam")
    assert (code, error) == (0, None), output
    assert "note:" not in output
    assert _versions(sqlite_engine) == [("dana", "sam")]


def test_a_blank_signer_is_refused_naming_the_option(sqlite_engine: Engine) -> None:
    for marketing, sales, option in (("  ", "Sam Ortiz", "--marketing"), ("Dana Lee", "", "--sales")):
        _, _, error = _adopt(sqlite_engine, marketing, sales)
        assert isinstance(error, InvalidInput), error
        side = option.removeprefix("--")
        assert worded(error) == f"{option}: an agreement needs both sign-offs: name who signs for {side}"
    assert _versions(sqlite_engine) == []


def test_without_managers_the_names_are_taken_and_the_command_says_it_did_not_check_them(
    sqlite_engine: Engine,
) -> None:
    code, output, error = _adopt(sqlite_engine, "Dana Lee", "Sam Ortiz")
    assert (code, error) == (0, None), output
    assert "note: the signers' names were not checked: no manager of either side is recorded yet" in output
    assert _versions(sqlite_engine) == [("Dana Lee", "Sam Ortiz")]
