"""My numbers in the browser: won, expected and gap against the quota for a rep, a team or the company,
the plan and the flow ahead, and the deals behind every number, each scoped to who may see them."""

from __future__ import annotations

import datetime as dt
import json
import re
from decimal import Decimal
from typing import Any

import pytest
import time_machine

from salespipe.analytics.periods import period_parse
from salespipe.deals.models import Deal, Stage, StageOutcome
from salespipe.deals.services import deal_lose, deal_win
from salespipe.numbers import selectors
from salespipe.people.models import Team, User
from salespipe.quotas.models import CommissionAssignment, CommissionPlan, CommissionTier, Quota

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 11, 27, 10, 0, tzinfo=dt.UTC)
NUMBERS = "/numbers/"
DEALS = "/numbers/deals/"
# Session, user; quotas; won and open deals (one query); their stages; commission assignments with their
# tiers; the day's track-record snapshots (none here), then the track record counted live (closed deals,
# activities) of the rep, their team and the company, as neither of the first two has enough closed deals.
REP_PAGE_QUERIES = 13
# Session, user; the team and its members; the members' quotas (people, quotas); won and open deals; their
# stages; commission assignments with their tiers; the members; the day's snapshots (none), the team's and the
# company's track records counted live; the picker's teams and people.
TEAM_PAGE_QUERIES = 17
# Session, user; the total (grouped deals, their stages); the count of deals; the page of deals and
# their stages.
DEALS_PAGE_QUERIES = 7


@pytest.fixture(autouse=True)
def frozen_clock() -> Any:
    with time_machine.travel(NOW, tick=False):
        yield


def text(response: Any) -> str:
    return response.content.decode()


def set_quota(
    value: int, *, user: User | None = None, team: Team | None = None, period: str = "2026-Q4"
) -> Quota:
    parsed = period_parse(period)
    return Quota.objects.create(
        user=user,
        team=team,
        period_kind=parsed.kind,
        starts_on=parsed.starts_on,
        ends_on=parsed.ends_on,
        target_value=Decimal(value),
        target_deals=4 if user is not None else None,
    )


def won(make_deal: Any, owner: User, value: Any, title: str = "Won deal") -> Deal:
    deal = make_deal(owner, title=title, value=value)
    return deal_win(actor=owner, deal_id=deal.pk)


def on_plan(user: User, name: str = "Standard", base_rate: int = 10) -> None:
    plan = CommissionPlan.objects.create(name=name, base_rate=Decimal(base_rate))
    CommissionTier.objects.create(plan=plan, from_attainment=Decimal(100), rate=Decimal(15))
    CommissionAssignment.objects.create(user=user, plan=plan, starts_on=dt.date(2026, 1, 1))


@pytest.fixture
def rep_numbers(rep: User, make_deal: Any) -> None:
    """Quota 10,000 for 2026-Q4; 2,000 won; 4,000 open at 50 % closing in December; 700 undated."""
    set_quota(10_000, user=rep)
    won(make_deal, rep, 2000)
    make_deal(rep, title="Open one", value=4000, probability=50, expected_close_date=dt.date(2026, 12, 15))
    make_deal(rep, title="Next year", value=9000, probability=50, expected_close_date=dt.date(2027, 2, 1))
    make_deal(rep, title="Undated", value=700, expected_close_date=None)
    on_plan(rep)


def link(number: str, period: str = "2026-Q4", **scope: str) -> str:
    """A link to the deals behind a number, as it appears in the page's HTML."""
    [(key, value)] = list(scope.items())
    return f'href="{DEALS}?number={number}&amp;period={period}&amp;{key}={value}"'


# --- the rep's own numbers ------------------------------------------------------------------------------


