"""'leadpact import': a CSV file of leads or events stored once, its custom columns kept, its dates read as written."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Engine, func, select

from leadpact.services import imports
from leadpact.services.clock import FixedClock
from leadpact.store.tables import Lead, LeadField
from leadpact.store.unit_of_work import UnitOfWork
from tests.cli.conftest import AT
from tests.conftest import adopt_example
from tests.factories import lead
from tests.test_cli_access import refused, run

LEADS = """\
Email Address,First Name,Job Title,Company Name,Notes,Favourite Colour,Campaign
ann@acme.example,Ann,VP Operations,Acme,met at the fair,blue,Spring webinar
bo@beta.example,Bo,Engineer,Beta,,red,
"""
EVENTS = """\
event_id,email,type,occurred_at
e1,ann@acme.example,demo_request,2026-03-02T16:30:00Z
e1,ann@acme.example,demo_request,2026-03-02T16:30:00Z
"""


def leads_held(engine: Engine) -> int:
    with UnitOfWork(engine) as uow:
        return uow.session.scalar(select(func.count()).select_from(Lead)) or 0


def fields_of(engine: Engine, email: str) -> dict[str, str]:
    with UnitOfWork(engine) as uow:
        found = select(LeadField.name, LeadField.value).where(LeadField.lead_id == lead(engine, email).id)
        return dict(uow.session.execute(found).all())


def test_leads_then_their_events_are_imported_once_each(
    url: str, sqlite_engine: Engine, clock: FixedClock, tmp_path: Path
) -> None:
    adopt_example(sqlite_engine, clock)
    leads = tmp_path / "leads.csv"
    leads.write_text(LEADS)
    printed = run(url, "import", "leads", str(leads), "--map", "Notes=-", "--at", AT)
    assert f"{leads}: 2 rows; 2 new, 0 updated, 0 already there." in printed
    assert "New campaigns: Spring webinar" in printed
    assert "Kept as custom fields: favourite_colour" in printed
    ann = lead(sqlite_engine, "ann@acme.example")
    assert (ann.first_name, ann.title, ann.company, ann.stage) == ("Ann", "VP Operations", "Acme", "inquiry")
    assert fields_of(sqlite_engine, "ann@acme.example") == {"favourite_colour": "blue"}
    again = run(url, "import", "leads", str(leads), "--map", "Notes=-", "--at", AT)
    assert f"{leads}: 2 rows; 0 new, 0 updated, 2 already there." in again
    assert leads_held(sqlite_engine) == 2

    events = tmp_path / "events.csv"
    events.write_text(EVENTS)
    printed = run(url, "import", "events", str(events), "--at", "2026-03-02T17:00:00Z")
    assert f"{events}: 2 rows; 1 new, 0 updated, 1 already there." in printed
    assert "1 events counted toward scores; 1 leads qualified." in printed
    assert lead(sqlite_engine, "ann@acme.example").stage == "mql"


def test_a_bad_kind_or_map_is_refused_and_nothing_is_stored(
    url: str, sqlite_engine: Engine, clock: FixedClock, tmp_path: Path
) -> None:
    adopt_example(sqlite_engine, clock)
    leads = tmp_path / "leads.csv"
    leads.write_text(LEADS)
    assert refused(url, "import", "people", str(leads)) == (
        "KIND: 'people' is not something to import; use one of: leads, events, campaigns, costs"
    )
    assert refused(url, "import", "leads", str(leads), "--map", "Notes") == "--map: 'Notes' is not HEADER=FIELD"
    assert refused(url, "import", "events", str(leads), "--map", "Notes=colour") == (
        "--map: 'colour' is not a field of events; fields: " + ", ".join(imports.FIELDS["events"])
    )
    assert leads_held(sqlite_engine) == 0


ZOHO = """\
Contact Owner,First Name,Last Name,Email,Account Name,Mailing Country,Created Time
Nora Field,Ann,Archer,ann@acme.example,Acme,United States,05/01/2026 14:20
Nora Field,Bo,Berg,bo@beta.example,Beta GmbH,Deutschland,06/02/2026 09:00
"""


def test_dates_that_read_both_ways_need_the_date_format_and_country_names_read_as_codes(
    url: str, sqlite_engine: Engine, clock: FixedClock, tmp_path: Path
) -> None:
    adopt_example(sqlite_engine, clock)
    contacts = tmp_path / "contacts.csv"
    contacts.write_text(ZOHO)
    assert refused(url, "import", "leads", str(contacts), "--at", AT) == (
        f"--date-format: {contacts}: column 'Created Time' has dates like '05/01/2026 14:20' (row 2), 5 January 2026 "
        "day first or 1 May 2026 month first, and no date in the file tells which; give the order: DMY (day first) "
        "or MDY (month first)"
    )
    assert refused(url, "import", "leads", str(contacts), "--date-format", "DM") == (
        "--date-format: 'DM' is not a date format; use DMY (day first), MDY (month first), YMD, or a pattern like "
        "%d.%m.%Y %H:%M"
    )
    assert leads_held(sqlite_engine) == 0
    printed = run(url, "import", "leads", str(contacts), "--date-format", "dmy", "--at", AT)
    assert f"{contacts}: 2 rows; 2 new, 0 updated, 0 already there." in printed
    ann, bo = lead(sqlite_engine, "ann@acme.example"), lead(sqlite_engine, "bo@beta.example")
    assert (ann.company, ann.country, bo.country) == ("Acme", "US", "DE")
    assert ann.created_at == datetime(2026, 1, 5, 20, 20, tzinfo=UTC)  # 14:20 in Chicago, the agreement's zone
    assert bo.created_at == datetime(2026, 2, 6, 15, 0, tzinfo=UTC)
    assert fields_of(sqlite_engine, "ann@acme.example") == {"contact_owner": "Nora Field"}


def test_a_date_format_pattern_reads_dates_no_order_describes(
    url: str, sqlite_engine: Engine, clock: FixedClock, tmp_path: Path
) -> None:
    adopt_example(sqlite_engine, clock)
    leads = tmp_path / "leads.csv"
    leads.write_text("email,created_at\nann@acme.example,20260105 1420\n")
    run(url, "import", "leads", str(leads), "--date-format", "%Y%m%d %H%M", "--at", AT)
    assert lead(sqlite_engine, "ann@acme.example").created_at == datetime(2026, 1, 5, 20, 20, tzinfo=UTC)
