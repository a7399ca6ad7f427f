"""The Reports page and the deal page's suggestions panel, as each role sees them in a browser."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
import time_machine
from django.utils import formats

from salespipe.people.models import Team, User
from tests.analytics.conftest import NOW, days_ago
from tests.factories import OrganizationFactory

pytestmark = pytest.mark.django_db

REPORTS = "/reports/follow-up/"
# Session, user, the scope (people, teams), one query per report.
REPORTS_PAGE_QUERIES = 6


@pytest.fixture(autouse=True)
def frozen_clock() -> Any:
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def history(rep: User, teammate: User, outsider: User, info_request: Any, closed_deal: Any) -> None:
    for owner, minutes in ((rep, 45), (teammate, 185), (outsider, 5)):
        received = days_ago(3)
        done = received + dt.timedelta(minutes=minutes)
        info_request(owner, received=received, due=done, answered=done, minutes=minutes)
    closed_deal(rep, created=days_ago(40), won=days_ago(10), done=("trial",))
    closed_deal(outsider, created=days_ago(40), lost=days_ago(10))


def text(response: Any) -> str:
    return response.content.decode()


def table_rows(page: str, heading_id: str) -> list[str]:
    """The first cell of each row of the table under that heading, tags stripped."""
    section = page[page.index(f'id="{heading_id}"') :]
    body = section[section.index("<tbody>") : section.index("</tbody>")]
    return [
        re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r'<th scope="row"[^>]*>(.*?)</th>', body)
    ]


@pytest.mark.usefixtures("history")
def test_a_rep_sees_their_own_line_beside_their_team(rep: User, browser_of: Any) -> None:
    # when
    response = browser_of(rep).get(REPORTS)

    # then
    assert response.status_code == 200
    page = text(response)
    assert table_rows(page, "responses-heading") == [str(rep), "Team Athens"]
    assert "45 min" in page
    assert table_rows(page, "freemiums-heading") == [str(rep), "Team Athens"]
    assert 'name="who"' not in page, "a rep has nobody else to choose"


@pytest.mark.usefixtures("history")
def test_a_manager_sees_each_member_and_can_narrow_to_one(
    manager: User, rep: User, teammate: User, outsider: User, browser_of: Any
) -> None:
    # when
    page = text(browser_of(manager).get(REPORTS))
    narrowed = text(browser_of(manager).get(REPORTS, {"who": f"user:{teammate.pk}"}))

    # then
    assert set(table_rows(page, "responses-heading")) == {str(rep), str(teammate), "Team Athens"}
    assert "3 h 05 min" in page
    assert table_rows(narrowed, "responses-heading") == [str(teammate), "Team Athens"]
    assert str(outsider) not in page


@pytest.mark.usefixtures("history")
def test_an_admin_sees_the_teams_first_then_a_teams_members(
    admin_user: User, outsider: User, browser_of: Any
) -> None:
    # given
    berlin = Team.objects.get(name="Berlin")

    # when
    teams = text(browser_of(admin_user).get(REPORTS))
    one_team = text(browser_of(admin_user).get(REPORTS, {"who": f"team:{berlin.pk}"}))

    # then
    assert table_rows(teams, "responses-heading") == ["Team Athens", "Team Berlin", "Everyone in view"]
    assert table_rows(one_team, "responses-heading") == [str(outsider), "Team Berlin"]


@pytest.mark.usefixtures("history")
def test_a_manager_choosing_someone_outside_their_teams_gets_their_own_view_and_a_reason(
    manager: User, outsider: User, browser_of: Any
) -> None:
    # when
    response = browser_of(manager).get(REPORTS, {"who": f"user:{outsider.pk}"})

    # then
    page = text(response)
    assert response.status_code == 200
    assert str(outsider) not in page
    assert "Select a valid choice" in page


@pytest.mark.usefixtures("history")
def test_the_window_and_kind_are_chosen_on_the_page(rep: User, browser_of: Any) -> None:
    # when
    page = text(browser_of(rep).get(REPORTS, {"requests_days": "30", "deals_days": "730", "kind": "gift"}))

    # then
    assert "Requests answered in the last 30 days" in page
    assert "Deals won or lost in the last 730 days" in page
    assert '<option value="gift" selected>' in page


def test_the_reports_page_runs_a_fixed_number_of_queries(
    rep: User,
    manager: User,
    admin_user: User,
    info_request: Any,
    closed_deal: Any,
    browser_of: Any,
    django_assert_num_queries: Any,
) -> None:
    # given: plenty of rows
    for n in range(20):
        info_request(rep, received=days_ago(n + 2), due=days_ago(n + 1), answered=days_ago(n + 1), minutes=n)
        closed_deal(rep, created=days_ago(90), won=days_ago(n + 1), done=("demo",))

    # when / then
    for user in (rep, manager, admin_user):
        browser = browser_of(user)
        with django_assert_num_queries(REPORTS_PAGE_QUERIES):
            assert browser.get(REPORTS).status_code == 200


def test_the_navigation_links_to_the_reports(rep: User, browser_of: Any) -> None:
    # when
    page = text(browser_of(rep).get("/agenda/"))

    # then
    assert f'href="{REPORTS}"' in page


def test_the_deal_page_suggests_a_budget_with_its_basis_and_offers_questions(
    rep: User, make_deal: Any, closed_deal: Any, browser_of: Any
) -> None:
    # given: three past purchases of the same organization
    acme = OrganizationFactory(industry="Retail")
    for value in (1000, 2000, 4000):
        closed_deal(rep, created=days_ago(90), won=days_ago(30), value=value, organization_id=acme.pk)
    deal = make_deal(rep, organization_id=acme.pk)

    # when
    page = text(browser_of(rep).get(f"/deals/{deal.pk}/"))

    # then
    panel = page[page.index('id="deal-suggestions"') :]
    assert "About €2,000" in panel
    assert "this organization&#x27;s 3 past purchases" in panel
    assert "What did you spend on this the last time?" in panel
    assert "No confirmed decision maker" in panel


def test_a_deal_with_everything_known_shows_no_questions_and_a_closed_deal_no_panel(
    rep: User, make_deal: Any, closed_deal: Any, confirm_decision_maker: Any, browser_of: Any
) -> None:
    # given
    qualified = make_deal(rep, budget_amount=5000, decision_date=dt.date(2027, 1, 15), urgency="high")
    confirm_decision_maker(qualified)
    won = closed_deal(rep, created=days_ago(90), won=days_ago(30))
    browser = browser_of(rep)

    # when
    qualified_page = text(browser.get(f"/deals/{qualified.pk}/"))
    won_page = text(browser.get(f"/deals/{won.pk}/"))

    # then: the decision date itself, as there is no history of decision-to-signature times
    panel = qualified_page[qualified_page.index('id="deal-suggestions"') :]
    assert "Hint around" not in panel
    assert formats.date_format(dt.date(2027, 1, 15), "DATE_FORMAT") in panel
    assert 'id="deal-suggestions"' not in won_page
