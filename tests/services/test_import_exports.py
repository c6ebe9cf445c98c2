"""Imports of files as CRMs and marketing tools export them: their headers, country names, dates in their locale.

Each flavour is a small file with the headers that tool's lead or contact export writes, in the order it writes
them, with the values it writes: the same two people come out of every one of them. The example agreement's time
zone is America/Chicago (UTC-6 in January and February), in which a time written without a zone is read.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from leadpact.domain.errors import ImportRejected, InvalidInput
from leadpact.domain.written_dates import AS_WRITTEN, DateFormat, Order, date_format
from leadpact.services import imports
from leadpact.services.clock import FixedClock
from leadpact.store.tables import Campaign, CampaignCost, Event, Lead, LeadField
from leadpact.store.unit_of_work import UnitOfWork
from tests.conftest import adopt_example
from tests.factories import lead


@dataclass(frozen=True)
class Flavour:
    """One tool's export: its lines, and what the first person's lead holds once it is imported: its fields
    (besides her name and email) and its custom fields."""

    name: str
    lines: tuple[str, ...]
    ann: dict[str, object]
    custom: dict[str, str]


def ann(
    created_at: datetime,
    source: str | None,
    company: str | None = "Acme",
    title: str | None = "VP Operations",
    country: str | None = "US",
) -> dict[str, object]:
    return {"created_at": created_at, "source": source, "company": company, "title": title, "country": country}


FLAVOURS = [
    Flavour(
        "salesforce lead report",
        (
            "Lead Owner,First Name,Last Name,Title,Company / Account,Email,Lead Source,Lead Status,Country,"
            "Created Date,Phone",
            "Nora Field,Ann,Archer,VP Operations,Acme,ann@acme.example,Trade Show,Open - Not Contacted,"
            "United States,1/13/2026,+1 555 0100",
            "Nora Field,Bo,Berg,Engineer,Beta GmbH,bo@beta.example,Web,Working,Germany,2/1/2026,",
        ),
        ann(datetime(2026, 1, 13, 6, tzinfo=UTC), "Trade Show"),  # midnight in Chicago
        {"lead_owner": "Nora Field", "lead_status": "Open - Not Contacted", "phone": "+1 555 0100"},
    ),
    Flavour(
        "salesforce data loader",
        (
            "Id,FirstName,LastName,Title,Company,Email,LeadSource,Country,NumberOfEmployees,CreatedDate,Status",
            "00Q5g00000AbCdEAAA,Ann,Archer,VP Operations,Acme,ann@acme.example,Trade Show,US,1200,"
            "2026-01-13T14:20:00.000Z,Open",
            "00Q5g00000AbCdFAAA,Bo,Berg,Engineer,Beta GmbH,bo@beta.example,Web,DE,40,2026-02-01T09:00:00.000Z,Open",
        ),
        ann(datetime(2026, 1, 13, 14, 20, tzinfo=UTC), "Trade Show"),
        {"id": "00Q5g00000AbCdEAAA", "status": "Open"},
    ),
    Flavour(
        "hubspot contacts",
        (
            "Record ID,First Name,Last Name,Email,Phone Number,Company Name,Job Title,Country/Region,Create Date,"
            "Original Source,Lifecycle Stage,Contact owner",
            "51,Ann,Archer,ann@acme.example,,Acme,VP Operations,United States,2026-01-13 14:20,Organic Search,"
            "Lead,Nora Field",
            "52,Bo,Berg,bo@beta.example,,Beta GmbH,Engineer,Germany,2026-02-01 09:00,Direct Traffic,Lead,",
        ),
        ann(datetime(2026, 1, 13, 20, 20, tzinfo=UTC), "Organic Search"),
        {"record_id": "51", "lifecycle_stage": "Lead", "contact_owner": "Nora Field"},
    ),
    Flavour(
        "marketo people",
        (
            "Id,First Name,Last Name,Email Address,Company Name,Job Title,Country,Person Source,Lead Source,"
            "Created At,Acquisition Program",
            "1001,Ann,Archer,ann@acme.example,Acme,VP Operations,USA,Trade Show,Fair 2026,1/13/2026 2:20 PM,"
            "Spring Webinar",
            "1002,Bo,Berg,bo@beta.example,Beta GmbH,Engineer,DEU,Website,,2/1/2026 9:00 AM,",
        ),
        # the source is the left-most header that names it, Person Source; Lead Source is kept as a field
        ann(datetime(2026, 1, 13, 20, 20, tzinfo=UTC), "Trade Show"),
        {"id": "1001", "lead_source": "Fair 2026"},
    ),
    Flavour(
        "pipedrive people",
        (
            "Person - Name,Person - First name,Person - Last name,Person - Email,Person - Phone,"
            "Organization - Name,Person - Label,Person - Add time",
            "Ann Archer,Ann,Archer,ann@acme.example,,Acme,Hot lead,2026-01-13 14:20:00",
            "Bo Berg,Bo,Berg,bo@beta.example,,Beta GmbH,,2026-02-01 09:00:00",
        ),
        ann(datetime(2026, 1, 13, 20, 20, tzinfo=UTC), None, title=None, country=None),
        {"person_name": "Ann Archer", "person_label": "Hot lead"},
    ),
    Flavour(
        "zoho contacts",
        (
            "Contact Owner,First Name,Last Name,Email,Account Name,Title,Lead Source,Mailing City,Mailing Country,"
            "Created Time",
            "Nora Field,Ann,Archer,ann@acme.example,Acme,VP Operations,Trade Show,Chicago,United States,"
            "13/01/2026 14:20",
            "Nora Field,Bo,Berg,bo@beta.example,Beta GmbH,Engineer,Web,Berlin,Deutschland,01/02/2026 09:00",
        ),
        ann(datetime(2026, 1, 13, 20, 20, tzinfo=UTC), "Trade Show"),
        {"contact_owner": "Nora Field", "mailing_city": "Chicago"},
    ),
    Flavour(
        "dynamics leads",
        (
            "Name,Topic,First Name,Last Name,Email,Company Name,Job Title,Country/Region,Lead Source,Created On",
            "Ann Archer,Line upgrade,Ann,Archer,ann@acme.example,Acme,VP Operations,U.S.,Trade Show,13.01.2026 14:20",
            "Bo Berg,Pilot,Bo,Berg,bo@beta.example,Beta GmbH,Engineer,Deutschland,Web,01.02.2026 09:00",
        ),
        ann(datetime(2026, 1, 13, 20, 20, tzinfo=UTC), "Trade Show"),
        {"name": "Ann Archer", "topic": "Line upgrade"},
    ),
    Flavour(
        "mailchimp audience",
        (
            "Email Address,First Name,Last Name,COUNTRY,MEMBER_RATING,OPTIN_TIME,CONFIRM_TIME,TAGS",
            "ann@acme.example,Ann,Archer,United States,4,2026-01-13 14:20:00,2026-01-13 14:21:00,webinar",
            "bo@beta.example,Bo,Berg,Germany,2,2026-02-01 09:00:00,2026-02-01 09:05:00,",
        ),
        ann(datetime(2026, 1, 13, 20, 20, tzinfo=UTC), None, company=None, title=None),
        {"member_rating": "4", "confirm_time": "2026-01-13 14:21:00", "tags": "webinar"},
    ),
]


def write(tmp_path: Path, name: str, *lines: str) -> Path:
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def fields_of(engine: Engine, email: str) -> dict[str, str]:
    with UnitOfWork(engine) as uow:
        found = select(LeadField.name, LeadField.value).where(LeadField.lead_id == lead(engine, email).id)
        return dict(uow.session.execute(found).all())


def count(engine: Engine, table: type[Lead] | type[Event] | type[CampaignCost]) -> int:
    with UnitOfWork(engine) as uow:
        return int(uow.session.scalar(select(func.count()).select_from(table)) or 0)


@pytest.mark.parametrize("flavour", FLAVOURS, ids=[f.name for f in FLAVOURS])
def test_each_tools_lead_export_imports_as_it_is_written(
    sqlite_engine: Engine, clock: FixedClock, tmp_path: Path, flavour: Flavour
) -> None:
    inforce = adopt_example(sqlite_engine, clock)
    path = write(tmp_path, "export.csv", *flavour.lines)
    with UnitOfWork(sqlite_engine) as uow:
        report = imports.import_leads(uow, clock, inforce, path, {})
    assert (report.rows, report.created) == (2, 2)
    first, second = lead(sqlite_engine, "ann@acme.example"), lead(sqlite_engine, "bo@beta.example")
    assert (first.first_name, first.last_name, second.first_name, second.last_name) == ("Ann", "Archer", "Bo", "Berg")
    assert {name: getattr(first, name) for name in flavour.ann} == flavour.ann
    assert fields_of(sqlite_engine, "ann@acme.example") == flavour.custom
    assert second.created_at.date() == date(2026, 2, 1)
    assert second.country == ("DE" if flavour.ann["country"] else None)


def test_a_file_whose_dates_read_both_ways_is_refused_until_the_order_is_given(
    sqlite_engine: Engine, clock: FixedClock, tmp_path: Path
) -> None:
    inforce = adopt_example(sqlite_engine, clock)
    path = write(
        tmp_path,
        "leads.csv",
        "Email,Created Date",
        "ann@acme.example,5/1/2026",
        "bo@beta.example,6/2/2026 14:20",
    )
    with UnitOfWork(sqlite_engine) as uow, pytest.raises(InvalidInput) as refused:
        imports.import_leads(uow, clock, inforce, path, {})
    assert refused.value.field == "date_format"
    assert refused.value.problem == (
        f"{path}: column 'Created Date' has dates like '5/1/2026' (row 2), 5 January 2026 day first or 1 May 2026 "
        "month first, and no date in the file tells which; give the order: DMY (day first) or MDY (month first)"
    )
    assert count(sqlite_engine, Lead) == 0
    with UnitOfWork(sqlite_engine) as uow:
        imports.import_leads(uow, clock, inforce, path, {}, written_as=DateFormat(order=Order.DMY))
    assert lead(sqlite_engine, "ann@acme.example").created_at == datetime(2026, 1, 5, 6, tzinfo=UTC)
    assert lead(sqlite_engine, "bo@beta.example").created_at == datetime(2026, 2, 6, 20, 20, tzinfo=UTC)


def test_a_date_that_does_not_read_in_the_files_order_and_an_unknown_country_are_row_problems(
    sqlite_engine: Engine, clock: FixedClock, tmp_path: Path
) -> None:
    inforce = adopt_example(sqlite_engine, clock)
    path = write(
        tmp_path,
        "leads.csv",
        "email,country,created_at",
        "ann@acme.example,Germany,25/1/2026",  # settles the file: day first
        "bo@beta.example,Narnia,1/25/2026",
        "cy@cy.example,XX,2026-02-30",
        "dee@dee.example,Deutschland,1.2.2026 9:00",
    )
    with UnitOfWork(sqlite_engine) as uow, pytest.raises(ImportRejected) as rejected:
        imports.import_leads(uow, clock, inforce, path, {})
    assert rejected.value.problems == [
        "row 3: country: 'Narnia' is not a country (a name like Germany or a code like DE)",
        "row 3: created_at: '1/25/2026' is not a date written day first (DMY)",
        "row 4: country: 'XX' is not a country (a name like Germany or a code like DE)",
        "row 4: created_at: '2026-02-30' is not a date written day first (DMY)",
    ]
    assert count(sqlite_engine, Lead) == 0


def test_a_pattern_reads_every_date_of_the_file_and_only_what_follows_it(
    sqlite_engine: Engine, clock: FixedClock, tmp_path: Path
) -> None:
    inforce = adopt_example(sqlite_engine, clock)
    path = write(tmp_path, "leads.csv", "email,created_at", "ann@acme.example,20260113-1420", "bo@b.example,2026-01-13")
    pattern = date_format("%Y%m%d-%H%M")
    with UnitOfWork(sqlite_engine) as uow, pytest.raises(ImportRejected) as rejected:
        imports.import_leads(uow, clock, inforce, path, {}, written_as=pattern)
    assert rejected.value.problems == ["row 3: created_at: '2026-01-13' does not follow the date format %Y%m%d-%H%M"]
    fixed = write(tmp_path, "fixed.csv", "email,created_at", "ann@acme.example,20260113-1420")
    with UnitOfWork(sqlite_engine) as uow:
        imports.import_leads(uow, clock, inforce, fixed, {}, written_as=pattern)
    assert lead(sqlite_engine, "ann@acme.example").created_at == datetime(2026, 1, 13, 20, 20, tzinfo=UTC)


def test_events_campaigns_and_costs_read_dates_as_their_exports_write_them(
    sqlite_engine: Engine, clock: FixedClock, tmp_path: Path
) -> None:
    inforce = adopt_example(sqlite_engine, clock)
    campaigns = write(
        tmp_path,
        "campaigns.csv",
        "Campaign Name,Type,Start Date,End Date",
        "Spring Webinar,webinar,14.01.2026,28.02.2026",
        "Winter Fair,tradeshow,03.02.2026,04.02.2026",
    )
    costs = write(
        tmp_path,
        "costs.csv",
        "Campaign,Day,Amount spent",
        "Spring Webinar,14 Jan 2026,1500",
        "Winter Fair,3 Feb 2026,80",
    )
    leads = write(tmp_path, "leads.csv", "Email Address,Country", "ann@acme.example,us")
    activities = write(
        tmp_path,
        "activities.csv",
        "Activity ID,Email Address,Activity Type,Activity Date,Campaign",
        "a-1,ann@acme.example,webinar_attended,2/14/2026 10:00 AM,Spring Webinar",
        "a-2,ann@acme.example,email_open,2/1/2026 3:30 PM,",
    )
    with UnitOfWork(sqlite_engine) as uow:
        made = imports.import_campaigns(uow, clock, campaigns, {})
        imports.import_costs(uow, clock, costs, {})
        imports.import_leads(uow, clock, inforce, leads, {})
        events = imports.import_events(uow, clock, inforce, activities, {})
    assert (made.created, events.created) == (2, 2)
    with UnitOfWork(sqlite_engine) as uow:
        spans = dict(uow.session.execute(select(Campaign.name, Campaign.started_on)).all())
        assert spans == {"Spring Webinar": date(2026, 1, 14), "Winter Fair": date(2026, 2, 3)}
        spent = sorted(uow.session.execute(select(CampaignCost.incurred_on, CampaignCost.amount)).all())
        assert spent == [(date(2026, 1, 14), 1500.0), (date(2026, 2, 3), 80.0)]
        times = dict(uow.session.execute(select(Event.event_id, Event.occurred_at)).all())
    assert times == {
        "a-1": int(datetime(2026, 2, 14, 16, tzinfo=UTC).timestamp()),
        "a-2": int(datetime(2026, 2, 1, 21, 30, tzinfo=UTC).timestamp()),
    }
    assert lead(sqlite_engine, "ann@acme.example").country == "US"


def test_an_events_file_whose_dates_read_both_ways_is_refused_naming_its_column(
    sqlite_engine: Engine, clock: FixedClock, tmp_path: Path
) -> None:
    inforce = adopt_example(sqlite_engine, clock)
    events = write(tmp_path, "events.csv", "id,email,type,When", "e1,ann@acme.example,email_open,02/01/2026 10:00")
    with UnitOfWork(sqlite_engine) as uow, pytest.raises(InvalidInput, match=r"column 'When' has dates like '02/01"):
        imports.import_events(uow, clock, inforce, events, {"when": "occurred_at"}, written_as=AS_WRITTEN)
    assert count(sqlite_engine, Event) == 0


def test_a_field_two_headers_name_goes_to_its_own_name_then_to_the_left_most() -> None:
    headers = ["Person Source", "Email Address", "Lead Source", "Email", "Mailing Country", "Country", "Notes"]
    assert imports.recognized_columns(headers, "leads") == {
        "Email": "email",
        "Country": "country",
        "Person Source": "source",
    }
    assert imports.default_fields(headers, "leads") == [
        "source",
        "email_address",
        "lead_source",
        "email",
        "mailing_country",
        "country",
        "notes",
    ]
    assert imports.default_fields(["Campaign Name", "Type", "Start Date", "Budget"], "campaigns") == [
        "name",
        "channel",
        "started_on",
        "-",
    ]