@pytest.mark.usefixtures("rep_numbers")
def test_a_rep_sees_won_expected_and_gap_against_their_quota_each_linking_to_its_deals(
    rep: User, browser_of: Any, django_assert_num_queries: Any
) -> None:
    # given
    client = browser_of(rep)

    # when
    with django_assert_num_queries(REP_PAGE_QUERIES):
        response = client.get(NUMBERS)

    # then: the current fiscal quarter, the three numbers and what they are measured against
    assert response.status_code == 200
    page = text(response)
    assert response.context["period"].label == "2026-Q4"
    figures = response.context["figures"]
    assert (figures["quota"], figures["won"], figures["expected"], figures["gap"]) == (
        "€10,000",
        "€2,000",
        "€2,000",
        "€6,000",
    )
    assert (figures["attainment"], figures["coverage"]) == ("20%", "0.5×")
    assert "1 deal</a> · target 4 deals" in page
    # every number leads to the deals behind it
    assert f'<a {link("won", user="rep")} data-number="won">€2,000</a>' in page
    assert f'<a {link("expected", user="rep")} data-number="expected">€2,000</a>' in page
    assert f'<a {link("open", user="rep")} data-number="open">0.5×</a>' in page
    # the expected value by where its probabilities come from
    assert [(row.label, row.deals, row.amount) for row in response.context["sources"]] == [
        ("Set on the deal", 1, "€2,000"),
        ("Stage history", 0, "€0"),
        ("Stage default", 0, "€0"),
    ]
    # the deal without a date is in no period, and the page says so
    assert "1 open deal worth €700 has no expected close date" in page
    assert link("undated", user="rep") in page
    # commission on the plan: 10 % of 2,000 earned, of 4,000 if the expected deals come in
    assert "Plan: Standard." in page
    assert f"<dt>Earned</dt><dd><a {link('won', user='rep')}>€200</a></dd>" in page
    assert "<dt>Projected</dt><dd>€400</dd>" in page
    # a rep picks nobody else
    assert 'name="who"' not in page


@pytest.mark.usefixtures("rep_numbers")
def test_the_rep_page_runs_the_same_queries_whatever_the_number_of_deals(
    rep: User, make_deal: Any, browser_of: Any, django_assert_num_queries: Any
) -> None:
    # given: many more open deals, and more won (still too few closed deals for a track record of
    # their own, which would spare the team's and the company's queries)
    for index in range(40):
        make_deal(rep, title=f"More {index}", value=100 + index, expected_close_date=dt.date(2026, 12, 1))
    for index in range(5):
        won(make_deal, rep, 50 + index, title=f"Won {index}")
    client = browser_of(rep)

    # when / then
    with django_assert_num_queries(REP_PAGE_QUERIES):
        response = client.get(NUMBERS)
    assert (response.context["report"].won_deals, response.context["report"].open_deals) == (6, 41)


def test_the_page_is_readable_without_javascript_and_carries_the_chart_data_without_inline_scripts(
    rep: User, make_deal: Any, browser_of: Any
) -> None:
    # given: a monthly quota for December and too little expected to meet 60 % of it
    set_quota(10_000, user=rep, period="2026-12")
    make_deal(rep, title="Small", value=2000, probability=50, expected_close_date=dt.date(2026, 12, 10))

    # when
    page = text(browser_of(rep).get(NUMBERS))

    # then: the flow table shows the month, flagged, and links to its deals
    december = re.search(r"<tr class=\"famine\">\s*<th scope=\"row\">December 2026.*?</tr>", page, re.S)
    assert december is not None, page
    assert link("expected", period="2026-12", user="rep") in december.group(0)
    assert "€1,000" in december.group(0)
    # the chart's figures travel as JSON; every script is a file or data, never inline code
    chart = response_json(page, "flow-data")
    assert chart["labels"][1] == "December 2026"
    assert chart["expected"][1] == 1000.0
    assert chart["quota"][1] == 10000.0
    assert chart["famine"][:2] == [False, True]
    for tag in re.findall(r"<script[^>]*>", page):
        assert "src=" in tag or 'type="application/json"' in tag, tag
    assert 'src="/static/vendor/chartjs/chart.umd.js"' in page
    assert '<canvas id="flow-chart" role="img" aria-label=' in page


def response_json(page: str, element_id: str) -> Any:
    found = re.search(rf'<script id="{element_id}" type="application/json">(.*?)</script>', page, re.S)
    assert found is not None
    return json.loads(found.group(1))


