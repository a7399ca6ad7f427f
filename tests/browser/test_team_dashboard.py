"""The team dashboard in a real browser: Chart.js draws the funnel and the monthly trend under the site's
CSP, htmx fills in each rep's first advice item, sorting is a plain link, and the page fits a phone."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from salespipe.activities.models import ActivityKind
from salespipe.activities.services import activity_record, activity_schedule, info_request_log
from salespipe.analytics.periods import QUARTER, period_containing
from salespipe.deals.models import Stage
from salespipe.deals.services import deal_move, deal_win
from salespipe.numbers.selectors import company_today
from salespipe.people.models import User
from salespipe.quotas.models import Quota
from tests.browser.conftest import keep_for_docs, screenshot, sign_in
from tests.browser.test_board import _wait, _watch

pytestmark = pytest.mark.django_db(transaction=True)

# Whether Chart.js has drawn on a canvas: some pixel of it is not transparent.
DRAWN = """((id) => {
  const canvas = document.getElementById(id);
  if (!canvas || !window.Chart || !Chart.getChart(canvas)) return false;
  const pixels = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
  for (let i = 3; i < pixels.length; i += 4) if (pixels[i]) return true;
  return false;
})"""
ADVICE_LOADED = """(() => {
  const cells = [...document.querySelectorAll(".advice-row .advice")];
  return cells.length > 0 && cells.every((cell) => cell.querySelector(".severity, .muted"));
})()"""


def drawn(chart: str) -> str:
    return f'{DRAWN}("{chart}")'


@pytest.fixture
def team_week(rep: User, teammate: User, make_deal: Any, stages: dict[str, Stage]) -> None:
    """Quotas for this quarter, won and open deals, appointments, calls and an overdue information request;
    the teammate works from New York."""
    teammate.time_zone = "America/New_York"
    teammate.save(update_fields=["time_zone"])
    quarter = period_containing(company_today(), QUARTER)
    now = timezone.now()
    for person, target, won in ((rep, 20_000, 9000), (teammate, 30_000, 6000)):
        Quota.objects.create(
            user=person,
            period_kind=QUARTER,
            starts_on=quarter.starts_on,
            ends_on=quarter.ends_on,
            target_value=Decimal(target),
        )
        deal_win(actor=person, deal_id=make_deal(person, title=f"Signed by {person.username}", value=won).pk)
        for index in range(3):
            deal = make_deal(person, title=f"{person.username} lead {index}", value=1000 * (index + 1))
            if index:
                deal_move(actor=person, deal_id=deal.pk, stage_id=stages["Contacted"].pk)
        activity_schedule(actor=person, kind=ActivityKind.MEETING, due_at=now + dt.timedelta(days=1))
        activity_record(actor=person, kind=ActivityKind.CALL, done_at=now - dt.timedelta(minutes=30))
    info_request_log(actor=rep, received_at=now - dt.timedelta(days=2), deadline=now - dt.timedelta(days=1))


@pytest.mark.usefixtures("team_week")
def test_a_manager_opens_the_team_sees_the_charts_and_the_advice_and_sorts_a_column(
    page: Any, manager: User, rep: User, teammate: User
) -> None:
    # given: a screen wide enough for every column (narrower ones scroll the table sideways)
    problems = _watch(page)
    page.set_viewport_size({"width": 1760, "height": 900})
    sign_in(page, "manager")

    # when the manager opens Team
    page.get_by_role("link", name="Team", exact=True).click()
    page.wait_for_url("**/team/")

    # then a line per rep, both charts drawn and each rep's first advice item filled in by htmx
    assert page.locator("#team-table tbody tr:not(.advice-row)").count() == 2
    _wait(page, drawn("funnel-chart"))
    _wait(page, drawn("trend-chart"))
    _wait(page, ADVICE_LOADED)
    assert page.locator(".advice-row .severity[data-code]").count() == 2
    keep_for_docs(screenshot(page, "team"), "team.png")

    # when the attainment column is sorted, highest first
    page.locator('a[data-sort="attainment"]').click()
    page.wait_for_url("**sort=-attainment**")

    # then the rep at 45 % comes before the teammate at 20 %
    names = page.locator("#team-table tbody th.who > a").all_inner_texts()
    assert names == [str(rep), str(teammate)]
    assert page.locator('th[aria-sort="descending"] a[data-sort="attainment"]').count() == 1

    # when the rep's name is clicked, then their numbers open
    page.get_by_role("link", name=str(rep), exact=True).click()
    page.wait_for_url("**/numbers/?user=rep**")
    assert not problems, problems


@pytest.mark.usefixtures("team_week")
def test_the_leaderboard_ranks_the_team(page: Any, manager: User, rep: User, teammate: User) -> None:
    # given
    sign_in(page, "manager")

    # when
    page.goto("/team/leaderboard/")

    # then
    ranks = page.locator(".leaderboard li .leader-name").all_inner_texts()
    assert ranks == [str(rep), str(teammate)]
    keep_for_docs(screenshot(page, "leaderboard"), "leaderboard.png")


@pytest.mark.usefixtures("team_week")
def test_the_team_dashboard_fits_a_phone_screen(page: Any, manager: User) -> None:
    # given
    page.set_viewport_size({"width": 360, "height": 740})
    sign_in(page, "manager")

    # when
    page.goto("/team/")
    _wait(page, drawn("trend-chart"))

    # then nothing but the tables' own scrolling areas is wider than the screen
    wide = page.evaluate(
        """[...document.querySelectorAll("body *")].filter((e) => e.getBoundingClientRect().right > 361
             && !e.closest(".overflow-auto")).map((e) => e.tagName + "." + e.className).slice(0, 5)"""
    )
    assert page.evaluate("document.documentElement.scrollWidth") <= 360, wide
    keep_for_docs(screenshot(page, "team-phone"), "team-phone.png")
