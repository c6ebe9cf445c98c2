"""CSV imports: every bad row listed and nothing stored, re-imports add nothing twice, headers of any CRM."""

from __future__ import annotations

import csv
import io
import subprocess
import sys
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.pool import QueuePool

from leadpact.domain.errors import ImportRejected, InvalidInput
from leadpact.services import imports
from leadpact.services.agreements import InForce
from leadpact.services.clock import FixedClock
from leadpact.store.tables import Account, Campaign, CampaignCost, Event, Lead, LeadField, LedgerEntry
from leadpact.store.tables import Base as Table
from leadpact.store.unit_of_work import UnitOfWork
from tests.conftest import adopt_example
from tests.factories import agreement_text, counted_ids, lead, ledger


def write(tmp_path: Path, name: str, *lines: str) -> Path:
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def count(engine: Engine, table: type[Table]) -> int:
    with UnitOfWork(engine) as uow:
        return int(uow.session.scalar(select(func.count()).select_from(table)) or 0)


def import_leads(engine: Engine, clock: FixedClock, inforce: InForce, path: Path, *maps: str) -> imports.ImportReport:
    with UnitOfWork(engine) as uow:
        return imports.import_leads(uow, clock, inforce, path, imports.parse_map(list(maps), "leads"))


def import_events(engine: Engine, clock: FixedClock, inforce: InForce, path: Path) -> imports.ImportReport:
    with UnitOfWork(engine) as uow:
        return imports.import_events(uow, clock, inforce, path, {})


def rejected(run: object) -> ImportRejected:
    """Run an import inside a unit of work that commits anyway: a rejected file must have written nothing."""
    assert callable(run)
    with pytest.raises(ImportRejected) as caught:
        run()
    assert caught.value.code == "import_rejected"
    return caught.value


LEADS = (
    "email,first_name,title,company,industry,employees,country",
    "ann@acme.example,Ann,VP Operations,Acme,manufacturing,1000,US",
    "bob@bolt.example,Bob,Engineer,Bolt,retail,40,DE",
)


def test_bad_lead_rows_are_all_reported_by_row_and_field_and_nothing_is_stored(
    engine: Engine, clock: FixedClock, tmp_path: Path
) -> None:
    inforce = adopt_example(engine, clock)
    path = write(
        tmp_path,
        "leads.csv",
        "email,first_name,employees,country,created_at,campaign",
        "ann@acme.example,Ann,300,US,,Spring Webinar",  # row 2: fine
        "not-an-email,Bob,10,US,,",  # row 3
        "cy@cy.example,Cy,many,US,,",  # row 4
        "dee@dee.example,Dee,10,XX,,",  # row 5: no country has the code XX
        "ANN@acme.example,Ann,5,US,,",  # row 6: the same lead as row 2
        ",Eve,5,US,,",  # row 7
        "fay@fay.example,Fay,5,US,last tuesday,",  # row 8
    )
    with UnitOfWork(engine) as uow:  # the unit of work commits: the import itself must not have written
        error = rejected(lambda: imports.import_leads(uow, clock, inforce, path, {}))
    assert sorted(error.problems) == sorted(
        [
            "row 3: email: 'not-an-email' is not an email address",
            "row 4: employees: 'many' is not a whole number",
            "row 5: country: 'XX' is not a country (a name like Germany or a code like DE)",
            "row 6: email: ann@acme.example appears again (first on row 2)",
            "row 7: email: is empty",
            "row 8: created_at: 'last tuesday' is not a date and time like 2026-03-02 15:00, 03/02/2026 3:00 PM or "
            "2 Mar 2026 15:00",
        ]
    )
    assert error.detail.startswith(f"{path}: 6 problem(s), nothing was imported")
    for table in (Lead, Account, Campaign, LedgerEntry, LeadField):
        assert count(engine, table) == 0, table


