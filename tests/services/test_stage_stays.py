"""Stage stays: each deal's time in each stage and whether it went further, kept as deals move."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck, given, settings

from salespipe.deals.models import Deal, Pipeline, Stage, StageChange, StageKind, StageStay
from salespipe.deals.pipelines import stage_move
from salespipe.deals.services import (
    deal_lose,
    deal_move,
    deal_update,
    deal_win,
    stage_stays_rebuild,
)
from salespipe.people.models import Team, User
from tests.factories import UserFactory
from tests.services.random_changes import CLOSE_AND_MOVE, DEALS, Actors, apply_changes, change_sequences

pytestmark = pytest.mark.django_db

Stay = tuple[
    int, str, str, dt.datetime, dt.datetime | None, bool
]  # deal, owner, stage, entered, left, further


def kept_stays() -> list[Stay]:
    """The table in the history's order: by deal, then by entry."""
    return [
        (
            stay.deal_id,
            stay.owner.username,
            stay.stage.name,
            stay.entered_at,
            stay.left_at,
            stay.advanced,
            stay.previous_entry_at,
        )
        for stay in StageStay.objects.select_related("owner", "stage").order_by("deal_id", "entered_at", "pk")
    ]


def stays_by_definition() -> list[Stay]:
    """The definition, worked out in Python from the history: a stay per stage change, left at the deal's
    next change (by time, then id); gone further when a later change entered an open or won stage of the
    same pipeline at a higher position (PRODUCT.md: stage conversion, cohort); and when the deal entered
    the same stage before, last."""
    history: dict[int, list[StageChange]] = defaultdict(list)
    for change in StageChange.objects.select_related("to_stage", "deal__owner").order_by(
        "deal_id", "changed_at", "pk"
    ):
        history[change.deal_id].append(change)
    stays = []
    for changes in history.values():
        for index, change in enumerate(changes):
            stage, later = change.to_stage, changes[index + 1 :]
            further = stage.kind == StageKind.OPEN and any(
                after.to_stage.pipeline_id == stage.pipeline_id
                and after.to_stage.position > stage.position
                and after.to_stage.kind != StageKind.LOST
                for after in later
            )
            left = later[0].changed_at if later else None
            before = [earlier.changed_at for earlier in changes[:index] if earlier.to_stage_id == stage.pk]
            previous = before[-1] if before else None
            owner = change.deal.owner.username
            stays.append((change.deal_id, owner, stage.name, change.changed_at, left, further, previous))
    return stays


def rebuilt_stays() -> list[Stay]:
    stage_stays_rebuild()
    return kept_stays()


@pytest.fixture
def walked_deal(rep: User, make_deal: Any, stages: dict[str, Stage]) -> Deal:
    """A deal that went Lead → Contacted → Qualified, back to Contacted and on to Qualified again."""
    deal = make_deal(rep)
    for name in ("Contacted", "Qualified", "Contacted", "Qualified"):
        deal_move(actor=rep, deal_id=deal.pk, stage_id=stages[name].pk)
    return deal


def test_each_stage_change_starts_a_stay_that_the_next_one_ends(rep: User, walked_deal: Deal) -> None:
    # given a deal that went back and forth
    changes = list(StageChange.objects.filter(deal=walked_deal).order_by("changed_at", "pk"))

    # then each entry is a stay that ends when the next one starts, the last one still open; the entries
    # that a later move took further went further, the first Qualified did not (it went back)
    assert [
        (stage, entered, left, further)
        for _deal, _owner, stage, entered, left, further, _before in kept_stays()
    ] == [
        ("Lead", changes[0].changed_at, changes[1].changed_at, True),
        ("Contacted", changes[1].changed_at, changes[2].changed_at, True),
        ("Qualified", changes[2].changed_at, changes[3].changed_at, False),
        ("Contacted", changes[3].changed_at, changes[4].changed_at, True),
        ("Qualified", changes[4].changed_at, None, False),
    ]
    assert kept_stays() == stays_by_definition() == rebuilt_stays()
    # and each entry knows when the deal was last in that stage: the second Contacted and Qualified do
    assert [before for *_rest, before in kept_stays()] == [
        None,
        None,
        None,
        changes[1].changed_at,
        changes[2].changed_at,
    ]


