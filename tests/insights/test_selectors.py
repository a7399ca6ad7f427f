"""Insights selectors on hand-built histories whose answers are known: the funnel's cohorts, days in
each stage, win rate, cycle and velocity, lost reasons, activities, conversion by month, step
conversions per person, and who may see what."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from decimal import Decimal
from typing import Any

import pytest

from salespipe.analytics.funnel import StageCohort
from salespipe.analytics.periods import add_months
from salespipe.core.errors import InvalidInput, NotFound
from salespipe.deals.models import Deal, Pipeline, Stage, StageOutcome, StageStay
from salespipe.deals.pipelines import pipeline_create
from salespipe.insights import selectors
from salespipe.people.models import User
from tests.insights.conftest import days_ago, done, money

pytestmark = pytest.mark.django_db


@pytest.fixture
def history(rep: User, journey: Any) -> dict[str, Deal]:
    """Five journeys of the rep, inside a 90-day window unless said otherwise:

    won    Lead -80, Contacted -70, Qualified -60, Won -10 (value 3,000)
    lost   Lead -50, Lost -40 (from Lead: being lost is no step forward)
    old    Lead -200 (before the window), Contacted -30: still there
    back   Lead -20, Contacted -15, back to Lead -10: still there
    jump   Lead -5, straight to Proposal -3 (probability set to 50 %): still there
    """
    return {
        "won": journey(rep, [("Lead", 80), ("Contacted", 70), ("Qualified", 60), ("Won", 10)], value=3000),
        "lost": journey(rep, [("Lead", 50), ("Lost", 40)], reason="Price too high"),
        "old": journey(rep, [("Lead", 200), ("Contacted", 30)]),
        "back": journey(rep, [("Lead", 20), ("Contacted", 15), ("Lead", 10)]),
        "jump": journey(rep, [("Lead", 5), ("Proposal", 3)], probability=50),
    }


def cohorts_by_name(cohorts: list[StageCohort], stages: dict[str, Stage]) -> dict[str, tuple[int, int]]:
    names = {stage.pk: name for name, stage in stages.items()}
    return {names[cohort.stage_id]: (cohort.entered, cohort.advanced) for cohort in cohorts}


@pytest.mark.usefixtures("history")
def test_stage_conversion_counts_each_deal_that_entered_in_the_window_once_and_lost_is_no_step_forward(
    rep: User, stages: dict[str, Stage]
) -> None:
    # given
    scope = selectors.insights_scope(actor=rep)

    # when
    cohorts = selectors.stage_conversions(scope)

    # then
    assert cohorts_by_name(cohorts, stages) == {
        "Lead": (4, 3),  # won, lost, back (twice: once), jump; lost went nowhere further
        "Contacted": (3, 1),  # won went on; old stays; back went back to Lead
        "Qualified": (1, 1),  # won: winning is going further
        "Appointment": (0, 0),
        "Demo/Trial": (0, 0),
        "Proposal": (1, 0),
    }
    by_stage = {cohort.stage_id: cohort for cohort in cohorts}
    assert by_stage[stages["Lead"].pk].conversion == Decimal("0.7500")
    assert by_stage[stages["Appointment"].pk].conversion is None


@pytest.mark.usefixtures("history")
def test_days_in_a_stage_are_the_median_of_the_stays_that_ended_in_the_window(
    rep: User, stages: dict[str, Stage]
) -> None:
    # given
    scope = selectors.insights_scope(actor=rep)

    # when
    durations = selectors.stage_durations(scope)

    # then: Lead stays of 10 (won), 10 (lost), 170 (old, which left in the window), 5 (back), 2 (jump)
    lead = durations[stages["Lead"].pk]
    assert (lead.left, lead.median_days) == (5, pytest.approx(10))
    contacted = durations[stages["Contacted"].pk]
    assert (contacted.left, contacted.median_days) == (2, pytest.approx(7.5))
    assert durations[stages["Qualified"].pk].median_days == pytest.approx(50)
    assert (durations[stages["Proposal"].pk].left, durations[stages["Proposal"].pk].median_days) == (0, None)


@pytest.mark.usefixtures("history")
def test_win_rate_cycle_and_velocity_come_from_the_deals_closed_in_the_window(
    rep: User, journey: Any
) -> None:
    # given: closed before the window, so not counted
    journey(rep, [("Lead", 150), ("Won", 100)], value=9000)
    journey(rep, [("Lead", 150), ("Lost", 95)], reason="No budget")

    # when
    insights = selectors.pipeline_insights(actor=rep)

    # then
    closed = insights.closed
    assert (closed.won, closed.lost) == (1, 1)
    assert closed.win_rate == Decimal("0.5000")
    assert closed.won_value == money("3000.00")
    assert closed.average_won_value == money("3000.00")
    assert closed.median_cycle_days == pytest.approx(70)
    assert insights.open_deals == 3  # old, back, jump
    # 3 open deals × 0.5 × 3,000 ÷ 70 days
    assert insights.velocity == money("64.29")


@pytest.mark.usefixtures("history")
def test_open_deals_per_stage_are_weighted_like_my_numbers(rep: User, stages: dict[str, Stage]) -> None:
    # given: Lead's closed history is long enough for its empirical rate (1 in 4 won)
    StageOutcome.objects.update_or_create(stage=stages["Lead"], defaults={"won_deals": 10, "lost_deals": 30})

    # when
    insights = selectors.pipeline_insights(actor=rep)

    # then
    by_name = {line.stage.name: line.open for line in insights.stages}
    assert (by_name["Lead"].deals, by_name["Lead"].value, by_name["Lead"].weighted_value) == (
        1,
        money("1000.00"),
        money("250.00"),  # empirical 25 %
    )
    assert by_name["Contacted"].weighted_value == money("100.00")  # stage default 10 %
    assert by_name["Proposal"].weighted_value == money("500.00")  # set on the deal: 50 %
    assert insights.open_value == money("3000.00")
    assert insights.weighted_value == money("850.00")


def test_lost_reasons_show_the_ten_most_frequent_and_add_up_the_rest_as_other(
    rep: User, journey: Any
) -> None:
    # given: reason n lost n + 1 times (12 reasons), each deal worth 100
    for n in range(12):
        for _ in range(n + 1):
            journey(rep, [("Lead", 30), ("Lost", 20)], reason=f"Reason {n:02d}", value=100)

    # when
    insights = selectors.pipeline_insights(actor=rep)

    # then
    reasons = insights.lost_reasons
    assert [line.reason for line in reasons[:10]] == [f"Reason {n:02d}" for n in range(11, 1, -1)]
    other = reasons[10]
    assert other.is_other and (other.deals, other.value) == (3, money("300.00"))  # reasons 00 and 01
    assert sum(line.deals for line in reasons) == insights.closed.lost == 78


@pytest.mark.usefixtures("pipeline")
def test_activities_count_what_was_done_in_the_window_per_kind(rep: User, teammate: User) -> None:
    # given
    done(rep, "call", 3)
    done(rep, "call", 89)
    done(rep, "meeting", 10)
    done(rep, "call", 91)  # before the window
    done(rep, "call", None)  # planned
    done(rep, "demo", None, cancelled_at=days_ago(2))
    done(teammate, "call", 1)  # someone else's

    # when
    scope = selectors.insights_scope(actor=rep)
    counts = selectors.activity_counts(scope)

    # then
    assert counts["call"] == 2
    assert counts["meeting"] == 1
    assert counts["demo"] == 0
    assert set(counts) >= {
        "call",
        "email",
        "meeting",
        "demo",
        "trial",
        "gift",
        "task",
        "note",
        "info_request",
    }


@pytest.mark.usefixtures("pipeline")
def test_a_teams_activities_add_up_over_its_members(manager: User, rep: User, teammate: User) -> None:
    # given
    done(rep, "call", 3)
    done(rep, "call", 5)
    done(teammate, "call", 1)
    done(teammate, "email", 2)
    done(manager, "call", 1)  # the manager is no member of the team they lead

    # when
    scope = selectors.insights_scope(actor=manager, team_id=rep.team_id)
    counts = selectors.activity_counts(scope)

    # then
    assert (counts["call"], counts["email"], counts["meeting"]) == (3, 1, 0)


def test_conversion_by_month_puts_each_entry_in_its_company_month_and_counts_going_further_since(
    rep: User, journey: Any, stages: dict[str, Stage], settings: Any
) -> None:
    # given: the company's months are Athens's; NOW is 27 November 2026
    settings.TIME_ZONE = "Europe/Athens"
    journey(rep, [("Lead", 100), ("Contacted", 5)])  # entered Lead on 19 August, went further in November
    journey(rep, [("Lead", 60)])  # 28 September: still there
    # 31 October 23:30 UTC is already November in Athens
    late_october = dt.datetime(2026, 10, 31, 23, 30, tzinfo=dt.UTC)
    journey(rep, [("Lead", (days_ago(0) - late_october).total_seconds() / 86400)])

    # when
    months = selectors.conversion_by_period(actor=rep)

    # then
    assert [f"{month.month:%Y-%m}" for month in months] == [
        "2026-06",
        "2026-07",
        "2026-08",
        "2026-09",
        "2026-10",
        "2026-11",
    ]
    lead = {f"{month.month:%Y-%m}": month.cohorts[0] for month in months}
    assert lead["2026-08"][1:] == (1, 1)
    assert lead["2026-09"][1:] == (1, 0)
    assert lead["2026-10"][1:] == (0, 0)
    assert lead["2026-11"][1:] == (1, 0)
    assert all(cohort.stage_id == stages["Lead"].pk for cohort in lead.values())


def test_a_month_that_begins_at_the_very_end_has_nobody_in_it_yet(
    rep: User, journey: Any, stages: dict[str, Stage], settings: Any
) -> None:
    # given: the first instant of December in Athens, and a deal that entered Lead in November
    settings.TIME_ZONE = "Europe/Athens"
    journey(rep, [("Lead", 3)])
    december = dt.datetime(2026, 12, 1, tzinfo=zoneinfo.ZoneInfo("Europe/Athens"))

    # when
    months = selectors.conversion_by_period(actor=rep, months=1, now=december)

    # then
    assert [(month.month, month.cohorts[0]) for month in months] == [
        (dt.date(2026, 12, 1), StageCohort(stages["Lead"].pk, 0, 0))
    ]


def test_step_conversions_give_each_member_and_the_team_total_in_one_query(
    manager: User,
    rep: User,
    teammate: User,
    journey: Any,
    stages: dict[str, Stage],
    django_assert_num_queries: Any,
) -> None:
    # given
    journey(rep, [("Lead", 30), ("Contacted", 20)])
    journey(rep, [("Lead", 30)])
    journey(teammate, [("Lead", 30), ("Lost", 20)])
    scope = selectors.insights_scope(actor=manager, team_id=rep.team_id)

    # when
    with django_assert_num_queries(1):
        steps = selectors.step_conversions(actor=manager, scope=scope)

    # then
    lead = stages["Lead"].pk
    assert steps.owners[rep.pk][0] == StageCohort(lead, 2, 1)
    assert steps.owners[teammate.pk][0] == (lead, 1, 0)
    assert steps.total[0] == (lead, 3, 1)
    assert steps.rest(rep.pk)[0] == (lead, 1, 0)
    assert [cohort.stage_id for cohort in steps.total] == [stage.id for stage in steps.stages]
    assert set(steps.owners) == {rep.pk, teammate.pk}  # the team's members, none of them left out


def test_step_conversions_resolve_the_team_themselves(manager: User, rep: User, journey: Any) -> None:
    # given
    journey(rep, [("Lead", 30), ("Contacted", 20)])

    # when
    steps = selectors.step_conversions(actor=manager, team_id=rep.team_id, window_days=90)

    # then
    assert steps.owners[rep.pk][0][1:] == (1, 1)


# --- whose deals ----------------------------------------------------------------------------------------


@pytest.fixture
def everyones(rep: User, teammate: User, outsider: User, manager: User, journey: Any) -> None:
    journey(rep, [("Lead", 30)])
    journey(teammate, [("Lead", 30)])
    journey(teammate, [("Lead", 30)])
    journey(outsider, [("Lead", 30)])
    journey(manager, [("Lead", 30)])


def lead_entries(insights: selectors.PipelineInsights) -> int:
    return insights.stages[0].cohort.entered


@pytest.mark.usefixtures("everyones")
def test_a_rep_sees_their_own_deals_a_manager_their_teams_an_admin_everybodys(
    rep: User, teammate: User, manager: User, admin_user: User
) -> None:
    assert lead_entries(selectors.pipeline_insights(actor=rep)) == 1
    assert lead_entries(selectors.pipeline_insights(actor=manager)) == 4  # own, rep, teammate × 2
    assert lead_entries(selectors.pipeline_insights(actor=manager, team_id=rep.team_id)) == 3
    assert lead_entries(selectors.pipeline_insights(actor=manager, owner_id=teammate.pk)) == 2
    assert lead_entries(selectors.pipeline_insights(actor=admin_user)) == 5


@pytest.mark.usefixtures("everyones")
@pytest.mark.parametrize(
    ("who", "ask"),
    [
        ("rep", lambda people: {"owner_id": people["teammate"].pk}),
        ("rep", lambda people: {"team_id": people["rep"].team_id}),
        ("manager", lambda people: {"owner_id": people["outsider"].pk}),
        ("manager", lambda people: {"team_id": people["outsider"].team_id}),
        ("manager", lambda people: {"pipeline_id": 999_999}),
    ],
)
def test_what_is_out_of_view_does_not_exist(
    who: str, ask: Any, rep: User, teammate: User, manager: User, outsider: User
) -> None:
    # given
    people = {"rep": rep, "teammate": teammate, "manager": manager, "outsider": outsider}

    # when / then
    with pytest.raises(NotFound):
        selectors.insights_scope(actor=people[who], **ask(people))


def test_a_window_out_of_range_is_refused(rep: User) -> None:
    with pytest.raises(InvalidInput):
        selectors.insights_scope(actor=rep, window_days=0)


def test_the_closed_deals_are_counted_with_the_trials_as_each_alone(
    rep: User, admin_user: User, journey: Any, make_deal: Any, django_assert_num_queries: Any
) -> None:
    # given: deals won and lost in the window, one with a trial, one before the window, and a deal of
    # another pipeline lost in the window (the trials count it, the pipeline's figures do not)
    journey(rep, [("Lead", 80), ("Contacted", 70), ("Won", 10)], value=3000)
    trialled = journey(rep, [("Lead", 60), ("Won", 20)], value=1500)
    done(rep, "trial", 30, deal=trialled)
    journey(rep, [("Lead", 50), ("Lost", 40)], value=700)
    journey(rep, [("Lead", 200), ("Won", 120)], value=9000)
    other = pipeline_create(actor=admin_user, name="Renewals")
    elsewhere = make_deal(rep, pipeline_id=other.pk, value=400)
    lost_stage = other.stages.get(kind="lost")
    Deal.objects.filter(pk=elsewhere.pk).update(
        stage=lost_stage, status="lost", lost_at=days_ago(5), lost_reason="Budget"
    )
    scope = selectors.insights_scope(actor=rep)

    # when
    with django_assert_num_queries(1):
        closed, freemiums = selectors.closed_and_freemium_effect(scope)

    # then
    assert closed == selectors.closed_in_window(scope)
    assert (closed.won, closed.lost, closed.won_value) == (2, 1, money("4500.00"))
    assert freemiums == selectors.freemium_effect(scope)
    assert freemiums.deals == 4
    assert freemiums.comparisons["trial"].with_activity.won == 1


def test_another_pipeline_counts_only_its_own_stages(
    rep: User, admin_user: User, make_deal: Any, stages: dict[str, Stage]
) -> None:
    # given
    other = pipeline_create(actor=admin_user, name="Renewals")
    first = other.stages.order_by("position").first()
    assert first is not None
    make_deal(rep, pipeline_id=other.pk)
    make_deal(rep)

    # when
    insights = selectors.pipeline_insights(actor=rep, pipeline_id=other.pk)

    # then
    assert insights.scope.pipeline_name == "Renewals"
    assert insights.stages[0].stage.id == first.pk
    assert insights.open_deals == 1
    assert Pipeline.objects.count() == 2


def test_the_insights_count_the_window_and_the_months_in_one_query_as_each_alone(
    rep: User, journey: Any, django_assert_num_queries: Any
) -> None:
    # given: entries 200 days ago (in a year's window, before the six months), 100 and 10 days ago
    journey(rep, [("Lead", 200), ("Contacted", 150)])
    journey(rep, [("Lead", 100), ("Lost", 90)])
    journey(rep, [("Lead", 10), ("Contacted", 5)])
    scope = selectors.insights_scope(actor=rep, window_days=365)

    # when
    insights = selectors.pipeline_insights(actor=rep, scope=scope)

    # then
    assert insights.stages[0].cohort[1:] == (3, 2)
    assert insights.months == selectors.conversion_by_period(actor=rep, scope=scope)
    assert sum(month.cohorts[0].entered for month in insights.months) == 2
    assert insights.cohorts == selectors.stage_conversions(scope)
    # open deals, entries, stays, closed deals with their trials, lost reasons, activities
    with django_assert_num_queries(6):
        selectors.pipeline_insights(actor=rep, scope=scope)


# --- cohorts against their definition -------------------------------------------------------------------


def _cohorts_by_definition(
    stays: list[StageStay], stage_ids: list[int], start: dt.datetime, stop: dt.datetime
) -> list[tuple[int, int, int]]:
    """Per stage, the deals that entered it from `start` to `stop`, each once, and how many of them went
    further after their first entry there: read from the stays one deal at a time."""
    answer = []
    for stage_id in stage_ids:
        firsts: dict[int, StageStay] = {}
        for stay in sorted(stays, key=lambda stay: (stay.entered_at, stay.pk)):
            if stay.stage_id == stage_id and start <= stay.entered_at < stop:
                firsts.setdefault(stay.deal_id, stay)
        answer.append((stage_id, len(firsts), sum(stay.advanced for stay in firsts.values())))
    return answer


@pytest.mark.parametrize(("window_days", "months"), [(30, 1), (90, 6), (365, 6), (90, 13), (180, 0)])
def test_the_window_and_the_months_count_each_deal_once_from_its_first_entry_there(
    rep: User, journey: Any, settings: Any, window_days: int, months: int
) -> None:
    # given: the company's months are Athens's; deals that come back to a stage within a month, across
    # months and across the window's start, one entering on the window's first instant, one on a month's
    settings.TIME_ZONE = "Europe/Athens"
    journey(rep, [("Lead", 170), ("Contacted", 160), ("Lead", 150), ("Contacted", 20)])
    journey(rep, [("Lead", 95), ("Contacted", 92), ("Lead", 89), ("Qualified", 60)])
    journey(rep, [("Lead", 40), ("Contacted", 35), ("Lead", 33), ("Contacted", 31), ("Lead", 29)])
    journey(rep, [("Lead", 400), ("Contacted", 5)])
    journey(rep, [("Lead", 200), ("Lost", 100)])
    journey(rep, [("Lead", 0.5), ("Proposal", 0.1)])
    journey(rep, [("Lead", window_days), ("Contacted", window_days - 1), ("Lead", window_days - 2)])
    first_of_november = dt.datetime(2026, 11, 1, tzinfo=zoneinfo.ZoneInfo("Europe/Athens"))
    journey(rep, [("Lead", (days_ago(0) - first_of_november).total_seconds() / 86400), ("Won", 1)])
    scope = selectors.insights_scope(actor=rep, window_days=window_days)
    stage_ids = [stage.id for stage in scope.open_stages]
    stays = list(StageStay.objects.all())

    # when
    insights = selectors.pipeline_insights(actor=rep, scope=scope, months=months)

    # then
    assert insights.cohorts == _cohorts_by_definition(stays, stage_ids, scope.window.start, scope.window.end)
    assert len(insights.months) == months
    for month in insights.months:
        start = dt.datetime.combine(month.month, dt.time.min, tzinfo=zoneinfo.ZoneInfo("Europe/Athens"))
        stop = dt.datetime.combine(
            add_months(month.month, 1), dt.time.min, tzinfo=zoneinfo.ZoneInfo("Europe/Athens")
        )
        assert month.cohorts == _cohorts_by_definition(stays, stage_ids, start, stop), month.month
    assert sum(cohort.entered for month in insights.months for cohort in month.cohorts) > 0 or months == 0