# --- periods --------------------------------------------------------------------------------------------


def test_the_period_links_step_back_and_forth_and_switch_between_month_quarter_and_year(
    rep: User, browser_of: Any
) -> None:
    # when
    response = browser_of(rep).get(NUMBERS, {"period": "2026-Q4"})

    # then
    nav = response.context["nav"]
    assert (nav.previous.label, nav.next.label) == ("2026-Q3", "2027-Q1")
    assert nav.next.url == "/numbers/?user=rep&period=2027-Q1"
    # today is in the quarter shown, so switching length keeps today in view
    assert [(kind.label, kind.url, kind.current) for kind in nav.kinds] == [
        ("Month", "/numbers/?user=rep&period=2026-11", False),
        ("Quarter", "/numbers/?user=rep&period=2026-Q4", True),
        ("Year", "/numbers/?user=rep&period=2026", False),
    ]
    assert nav.today is None


def test_a_past_period_offers_the_way_back_to_the_current_one(rep: User, browser_of: Any) -> None:
    # when
    response = browser_of(rep).get(NUMBERS, {"period": "2025-03"})

    # then
    nav = response.context["nav"]
    assert (nav.previous.label, nav.next.label) == ("2025-02", "2025-04")
    assert [kind.url for kind in nav.kinds] == [
        "/numbers/?user=rep&period=2025-03",
        "/numbers/?user=rep&period=2025-Q1",
        "/numbers/?user=rep&period=2025",
    ]
    assert nav.today.url == "/numbers/?user=rep&period=2026-11"


@pytest.mark.parametrize(
    ("moment", "quarter"),
    [
        (dt.datetime(2026, 12, 31, 21, 59, tzinfo=dt.UTC), "2026-Q4"),  # 23:59 in Athens
        (dt.datetime(2026, 12, 31, 22, 0, tzinfo=dt.UTC), "2027-Q1"),  # midnight in Athens
    ],
)
def test_the_default_period_is_the_quarter_of_the_companys_today(
    rep: User, browser_of: Any, settings: Any, moment: dt.datetime, quarter: str
) -> None:
    # given
    settings.TIME_ZONE = "Europe/Athens"

    # when
    with time_machine.travel(moment, tick=False):
        response = browser_of(rep).get(NUMBERS)

    # then
    assert response.context["period"].label == quarter


def test_quarters_follow_the_fiscal_year(rep: User, browser_of: Any, settings: Any) -> None:
    # given: the fiscal year starts in April, so late November is in its third quarter
    settings.FISCAL_YEAR_START_MONTH = 4

    # when
    response = browser_of(rep).get(NUMBERS)

    # then
    period = response.context["period"]
    assert (period.label, period.starts_on, period.ends_on) == (
        "2026-Q3",
        dt.date(2026, 10, 1),
        dt.date(2026, 12, 31),
    )
    assert [kind.url for kind in response.context["nav"].kinds][2] == "/numbers/?user=rep&period=2026"


def test_a_period_that_is_not_one_says_how_to_write_it(rep: User, browser_of: Any) -> None:
    # when
    response = browser_of(rep).get(NUMBERS, {"period": "2026-Q5"})

    # then
    assert response.status_code == 422
    page = text(response)
    assert (
        "&#x27;2026-Q5&#x27; is not a period; write a year (2026), a quarter (2026-Q4) or a month (2026-11)."
        in page
    )
    assert 'href="/numbers/?user=rep"' in page


def test_asking_for_two_scopes_at_once_says_to_pick_one(manager: User, team: Team, browser_of: Any) -> None:
    # when
    page = browser_of(manager).get(NUMBERS, {"team": "Athens", "company": "1"})
    deals = browser_of(manager).get(DEALS, {"number": "won", "user": "manager", "team": "Athens"})

    # then
    for response in (page, deals):
        assert response.status_code == 422
        assert "Ask for one user, one team or the company, not several at once." in text(response)


