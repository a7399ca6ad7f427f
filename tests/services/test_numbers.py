"""My numbers: won, expected and gap from hand-built deals with known answers, whose numbers each person
may see, the deals behind each number, and a fixed number of queries however many deals there are.

Tests run with `TIME_ZONE` = UTC (the settings' default); the period-boundary tests switch the company to
Athens to show boundaries follow the company's zone, not UTC.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Iterator
from dataclasses import replace
from decimal import Decimal
from typing import Any

import pytest
import time_machine

from salespipe.analytics.commission import CommissionRules, Tier, commission_due
from salespipe.analytics.forecast import EMPIRICAL, OVERRIDE, STAGE_DEFAULT
from salespipe.analytics.periods import period_parse
from salespipe.analytics.plan import DEFAULTS
from salespipe.core.errors import InvalidInput, NotFound
from salespipe.deals.models import Deal, Stage, StageOutcome
from salespipe.deals.services import deal_lose, deal_win
from salespipe.numbers.selectors import (
    COMPANY_SCOPE,
    TEAM_SCOPE,
    USER,
    NumbersReport,
    deals_behind,
    numbers_deals,
    numbers_deals_total,
    numbers_report,
    numbers_scope,
)
from salespipe.people.models import Team, User
from salespipe.quotas.resolution import MEMBERS, SET
from salespipe.quotas.services import commission_assign, commission_plan_create, quota_set

pytestmark = pytest.mark.django_db

UTC = dt.UTC
NOW = dt.datetime(2026, 11, 27, 12, 0, tzinfo=UTC)  # a Friday in the fourth quarter
OPENED = dt.datetime(2026, 9, 1, 9, 0, tzinfo=UTC)  # when the deals were created
Q4 = period_parse("2026-Q4")


@pytest.fixture(autouse=True)
def frozen_today() -> Iterator[None]:
    with time_machine.travel(NOW, tick=False):
        yield


def win(deal: Deal, at: dt.datetime) -> Deal:
    with time_machine.travel(at, tick=False):
        return deal_win(actor=deal.owner, deal_id=deal.pk)


@pytest.fixture
def scenario(
    rep: User, teammate: User, outsider: User, make_deal: Any, stages: dict[str, Stage]
) -> dict[str, Deal]:
    """The rep's quarter: won 20 000 + 10 000 in it (and 7 000 the quarter before); open, closing in it,
    10 000 at a 50 % override, 5 000 in Contacted (40 % from history) and 2 000 in Qualified (its 20 %
    default); 8 000 closing next year and 3 000 without a date. The teammate won 5 000 and has 1 000 in
    Qualified; the outsider, in another team, won 50 000 and has 9 000 open."""
    contacted, qualified = stages["Contacted"].pk, stages["Qualified"].pk
    with time_machine.travel(OPENED, tick=False):
        deals = {
            "october": make_deal(rep, title="October win", value=20_000),
            "november": make_deal(rep, title="November win", value=10_000),
            "september": make_deal(rep, title="September win", value=7_000),
            "override": make_deal(
                rep,
                title="Override",
                value=10_000,
                stage_id=contacted,
                probability=50,
                expected_close_date=dt.date(2026, 12, 15),
            ),
            "empirical": make_deal(
                rep,
                title="Empirical",
                value=5_000,
                stage_id=contacted,
                expected_close_date=dt.date(2026, 11, 30),
            ),
            "default": make_deal(
                rep,
                title="Default",
                value=2_000,
                stage_id=qualified,
                expected_close_date=dt.date(2026, 10, 31),
            ),
            "next_year": make_deal(
                rep,
                title="Next year",
                value=8_000,
                stage_id=qualified,
                expected_close_date=dt.date(2027, 2, 10),
            ),
            "undated": make_deal(rep, title="Undated", value=3_000, expected_close_date=None),
            "teammate_won": make_deal(teammate, title="Teammate win", value=5_000),
            "teammate_open": make_deal(
                teammate,
                title="Teammate open",
                value=1_000,
                stage_id=qualified,
                expected_close_date=dt.date(2026, 12, 1),
            ),
            "outsider_won": make_deal(outsider, title="Outsider win", value=50_000),
            "outsider_open": make_deal(outsider, title="Outsider open", value=9_000),
        }
    win(deals["october"], dt.datetime(2026, 10, 15, 10, 0, tzinfo=UTC))
    win(deals["november"], dt.datetime(2026, 11, 20, 10, 0, tzinfo=UTC))
    win(deals["september"], dt.datetime(2026, 9, 30, 10, 0, tzinfo=UTC))
    win(deals["teammate_won"], dt.datetime(2026, 11, 2, 10, 0, tzinfo=UTC))
    win(deals["outsider_won"], dt.datetime(2026, 11, 3, 10, 0, tzinfo=UTC))
    # 30 closed deals passed through Contacted, 12 of them won: exactly enough history for 40 %
    StageOutcome.objects.update_or_create(stage_id=contacted, defaults={"won_deals": 12, "lost_deals": 18})
    return deals


@pytest.fixture
def standard_plan(admin_user: User, rep: User) -> None:
    """5 % of won revenue, 8 % above the quota, the rep on it all year."""
    plan = commission_plan_create(actor=admin_user, name="Standard", base_rate="5", tiers=[("100", "8")])
    commission_assign(actor=admin_user, user_id=rep.pk, plan_id=plan.pk, starts_on=dt.date(2026, 1, 1))


def report_for(actor: User, **scope: Any) -> NumbersReport:
    return numbers_report(actor=actor, scope=numbers_scope(actor=actor, **scope), period=Q4)


# --- the three numbers ------------------------------------------------------------------------------------


def test_won_counts_the_deals_won_inside_the_period(rep: User, scenario: dict[str, Deal]) -> None:
    # when
    report = report_for(rep)

    # then the October and November wins, not September's nor anyone else's
    assert (report.won, report.won_deals) == (Decimal("30000.00"), 2)


def test_expected_weights_each_open_deal_by_its_override_history_or_stage_default(
    rep: User, scenario: dict[str, Deal]
) -> None:
    # when
    report = report_for(rep)

    # then 10 000 × 50 % + 5 000 × 40 % + 2 000 × 20 %, and each part says where it came from
    assert report.expected.total == Decimal("7400.00")
    assert report.expected.by_source == {
        OVERRIDE: Decimal("5000.00"),
        EMPIRICAL: Decimal("2000.00"),
        STAGE_DEFAULT: Decimal("400.00"),
    }
    assert report.expected.deals_by_source == {OVERRIDE: 1, EMPIRICAL: 1, STAGE_DEFAULT: 1}


def test_one_closed_deal_too_few_and_the_stage_default_is_used_instead(
    rep: User, scenario: dict[str, Deal], stages: dict[str, Stage]
) -> None:
    # given 29 closed deals through Contacted
    StageOutcome.objects.filter(stage=stages["Contacted"]).update(lost_deals=17)

    # when
    report = report_for(rep)

    # then the Contacted deal counts at the stage's 10 %, the override stays
    assert report.expected.by_source == {
        OVERRIDE: Decimal("5000.00"),
        EMPIRICAL: Decimal("0.00"),
        STAGE_DEFAULT: Decimal("900.00"),
    }


def test_open_deals_closing_outside_the_period_or_undated_are_not_expected(
    rep: User, scenario: dict[str, Deal]
) -> None:
    # when
    report = report_for(rep)

    # then only the three closing in the quarter are open in it; the undated one is shown apart
    assert (report.open_value, report.open_deals) == (Decimal("17000.00"), 3)
    assert (report.undated_value, report.undated_deals) == (Decimal("3000.00"), 1)


def test_the_gap_attainment_and_coverage_against_the_quota(
    manager: User, rep: User, scenario: dict[str, Deal]
) -> None:
    # given a quota of 60 000 for the quarter
    quota_set(actor=manager, user_id=rep.pk, period="2026-Q4", target_value="60000")

    # when
    report = report_for(rep)

    # then
    assert (report.quota.value, report.quota.source) == (Decimal("60000.00"), SET)
    assert report.gap == Decimal("22600.00")  # 60 000 − 30 000 − 7 400
    assert report.numbers.attainment == Decimal("0.5000")
    assert report.numbers.coverage == Decimal("0.5667")  # 17 000 ÷ 30 000


def test_without_a_quota_there_is_no_gap_and_the_plan_needs_nothing(
    rep: User, scenario: dict[str, Deal]
) -> None:
    report = report_for(rep)
    assert report.quota.value is None
    assert (report.gap, report.numbers.attainment, report.numbers.coverage) == (None, None, None)
    assert report.plan.deals_needed == 0


def test_the_flow_ahead_weighs_each_month_against_its_share_of_the_quota(
    manager: User, rep: User, scenario: dict[str, Deal]
) -> None:
    # given 60 000 for the quarter: 20 000 a month
    quota_set(actor=manager, user_id=rep.pk, period="2026-Q4", target_value="60000")

    # when
    report = report_for(rep)

    # then November has won 10 000 and expects 2 000: exactly 60 %, no famine; December expects 5 000: a
    # famine; January has no quota to fall short of
    november, december, january = report.flow[:3]
    assert (november.month, november.won, november.expected, november.quota) == (
        dt.date(2026, 11, 1),
        Decimal("10000.00"),
        Decimal("2000.00"),
        Decimal("20000.00"),
    )
    assert (november.share, november.famine) == (Decimal("0.6000"), False)
    assert (december.expected, december.share, december.famine) == (
        Decimal("5000.00"),
        Decimal("0.2500"),
        True,
    )
    assert (january.quota, january.share, january.famine) == (None, None, False)
    assert len(report.flow) == 6
    # and with too little closed history anywhere, the plan's rates are the defaults: a 60-day cycle
    assert report.plan.rates.basis == DEFAULTS
    assert december.prospect_by == dt.date(2026, 10, 2)
    assert (report.plan.start_by, report.plan.closable) == (dt.date(2026, 11, 1), False)


def test_commission_is_earned_on_won_and_projected_on_won_and_expected(
    manager: User, rep: User, scenario: dict[str, Deal], standard_plan: None
) -> None:
    # given a quota of 60 000
    quota_set(actor=manager, user_id=rep.pk, period="2026-Q4", target_value="60000")

    # when
    report = report_for(rep)

    # then 5 % of 30 000 earned, 5 % of 37 400 projected
    assert report.commission is not None
    assert report.commission.plans == ("Standard",)
    assert (report.commission.earned, report.commission.projected) == (Decimal("1500.00"), Decimal("1870.00"))


def test_projected_commission_pays_the_tier_rate_only_above_the_quota(
    manager: User, rep: User, scenario: dict[str, Deal], standard_plan: None
) -> None:
    # given a quota of 35 000, which won and expected together pass
    quota_set(actor=manager, user_id=rep.pk, period="2026-Q4", target_value="35000")

    # when
    report = report_for(rep)

    # then 5 % of 35 000 + 8 % of the 2 400 above it
    assert report.commission is not None
    assert (report.commission.earned, report.commission.projected) == (Decimal("1500.00"), Decimal("1942.00"))
    assert report.gap == Decimal("0.00")


def test_the_latest_plan_in_the_period_pays_with_its_tiers_and_a_plan_without_tiers_its_base_rate(
    admin_user: User, manager: User, rep: User, teammate: User, team: Team, scenario: dict[str, Deal]
) -> None:
    # given: the rep on a flat 3 % until October, then on a tiered plan from November (tiers given out of
    # order); the teammate on the flat plan; the rep's quota 20,000
    flat = commission_plan_create(actor=admin_user, name="Flat", base_rate="3")
    tiered = commission_plan_create(
        actor=admin_user, name="Tiered", base_rate="5", tiers=[("120", "10"), ("100", "8")]
    )
    commission_assign(actor=admin_user, user_id=rep.pk, plan_id=flat.pk, starts_on=dt.date(2026, 1, 1))
    commission_assign(actor=admin_user, user_id=rep.pk, plan_id=tiered.pk, starts_on=dt.date(2026, 11, 1))
    commission_assign(actor=admin_user, user_id=teammate.pk, plan_id=flat.pk, starts_on=dt.date(2026, 1, 1))
    quota_set(actor=manager, user_id=rep.pk, period="2026-Q4", target_value="20000")

    # when
    report = report_for(manager, team="Athens")

    # then: the rep is paid on the tiered plan, its tiers in order; the teammate 3 % of 5,000
    lines = {line.user.username: line.commission for line in report.members}
    tiers = [Tier(Decimal("100.00"), Decimal("8.00")), Tier(Decimal("120.00"), Decimal("10.00"))]
    rules = CommissionRules(base_rate=Decimal("5.00"), tiers=tiers, cap=None)
    assert lines["rep"] is not None and lines["teammate"] is not None
    assert lines["rep"].plans == ("Tiered",)
    assert lines["rep"].earned == commission_due(
        revenue=Decimal("30000.00"), quota=Decimal("20000.00"), rules=rules
    )
    assert lines["rep"].earned > Decimal("1500.00")  # more than the base rate alone: the tiers count
    assert (lines["teammate"].plans, lines["teammate"].earned) == (("Flat",), Decimal("150.00"))
    assert report.commission is not None and report.commission.plans == ("Flat", "Tiered")


def test_someone_on_no_plan_has_no_commission(rep: User, teammate: User, scenario: dict[str, Deal]) -> None:
    assert report_for(teammate).commission is None


def test_a_teams_numbers_add_up_its_members(
    manager: User, rep: User, teammate: User, team: Team, scenario: dict[str, Deal], standard_plan: None
) -> None:
    # given quotas for the two members and none for the team
    quota_set(actor=manager, user_id=rep.pk, period="2026-Q4", target_value="60000")
    quota_set(actor=manager, user_id=teammate.pk, period="2026-Q4", target_value="40000")

    # when
    report = report_for(manager, team="Athens")

    # then
    assert (report.won, report.won_deals, report.expected.total) == (
        Decimal("35000.00"),
        3,
        Decimal("7600.00"),
    )
    assert (report.quota.value, report.quota.source) == (Decimal("100000.00"), MEMBERS)
    assert report.gap == Decimal("57400.00")
    assert {line.user.username: (line.won, line.expected, line.quota.value) for line in report.members} == {
        "rep": (Decimal("30000.00"), Decimal("7400.00"), Decimal("60000.00")),
        "teammate": (Decimal("5000.00"), Decimal("200.00"), Decimal("40000.00")),
    }
    # and the team's commission is its members' on a plan
    assert report.commission is not None
    assert (report.commission.plans, report.commission.earned) == (("Standard",), Decimal("1500.00"))


def test_without_the_outlook_a_report_has_the_same_numbers_but_no_plan_or_months_ahead(
    manager: User, rep: User, team: Team, scenario: dict[str, Deal], standard_plan: None, make_deal: Any
) -> None:
    # given a quota, and a deal expected in mid-October: overdue now, after the third quarter ended
    quota_set(actor=manager, user_id=rep.pk, period="2026-Q4", target_value="60000")
    make_deal(rep, title="Late", value=4_000, expected_close_date=dt.date(2026, 10, 15))
    scope = numbers_scope(actor=manager, team="Athens")

    for period in (Q4, period_parse("2026-Q3")):
        # when
        whole = numbers_report(actor=manager, scope=scope, period=period)
        bare = numbers_report(actor=manager, scope=scope, period=period, outlook=False)

        # then: every figure the same, the overdue deal included, and no plan or flow
        assert whole.plan is not None and whole.flow
        assert (bare.plan, bare.flow) == (None, [])
        assert replace(bare, plan=whole.plan, flow=whole.flow) == whole
        assert bare.overdue_deals == 2  # and the scenario's October one


def test_the_companys_numbers_take_every_team(admin_user: User, scenario: dict[str, Deal]) -> None:
    report = report_for(admin_user, company=True)
    assert (report.won, report.won_deals) == (Decimal("85000.00"), 4)
    # the outsider's 9 000 in Lead at 5 % with the team's 7 600
    assert report.expected.total == Decimal("8050.00")


# --- periods in the company's time zone ---------------------------------------------------------------


@pytest.fixture
def athens(settings: Any) -> None:
    settings.TIME_ZONE = "Europe/Athens"


ATHENS_ZONE = zoneinfo.ZoneInfo("Europe/Athens")


def test_a_deal_won_late_on_the_last_day_in_the_company_zone_counts_in_that_period(
    athens: None, rep: User, make_deal: Any
) -> None:
    # given wins just inside and just outside the quarter in Athens, each on the other side of it in UTC
    with time_machine.travel(OPENED, tick=False):
        last_evening, new_year, first_morning, eve = [
            make_deal(rep, title=title, value=value)
            for title, value in (
                ("Last evening", 1_000),
                ("New Year", 2_000),
                ("First morning", 4_000),
                ("Eve", 8_000),
            )
        ]
    win(last_evening, dt.datetime(2026, 12, 31, 23, 30, tzinfo=ATHENS_ZONE))
    win(new_year, dt.datetime(2027, 1, 1, 0, 30, tzinfo=ATHENS_ZONE))
    win(first_morning, dt.datetime(2026, 10, 1, 0, 30, tzinfo=ATHENS_ZONE))
    win(eve, dt.datetime(2026, 9, 30, 23, 30, tzinfo=ATHENS_ZONE))

    # when the quarter is looked at in January
    with time_machine.travel(dt.datetime(2027, 1, 4, 9, 0, tzinfo=UTC), tick=False):
        report = report_for(rep)

    # then the last evening and the first morning count, in the report and behind it
    assert (report.won, report.won_deals) == (Decimal("5000.00"), 2)
    scope = numbers_scope(actor=rep)
    assert list(numbers_deals(scope=scope, period=Q4, number="won")) == [first_morning, last_evening]


# --- whose numbers ------------------------------------------------------------------------------------------


def test_nothing_named_is_the_actors_own_numbers(rep: User) -> None:
    scope = numbers_scope(actor=rep)
    assert (scope.kind, scope.user, scope.member_ids) == (USER, rep, (rep.pk,))
    assert numbers_scope(actor=rep, user="rep") == scope


def test_a_rep_may_not_see_a_teammates_numbers(rep: User, teammate: User) -> None:
    with pytest.raises(NotFound):
        numbers_scope(actor=rep, user="teammate")


def test_a_manager_sees_their_teams_and_its_members_numbers(manager: User, rep: User, teammate: User) -> None:
    team_scope = numbers_scope(actor=manager, team="Athens")
    assert (team_scope.kind, set(team_scope.member_ids)) == (TEAM_SCOPE, {rep.pk, teammate.pk})
    assert numbers_scope(actor=manager, user="rep").user == rep


def test_the_manager_of_another_team_sees_neither_the_team_nor_its_members(
    other_manager: User, rep: User, team: Team
) -> None:
    with pytest.raises(NotFound):
        numbers_scope(actor=other_manager, team="Athens")
    with pytest.raises(NotFound):
        numbers_scope(actor=other_manager, user="rep")


def test_only_an_admin_sees_the_companys_numbers(admin_user: User, manager: User, rep: User) -> None:
    assert numbers_scope(actor=admin_user, company=True).kind == COMPANY_SCOPE
    for actor in (rep, manager):
        with pytest.raises(NotFound):
            numbers_scope(actor=actor, company=True)


def test_a_team_or_user_that_does_not_exist_is_not_found(admin_user: User) -> None:
    with pytest.raises(NotFound):
        numbers_scope(actor=admin_user, team="Atlantis")
    with pytest.raises(NotFound):
        numbers_scope(actor=admin_user, user="nobody")


def test_asking_for_two_scopes_at_once_is_refused(admin_user: User, team: Team) -> None:
    with pytest.raises(InvalidInput):
        numbers_scope(actor=admin_user, user="admin", team="Athens")


# --- the deals behind the numbers ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("asking", "scope_of"), [("rep", {}), ("manager", {"team": "Athens"}), ("admin_user", {"company": True})]
)
def test_the_deals_behind_each_number_add_up_to_it(
    request: pytest.FixtureRequest, scenario: dict[str, Deal], asking: str, scope_of: dict[str, Any]
) -> None:
    # given the rep's own numbers, the team's or the company's
    actor = request.getfixturevalue(asking)
    scope = numbers_scope(actor=actor, **scope_of)
    report = numbers_report(actor=actor, scope=scope, period=Q4)

    # when
    behind = {
        number: deals_behind(list(numbers_deals(scope=scope, period=Q4, number=number)))
        for number in ("won", "expected", "open", "undated")
    }

    # then won and expected add up from the deals, each weighted as the numbers weighed it
    assert sum(row.weighted_value for row in behind["won"]) == report.won
    assert len(behind["won"]) == report.won_deals
    assert sum(row.weighted_value for row in behind["expected"]) == report.expected.total
    for source, part in report.expected.by_source.items():
        assert (
            sum(row.weighted_value for row in behind["expected"] if row.probability_source == source) == part
        )
    # and the open and undated deals are the ones counted, at full value
    assert sum(row.deal.base_value for row in behind["open"]) == report.open_value
    assert sum(row.deal.base_value for row in behind["undated"]) == report.undated_value
    # and the drill-down's total line says the same
    assert (
        numbers_deals_total(numbers_deals(scope=scope, period=Q4, number="won")).weighted_value == report.won
    )
    assert (
        numbers_deals_total(numbers_deals(scope=scope, period=Q4, number="expected")).weighted_value
        == report.expected.total
    )


def test_the_deals_behind_the_expected_number_show_each_probability_and_its_source(
    rep: User, scenario: dict[str, Deal]
) -> None:
    # when
    rows = deals_behind(list(numbers_deals(scope=numbers_scope(actor=rep), period=Q4, number="expected")))

    # then biggest first
    assert [
        (row.deal.title, row.probability, row.probability_source, row.weighted_value) for row in rows
    ] == [
        ("Override", Decimal("0.5"), OVERRIDE, Decimal("5000.00")),
        ("Empirical", Decimal("0.4"), EMPIRICAL, Decimal("2000.00")),
        ("Default", Decimal("0.2"), STAGE_DEFAULT, Decimal("400.00")),
    ]


def test_deals_weighted_one_by_one_are_within_a_cent_each_of_the_number_and_the_total_line_exact(
    rep: User, make_deal: Any, stages: dict[str, Stage]
) -> None:
    # given three deals of 100 in a stage whose history says one in three: 33.333… each
    with time_machine.travel(OPENED, tick=False):
        for number in range(3):
            make_deal(rep, title=f"Third {number}", value=100, stage_id=stages["Contacted"].pk)
    StageOutcome.objects.update_or_create(
        stage=stages["Contacted"], defaults={"won_deals": 10, "lost_deals": 20}
    )
    scope = numbers_scope(actor=rep)

    # when
    report = numbers_report(actor=rep, scope=scope, period=Q4)
    deals = numbers_deals(scope=scope, period=Q4, number="expected")

    # then the number rounds once, each deal's line rounds on its own, the total line as the number does
    assert report.expected.total == Decimal("100.00")
    assert sum(row.weighted_value for row in deals_behind(list(deals))) == Decimal("99.99")
    assert numbers_deals_total(deals).weighted_value == report.expected.total


def test_a_number_that_does_not_exist_is_refused(rep: User) -> None:
    with pytest.raises(InvalidInput, match="won, expected, open, undated or overdue"):
        numbers_deals(scope=numbers_scope(actor=rep), period=Q4, number="lost")


# --- a fixed number of queries --------------------------------------------------------------------------

# Quotas 1 (one person's) or 2 (a team's: its members, their quotas), won and open deals 1, stages'
# history 1, commission plans 1 (assignments with their tiers), the day's track-record snapshots 1 (none
# here), then track records counted live, 2 a level (closed deals, activities), for own, team and company;
# a team's report also reads its members' names.
USER_REPORT_QUERIES = 1 + 1 + 1 + 1 + 1 + 2 * 3
TEAM_REPORT_QUERIES = 2 + 1 + 1 + 1 + 1 + 1 + 2 * 2


def sell(rep: User, teammate: User, make_deal: Any, stages: dict[str, Stage], count: int) -> None:
    """`count` deals for the two, a tenth of them won and one lost, the others open in every stage with
    and without overrides, closing in each month from October to March or undated. The closed deals stay
    too few for a track record, so each report walks the same fallback levels."""
    open_stages = [stages[name].pk for name in ("Lead", "Contacted", "Qualified")]  # no gate to pass
    for number in range(count):
        owner = rep if number % 2 == 0 else teammate
        if number % 10 == 0:
            deal_win(actor=owner, deal_id=make_deal(owner, title=f"Won {number}", value=1_000 + number).pk)
            continue
        close_month = number % 7
        deal = make_deal(
            owner,
            title=f"Open {number}",
            value=500 + number,
            stage_id=open_stages[number % len(open_stages)],
            probability=None if number % 3 else 30,
            expected_close_date=None
            if close_month == 6
            else dt.date(2026 + (close_month + 9) // 12, (close_month + 9) % 12 + 1, 10),
        )
        if number == 1:
            deal_lose(actor=owner, deal_id=deal.pk, lost_reason="No budget")


@pytest.mark.parametrize("count", [3, 30])
def test_a_persons_report_costs_the_same_few_queries_however_many_deals(
    rep: User,
    teammate: User,
    make_deal: Any,
    stages: dict[str, Stage],
    standard_plan: None,
    manager: User,
    count: int,
    django_assert_num_queries: Any,
) -> None:
    # given
    quota_set(actor=manager, user_id=rep.pk, period="2026", target_value="240000")
    sell(rep, teammate, make_deal, stages, count)
    scope = numbers_scope(actor=rep)

    # then
    with django_assert_num_queries(USER_REPORT_QUERIES):
        numbers_report(actor=rep, scope=scope, period=Q4)


@pytest.mark.parametrize("count", [3, 30])
def test_a_teams_report_costs_the_same_few_queries_however_many_deals(
    rep: User,
    teammate: User,
    make_deal: Any,
    stages: dict[str, Stage],
    standard_plan: None,
    manager: User,
    count: int,
    django_assert_num_queries: Any,
) -> None:
    # given
    quota_set(actor=manager, user_id=rep.pk, period="2026", target_value="240000")
    sell(rep, teammate, make_deal, stages, count)
    scope = numbers_scope(actor=manager, team="Athens")

    # then
    with django_assert_num_queries(TEAM_REPORT_QUERIES):
        numbers_report(actor=manager, scope=scope, period=Q4)
