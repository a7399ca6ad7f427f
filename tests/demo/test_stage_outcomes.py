"""The demo writes its rows past the services, so it leaves the stage outcomes they would have kept."""

from __future__ import annotations

import datetime as dt
from collections import Counter

import pytest

from salespipe.deals.models import Deal, DealStatus, Stage, StageChange, StageKind, StageOutcome
from salespipe.deals.services import stage_outcomes_rebuild
from salespipe.demo.generator import generate

pytestmark = pytest.mark.django_db


def outcome_rows() -> dict[int, tuple[int, int]]:
    return {
        row.stage_id: (row.won_deals, row.lost_deals)
        for row in StageOutcome.objects.all()
        if row.closed_deals
    }


@pytest.mark.parametrize("background", [False, True], ids=["in process", "in a worker"])
def test_after_a_demo_the_stage_outcomes_are_those_of_its_history(background: bool) -> None:
    # given a freshly generated demo, made in several chunks
    generate(
        reps=4,
        deals=300,
        seed=3,
        today=dt.date(2026, 11, 27),
        password="demo",
        progress=None,
        chunk_deals=70,
        background=background,
    )
    after_demo = outcome_rows()

    # when the stage outcomes are counted from its history, in SQL and again in Python
    stage_outcomes_rebuild()
    entered = set(
        StageChange.objects.filter(
            to_stage__kind=StageKind.OPEN, deal__status__in=[DealStatus.WON, DealStatus.LOST]
        ).values_list("to_stage_id", "deal_id", "deal__status")
    )
    won = Counter(stage for stage, _, status in entered if status == DealStatus.WON)
    lost = Counter(stage for stage, _, status in entered if status == DealStatus.LOST)

    # then the demo left exactly those counts, and every deal that closed counts in the first stage
    assert after_demo == outcome_rows() == {stage: (won[stage], lost[stage]) for stage in won | lost}
    first_stage = Stage.objects.filter(kind=StageKind.OPEN).order_by("position").first()
    assert first_stage is not None
    assert after_demo[first_stage.pk] == (
        Deal.objects.filter(status=DealStatus.WON).count(),
        Deal.objects.filter(status=DealStatus.LOST).count(),
    )