def test_the_drill_down_refuses_a_number_that_is_not_one(rep: User, browser_of: Any) -> None:
    # when
    response = browser_of(rep).get(DEALS, {"number": "gap", "period": "2026-Q4"})

    # then
    assert response.status_code == 422
    assert "&#x27;gap&#x27; is not one of the numbers; use won, expected, open" in text(response)


@pytest.mark.parametrize("number", selectors.NUMBERS)
def test_every_number_has_its_page_of_deals(rep: User, browser_of: Any, number: str) -> None:
    # when
    response = browser_of(rep).get(DEALS, {"number": number, "period": "2026-Q4"})

    # then
    assert response.status_code == 200
    assert response.context["number"] == number


@pytest.mark.usefixtures("rep_numbers")
def test_open_deals_past_their_expected_close_date_are_flagged_with_a_link_to_them(
    rep: User, make_deal: Any, browser_of: Any
) -> None:
    # given: a deal that was expected to close last month and is still open
    make_deal(rep, title="Late", value=1500, expected_close_date=dt.date(2026, 10, 20))
    client = browser_of(rep)

    # when
    page = text(client.get(NUMBERS))
    late = client.get(DEALS, {"number": "overdue", "period": "2026-Q4", "user": "rep"})

    # then
    assert "1 open deal worth €1,500 is past its expected close date." in page
    assert link("overdue", user="rep") in page
    assert [row.title for row in late.context["rows"]] == ["Late"]


# --- the deals behind the numbers -----------------------------------------------------------------------


@pytest.fixture
def mixed_deals(rep: User, stages: dict[str, Stage], make_deal: Any) -> None:
    """Open deals whose probabilities come from each source, with amounts in cents, and two won deals."""
    # 12 of 30 closed deals that passed Qualified were won: its empirical rate (40 %) replaces the default.
    StageOutcome.objects.update_or_create(
        stage=stages["Qualified"], defaults={"won_deals": 12, "lost_deals": 18}
    )
    december = dt.date(2026, 12, 15)
    make_deal(rep, title="Override", value="1234.56", probability=35, expected_close_date=december)
    make_deal(rep, title="Stage default", value="999.99", expected_close_date=dt.date(2026, 10, 2))
    make_deal(
        rep, title="Empirical", value="2500.10", stage_id=stages["Qualified"].pk, expected_close_date=december
    )
    make_deal(
        rep,
        title="Empirical too",
        value="333.33",
        stage_id=stages["Qualified"].pk,
        expected_close_date=december,
    )
    make_deal(rep, title="After the quarter", value="5000", expected_close_date=dt.date(2027, 1, 1))
    won(make_deal, rep, "1500.25", title="Won big")
    won(make_deal, rep, "800.75", title="Won small")


@pytest.mark.usefixtures("mixed_deals")
def test_the_deals_behind_each_number_add_up_to_the_number_on_the_page(
    rep: User, browser_of: Any, django_assert_num_queries: Any
) -> None:
    # given
    client = browser_of(rep)
    report = client.get(NUMBERS).context["report"]
    figures = client.get(NUMBERS).context["figures"]

    # when
    with django_assert_num_queries(DEALS_PAGE_QUERIES):
        expected = client.get(DEALS, {"number": "expected", "period": "2026-Q4", "user": "rep"})
    won_deals = client.get(DEALS, {"number": "won", "period": "2026-Q4", "user": "rep"})
    open_deals = client.get(DEALS, {"number": "open", "period": "2026-Q4", "user": "rep"})

    # then: 1234.56 × 35 % + 999.99 × 5 % + (2500.10 + 333.33) × 40 %
    assert report.expected.total == Decimal("1615.47")
    assert expected.context["total"].weighted_value == report.expected.total
    assert expected.context["total_figures"]["weighted"] == figures["expected"] == "€1,615"
    assert won_deals.context["total"].value == report.won == Decimal("2301.00")
    assert won_deals.context["total_figures"]["value"] == figures["won"]
    assert open_deals.context["total"].value == report.open_value == Decimal("5067.98")
    assert (expected.context["total"].deals, won_deals.context["total"].deals) == (4, 2)
    # biggest first, each with its probability and where it came from
    rows = [(row.title, row.probability, row.source, row.weighted) for row in expected.context["rows"]]
    assert rows == [
        ("Empirical", "40%", "Stage history", "€1,000"),
        ("Override", "35%", "Set on the deal", "€432"),
        ("Stage default", "5%", "Stage default", "€50"),
        ("Empirical too", "40%", "Stage history", "€133"),
    ]
    page = text(expected)
    assert f'href="/deals/{Deal.objects.get(title="Empirical").pk}/"' in page
    assert '<td class="number" data-total="weighted">€1,615</td>' in page
    assert [row.title for row in won_deals.context["rows"]] == ["Won big", "Won small"]
    assert [row.source for row in won_deals.context["rows"]] == ["Won", "Won"]


