"""Exports: deals, organizations, persons and activities to CSV and XLSX, as their user may see them."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from click.testing import CliRunner
from django.db import connection
from django.test.utils import CaptureQueriesContext

from salespipe.cli import main
from salespipe.deals.services import deal_lose, deal_win
from salespipe.exports import commands
from salespipe.exports.tables import TABLES, export_rows
from salespipe.people.models import User
from tests.factories import OrganizationFactory, PersonFactory

pytestmark = pytest.mark.django_db

FORMULA = '=HYPERLINK("http://evil.example","Click")'


def read_csv(text: str) -> list[dict[str, str]]:
    assert text.startswith("\ufeff"), "a byte order mark first, for spreadsheet programs"
    return list(csv.DictReader(io.StringIO(text[1:])))


def read_xlsx(content: bytes) -> tuple[list[str], list[list[Any]], Any]:
    sheet = openpyxl.load_workbook(io.BytesIO(content)).active
    values = [list(row) for row in sheet.iter_rows(values_only=True)]
    return [str(name) for name in values[0]], values[1:], sheet


@pytest.fixture
def deals(rep: User, teammate: User, outsider: User, make_deal: Any) -> dict[str, Any]:
    """The rep's won deal with a formula for a title, their open one, a teammate's lost one, an outsider's."""
    won = make_deal(rep, title=FORMULA, value=1234.5)
    deal_win(actor=rep, deal_id=won.pk)
    open_deal = make_deal(rep, title="Acme: 20 licences", value=800)
    lost = make_deal(teammate, title="Teammate's deal")
    deal_lose(actor=teammate, deal_id=lost.pk, lost_reason="-5% was not enough")
    other = make_deal(outsider, title="Outsider's deal")
    return {"won": won, "open": open_deal, "lost": lost, "other": other}


def run(*args: str) -> Any:
    return CliRunner().invoke(main, ["export", *args], catch_exceptions=False)


# --- what each person may see ------------------------------------------------------------------------------


def test_a_rep_exports_their_own_deals_a_manager_the_team_s_the_command_line_everything(
    deals: dict[str, Any],
) -> None:
    # when the same export is asked for as the rep, as their manager and as the operator
    as_rep = read_csv(run("deals", "--user", "rep").output)
    as_manager = read_csv(run("deals", "--user", "manager").output)
    as_operator = read_csv(run("deals").output)

    # then each gets exactly the deals they may see, newest first
    assert [row["id"] for row in as_rep] == [str(deals["open"].pk), str(deals["won"].pk)]
    assert {row["owner"] for row in as_manager} == {"rep", "teammate"}
    assert len(as_operator) == 4


def test_the_columns_are_fixed_names_and_the_values_are_plain(deals: dict[str, Any]) -> None:
    rows = read_csv(run("deals", "--user", "rep", "--filter", "status=won").output)

    assert list(rows[0]) == [column.name for column in TABLES["deals"].columns]
    won = rows[0]
    assert (won["status"], won["value"], won["currency"], won["stage"]) == ("won", "1234.50", "EUR", "Won")
    assert won["expected_close_date"] == "2026-12-31"
    assert won["won_at"].endswith("Z") and dt.datetime.fromisoformat(won["won_at"][:-1])


def test_text_a_spreadsheet_would_run_as_a_formula_is_neutralised_in_csv_and_xlsx(
    deals: dict[str, Any], tmp_path: Path
) -> None:
    # when the rep's won deal, titled with a formula, is exported both ways
    rows = read_csv(run("deals", "--user", "rep", "--filter", "status=won").output)
    target = tmp_path / "won.xlsx"
    result = run(
        "deals", "--user", "rep", "--filter", "status=won", "--format", "xlsx", "--output", str(target)
    )

    # then the CSV cell starts with an apostrophe, and the XLSX cell is the text itself, marked as text
    assert rows[0]["title"] == "'" + FORMULA
    assert result.exit_code == 0, result.output
    header, values, sheet = read_xlsx(target.read_bytes())
    title = header.index("title")
    assert values[0][title] == FORMULA
    assert sheet.cell(row=2, column=title + 1).data_type == "s"
    assert sheet.cell(row=2, column=title + 1).quotePrefix


