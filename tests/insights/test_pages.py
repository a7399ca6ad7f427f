"""The Insights page and its CSV downloads, scoped like the selectors, with their queries pinned."""

from __future__ import annotations

import csv
import io
import json
import re
from typing import Any

import pytest

from salespipe.deals.models import Deal, Stage
from salespipe.people.models import User
from tests.insights.conftest import done

pytestmark = pytest.mark.django_db

PAGE = "/insights/"
# Session, user; the actor's view (people, teams); the pipeline's stages; open deals, stage entries (the
# window's and the last six months' together), stays, closed deals with their trials/demos/gifts, lost
# reasons, activities; the pipelines.
PAGE_QUERIES = 12
# Session, user; the actor's view (people, teams); the pipeline's stages; the table's own query.
FUNNEL_CSV_QUERIES = 6
# ... the closed deals and the lost reasons.
LOST_REASONS_CSV_QUERIES = 7


@pytest.fixture
def history(rep: User, teammate: User, outsider: User, journey: Any) -> dict[str, Deal]:
    done(rep, "call", 3)
    done(rep, "meeting", 4)
    return {
        "won": journey(rep, [("Lead", 80), ("Contacted", 70), ("Won", 10)], value=3000),
        "lost": journey(rep, [("Lead", 50), ("Lost", 40)], reason="Price too high"),
        "open": journey(rep, [("Lead", 20), ("Contacted", 15)]),
        "teammate": journey(teammate, [("Lead", 20), ("Lost", 10)], reason="Went silent"),
        "outsider": journey(outsider, [("Lead", 20), ("Lost", 10)], reason="Outsider's secret reason"),
    }


def text(response: Any) -> str:
    return response.content.decode()


def rows_of(response: Any) -> list[list[str]]:
    body = b"".join(response.streaming_content).decode("utf-8")
    assert body.startswith("\ufeff")
    return list(csv.reader(io.StringIO(body[1:])))


# --- the page -------------------------------------------------------------------------------------------


@pytest.mark.usefixtures("history")
def test_a_rep_sees_the_funnel_of_their_own_deals(
    rep: User, browser_of: Any, django_assert_num_queries: Any
) -> None:
    # given
    browser = browser_of(rep)
    browser.get(PAGE)  # warm up: the session's first touch

    # when
    with django_assert_num_queries(PAGE_QUERIES):
        response = browser.get(PAGE)

    # then
    assert response.status_code == 200
    page = text(response)
    assert "Funnel" in page and "Contacted" in page
    assert "Price too high" in page
    assert "Went silent" not in page  # the teammate's
    assert 'name="who"' not in page  # a rep has nobody else to pick
    assert 'href="/insights/funnel.csv?pipeline=' in page
    assert 'aria-current="page"' in page and ">Insights</a>" in page


@pytest.mark.usefixtures("history")
def test_a_manager_picks_a_team_or_a_member_and_the_page_runs_the_same_queries(
    manager: User, rep: User, teammate: User, browser_of: Any, django_assert_num_queries: Any
) -> None:
    # given
    browser = browser_of(manager)
    browser.get(PAGE)

    # when
    with django_assert_num_queries(PAGE_QUERIES):
        team_page = browser.get(PAGE, {"who": f"team:{rep.team_id}", "days": "365"})
    member_page = browser.get(PAGE, {"who": f"user:{teammate.pk}"})

    # then
    assert team_page.status_code == member_page.status_code == 200
    team_text = text(team_page)
    assert "Price too high" in team_text and "Went silent" in team_text
    assert "Outsider&#x27;s secret reason" not in team_text
    assert f'<option value="team:{rep.team_id}" selected>' in team_text
    assert '<option value="365" selected>' in team_text
    assert f"who=team%3A{rep.team_id}" in team_text  # the CSV links keep the filters
    member_text = text(member_page)
    assert "Went silent" in member_text and "Price too high" not in member_text


@pytest.mark.usefixtures("history")
@pytest.mark.parametrize(
    ("who", "query"),
    [
        ("manager", lambda people: {"who": f"user:{people['outsider'].pk}"}),
        ("manager", lambda people: {"who": f"team:{people['outsider'].team_id}"}),
        ("rep", lambda people: {"who": f"team:{people['rep'].team_id}"}),
        ("rep", lambda people: {"who": f"user:{people['teammate'].pk}"}),
        ("rep", lambda people: {"pipeline": "999999"}),
    ],
)
def test_what_is_out_of_view_is_not_found(
    who: str, query: Any, rep: User, teammate: User, manager: User, outsider: User, browser_of: Any
) -> None:
    # given
    people = {"rep": rep, "teammate": teammate, "manager": manager, "outsider": outsider}

    # when
    page = browser_of(people[who]).get(PAGE, query(people))
    download = browser_of(people[who]).get("/insights/funnel.csv", query(people))

    # then
    assert page.status_code == download.status_code == 404
    assert "secret" not in text(page)


@pytest.mark.usefixtures("pipeline")
@pytest.mark.parametrize("query", [{"days": "7"}, {"who": "everyone"}, {"pipeline": "first"}])
def test_an_address_that_is_not_a_filter_says_what_is_wrong(
    rep: User, browser_of: Any, query: dict[str, str]
) -> None:
    # when
    response = browser_of(rep).get(PAGE, query)

    # then
    assert response.status_code == 422
    assert 'role="alert"' in text(response)
    assert 'href="/insights/"' in text(response)


