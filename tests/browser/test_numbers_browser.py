"""My numbers in a real browser: the flow chart is drawn by Chart.js under the site's CSP, and a number
(or a month's bar) leads to the deals behind it."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from salespipe.analytics.periods import QUARTER, add_months, period_containing
from salespipe.deals.services import deal_win
from salespipe.numbers.selectors import company_today
from salespipe.people.models import User
from salespipe.quotas.models import Quota
from tests.browser.conftest import keep_for_docs, screenshot, sign_in
from tests.browser.test_board import _wait, _watch

pytestmark = pytest.mark.django_db(transaction=True)

# Whether the chart has drawn anything: some pixel of the canvas is not transparent.
CANVAS_DRAWN = """(() => {
  const canvas = document.getElementById("flow-chart");
  if (!canvas || !window.Chart || !Chart.getChart(canvas)) return false;
  const pixels = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
  for (let i = 3; i < pixels.length; i += 4) if (pixels[i]) return true;
  return false;
})()"""


@pytest.fixture
def numbers(rep: User, make_deal: Any) -> dt.date:
    """A quota of 30,000 for this quarter, 6,000 won, 8,000 at 50 % closing today and 12,000 at 25 % next
    month, and a deal without a date. Returns next month's first day."""
    today = company_today()
    quarter = period_containing(today, QUARTER)
    Quota.objects.create(
        user=rep,
        period_kind=QUARTER,
        starts_on=quarter.starts_on,
        ends_on=quarter.ends_on,
        target_value=Decimal(30_000),
    )
    deal_win(actor=rep, deal_id=make_deal(rep, title="Signed: Acme", value=6000).pk)
    next_month = add_months(today, 1)
    make_deal(rep, title="Beta renewal", value=8000, probability=50, expected_close_date=today)
    make_deal(rep, title="Gamma rollout", value=12000, probability=25, expected_close_date=next_month)
    make_deal(rep, title="Delta pilot", value=3000, expected_close_date=None)
    return next_month


def test_my_numbers_draws_the_flow_chart_and_leads_from_a_number_to_its_deals(
    page: Any, rep: User, numbers: dt.date
) -> None:
    # given the numbers above
    problems = _watch(page)
    next_month = numbers
    sign_in(page, "rep")

    # when the rep opens My numbers
    page.get_by_role("link", name="My numbers").click()
    page.wait_for_url("**/numbers/**")

    # then the figures are there and Chart.js has drawn the flow chart on the canvas
    assert page.locator('a[data-number="won"]').inner_text() == "€6,000"
    _wait(page, CANVAS_DRAWN)
    assert page.locator(".flow-chart").is_visible()
    keep_for_docs(screenshot(page, "numbers"), "numbers.png")

    # when the won number is clicked, then the deals behind it are listed with their total
    page.locator('a[data-number="won"]').click()
    page.wait_for_url("**/numbers/deals/?number=won**")
    assert page.get_by_role("link", name="Signed: Acme").is_visible()
    assert page.locator('[data-total="value"]').inner_text() == "€6,000"

    # when a month's bar in the chart is clicked, then the deals expected to close that month are listed
    page.go_back()
    _wait(page, CANVAS_DRAWN)
    bar = page.evaluate(
        """(() => {
          const bar = Chart.getChart(document.getElementById("flow-chart")).getDatasetMeta(2).data[1];
          return {x: bar.x, y: (bar.y + bar.base) / 2};
        })()"""
    )
    page.locator("#flow-chart").click(position=bar)
    page.wait_for_url(f"**/numbers/deals/?number=expected&period={next_month:%Y-%m}**")
    assert page.get_by_role("link", name="Gamma rollout").is_visible()
    assert page.locator('[data-total="weighted"]').inner_text() == "€3,000"
    assert not problems, problems


@pytest.mark.usefixtures("numbers")
def test_my_numbers_fits_a_phone_screen(page: Any, rep: User) -> None:
    # given
    page.set_viewport_size({"width": 360, "height": 740})
    sign_in(page, "rep")

    # when
    page.goto("/numbers/")
    _wait(page, CANVAS_DRAWN)

    # then nothing but the tables' own scrolling areas is wider than the screen
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    keep_for_docs(screenshot(page, "numbers-phone"), "numbers-phone.png")