def test_the_drill_down_pages_fifty_deals_at_a_time_and_totals_all_of_them(
    rep: User, make_deal: Any, browser_of: Any, django_assert_num_queries: Any
) -> None:
    # given: 55 open deals closing in December, worth 100 to 5,500
    for index in range(1, 56):
        make_deal(rep, title=f"Deal {index}", value=index * 100, expected_close_date=dt.date(2026, 12, 1))
    client = browser_of(rep)
    query = {"number": "open", "period": "2026-12", "user": "rep"}

    # when
    first = client.get(DEALS, query)
    with django_assert_num_queries(DEALS_PAGE_QUERIES):
        second = client.get(DEALS, {**query, "page": 2})

    # then
    assert [row.title for row in first.context["rows"]][:2] == ["Deal 55", "Deal 54"]
    assert len(first.context["rows"]) == 50
    assert [row.title for row in second.context["rows"]] == ["Deal 5", "Deal 4", "Deal 3", "Deal 2", "Deal 1"]
    for response in (first, second):
        assert response.context["total_figures"]["value"] == "€154,000"
        assert "55 deals, worth €154,000 in all." in text(response)
    assert 'href="/numbers/deals/?number=open&amp;period=2026-12&amp;user=rep&amp;page=2"' in text(first)


# --- scope: whose numbers -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "query",
    [{"user": "teammate"}, {"user": "outsider"}, {"team": "Athens"}, {"company": "1"}, {"user": "nobody"}],
)
def test_a_rep_sees_only_their_own_numbers(
    rep: User, teammate: User, outsider: User, browser_of: Any, query: dict[str, str]
) -> None:
    # given
    client = browser_of(rep)

    # when / then
    assert client.get(NUMBERS, query).status_code == 404
    assert client.get(DEALS, {"number": "won", **query}).status_code == 404


def test_a_manager_sees_their_team_and_its_members_but_not_another_team(
    manager: User, rep: User, outsider: User, browser_of: Any
) -> None:
    # given
    client = browser_of(manager)

    # when / then
    assert client.get(NUMBERS, {"team": "Athens"}).status_code == 200
    assert client.get(NUMBERS, {"user": "rep"}).status_code == 200
    assert client.get(DEALS, {"number": "won", "user": "rep"}).status_code == 200
    assert client.get(NUMBERS, {"team": "Berlin"}).status_code == 404
    assert client.get(NUMBERS, {"user": "outsider"}).status_code == 404
    assert client.get(NUMBERS, {"company": "1"}).status_code == 404
    assert client.get(DEALS, {"number": "won", "user": "outsider"}).status_code == 404