@pytest.mark.usefixtures("history")
def test_the_chart_gets_the_tables_figures_as_data_not_as_an_inline_script(
    rep: User, browser_of: Any
) -> None:
    # when
    page = text(browser_of(rep).get(PAGE))

    # then
    found = re.search(r'<script id="conversion-data" type="application/json">(.*?)</script>', page, re.S)
    assert found is not None
    chart = json.loads(found.group(1))
    assert len(chart["labels"]) == 6
    assert [series["label"] for series in chart["series"]][:2] == ["Lead", "Contacted"]
    assert 'src="/static/insights/insights.js"' in page
    assert "<script>" not in page


@pytest.mark.usefixtures("history")
def test_the_page_reads_in_greek(rep: User, browser_of: Any) -> None:
    # when
    response = browser_of(rep).get(PAGE, headers={"accept-language": "el"})

    # then
    assert response.status_code == 200
    assert '<html lang="el"' in text(response)


# --- CSV ------------------------------------------------------------------------------------------------


@pytest.mark.usefixtures("history")
def test_the_funnel_downloads_as_csv_with_the_same_figures(
    rep: User, browser_of: Any, django_assert_num_queries: Any
) -> None:
    # given
    browser = browser_of(rep)
    browser.get(PAGE)

    # when
    with django_assert_num_queries(FUNNEL_CSV_QUERIES):
        response = browser.get("/insights/funnel.csv", {"days": "90"})
        rows = rows_of(response)

    # then
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="insights-funnel-90d-2026-11-27.csv"'
    assert rows[0] == ["Stage", "Entered", "Went further", "Conversion", "Dropped off", "Drop-off", "Reach"]
    by_stage = {row[0]: row[1:] for row in rows[1:]}
    assert by_stage["Lead"][:5] == ["3", "2", "0.6667", "1", "0.3333"]  # won and open went on, lost did not
    assert by_stage["Contacted"][:3] == ["2", "1", "0.5000"]
    assert by_stage["Appointment"][:3] == ["0", "0", ""]


@pytest.mark.usefixtures("history")
def test_lost_reasons_download_with_their_share_and_value(
    manager: User, rep: User, browser_of: Any, django_assert_num_queries: Any
) -> None:
    # given
    browser = browser_of(manager)
    browser.get(PAGE)

    # when
    with django_assert_num_queries(LOST_REASONS_CSV_QUERIES):
        rows = rows_of(browser.get("/insights/lost-reasons.csv", {"who": f"team:{rep.team_id}"}))

    # then
    assert rows[0] == ["Reason", "Deals", "Share", "Value (EUR)"]
    assert sorted(rows[1:]) == [
        ["Price too high", "1", "0.5000", "1000.00"],
        ["Went silent", "1", "0.5000", "1000.00"],
    ]


@pytest.mark.parametrize(
    "table", ["stages", "conversion", "durations", "outcomes", "activities", "freemiums"]
)
@pytest.mark.usefixtures("history")
def test_every_table_of_the_page_downloads(rep: User, browser_of: Any, table: str) -> None:
    # given
    page = text(browser_of(rep).get(PAGE))

    # when
    response = browser_of(rep).get(f"/insights/{table}.csv")

    # then
    assert f'href="/insights/{table}.csv?' in page
    assert response.status_code == 200
    rows = rows_of(response)
    assert len(rows) > 1
    assert len({len(row) for row in rows}) == 1  # every row as wide as the header


@pytest.mark.usefixtures("history")
def test_the_outcomes_download_has_the_win_rate_cycle_and_velocity(rep: User, browser_of: Any) -> None:
    # when
    rows = dict(rows_of(browser_of(rep).get("/insights/outcomes.csv"))[1:])

    # then: won 3,000 after 70 days, lost one; one deal open
    assert rows["Win rate"] == "0.5000"
    assert rows["Median sales cycle (days)"] == "70.00"
    assert rows["Open deals"] == "1"
    assert rows["Sales velocity (EUR per day)"] == "21.43"  # 1 × 0.5 × 3,000 ÷ 70


@pytest.mark.parametrize(
    "dangerous", ['=HYPERLINK("http://evil")', "+1+2", "-3", "@SUM(A1)", "\tTabbed", "\rReturned"]
)
def test_text_that_a_spreadsheet_would_run_is_neutralised(
    rep: User, journey: Any, browser_of: Any, stages: dict[str, Stage], dangerous: str
) -> None:
    # given: a lost reason and a stage name as people may type them
    journey(rep, [("Lead", 20), ("Lost", 10)], reason=dangerous)
    Stage.objects.filter(pk=stages["Contacted"].pk).update(name=dangerous + " stage")

    # when
    reasons = rows_of(browser_of(rep).get("/insights/lost-reasons.csv"))
    funnel = rows_of(browser_of(rep).get("/insights/funnel.csv"))

    # then
    assert reasons[1][0] == "'" + dangerous
    assert funnel[2][0] == "'" + dangerous + " stage"
    assert reasons[1][1] == "1"  # numbers stay numbers


@pytest.mark.usefixtures("pipeline")
def test_a_table_that_is_not_one_is_not_found(rep: User, browser_of: Any) -> None:
    assert browser_of(rep).get("/insights/secrets.csv").status_code == 404