def test_winning_takes_every_stay_further_and_losing_none(
    rep: User, make_deal: Any, walked_deal: Deal
) -> None:
    # given a second deal in Lead
    lost = make_deal(rep, title="Lost")

    # when the walked deal is won and the other lost
    deal_win(actor=rep, deal_id=walked_deal.pk)
    deal_lose(actor=rep, deal_id=lost.pk, lost_reason="No budget")

    # then every open stay of the won deal went further, the lost deal's Lead did not, and neither did the
    # closing stays themselves, which are over only when the deal reopens
    stays = kept_stays()
    won = [
        (stage, further)
        for deal, _owner, stage, _in, _out, further, _before in stays
        if deal == walked_deal.pk
    ]
    assert won == [
        ("Lead", True),
        ("Contacted", True),
        ("Qualified", True),
        ("Contacted", True),
        ("Qualified", True),
        ("Won", False),
    ]
    assert [
        (stage, left is None, further) for deal, _o, stage, _i, left, further, _b in stays if deal == lost.pk
    ] == [
        ("Lead", False, False),
        ("Lost", True, False),
    ]
    assert stays == stays_by_definition() == rebuilt_stays()


def test_a_deal_given_to_someone_else_takes_its_stays_along(
    manager: User, rep: User, team: Team, walked_deal: Deal
) -> None:
    # given the rep's teammate
    teammate = UserFactory(username="teammate", team=team)

    # when their manager gives the deal to them
    deal_update(
        actor=manager,
        deal_id=walked_deal.pk,
        expected_version=Deal.objects.get(pk=walked_deal.pk).version,
        owner_id=teammate.pk,
    )

    # then the whole history counts as the teammate's now, as the funnel counts deals by owner
    assert {owner for _deal, owner, *_rest in kept_stays()} == {"teammate"}
    assert kept_stays() == stays_by_definition()


def test_reordering_the_stages_recounts_which_stays_went_further(
    admin_user: User, rep: User, make_deal: Any, stages: dict[str, Stage]
) -> None:
    # given a deal that went Lead → Qualified → Contacted
    deal = make_deal(rep)
    deal_move(actor=rep, deal_id=deal.pk, stage_id=stages["Qualified"].pk)
    deal_move(actor=rep, deal_id=deal.pk, stage_id=stages["Contacted"].pk)
    assert [(stage, further) for _d, _o, stage, _i, _l, further, _b in kept_stays()] == [
        ("Lead", True),
        ("Qualified", False),
        ("Contacted", False),
    ]

    # when an administrator moves Contacted after Qualified
    stage_move(actor=admin_user, stage_id=stages["Contacted"].pk, direction="down")

    # then going from Qualified to Contacted is a step forward
    assert [(stage, further) for _d, _o, stage, _i, _l, further, _b in kept_stays()] == [
        ("Lead", True),
        ("Qualified", True),
        ("Contacted", False),
    ]
    assert kept_stays() == stays_by_definition()


def test_the_rebuild_of_some_deals_leaves_the_others_alone(
    rep: User, make_deal: Any, walked_deal: Deal
) -> None:
    # given another deal, and both deals' stays wiped behind the services' back
    other = make_deal(rep, title="Other")
    StageStay.objects.all().delete()

    # when only the walked deal's are rebuilt
    written = stage_stays_rebuild(deal_ids=[walked_deal.pk])

    # then it has its five stays back and the other deal still none
    assert written == 5
    assert {deal for deal, *_rest in kept_stays()} == {walked_deal.pk}
    assert stage_stays_rebuild(deal_ids=[]) == 0
    assert stage_stays_rebuild() == 6 and {deal for deal, *_rest in kept_stays()} == {
        walked_deal.pk,
        other.pk,
    }