def test_a_team_page_has_a_line_per_member_linking_to_their_numbers(
    manager: User,
    team: Team,
    rep: User,
    teammate: User,
    make_deal: Any,
    browser_of: Any,
    django_assert_num_queries: Any,
) -> None:
    # given
    set_quota(10_000, user=rep)
    set_quota(5_000, user=teammate)
    won(make_deal, rep, 2000)
    won(make_deal, teammate, 6000)
    make_deal(teammate, title="Open", value=1000, probability=50, expected_close_date=dt.date(2026, 12, 1))
    on_plan(rep)
    client = browser_of(manager)

    # when
    with django_assert_num_queries(TEAM_PAGE_QUERIES):
        response = client.get(NUMBERS, {"team": "Athens", "period": "2026-Q4"})

    # then: the team's numbers are its members' added up
    page = text(response)
    figures = response.context["figures"]
    assert (figures["quota"], figures["won"], figures["expected"], figures["gap"]) == (
        "€15,000",
        "€8,000",
        "€500",
        "€6,500",
    )
    assert "its members' quotas added up" in page
    assert link("won", team="Athens") in page
    lines = {row.name: row for row in response.context["members"]}
    assert (lines[str(rep)].won, lines[str(rep)].attainment, lines[str(rep)].commission) == (
        "€2,000",
        "20%",
        "€200",
    )
    assert (lines[str(teammate)].gap, lines[str(teammate)].attainment) == ("€0", "120%")
    assert lines[str(teammate)].commission == "—"
    assert f'<a href="/numbers/?user=teammate&amp;period=2026-Q4">{teammate}</a>' in page
    assert link("expected", user="teammate") in page


def test_the_team_page_runs_the_same_queries_whatever_the_number_of_deals(
    manager: User, rep: User, teammate: User, make_deal: Any, browser_of: Any, django_assert_num_queries: Any
) -> None:
    # given
    set_quota(10_000, user=rep)
    on_plan(rep)
    for owner in (rep, teammate):
        for index in range(25):
            make_deal(
                owner, title=f"Open {index}", value=100 + index, expected_close_date=dt.date(2026, 12, 1)
            )
        for index in range(4):
            won(make_deal, owner, 100 + index, title=f"Won {index}")
    client = browser_of(manager)

    # when / then
    with django_assert_num_queries(TEAM_PAGE_QUERIES):
        response = client.get(NUMBERS, {"team": "Athens"})
    assert (response.context["report"].won_deals, response.context["report"].open_deals) == (8, 50)


def test_a_manager_picks_themselves_a_team_they_manage_or_one_of_its_members(
    manager: User, rep: User, teammate: User, outsider: User, browser_of: Any
) -> None:
    # when
    response = browser_of(manager).get(NUMBERS)

    # then
    choices = [choice for group in response.context["picker"] for choice in group.choices]
    assert [choice.value for choice in choices[:2]] == ["user:manager", "team:Athens"]
    assert sorted(choice.value for choice in choices[2:]) == ["user:rep", "user:teammate"]
    assert [choice.value for choice in choices if choice.selected] == ["user:manager"]


def test_the_pickers_choice_becomes_the_pages_own_address(manager: User, team: Team, browser_of: Any) -> None:
    # when
    response = browser_of(manager).get(NUMBERS, {"who": "team:Athens", "period": "2026-Q3"})

    # then
    assert response.status_code == 302
    assert response["Location"] == "/numbers/?team=Athens&period=2026-Q3"


def test_an_admin_sees_the_companys_numbers_with_everyone_who_sells(
    admin_user: User, rep: User, outsider: User, make_deal: Any, browser_of: Any
) -> None:
    # given
    set_quota(10_000, user=rep)
    set_quota(4_000, user=outsider)
    won(make_deal, outsider, 1000)
    make_deal(rep, title="Open", value=500, expected_close_date=dt.date(2026, 12, 1))

    # when
    response = browser_of(admin_user).get(NUMBERS, {"company": "1"})

    # then
    assert response.status_code == 200
    assert response.context["title"] == "The company's numbers"
    assert (response.context["figures"]["quota"], response.context["figures"]["won"]) == ("€14,000", "€1,000")
    assert {row.name for row in response.context["members"]} == {str(rep), str(outsider)}
    assert link("won", company="1") in text(response)
    choices = [choice.value for group in response.context["picker"] for choice in group.choices]
    assert choices[:4] == ["user:admin", "company", "team:Athens", "team:Berlin"]
    assert {"user:rep", "user:outsider", "user:manager", "user:other_manager"} <= set(choices)