def test_bad_event_rows_are_all_reported_in_row_order_and_nothing_is_stored(
    engine: Engine, clock: FixedClock, tmp_path: Path
) -> None:
    inforce = adopt_example(engine, clock)
    import_leads(engine, clock, inforce, write(tmp_path, "leads.csv", *LEADS))
    rows_before = count(engine, LedgerEntry)
    path = write(
        tmp_path,
        "events.csv",
        "event_id,email,type,occurred_at,campaign",
        "e1,ann@acme.example,webinar_attended,2026-03-02T15:00:00Z,Spring Webinar",  # row 2: fine
        "e2,nobody@x.example,webinar_attended,2026-03-02T15:00:00Z,",  # row 3
        "e3,ann@acme.example,webinar_attended,yesterday,",  # row 4
        ",ann@acme.example,email_open,2026-03-02T15:00:00Z,",  # row 5
        "e5,ann@acme.example,,,",  # row 6: two cells empty
    )
    with UnitOfWork(engine) as uow:
        error = rejected(lambda: imports.import_events(uow, clock, inforce, path, {}))
    assert error.problems == [
        "row 3: email: no lead with email nobody@x.example; import the leads first",
        "row 4: occurred_at: 'yesterday' is not a date and time like 2026-03-02 15:00, 03/02/2026 3:00 PM or "
        "2 Mar 2026 15:00",
        "row 5: event_id: is empty",
        "row 6: type: is empty",
        "row 6: occurred_at: is empty",
    ]
    assert count(engine, Event) == 0
    assert count(engine, Campaign) == 0
    assert count(engine, LedgerEntry) == rows_before


def test_importing_the_same_files_again_adds_nothing_twice(engine: Engine, clock: FixedClock, tmp_path: Path) -> None:
    inforce = adopt_example(engine, clock)
    leads = write(tmp_path, "leads.csv", *LEADS)
    events = write(
        tmp_path,
        "events.csv",
        "event_id,email,type,occurred_at",
        "e1,ann@acme.example,webinar_attended,2026-03-02T15:00:00Z",
        "e2,ann@acme.example,pricing_page_view,2026-03-02T16:00:00Z",
        "e3,ann@acme.example,pricing_page_view,2026-03-02T17:00:00Z",  # the day's one view is taken
        "e4,bob@bolt.example,email_open,2026-03-03T15:00:00",  # no zone: the agreement's, America/Chicago
    )
    first = import_leads(engine, clock, inforce, leads)
    assert (first.rows, first.created) == (2, 2)
    landed = import_events(engine, clock, inforce, events)
    assert (landed.rows, landed.created, landed.counted, landed.duplicates) == (4, 4, 3, 0)
    state = (count(engine, Lead), count(engine, Account), count(engine, Event), count(engine, LedgerEntry))
    again = import_leads(engine, clock, inforce, leads)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)
    repeat = import_events(engine, clock, inforce, events)
    assert (repeat.created, repeat.counted, repeat.duplicates) == (0, 0, 4)
    assert (count(engine, Lead), count(engine, Account), count(engine, Event), count(engine, LedgerEntry)) == state
    assert counted_ids(engine) == {"e1", "e2", "e4"}
    with UnitOfWork(engine) as uow:
        e4 = uow.session.scalars(select(Event.occurred_at).where(Event.event_id == "e4")).one()
        assert e4 == int(datetime(2026, 3, 3, 21, 0, tzinfo=UTC).timestamp())


def test_headers_of_crm_exports_are_recognised(engine: Engine, clock: FixedClock, tmp_path: Path) -> None:
    inforce = adopt_example(engine, clock)
    path = write(
        tmp_path,
        "crm.csv",
        "Email Address,First Name,Last Name,Job Title,Company Name,No. of Employees,Country/Region,Lead Source,"
        "Website,Created Date,Primary Campaign",
        'Ann@Acme.example,Ann,Archer,Head of Supply Chain,Acme,"1,200",us,Trade show,https://www.acme.example/about,'
        "2026-01-15T10:00:00Z,Spring Webinar",
    )
    report = import_leads(engine, clock, inforce, path)
    assert (report.created, report.custom_fields, report.campaigns_created) == (1, [], ["Spring Webinar"])
    ann = lead(engine, "ann@acme.example")
    assert (ann.first_name, ann.last_name, ann.title, ann.company) == ("Ann", "Archer", "Head of Supply Chain", "Acme")
    assert (ann.employees, ann.country, ann.source, ann.domain) == (1200, "US", "Trade show", "acme.example")
    assert ann.created_at == datetime(2026, 1, 15, 10, 0, tzinfo=UTC)
    assert ann.fit == 35.0  # senior title 20 + size 15 (the account's, from the website's domain)