def test_xlsx_numbers_are_numbers_and_dates_are_dates(deals: dict[str, Any]) -> None:
    result = CliRunner().invoke(main, ["export", "deals", "--format", "xlsx", "--filter", "status=won"])

    assert result.exit_code == 0
    header, values, _sheet = read_xlsx(result.stdout_bytes)
    row = dict(zip(header, values[0], strict=True))
    assert row["value"] == pytest.approx(1234.5)
    assert row["expected_close_date"] == dt.datetime(2026, 12, 31)  # noqa: DTZ001 - spreadsheets keep no zone
    assert isinstance(row["won_at"], dt.datetime)
    assert row["probability"] is None


# --- filters ------------------------------------------------------------------------------------------------


def test_filters_narrow_the_rows(deals: dict[str, Any]) -> None:
    lost = read_csv(run("deals", "--user", "manager", "--filter", "status=lost").output)
    teammate = read_csv(run("deals", "--user", "manager", "--filter", "owner=teammate").output)
    searched = read_csv(run("deals", "--filter", "search=acme").output)

    assert [row["title"] for row in lost] == ["Teammate's deal"]
    assert lost[0]["lost_reason"] == "'-5% was not enough"
    assert [row["owner"] for row in teammate] == ["teammate"]
    assert [row["title"] for row in searched] == ["Acme: 20 licences"]


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (
            ["deals", "--filter", "colour=red"],
            "The deals export has no filter 'colour'; it takes: status, owner",
        ),
        (["deals", "--filter", "status=maybe"], "status must be one of: open, won, lost."),
        (["deals", "--filter", "close_from=31/12/2026"], "close_from must be a date written YYYY-MM-DD"),
        (["deals", "--filter", "status"], "Write each filter as KEY=VALUE, e.g. --filter status=won"),
        (
            ["deals", "--user", "rep", "--filter", "owner=teammate"],
            "There is no user 'teammate', or you may not",
        ),
        (
            ["activities", "--filter", "state=someday"],
            "state must be one of: planned, overdue, done, cancelled.",
        ),
    ],
)
def test_a_filter_that_is_not_one_says_what_is_wrong_and_writes_nothing(
    deals: dict[str, Any], tmp_path: Path, arguments: list[str], message: str
) -> None:
    target = tmp_path / "out.csv"
    result = CliRunner().invoke(main, ["export", *arguments, "--output", str(target)])

    assert result.exit_code == 2
    assert message in result.output
    assert not target.exists()


def test_the_command_line_names_the_same_tables_as_the_exports() -> None:
    assert tuple(TABLES) == commands.TABLE_NAMES


# --- the other tables ---------------------------------------------------------------------------------------


def test_organizations_and_persons_come_from_the_shared_directory(rep: User) -> None:
    acme = OrganizationFactory(name="Acme Hellas", city="Athens")
    OrganizationFactory(name="Globex")
    PersonFactory(first_name="Eleni", last_name="Papadopoulou", organization=acme, email="eleni@acme.example")

    organizations = read_csv(run("organizations", "--user", "rep", "--filter", "search=acme").output)
    persons = read_csv(run("persons", "--user", "rep", "--filter", f"organization={acme.pk}").output)

    assert [(row["name"], row["city"]) for row in organizations] == [("Acme Hellas", "Athens")]
    assert [(row["last_name"], row["email"], row["organization"]) for row in persons] == [
        ("Papadopoulou", "eleni@acme.example", "Acme Hellas")
    ]


def test_activities_are_those_of_the_people_the_user_may_see(
    deals: dict[str, Any], rep: User, outsider: User
) -> None:
    from salespipe.activities.models import Activity

    Activity.objects.create(
        kind="call", subject="Intro call", owner=rep, deal=deals["open"], created_at=deals["open"].created_at
    )
    Activity.objects.create(
        kind="call", subject="Not yours", owner=outsider, created_at=deals["open"].created_at
    )

    rows = read_csv(run("activities", "--user", "rep").output)

    assert [(row["subject"], row["deal"]) for row in rows if row["kind"] == "call"] == [
        ("Intro call", "Acme: 20 licences")
    ]
    assert all(row["owner"] == "rep" for row in rows)


# --- memory and queries -------------------------------------------------------------------------------------


