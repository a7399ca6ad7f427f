"""Stage outcomes: the won and lost deals counted per open stage, kept as deals close, reopen and go."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck, given, settings

from salespipe.core.errors import SalespipeError
from salespipe.deals.models import Deal, DealStatus, Pipeline, Stage, StageChange, StageKind, StageOutcome
from salespipe.deals.services import (
    deal_delete,
    deal_lose,
    deal_move,
    deal_win,
    stage_outcomes_rebuild,
)
from salespipe.people.models import User
from tests.services.random_changes import CLOSE_AND_MOVE, DEALS, Actors, apply_changes, change_sequences

pytestmark = pytest.mark.django_db

# Lock and load the deal, find the won stage, save, record the history row (a savepoint around the
# service), two for the stage stays, and three for the outcomes: the stages passed through, the missing
# rows, the counts.
DEAL_WIN_QUERIES = 11


def kept_counts() -> dict[str, tuple[int, int]]:
    """The table as (won, lost) per stage name; a row counting nothing is the same as no row."""
    return {
        f"{row.stage.pipeline.name}: {row.stage.name}": (row.won_deals, row.lost_deals)
        for row in StageOutcome.objects.select_related("stage__pipeline")
        if row.closed_deals
    }


def counted_from_history() -> dict[str, tuple[int, int]]:
    """The definition, counted in Python: closed deals per open stage they ever entered."""
    entered = {
        (f"{pipeline}: {name}", deal_id, status)
        for pipeline, name, deal_id, status in StageChange.objects.filter(
            to_stage__kind=StageKind.OPEN
        ).values_list("to_stage__pipeline__name", "to_stage__name", "deal_id", "deal__status")
    }
    won = Counter(stage for stage, _, status in entered if status == DealStatus.WON)
    lost = Counter(stage for stage, _, status in entered if status == DealStatus.LOST)
    return {stage: (won[stage], lost[stage]) for stage in won.keys() | lost.keys()}


def rebuilt_counts() -> dict[str, tuple[int, int]]:
    stage_outcomes_rebuild()
    return kept_counts()


@pytest.fixture
def walked_deal(rep: User, make_deal: Any, stages: dict[str, Stage]) -> Deal:
    """A deal that went Lead → Contacted → Qualified, back to Contacted and on to Qualified again."""
    deal = make_deal(rep)
    for name in ("Contacted", "Qualified", "Contacted", "Qualified"):
        deal_move(actor=rep, deal_id=deal.pk, stage_id=stages[name].pk)
    return deal


def test_a_won_deal_counts_once_as_won_in_every_open_stage_it_went_through(
    rep: User, walked_deal: Deal
) -> None:
    # given a deal that entered Contacted and Qualified twice each
    # when it is won
    deal_win(actor=rep, deal_id=walked_deal.pk)

    # then each open stage it entered counts it once, the stages it skipped and the won stage not at all
    assert kept_counts() == {
        "Sales: Lead": (1, 0),
        "Sales: Contacted": (1, 0),
        "Sales: Qualified": (1, 0),
    }


def test_a_lost_deal_counts_as_lost_next_to_the_won_ones(
    rep: User, make_deal: Any, walked_deal: Deal
) -> None:
    # given a deal won from Qualified
    deal_win(actor=rep, deal_id=walked_deal.pk)

    # when another deal is lost straight from Lead
    deal_lose(actor=rep, deal_id=make_deal(rep).pk, lost_reason="No budget")

    # then Lead counts one of each, the later stages only the won deal
    assert kept_counts() == {
        "Sales: Lead": (1, 1),
        "Sales: Contacted": (1, 0),
        "Sales: Qualified": (1, 0),
    }
    assert kept_counts() == rebuilt_counts() == counted_from_history()


def test_a_reopened_deal_is_taken_out_and_counted_again_where_it_closes_next(
    rep: User, walked_deal: Deal, stages: dict[str, Stage], confirm_decision_maker: Any
) -> None:
    # given a won deal
    deal_win(actor=rep, deal_id=walked_deal.pk)

    # when it is reopened in Contacted, the counts drop out
    deal_move(actor=rep, deal_id=walked_deal.pk, stage_id=stages["Contacted"].pk)
    assert kept_counts() == {}

    # and when it goes on to the Appointment and is lost there, it counts as lost where it has been
    confirm_decision_maker(walked_deal)
    deal_move(actor=rep, deal_id=walked_deal.pk, stage_id=stages["Appointment"].pk)
    deal_lose(actor=rep, deal_id=walked_deal.pk, lost_reason="Chose a competitor")
    assert kept_counts() == {
        "Sales: Lead": (0, 1),
        "Sales: Contacted": (0, 1),
        "Sales: Qualified": (0, 1),
        "Sales: Appointment": (0, 1),
    }
    assert kept_counts() == rebuilt_counts()


def test_a_won_deal_marked_lost_moves_its_count_from_won_to_lost(rep: User, walked_deal: Deal) -> None:
    # given a won deal
    deal_win(actor=rep, deal_id=walked_deal.pk)

    # when it is marked lost without reopening it first
    deal_lose(actor=rep, deal_id=walked_deal.pk, lost_reason="The order was cancelled")

    # then its stages count it as lost only
    assert kept_counts() == {
        "Sales: Lead": (0, 1),
        "Sales: Contacted": (0, 1),
        "Sales: Qualified": (0, 1),
    }

    # and back again through the board's won column
    deal_move(actor=rep, deal_id=walked_deal.pk, stage_id=walked_deal.pipeline.stages.get(name="Won").pk)
    assert kept_counts() == {
        "Sales: Lead": (1, 0),
        "Sales: Contacted": (1, 0),
        "Sales: Qualified": (1, 0),
    }
    assert kept_counts() == rebuilt_counts()


def test_deleting_a_closed_deal_takes_it_out_and_deleting_an_open_one_changes_nothing(
    rep: User, make_deal: Any, walked_deal: Deal
) -> None:
    # given a lost deal, a won deal and an open one
    lost = make_deal(rep)
    deal_lose(actor=rep, deal_id=lost.pk, lost_reason="No budget")
    deal_win(actor=rep, deal_id=walked_deal.pk)
    still_open = make_deal(rep)

    # when the won deal and the open one are deleted
    deal_delete(actor=rep, deal_id=walked_deal.pk)
    deal_delete(actor=rep, deal_id=still_open.pk)

    # then only the lost deal is counted
    assert kept_counts() == {"Sales: Lead": (0, 1)}
    assert kept_counts() == rebuilt_counts()


def test_a_refused_close_counts_nothing(rep: User, make_deal: Any) -> None:
    # given an open deal
    deal = make_deal(rep)

    # when losing it is refused for want of a reason
    with pytest.raises(SalespipeError):
        deal_lose(actor=rep, deal_id=deal.pk, lost_reason=" ")

    # then no stage counts it
    assert kept_counts() == {}


def test_a_deal_closing_from_a_stage_missing_in_its_history_counts_there_too(
    rep: User, make_deal: Any, stages: dict[str, Stage]
) -> None:
    # given a deal in Contacted whose history row for that move is gone (rows loaded from elsewhere)
    deal = make_deal(rep)
    deal_move(actor=rep, deal_id=deal.pk, stage_id=stages["Contacted"].pk)
    StageChange.objects.filter(deal=deal, to_stage=stages["Contacted"]).delete()

    # when it is won
    deal_win(actor=rep, deal_id=deal.pk)

    # then the stage it was won from counts it all the same
    assert kept_counts() == {"Sales: Lead": (1, 0), "Sales: Contacted": (1, 0)}


def test_counts_off_after_a_direct_load_never_go_below_zero(rep: User, walked_deal: Deal) -> None:
    # given a won deal whose counts were wiped behind the services' back
    deal_win(actor=rep, deal_id=walked_deal.pk)
    StageOutcome.objects.all().delete()
    StageOutcome.objects.create(stage=walked_deal.pipeline.stages.get(name="Lead"))

    # when it is reopened and then deleted
    deal_move(actor=rep, deal_id=walked_deal.pk, stage_id=walked_deal.pipeline.stages.get(name="Lead").pk)
    deal_win(actor=rep, deal_id=walked_deal.pk)
    deal_delete(actor=rep, deal_id=walked_deal.pk)

    # then nothing fails and every count stays at zero or above
    assert StageOutcome.objects.filter(won_deals=0, lost_deals=0).count() == StageOutcome.objects.count()


def test_the_rebuild_counts_distinct_closed_deals_per_open_stage_from_the_history(
    rep: User, make_deal: Any, walked_deal: Deal, stages: dict[str, Stage]
) -> None:
    # given won, lost, reopened and open deals, and a table that has drifted
    deal_win(actor=rep, deal_id=walked_deal.pk)
    lost = make_deal(rep)
    deal_move(actor=rep, deal_id=lost.pk, stage_id=stages["Contacted"].pk)
    deal_lose(actor=rep, deal_id=lost.pk, lost_reason="No budget")
    reopened = make_deal(rep)
    deal_win(actor=rep, deal_id=reopened.pk)
    deal_move(actor=rep, deal_id=reopened.pk, stage_id=stages["Qualified"].pk)
    make_deal(rep)
    StageOutcome.objects.update(won_deals=7)

    # when the table is rebuilt
    stages_counted = stage_outcomes_rebuild()

    # then it holds exactly the definition's counts, and a row only for stages with closed deals
    assert (
        kept_counts()
        == counted_from_history()
        == {
            "Sales: Lead": (1, 1),
            "Sales: Contacted": (1, 1),
            "Sales: Qualified": (1, 0),
        }
    )
    assert stages_counted == StageOutcome.objects.count() == 3


def test_winning_a_deal_costs_the_same_few_queries_however_long_its_history(
    rep: User, make_deal: Any, walked_deal: Deal, django_assert_num_queries: Any
) -> None:
    # given a deal fresh in Lead and one with five stage changes
    fresh = make_deal(rep)

    # when each is won
    with django_assert_num_queries(DEAL_WIN_QUERIES):
        deal_win(actor=rep, deal_id=fresh.pk)
    with CaptureQueriesContext(connection) as long_history:
        deal_win(actor=rep, deal_id=walked_deal.pk)

    # then both cost the same, and two of those queries write the outcome counts
    assert len(long_history) == DEAL_WIN_QUERIES
    assert sum("deals_stageoutcome" in query["sql"] for query in long_history.captured_queries) == 2


# --- random sequences ------------------------------------------------------------------------------


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=change_sequences(CLOSE_AND_MOVE))
def test_the_kept_counts_equal_a_rebuild_after_any_sequence_of_closes_reopens_moves_and_deletes(
    rep: User,
    make_deal: Any,
    confirm_decision_maker: Any,
    pipeline: Pipeline,
    renewals: Pipeline,
    steps: list[tuple[int, str, int]],
) -> None:
    all_stages = list(Stage.objects.filter(pipeline__in=[pipeline, renewals]).order_by("pk"))
    with transaction.atomic():
        # given a few deals whose buyers are confirmed, so every stage's gate can be passed
        deals = [make_deal(rep, title=f"Deal {number}") for number in range(DEALS)]
        for deal in deals:
            confirm_decision_maker(deal)

        # when a random sequence of changes is applied, some of them refused (already won, deleted, ...)
        apply_changes(steps, deals=deals, stages=all_stages, actors=Actors(rep))

        # then the counts kept along the way are what a rebuild from the history finds
        kept = kept_counts()
        assert kept == rebuilt_counts() == counted_from_history()
        transaction.set_rollback(True)
