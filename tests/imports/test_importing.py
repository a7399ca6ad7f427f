"""The importer on messy files, bad rows, dry runs, interruptions and activities (docs/import.md)."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from openpyxl import Workbook

from salespipe.activities.models import Activity
from salespipe.core.errors import InvalidInput, NotAllowed, RuleBroken
from salespipe.core.models import ExchangeRate
from salespipe.deals.models import Deal, StageChange, StageOutcome, StageStay
from salespipe.directory.models import Organization, Person
from salespipe.imports import services
from salespipe.imports.models import ExternalRecord, ImportJob, ImportStatus
from salespipe.imports.services import import_prepare, import_run, mapping_build, problems_path
from salespipe.people.models import User
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def sophie(db: None) -> User:
    return UserFactory(
        username="sophie", first_name="Sophie", last_name="Kruger", email="sophie@example.test"
    )


def _table_counts() -> tuple[int, ...]:
    tables = (Organization, Person, Deal, StageChange, StageStay, StageOutcome, Activity, ExternalRecord)
    return tuple(model.objects.count() for model in tables)


def _problems(job: ImportJob) -> list[list[str]]:
    with problems_path(job).open(encoding="utf-8-sig", newline="") as report:
        return list(csv.reader(report))[1:]


# --- messy files ------------------------------------------------------------------------------------


def test_a_windows_greek_file_with_semicolons_old_mac_line_endings_and_european_money_is_read(
    run_import: Any, sophie: User
) -> None:
    # given a cp1253 file, `;`-separated, lines ended by a lone CR, money and dates written the European way
    text = (
        "Οργανισμός;Deal;Value;Close date;Owner\r"
        "Αθηναϊκή Ζυθοποιία;Ψυγεία;1.234,56 €;27/11/2026;sophie\r"
        "\r"
        "Κρι Κρι;Γιαούρτια;(500);03/12/2026;Sophie Kruger\r"
    )

    # when it is imported with the generic preset
    job = run_import(text.encode("cp1253"), mapping='[columns]\n"Οργανισμός" = "organization.name"\n')

    # then its Greek names, values and day-first dates are read (the 27th tells the order)
    deal = Deal.objects.select_related("organization").get(title="Ψυγεία")
    assert deal.organization.name == "Αθηναϊκή Ζυθοποιία"
    assert (deal.value, deal.currency) == (Decimal("1234.56"), "EUR")
    assert deal.expected_close_date == dt.date(2026, 11, 27)
    # and the negative amount is refused for its row, naming the row as the file counts it (blank row too)
    assert _problems(job) == [["4", "Value", "(500)", "a deal's value cannot be negative"]]
    assert job.counts["entities"]["deal"] == {"created": 1, "updated": 0, "unchanged": 0, "failed": 1}


def test_a_utf16_file_with_tabs_is_read(run_import: Any, sophie: User) -> None:
    # given dollars at 0.9 euros, and a UTF-16 file (as Excel's "Unicode text") separated by tabs
    ExchangeRate.objects.create(currency="USD", rate_to_base=Decimal("0.9"))
    text = "Deal name\tAmount\tOwner\nFirst\t$1,200\tsophie\n"

    # when it is imported
    run_import(text.encode("utf-16"))

    # then its deal is in, in dollars and in the base currency
    deal = Deal.objects.get(title="First")
    assert (deal.value, deal.currency, deal.base_value) == (Decimal("1200.00"), "USD", Decimal("1080.00"))


def test_an_xlsx_workbook_is_imported_with_its_typed_cells(
    run_import: Any, sophie: User, tmp_path: Path
) -> None:
    # given a workbook whose dates and numbers are real cells
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["Deal", "Value", "Close date", "Owner", "Organization"])
    christmas_eve = dt.datetime(2026, 12, 24)  # noqa: DTZ001 - a spreadsheet's date cell has no time zone
    sheet.append(["Workbook deal", 1500.5, christmas_eve, "sophie", "Book Org"])
    stream = io.BytesIO()
    book.save(stream)

    # when it is imported
    run_import(stream.getvalue(), name="deals.xlsx")

    # then the cells keep their values
    deal = Deal.objects.get(title="Workbook deal")
    assert (deal.value, deal.expected_close_date) == (Decimal("1500.50"), dt.date(2026, 12, 24))


def test_dates_that_read_both_ways_need_the_order_and_say_so(run_import: Any, sophie: User) -> None:
    text = "Deal,Close date,Owner\nOne,03/04/2026,sophie\nTwo,05/06/2026,sophie\n"

    # when nothing tells the order, each ambiguous date is refused, saying what to do
    job = run_import(text)
    assert _problems(job)[0] == [
        "2",
        "Close date",
        "03/04/2026",
        "'03/04/2026' could be day/month or month/day; say which the file uses (day-first or month-first)",
    ]
    assert not Deal.objects.exists()

    # and with the order given, they are read that way
    run_import(text, day_first=True)
    assert Deal.objects.get(title="One").expected_close_date == dt.date(2026, 4, 3)


def test_a_column_mixing_both_date_orders_is_refused_before_anything_is_written(
    run_import: Any, sophie: User
) -> None:
    text = "Deal,Close date,Owner\nOne,27/11/2026,sophie\nTwo,11/28/2026,sophie\n"
    with pytest.raises(InvalidInput, match="mixes day-first and month-first"):
        run_import(text)
    assert not ImportJob.objects.exists()


# --- row errors ----------------------------------------------------------------------------------------


def test_every_row_that_cannot_be_imported_is_reported_and_the_others_are_imported(
    run_import: Any, sophie: User
) -> None:
    # given a file with a good row and one bad row of each kind
    text = (
        "Deal,Value,Stage,Owner,Close date,Currency,Email\n"
        "Good deal,100,Qualified,sophie,2026-12-01,EUR,good@example.test\n"
        "Apples,12 apples,Qualified,sophie,2026-12-01,EUR,\n"
        "No stage,100,Negotiating,sophie,2026-12-01,EUR,\n"
        "No owner,100,Qualified,nobody,2026-12-01,EUR,\n"
        "No rate,100,Qualified,sophie,2026-12-01,JPY,\n"
        "Bad date,100,Qualified,sophie,2026-13-45,EUR,\n"
        "Bad email,100,Qualified,sophie,2026-12-01,EUR,not-an-email\n"
        ",100,Qualified,sophie,2026-12-01,EUR,\n"
    )

    # when it is imported
    job = run_import(text, mapping='[columns]\n"Email" = "person.email"\n')

    # then the good row is in and each bad row is reported with its row, column, value and why
    assert list(Deal.objects.values_list("title", flat=True)) == ["Good deal"]
    assert _problems(job) == [
        [
            "3",
            "Value",
            "12 apples",
            "'12 apples' is not an amount of money (e.g. 1234.50, 1.234,50 €, $1,234)",
        ],
        [
            "4",
            "Stage",
            "Negotiating",
            "no stage of this name in the pipeline 'Sales'; map it under [stages] "
            '(e.g. "Negotiating" = "Qualified")',
        ],
        [
            "5",
            "Owner",
            "nobody",
            "no active user with this username, email or name; add them, or map the value under [owners] "
            '(e.g. "nobody" = "a.username")',
        ],
        [
            "6",
            "Value",
            "JPY",
            "no exchange rate from JPY to EUR; an administrator adds one under Settings → Exchange rates",
        ],
        [
            "7",
            "Close date",
            "2026-13-45",
            "'2026-13-45' is not a date in the calendar (month must be in 1..12)",
        ],
        ["8", "Email", "not-an-email", "'not-an-email' is not an email address"],
        ["9", "Deal", "", "a deal needs a title; this cell is empty"],
    ]
    assert job.failed_rows == 7
    assert job.counts["unmatched"] == {
        "stage": {"Negotiating": 1},
        "owner": {"nobody": 1},
        "currency": {"JPY": 1},
    }


def test_a_cell_that_would_run_as_a_formula_is_neutralised_in_the_error_report(
    run_import: Any, sophie: User
) -> None:
    job = run_import("Deal,Value,Owner\nX,=HYPERLINK(1),sophie\n")
    assert _problems(job)[0][2] == "'=HYPERLINK(1)"


# --- dry run, interruption, resume ------------------------------------------------------------------


def _many(rows: int, *, name: str = "Deal") -> str:
    """A deal every row, a third of them won from Qualified, spread over 7 organizations."""
    return "Deal ID,Deal,Value,Organization,Owner,Stage,Status\n" + "".join(
        f"{name}-{n},{name} {n},{n * 10},{name} org {n % 7},sophie,Qualified,{'open' if n % 3 else 'won'}\n"
        for n in range(1, rows + 1)
    )


MANY = _many(25)


def test_a_dry_run_reports_exactly_what_the_import_does_and_writes_nothing(
    run_import: Any, sophie: User
) -> None:
    # given the tables as they are
    before = _table_counts()

    # when the file is dry-run
    dry = run_import(MANY, dry_run=True)

    # then nothing changed, and the report is the real import's
    assert _table_counts() == before
    real = run_import(MANY)
    assert dry.counts == real.counts
    assert real.counts["entities"]["deal"]["created"] == 25
    assert real.counts["entities"]["organization"]["created"] == 7


def test_an_interrupted_import_keeps_whole_batches_says_so_and_resumes_after_them(
    run_import: Any, sophie: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given batches of 10 rows, and an interruption (Ctrl-C) after the first batch is committed
    monkeypatch.setattr(services, "BATCH_ROWS", 10)

    def interrupt(job: ImportJob, fraction: float) -> None:
        raise KeyboardInterrupt

    # when the import runs
    with pytest.raises(KeyboardInterrupt):
        run_import(MANY, progress=interrupt)

    # then exactly the first batch's rows are in, with everything they bring, and the job says so
    job = ImportJob.objects.get()
    assert (job.status, job.committed_row) == (ImportStatus.INTERRUPTED, 11)
    assert job.message == (
        "Stopped: rows 2 to 11 are imported, nothing after them; run the import again to go on from row 12."
    )
    assert sorted(Deal.objects.values_list("title", flat=True)) == sorted(f"Deal {n}" for n in range(1, 11))
    assert Organization.objects.count() == 7
    assert StageChange.objects.count() == 10 + 3  # the won deals entered a stage, then won
    assert StageStay.objects.count() == StageChange.objects.count()

    # and resuming imports the rest, once
    finished = import_run(job_id=job.pk)
    assert finished.status == ImportStatus.FINISHED
    assert Deal.objects.count() == 25
    assert finished.counts["entities"]["deal"] == {"created": 25, "updated": 0, "unchanged": 0, "failed": 0}
    # and the stage-to-won rates count the won deals at the end
    assert sum(StageOutcome.objects.values_list("won_deals", flat=True)) == 8


def test_a_finished_import_is_not_run_again_and_a_changed_file_is_not_resumed(
    run_import: Any, sophie: User, tmp_path: Path
) -> None:
    job = run_import(MANY)
    with pytest.raises(RuleBroken, match="finished already"):
        import_run(job_id=job.pk)
    job.status = ImportStatus.INTERRUPTED
    job.save()
    Path(job.file_path).write_text(MANY + "Deal-26,Late,1,Org,sophie,Lead,open\n", encoding="utf-8")
    with pytest.raises(RuleBroken, match="has changed since the import began"):
        import_run(job_id=job.pk)


def test_a_batch_costs_the_same_queries_however_many_rows_it_has(
    run_import: Any, sophie: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given files of 5 and of 25 rows, each in one batch

    def queries(text: str) -> int:
        with CaptureQueriesContext(connection) as captured:
            run_import(text)
        return len(captured.captured_queries)

    # then importing either takes the same number of queries
    assert queries(_many(5)) == queries(_many(25, name="Other"))


# --- who may import ---------------------------------------------------------------------------------


def test_only_an_administrator_imports(write_file: Any, rep: User, manager: User, pipeline: Any) -> None:
    path = write_file("Deal,Owner\nX,rep\n")
    mapping = mapping_build(path=path, preset="generic")
    for actor in (rep, manager):
        with pytest.raises(NotAllowed):
            import_prepare(actor=actor, path=path, mapping=mapping)
    assert not ImportJob.objects.exists()


def test_an_unknown_pipeline_or_owner_is_refused_before_anything_is_written(
    write_file: Any, admin_user: User, pipeline: Any
) -> None:
    path = write_file("Deal\nX\n")
    mapping = mapping_build(path=path, preset="generic")
    with pytest.raises(
        InvalidInput, match=r"There is no active pipeline 'Renewals'; the pipelines are: Sales\."
    ):
        import_prepare(actor=admin_user, path=path, mapping=mapping, pipeline="Renewals")
    with pytest.raises(InvalidInput, match="There is no active user 'ghost'"):
        import_prepare(actor=admin_user, path=path, mapping=mapping, owner="ghost")
    assert not ImportJob.objects.exists()


# --- activities -------------------------------------------------------------------------------------


def test_activities_of_imported_deals_are_linked_by_the_deals_ids_and_mark_the_deals(
    run_import: Any, sophie: User
) -> None:
    # given deals imported from a system
    run_import("Deal ID,Deal,Owner\nD-1,Alpha,sophie\nD-2,Beta,sophie\n")
    # when that system's activities are imported, naming the deals by their ids
    activities = (
        "Activity ID,Activity deal ID,Type,Subject,Due date,Done\n"
        "A-1,D-1,Phone call,Intro call,2026-11-02,yes\n"
        "A-2,D-1,Meeting,Demo at their office,2026-12-10,no\n"
        "A-3,D-9,Email,Lost in space,2026-11-03,no\n"
    )
    mapping = """
        [columns]
        "Activity deal ID" = "activity.deal_external_id"
        "Activity ID" = "activity.external_id"
    """
    job = run_import(activities, mapping=mapping)

    # then they belong to their deals and owners, and the deal shows its last and next activity
    alpha = Deal.objects.get(title="Alpha")
    assert sorted(alpha.activities.values_list("kind", "subject", "owner__username")) == [
        ("call", "Intro call", "sophie"),
        ("meeting", "Demo at their office", "sophie"),
    ]
    assert alpha.last_activity_at == dt.datetime(2026, 11, 2, 12, tzinfo=dt.UTC)
    assert alpha.next_activity_at == dt.datetime(2026, 12, 10, 12, tzinfo=dt.UTC)
    assert _problems(job) == [
        [
            "4",
            "Activity deal ID",
            "D-9",
            "no deal with this id was imported from import; import the deals first",
        ]
    ]
    # and importing them again changes nothing
    again = run_import(activities, mapping=mapping)
    assert again.counts["entities"]["activity"] == {"created": 0, "updated": 0, "unchanged": 2, "failed": 1}
    assert Activity.objects.count() == 2
