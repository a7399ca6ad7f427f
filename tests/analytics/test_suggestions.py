"""Budget and close-date suggestions from similar won deals, and the probing questions for missing facts."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
import time_machine

from salespipe.analytics.followups import BudgetSuggestion, CloseDateSuggestion
from salespipe.analytics.selectors import deal_suggestions
from salespipe.deals.models import Deal, Stage, StageChange
from salespipe.deals.selectors import deal_get
from salespipe.directory.models import Organization
from salespipe.people.models import User
from tests.analytics.conftest import NOW, days_ago
from tests.factories import OrganizationFactory

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 11, 27)
# The samples of similar won deals, the decision-maker check.
SUGGESTION_QUERIES = 2


@pytest.fixture(autouse=True)
def frozen_clock() -> Any:
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def acme() -> Organization:
    return OrganizationFactory(name="Acme", industry="Retail")


@pytest.fixture
def won(closed_deal: Any, teammate: User) -> Any:
    """`won(value, days_ago=30, owner=teammate, **fields)`: a deal won that many days ago."""

    def make(value: int, *, ago: float = 30, owner: User | None = None, **fields: Any) -> Deal:
        won_at = days_ago(ago)
        deal: Deal = closed_deal(
            owner or teammate, created=won_at - dt.timedelta(days=60), won=won_at, value=value, **fields
        )
        return deal

    return make


def suggest(actor: User, deal: Deal) -> Any:
    return deal_suggestions(actor=actor, deal=deal_get(actor=actor, deal_id=deal.pk))


def test_an_organizations_own_past_purchases_come_first(
    rep: User, make_deal: Any, won: Any, acme: Any
) -> None:
    # given: three past purchases of Acme, and plenty of other won deals in the pipeline
    for value in (1000, 4000, 2000):
        won(value, organization_id=acme.pk)
    for value in (50, 60, 70, 80, 90):
        won(value)
    deal = make_deal(rep, organization_id=acme.pk)

    # when
    budget = suggest(rep, deal).budget

    # then: the median of 1000, 2000, 4000, with 1500-3000 as the middle half
    assert budget == BudgetSuggestion(
        amount=Decimal("2000.00"),
        low=Decimal("1500.00"),
        high=Decimal("3000.00"),
        basis="organization",
        sample_size=3,
    )


def test_too_few_own_purchases_fall_back_to_the_same_industry(
    rep: User, make_deal: Any, won: Any, acme: Any
) -> None:
    # given: two Acme purchases, three more by other retailers; a bank's deal is not similar
    for value in (1000, 2000):
        won(value, organization_id=acme.pk)
    for value in (3000, 4000, 5000):
        won(value, organization_id=OrganizationFactory(industry="RETAIL").pk)
    won(99_000, organization_id=OrganizationFactory(industry="Banking").pk)
    deal = make_deal(rep, organization_id=acme.pk)

    # when
    budget = suggest(rep, deal).budget

    # then
    assert budget is not None
    assert (budget.basis, budget.sample_size, budget.amount) == ("industry_size", 5, Decimal("3000.00"))


def test_similar_organizations_are_of_the_same_size_when_it_is_known(
    rep: User, make_deal: Any, won: Any
) -> None:
    # given: a small retailer; five small retailers bought, and a big one spent far more
    small = OrganizationFactory(name="Corner shop", industry="Retail", size="11-50")
    for value in (1000, 2000, 3000, 4000, 5000):
        won(value, organization_id=OrganizationFactory(industry="Retail", size="11-50").pk)
    for value in (90_000, 95_000):
        won(value, organization_id=OrganizationFactory(industry="Retail", size="1001+").pk)
    deal = make_deal(rep, organization_id=small.pk)

    # when
    budget = suggest(rep, deal).budget

    # then: only the small ones count
    assert budget is not None
    assert (budget.basis, budget.sample_size, budget.amount) == ("industry_size", 5, Decimal("3000.00"))


def test_without_similar_organizations_the_pipelines_won_deals_decide(
    rep: User, make_deal: Any, won: Any
) -> None:
    # given: five won deals, one too old to be among the recent samples is still counted (limit 100)
    for value in (100, 200, 300, 400):
        won(value)
    won(500, ago=700)
    deal = make_deal(rep)

    # when
    budget = suggest(rep, deal).budget

    # then
    assert budget is not None
    assert (budget.basis, budget.sample_size, budget.amount) == ("pipeline", 5, Decimal("300.00"))


def test_no_budget_is_suggested_from_too_few_won_deals_or_when_the_budget_is_known(
    rep: User, make_deal: Any, won: Any
) -> None:
    # given
    for value in (100, 200, 300, 400):
        won(value)
    unknown = make_deal(rep)
    known = make_deal(rep, budget_amount=5000)

    # when / then
    assert suggest(rep, unknown).budget is None
    assert suggest(rep, known).budget is None
    assert suggest(rep, known).budget_known


def test_won_deals_without_a_value_and_the_deal_itself_are_not_samples(
    rep: User, make_deal: Any, won: Any
) -> None:
    # given: four valued won deals and one won for nothing
    for value in (100, 200, 300, 400):
        won(value)
    won(0)
    deal = make_deal(rep)

    # when / then
    assert suggest(rep, deal).budget is None


def test_the_close_date_is_the_decision_date_plus_the_typical_lag_to_signature(
    rep: User, make_deal: Any, won: Any
) -> None:
    # given: won deals that signed 0, 1, 2, 3 and 10 days after their decision date
    for lag in (0, 1, 2, 3, 10):
        won(1000, ago=30, decision_date=(NOW - dt.timedelta(days=30 + lag)).date())
    deal = make_deal(rep, decision_date=dt.date(2027, 1, 15))

    # when
    close = suggest(rep, deal).close_date

    # then
    assert close == CloseDateSuggestion(
        date=dt.date(2027, 1, 17),
        inputs=("decision_date",),
        basis="pipeline",
        sample_size=5,
        typical_days=2.0,
    )


def test_without_a_decision_history_the_decision_date_itself_is_suggested(rep: User, make_deal: Any) -> None:
    # given
    deal = make_deal(rep, decision_date=dt.date(2027, 1, 15))

    # when
    close = suggest(rep, deal).close_date

    # then
    assert close is not None
    assert (close.date, close.basis, close.sample_size) == (dt.date(2027, 1, 15), "default", 0)


def test_a_decision_date_gone_by_suggests_today_and_says_it_is_late(rep: User, make_deal: Any) -> None:
    # given
    deal = make_deal(rep, decision_date=dt.date(2026, 11, 1))

    # when
    close = suggest(rep, deal).close_date

    # then
    assert close is not None
    assert (close.date, close.late) == (TODAY, True)


def passed_through(deal: Deal, stage: Stage, *, days_before_won: float) -> None:
    assert deal.won_at is not None
    StageChange.objects.create(
        deal=deal,
        from_stage=None,
        to_stage=stage,
        to_status="open",
        changed_at=deal.won_at - dt.timedelta(days=days_before_won),
    )


@pytest.fixture
def in_proposal(rep: User, make_deal: Any, stages: dict[str, Stage]) -> Any:
    """`in_proposal(urgency="")`: an open deal of the rep that entered Proposal 3 days ago."""

    def make(**fields: Any) -> Deal:
        deal: Deal = make_deal(rep, **fields)
        Deal.objects.filter(pk=deal.pk).update(stage=stages["Proposal"], stage_entered_at=days_ago(3))
        return deal

    return make


@pytest.mark.parametrize(
    ("urgency", "days", "inputs"),
    [
        ("high", 20, ("urgency", "stage")),
        ("medium", 30, ("urgency", "stage")),
        ("low", 40, ("urgency", "stage")),
        ("", 30, ("stage",)),
    ],
)
def test_urgency_picks_a_quicker_or_slower_remaining_cycle_of_the_owners_won_deals(
    rep: User, won: Any, stages: dict[str, Stage], in_proposal: Any, urgency: str, days: int, inputs: Any
) -> None:
    # given: the rep's deals won 10, 20, 30, 40 and 50 days after reaching Proposal
    for remaining in (10, 20, 30, 40, 50):
        passed_through(won(1000, owner=rep), stages["Proposal"], days_before_won=remaining)
    deal = in_proposal(urgency=urgency)

    # when
    close = suggest(rep, deal).close_date

    # then: counted from the day it entered Proposal, 3 days ago
    assert close == CloseDateSuggestion(
        date=TODAY - dt.timedelta(days=3) + dt.timedelta(days=days),
        inputs=inputs,
        basis="owner",
        sample_size=5,
        typical_days=float(days),
    )


def test_the_pipeline_stands_in_when_the_owner_has_too_few_won_deals_from_the_stage(
    rep: User, won: Any, stages: dict[str, Stage], in_proposal: Any
) -> None:
    # given: one of the rep's, four of the teammate's; one re-entered Proposal and counts from the last time
    passed_through(won(1000, owner=rep), stages["Proposal"], days_before_won=8)
    for remaining in (2, 4, 6):
        passed_through(won(1000), stages["Proposal"], days_before_won=remaining)
    twice = won(1000)
    passed_through(twice, stages["Proposal"], days_before_won=90)
    passed_through(twice, stages["Proposal"], days_before_won=10)
    deal = in_proposal()

    # when
    close = suggest(rep, deal).close_date

    # then: the median of 2, 4, 6, 8, 10
    assert close is not None
    assert (close.basis, close.sample_size, close.typical_days) == ("pipeline", 5, 6.0)


def test_without_enough_history_no_close_date_is_suggested(rep: User, in_proposal: Any) -> None:
    # when / then
    assert suggest(rep, in_proposal(urgency="high")).close_date is None


def test_questions_are_offered_for_each_missing_fact(
    rep: User, make_deal: Any, confirm_decision_maker: Any
) -> None:
    # given
    bare = make_deal(rep)
    qualified = make_deal(rep, budget_amount=5000, decision_date=dt.date(2027, 2, 1), urgency="high")
    confirm_decision_maker(qualified)
    half = make_deal(rep, budget_amount=5000)

    # when / then
    assert suggest(rep, bare).missing == ["decision_maker", "budget", "decision_date", "urgency"]
    assert suggest(rep, qualified).missing == []
    assert suggest(rep, qualified).questions == []
    topics = suggest(rep, half).questions
    assert [topic.fact for topic in topics] == ["decision_maker", "decision_date", "urgency"]
    assert "What happens if this is not solved by the end of the quarter?" in topics[1].questions


def test_a_closed_deal_gets_no_suggestions(rep: User, won: Any) -> None:
    # given
    deal = won(1000, owner=rep)

    # when
    suggestions = suggest(rep, deal)

    # then
    assert not suggestions.is_open
    assert (suggestions.budget, suggestions.close_date, suggestions.questions) == (None, None, [])


def test_suggestions_take_two_queries_however_much_history_there_is(
    rep: User, make_deal: Any, won: Any, acme: Any, stages: dict[str, Stage], django_assert_num_queries: Any
) -> None:
    # given
    bare = deal_get(actor=rep, deal_id=make_deal(rep).pk)
    for n in range(30):
        passed_through(won(1000 + n, organization_id=acme.pk), stages["Lead"], days_before_won=n)
    busy = deal_get(actor=rep, deal_id=make_deal(rep, organization_id=acme.pk).pk)

    # when / then
    for deal in (bare, busy):
        with django_assert_num_queries(SUGGESTION_QUERIES):
            deal_suggestions(actor=rep, deal=deal)