def test_moving_a_deal_costs_two_queries_for_its_stays_however_long_its_history(
    rep: User, make_deal: Any, walked_deal: Deal, stages: dict[str, Stage]
) -> None:
    # given a deal fresh in Lead and one with five stage changes
    fresh = make_deal(rep)

    # when each moves on to the next stage
    with CaptureQueriesContext(connection) as short:
        deal_move(actor=rep, deal_id=fresh.pk, stage_id=stages["Contacted"].pk)
    with CaptureQueriesContext(connection) as long:
        deal_move(actor=rep, deal_id=walked_deal.pk, stage_id=stages["Contacted"].pk)

    # then both cost the same, two of them for the stays (end and take further, then begin)
    assert len(short) == len(long)
    assert sum("deals_stagestay" in query["sql"] for query in long.captured_queries) == 2


# --- random sequences ------------------------------------------------------------------------------


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=change_sequences((*CLOSE_AND_MOVE, "move", "reassign", "reorder")))
def test_the_kept_stays_equal_the_definition_after_any_sequence_of_changes(
    admin_user: User,
    rep: User,
    team: Team,
    make_deal: Any,
    confirm_decision_maker: Any,
    pipeline: Pipeline,
    renewals: Pipeline,
    steps: list[tuple[int, str, int]],
) -> None:
    all_stages = list(Stage.objects.filter(pipeline__in=[pipeline, renewals]).order_by("pk"))
    with transaction.atomic():
        # given a few deals whose buyers are confirmed, so every stage's gate can be passed, and a teammate
        teammate = UserFactory(username="teammate", team=team)
        deals = [make_deal(rep, title=f"Deal {number}") for number in range(DEALS)]
        for deal in deals:
            confirm_decision_maker(deal)

        # when a random sequence of changes is applied, some of them refused (already won, deleted, ...)
        apply_changes(steps, deals=deals, stages=all_stages, actors=Actors(rep, admin_user, teammate))

        # then the stays kept along the way are what the definition and a rebuild find
        assert kept_stays() == stays_by_definition() == rebuilt_stays()
        transaction.set_rollback(True)


def test_reordering_stages_in_the_django_admin_recounts_the_stays_too(
    admin_user: User, rep: User, make_deal: Any, stages: dict[str, Stage], pipeline: Pipeline, browser_of: Any
) -> None:
    # given a deal that went Lead → Qualified → Contacted
    deal = make_deal(rep)
    deal_move(actor=rep, deal_id=deal.pk, stage_id=stages["Qualified"].pk)
    deal_move(actor=rep, deal_id=deal.pk, stage_id=stages["Contacted"].pk)

    # when an administrator gives Contacted a place after every other stage in the Django admin
    form: dict[str, Any] = {
        "name": pipeline.name,
        "is_default": "on" if pipeline.is_default else "",
        "is_active": "on" if pipeline.is_active else "",
        "position": pipeline.position,
        "stages-TOTAL_FORMS": len(stages),
        "stages-INITIAL_FORMS": len(stages),
        "stages-MIN_NUM_FORMS": 0,
        "stages-MAX_NUM_FORMS": 1000,
    }
    for index, stage in enumerate(pipeline.stages.order_by("position")):
        fields = {
            "id": stage.pk,
            "pipeline": pipeline.pk,
            "position": 20 if stage.name == "Contacted" else stage.position,
            "name": stage.name,
            "kind": stage.kind,
            "default_probability": stage.default_probability,
            "rotting_days": stage.rotting_days if stage.rotting_days is not None else "",
        }
        for flag in ("requires_decision_maker", "requires_budget", "requires_timeline"):
            fields[flag] = "on" if getattr(stage, flag) else ""
        fields["meeting_requires_decision_maker"] = "on" if stage.meeting_requires_decision_maker else ""
        form |= {f"stages-{index}-{name}": value for name, value in fields.items() if value != ""}
    response = browser_of(admin_user).post(f"/admin/deals/pipeline/{pipeline.pk}/change/", form)

    # then the change is saved and going from Qualified to Contacted is a step forward now
    assert response.status_code == 302, response.content.decode()[:2000]
    assert Stage.objects.get(pk=stages["Contacted"].pk).position == 20
    assert [(stage, further) for _d, _o, stage, _i, _l, further, _b in kept_stays()] == [
        ("Lead", True),
        ("Qualified", True),
        ("Contacted", False),
    ]
    assert kept_stays() == stays_by_definition()