# --- no quota, and the plan -----------------------------------------------------------------------------


def test_without_a_quota_the_page_says_so_and_a_manager_is_pointed_to_the_quotas(
    manager: User, rep: User, browser_of: Any
) -> None:
    # when
    for_rep = text(browser_of(rep).get(NUMBERS))
    for_manager = text(browser_of(manager).get(NUMBERS, {"user": "rep"}))

    # then
    for page in (for_rep, for_manager):
        assert "No quota is set for this period, so there is no gap or attainment to show." in page
        assert "Without a quota there is no gap to plan for." in page
    assert "/quotas/" not in for_rep
    assert '<a href="/quotas/?period=2026-Q4">Set a quota</a>' in for_manager


@pytest.fixture
def track_record(rep: User, make_deal: Any) -> None:
    """Ten deals the rep opened on 1 June and closed 60 days later: four won at 1,000, six lost. A quota
    of 10,000 for 2026-Q4, one open deal worth 500 expected, and a commission plan."""
    with time_machine.travel(dt.datetime(2026, 6, 1, 9, 0, tzinfo=dt.UTC), tick=False):
        deals = [make_deal(rep, title=f"History {index}", value=1000) for index in range(10)]
        make_deal(rep, title="Open", value=1000, probability=50, expected_close_date=dt.date(2026, 12, 15))
    with time_machine.travel(dt.datetime(2026, 7, 31, 9, 0, tzinfo=dt.UTC), tick=False):
        for deal in deals[:4]:
            deal_win(actor=rep, deal_id=deal.pk)
        for deal in deals[4:]:
            deal_lose(actor=rep, deal_id=deal.pk, lost_reason="Price")
    set_quota(10_000, user=rep)
    on_plan(rep)


@pytest.mark.usefixtures("track_record")
def test_early_in_the_quarter_the_plan_turns_the_gap_into_weekly_work_from_the_reps_own_history(
    rep: User, browser_of: Any, django_assert_num_queries: Any
) -> None:
    # given: the first Monday of the quarter
    with time_machine.travel(dt.datetime(2026, 10, 5, 9, 0, tzinfo=dt.UTC), tick=False):
        client = browser_of(rep)
        # when: the rep's own record is enough, so neither the team's nor the company's is read
        with django_assert_num_queries(REP_PAGE_QUERIES - 4):
            response = client.get(NUMBERS)

    # then: a gap of 9,500 is 10 wins of 1,000; at a 40 % win rate, 25 new deals, started 60 days before
    # the quarter ends
    plan = response.context["plan"]
    assert plan.basis == "your own last 12 months"
    assert (plan.win_rate, plan.avg_won_value, plan.cycle_days) == ("40%", "€1,000", 60)
    assert (plan.wins_needed, plan.deals_needed, plan.appointments_needed, plan.calls_needed) == (
        10,
        25,
        25,
        200,
    )
    assert plan.closable
    assert plan.status == "To build the gap of €9,500 from scratch, start the new deals by Nov. 1, 2026."
    page = text(response)
    assert "Rates from your own last 12 months." in page
    assert '<time datetime="2026-10-05">Oct. 5, 2026</time>' in page  # the first week of the plan
    assert len(plan.weeks) == 4
    assert sum(week.deals for week in plan.weeks) == 25


@pytest.mark.usefixtures("track_record")
def test_late_in_the_quarter_the_plan_says_the_gap_can_no_longer_be_closed_from_new_deals(
    rep: User, manager: User, browser_of: Any
) -> None:
    # given
    with time_machine.travel(dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC), tick=False):
        # when
        response = browser_of(manager).get(NUMBERS, {"user": "rep"})

    # then
    plan = response.context["plan"]
    assert not plan.closable
    assert plan.basis == "their own last 12 months"
    assert plan.status == (
        "The gap of €9,500 can no longer be closed from new deals inside the period: a new deal takes "
        "about 60 days to win and the period ends on Dec. 31, 2026. Focus on the open deals."
    )
    assert 'class="plan-status plan-late"' in text(response)