def test_event_exports_with_activity_headers_are_recognised(engine: Engine, clock: FixedClock, tmp_path: Path) -> None:
    inforce = adopt_example(engine, clock)
    import_leads(engine, clock, inforce, write(tmp_path, "leads.csv", *LEADS))
    path = write(
        tmp_path,
        "activities.csv",
        "Activity ID,Email,Activity Type,Activity Date",
        "a-1,ann@acme.example,contact_form,2026-03-02T15:00:00Z",
    )
    report = import_events(engine, clock, inforce, path)
    assert (report.created, report.counted, report.qualified) == (1, 1, 1)  # fit 50 + 30
    assert lead(engine, "ann@acme.example").stage == "mql"


def test_an_event_import_leaves_every_key_whole_and_its_connection_checking_keys_again(
    sqlite_engine: Engine, clock: FixedClock, tmp_path: Path
) -> None:
    """On SQLite the import writes without a foreign key check per row (``load_in_bulk``): what it wrote must still
    have every key, and the connection must check keys again, with its usual page cache, once back in the pool."""
    inforce = adopt_example(sqlite_engine, clock)
    import_leads(sqlite_engine, clock, inforce, write(tmp_path, "leads.csv", *LEADS))
    with sqlite_engine.connect() as connection:
        usual_cache = connection.exec_driver_sql("PRAGMA cache_size").scalar_one()
    path = write(
        tmp_path,
        "events.csv",
        "event_id,email,type,occurred_at,campaign",
        "e-1,ann@acme.example,contact_form,2026-03-02T15:00:00Z,Spring Webinar",
        "e-2,bob@bolt.example,web_visit,2026-03-02T15:00:00Z,",
    )
    report = import_events(sqlite_engine, clock, inforce, path)
    assert (report.created, report.qualified, report.campaigns_created) == (2, 1, ["Spring Webinar"])
    pool = sqlite_engine.pool
    assert isinstance(pool, QueuePool)
    assert pool.checkedin() == 1  # the import's connection is the one checked below
    with sqlite_engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA foreign_key_check").all() == []
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar_one() == 1
        assert connection.exec_driver_sql("PRAGMA cache_size").scalar_one() == usual_cache
    with pytest.raises(IntegrityError), UnitOfWork(sqlite_engine) as uow:
        uow.session.add(Event(event_id="e-3", lead_id=999_999, type="web_visit", occurred_at=0, counted=False))


def test_map_options_name_the_field_of_any_header(engine: Engine, clock: FixedClock, tmp_path: Path) -> None:
    inforce = adopt_example(engine, clock)
    path = write(tmp_path, "odd.csv", "Contact Mail,Firma,Funktion", "ann@acme.example,Acme GmbH,Director")
    report = import_leads(engine, clock, inforce, path, "Contact Mail=email", "Firma = company", "funktion=title")
    assert report.created == 1
    ann = lead(engine, "ann@acme.example")
    assert (ann.company, ann.title) == ("Acme GmbH", "Director")