def test_an_export_reads_its_rows_in_chunks_in_a_fixed_number_of_queries(rep: User, make_deal: Any) -> None:
    def queries_for_all_rows() -> int:
        with CaptureQueriesContext(connection) as captured:
            found = export_rows(actor=rep, table="deals")
            assert sum(1 for _row in found.rows) == rep.deals.count()
        return len(captured)

    for number in range(3):
        make_deal(rep, title=f"Deal {number}")
    few = queries_for_all_rows()
    for number in range(3, 12):
        make_deal(rep, title=f"Deal {number}")

    assert queries_for_all_rows() == few


def test_the_rows_are_not_read_before_they_are_written(rep: User, make_deal: Any) -> None:
    make_deal(rep)
    with CaptureQueriesContext(connection) as captured:
        found = export_rows(actor=rep, table="deals")
        before = len(captured)
        next(found.rows)

    assert len(captured) > before


# --- the web ------------------------------------------------------------------------------------------------


def test_the_download_is_what_the_signed_in_user_may_see(
    deals: dict[str, Any], browser_of: Any, rep: User
) -> None:
    response = browser_of(rep).get("/export/deals.csv?status=open")

    assert response.status_code == 200
    assert response.streaming
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="deals-')
    rows = read_csv(b"".join(response.streaming_content).decode())
    assert [row["id"] for row in rows] == [str(deals["open"].pk)]


def test_the_xlsx_download_opens_in_a_spreadsheet(
    deals: dict[str, Any], browser_of: Any, manager: User
) -> None:
    response = browser_of(manager).get("/export/deals.xlsx")

    assert response.status_code == 200
    header, values, _sheet = read_xlsx(b"".join(response.streaming_content))
    assert sorted(row[header.index("owner")] for row in values) == ["rep", "rep", "teammate"]
    assert Decimal(str(values[0][header.index("value")])) >= 0


def test_a_bad_filter_or_an_unknown_export_is_refused_with_the_reason(
    deals: dict[str, Any], browser_of: Any, rep: User
) -> None:
    bad = browser_of(rep).get("/export/deals.csv?status=maybe")
    unknown = browser_of(rep).get("/export/invoices.csv")
    other_format = browser_of(rep).get("/export/deals.pdf")

    assert bad.status_code == 422
    assert "status must be one of: open, won, lost." in bad.content.decode()
    assert unknown.status_code == other_format.status_code == 404


def test_signing_in_comes_first(client: Any, deals: dict[str, Any]) -> None:
    response = client.get("/export/deals.csv")

    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_the_board_offers_its_own_deals_as_an_export(
    deals: dict[str, Any], browser_of: Any, manager: User, teammate: User, make_deal: Any
) -> None:
    # given a teammate's open deal besides the rep's
    theirs = make_deal(teammate, title="Teammate's open deal")

    # when the manager filters the board to the teammate and follows its export link
    page = browser_of(manager).get(f"/board/?owner={teammate.pk}").content.decode()
    start = page.index('href="/export/deals.csv?') + len('href="')
    link = page[start : page.index('"', start)].replace("&amp;", "&")
    rows = read_csv(b"".join(browser_of(manager).get(link).streaming_content).decode())

    # then the file holds the board's deals: the teammate's open ones
    assert f"owner={teammate.pk}" in link and "status=open" in link
    assert [row["id"] for row in rows] == [str(theirs.pk)]


# --- the API ------------------------------------------------------------------------------------------------


def test_the_api_gives_the_same_file_to_a_program(deals: dict[str, Any], api_client: Any, rep: User) -> None:
    as_csv = api_client(rep).get("/api/v1/export/deals?status=won")
    as_xlsx = api_client(rep).get("/api/v1/export/deals?format=xlsx")
    bad = api_client(rep).get("/api/v1/export/deals?colour=red")

    assert as_csv.status_code == 200
    rows = read_csv(b"".join(as_csv.streaming_content).decode())
    assert [row["id"] for row in rows] == [str(deals["won"].pk)]
    header, values, _sheet = read_xlsx(b"".join(as_xlsx.streaming_content))
    assert {row[header.index("owner")] for row in values} == {"rep"}
    assert bad.status_code == 422
    assert bad.json()["error"]["message"].startswith("The deals export has no filter 'colour'")