@pytest.mark.parametrize(
    ("item", "kind"),
    [
        ("Contact Mail", "leads"),
        ("=email", "leads"),
        ("Mail=", "leads"),
        ("When=date_of", "events"),
        ("X=Bad Name", "leads"),
    ],
)
def test_a_bad_map_option_is_refused(item: str, kind: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        imports.parse_map([item], kind)
    assert refused.value.field == "map"


def test_a_file_without_an_email_column_names_what_is_missing(
    engine: Engine, clock: FixedClock, tmp_path: Path
) -> None:
    inforce = adopt_example(engine, clock)
    path = write(tmp_path, "no-email.csv", "Name,Company", "Ann,Acme")
    with pytest.raises(InvalidInput, match="no column for email"):
        import_leads(engine, clock, inforce, path)


def test_an_unknown_column_of_an_event_file_is_refused(engine: Engine, clock: FixedClock, tmp_path: Path) -> None:
    inforce = adopt_example(engine, clock)
    path = write(tmp_path, "events.csv", "event_id,email,type,occurred_at,mood", "e1,a@b.example,x,2026-03-02,happy")
    with pytest.raises(InvalidInput, match="'mood'"):
        import_events(engine, clock, inforce, path)


def test_other_lead_columns_are_kept_as_custom_fields_that_fit_rules_can_use(
    engine: Engine, clock: FixedClock, tmp_path: Path
) -> None:
    text = agreement_text(
        (
            "    - {id: manager-title,",
            "    - {id: enterprise, field: segment, equals: enterprise, points: 12}\n    - {id: manager-title,",
        )
    )
    inforce = adopt_example(engine, clock, text)
    path = write(
        tmp_path,
        "leads.csv",
        "email,Segment,Fiscal Year End",
        "ann@acme.example,Enterprise,March",
        "bob@bolt.example,SMB,",
    )
    report = import_leads(engine, clock, inforce, path)
    assert report.custom_fields == ["fiscal_year_end", "segment"]
    assert lead(engine, "ann@acme.example").fit == 12.0
    assert lead(engine, "bob@bolt.example").fit == 0.0
    assert ledger(engine, "ann@acme.example") == [("fit", "enterprise", 12.0, inforce.version)]
    with UnitOfWork(engine) as uow:
        fields = {(n, v) for n, v in uow.session.execute(select(LeadField.name, LeadField.value))}
        assert fields == {("segment", "Enterprise"), ("fiscal_year_end", "March"), ("segment", "SMB")}


def test_costs_of_unknown_campaigns_are_refused_and_known_ones_are_not_doubled(
    engine: Engine, clock: FixedClock, tmp_path: Path
) -> None:
    campaigns = write(tmp_path, "campaigns.csv", "name,channel,started_on", "Spring Webinar,webinar,2026-03-01")
    costs = write(
        tmp_path,
        "costs.csv",
        "campaign,date,amount",
        "Spring Webinar,2026-03-02,$1500",
        "Spring Webinar,2026-03-03,250.50",
    )
    bad = write(tmp_path, "bad.csv", "campaign,date,amount", "Autumn Fair,2026-03-02,100", "Spring Webinar,someday,-5")
    with UnitOfWork(engine) as uow:
        imports.import_campaigns(uow, clock, campaigns, {})
        error = rejected(lambda: imports.import_costs(uow, clock, bad, {}))
    assert sorted(error.problems) == [
        "row 2: campaign: no campaign named 'Autumn Fair'; import campaigns first",
        "row 3: amount: a cost is 0 or more",
        "row 3: date: 'someday' is not a date like 2026-01-31, 31.01.2026 or 31 Jan 2026",
    ]
    assert count(engine, CampaignCost) == 0
    for _ in range(2):
        with UnitOfWork(engine) as uow:
            imports.import_costs(uow, clock, costs, {})
    with UnitOfWork(engine) as uow:
        stored = sorted((d, a) for d, a in uow.session.execute(select(CampaignCost.incurred_on, CampaignCost.amount)))
    assert stored == [(date(2026, 3, 2), 1500.0), (date(2026, 3, 3), 250.5)]


def test_bad_lead_rows_are_listed_in_row_order(engine: Engine, clock: FixedClock, tmp_path: Path) -> None:
    inforce = adopt_example(engine, clock)
    path = write(tmp_path, "leads.csv", "email,employees", "ann@acme.example,3", "ann@acme.example,4", "bad,5")
    with UnitOfWork(engine) as uow:
        error = rejected(lambda: imports.import_leads(uow, clock, inforce, path, {}))
    assert [p.split(":")[0] for p in error.problems] == ["row 3", "row 4"]


def test_a_file_that_is_not_utf8_is_refused_with_its_line_before_anything_is_stored(
    sqlite_engine: Engine, clock: FixedClock, tmp_path: Path
) -> None:
    inforce = adopt_example(sqlite_engine, clock)
    path = tmp_path / "latin1.csv"
    path.write_bytes(b"email,first_name\nann@alpha.example,Ann\nbob@beta.example,B\xe9b\n")
    with pytest.raises(InvalidInput, match=r"latin1\.csv: line 3 is not UTF-8 text"):
        import_leads(sqlite_engine, clock, inforce, path)
    assert count(sqlite_engine, Lead) == 0
    events = tmp_path / "events.csv"
    events.write_bytes(b"event_id,email,type,occurred_at\ne1,ann@alpha.example,caf\xe9,2026-03-02T15:00:00Z\n")
    with pytest.raises(InvalidInput, match=r"events\.csv: line 2 is not UTF-8 text"):
        import_events(sqlite_engine, clock, inforce, events)


def test_a_field_longer_than_a_csv_field_may_be_ends_the_import_with_its_file_and_row(
    sqlite_engine: Engine, clock: FixedClock, tmp_path: Path
) -> None:
    adopt_example(sqlite_engine, clock)
    path = write(tmp_path, "huge.csv", "email,title", "ann@alpha.example,VP", f"bob@beta.example,{'x' * 200_000}")
    url = sqlite_engine.url.render_as_string(hide_password=False)
    done = subprocess.run(
        [Path(sys.executable).parent / "leadpact", "--db", url, "import", "leads", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 2, done.stderr
    assert done.stderr.strip().splitlines() == [
        f"error: {path}: row 3: a field is longer than the 131,072 characters a CSV field may hold; nothing was "
        "imported"
    ]
    assert count(sqlite_engine, Lead) == 0
    with pytest.raises(InvalidInput, match=r"huge\.csv: row 3: a field is longer"):
        imports.preview(path, "huge.csv")


EVENT_HEADERS = ["event_id", "email", "type", "occurred_at", "campaign"]
CELLS = st.text(alphabet=st.sampled_from(list('ab ,"\n\r\x00')), max_size=4)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    rows=st.lists(st.lists(CELLS, min_size=5, max_size=5), min_size=1, max_size=5),
    ending=st.sampled_from(["\n", "\r\n"]),
    last_line_ends=st.booleans(),
    written_by_csv=st.booleans(),
)
def test_an_event_file_read_by_arrow_reads_as_the_csv_module_reads_it(
    tmp_path: Path, rows: list[list[str]], ending: str, last_line_ends: bool, written_by_csv: bool
) -> None:
    """Arrow reads the usual event file a block at a time; whenever it is let read one (quotes, commas, line breaks,
    carriage returns and NULs in values, files written by hand), it must read the cells the csv module reads."""
    if written_by_csv:
        buffer = io.StringIO(newline="")
        csv.writer(buffer, lineterminator=ending).writerows([EVENT_HEADERS, *rows])
        text = buffer.getvalue()
    else:
        text = ending.join(",".join(cells) for cells in [EVENT_HEADERS, *rows]) + ending
    path = tmp_path / "events.csv"
    path.write_bytes((text if last_line_ends else text.removesuffix(ending)).encode())
    try:
        with imports.open_csv(path, "events", {}) as (headers, names, records):
            by_rows = [list(column) for column in imports._columns(records, len(names))[1]]
    except InvalidInput:  # the csv module cannot read it: it is imported row by row, and refused
        return
    by_blocks = imports._arrow_columns(path, headers, names)
    if by_blocks is not None:
        assert [list(column) for column in by_blocks[0]] == by_rows
