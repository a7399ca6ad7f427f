"""Deal services: creation, edits with versions, moves through gated stages, winning and losing."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from salespipe.core.errors import InvalidInput, NotAllowed, RuleBroken, StaleVersion
from salespipe.core.models import ExchangeRate
from salespipe.deals.models import ContactRole, Deal, DealStatus, Stage, StageChange
from salespipe.deals.pipelines import stage_update
from salespipe.deals.services import (
    contact_confirm_authority,
    deal_contact_add,
    deal_create,
    deal_lose,
    deal_move,
    deal_update,
    deal_win,
    exchange_rate_set,
)
from salespipe.people.models import User
from tests.factories import PersonFactory

pytestmark = pytest.mark.django_db


def history(deal: Deal) -> list[tuple[str | None, str]]:
    return [
        (change.from_stage.name if change.from_stage else None, change.to_stage.name)
        for change in deal.stage_changes.select_related("from_stage", "to_stage").order_by("id")
    ]


def test_a_new_deal_starts_in_the_first_stage_in_the_base_currency_with_its_history(
    rep: User, stages: dict[str, Stage]
) -> None:
    deal = deal_create(actor=rep, title="  Acme: 20 licences ", value="1200.5")

    assert deal.title == "Acme: 20 licences"
    assert deal.stage == stages["Lead"] and deal.status == DealStatus.OPEN
    assert deal.owner == rep and deal.currency == "EUR" and deal.base_value == Decimal("1200.50")
    assert deal.version == 1
    assert history(deal) == [(None, "Lead")]


@pytest.mark.parametrize(
    ("fields", "bad_field"),
    [
        ({"title": "  "}, "title"),
        ({"value": -1}, "value"),
        ({"value": "lots"}, "value"),
        ({"currency": "EURO"}, "currency"),
        ({"probability": 101}, "probability"),
        ({"urgency": "yesterday"}, "urgency"),
    ],
)
def test_bad_input_is_refused_with_the_field_named_and_nothing_saved(
    rep: User, make_deal: Any, fields: dict[str, Any], bad_field: str
) -> None:
    with pytest.raises(InvalidInput) as refusal:
        make_deal(rep, **fields)

    assert bad_field in refusal.value.fields
    assert not Deal.objects.exists()


def test_a_deal_in_a_currency_without_a_rate_is_refused_until_an_admin_sets_one(
    rep: User, admin_user: User, make_deal: Any
) -> None:
    with pytest.raises(InvalidInput, match="no exchange rate from USD"):
        make_deal(rep, value=1000, currency="usd")

    exchange_rate_set(actor=admin_user, currency="USD", rate_to_base="0.9")
    deal = make_deal(rep, value=1000, currency="usd")

    assert deal.currency == "USD" and deal.base_value == Decimal("900.00")


def test_a_new_rate_revalues_open_deals_in_that_currency(rep: User, admin_user: User, make_deal: Any) -> None:
    ExchangeRate.objects.create(currency="GBP", rate_to_base=Decimal("1.1"))
    deal = make_deal(rep, value=1000, currency="GBP")

    exchange_rate_set(actor=admin_user, currency="GBP", rate_to_base="1.2")

    deal.refresh_from_db()
    assert deal.base_value == Decimal("1200.00")


def test_only_an_admin_sets_exchange_rates(rep: User) -> None:
    with pytest.raises(NotAllowed):
        exchange_rate_set(actor=rep, currency="USD", rate_to_base="0.9")


def test_a_deal_cannot_be_created_straight_into_a_gated_stage(rep: User, stages: dict[str, Stage]) -> None:
    with pytest.raises(RuleBroken) as refusal:
        deal_create(actor=rep, title="Skipping ahead", stage_id=stages["Proposal"].pk)

    assert refusal.value.code == "decision_maker_required"
    assert not Deal.objects.exists() and not StageChange.objects.exists()


def test_a_rep_cannot_give_a_deal_to_a_colleague(rep: User, teammate: User, make_deal: Any) -> None:
    with pytest.raises(NotAllowed):
        make_deal(rep, owner_id=teammate.pk)


def test_a_manager_assigns_deals_within_their_team_only(
    manager: User, rep: User, outsider: User, make_deal: Any
) -> None:
    assert make_deal(manager, owner_id=rep.pk).owner == rep

    with pytest.raises(NotAllowed):
        make_deal(manager, owner_id=outsider.pk)


def test_an_edit_based_on_the_current_version_applies_and_bumps_the_version(
    rep: User, make_deal: Any
) -> None:
    deal = make_deal(rep)

    updated = deal_update(
        actor=rep, deal_id=deal.pk, expected_version=1, value="2500", title="Acme: 50 licences"
    )

    updated.refresh_from_db()
    assert updated.version == 2
    assert updated.value == Decimal("2500.00") and updated.base_value == Decimal("2500.00")
    assert updated.title == "Acme: 50 licences"


def test_a_stale_edit_is_refused_and_overwrites_nothing(rep: User, manager: User, make_deal: Any) -> None:
    # given the rep and the manager both opened version 1, and the manager saved first
    deal = make_deal(rep)
    deal_update(actor=manager, deal_id=deal.pk, expected_version=1, value="5000")

    # when the rep saves their edit of version 1
    with pytest.raises(StaleVersion) as refusal:
        deal_update(actor=rep, deal_id=deal.pk, expected_version=1, value="10")

    # then the manager's value stands
    deal.refresh_from_db()
    assert deal.value == Decimal("5000.00") and deal.version == 2
    assert "Reload" in refusal.value.message


def test_stage_and_status_cannot_be_edited_around_the_move_service(
    rep: User, make_deal: Any, stages: Any
) -> None:
    deal = make_deal(rep)

    with pytest.raises(InvalidInput, match="Use move, win or lose"):
        deal_update(actor=rep, deal_id=deal.pk, expected_version=1, stage_id=stages["Won"].pk)


def test_moving_into_the_appointment_stage_needs_a_confirmed_decision_maker(
    rep: User, make_deal: Any, stages: dict[str, Stage], confirm_decision_maker: Any
) -> None:
    # given a qualified deal with no decision maker
    deal = make_deal(rep, stage_id=stages["Qualified"].pk)

    # when it is moved to Appointment
    with pytest.raises(RuleBroken) as refusal:
        deal_move(actor=rep, deal_id=deal.pk, stage_id=stages["Appointment"].pk)

    # then the gate refuses it, says what to do, and nothing changed
    assert refusal.value.code == "decision_maker_required"
    assert "confirm" in refusal.value.message
    deal.refresh_from_db()
    assert deal.stage == stages["Qualified"] and deal.version == 1
    assert history(deal) == [(None, "Qualified")]

    # and once the decision maker is confirmed, the move goes through and is recorded
    confirm_decision_maker(deal)
    moved = deal_move(actor=rep, deal_id=deal.pk, stage_id=stages["Appointment"].pk)
    assert moved.stage == stages["Appointment"] and moved.version == 2
    assert history(moved) == [(None, "Qualified"), ("Qualified", "Appointment")]


def test_an_unconfirmed_decision_maker_does_not_open_the_gate(
    rep: User, make_deal: Any, stages: dict[str, Stage]
) -> None:
    deal = make_deal(rep, stage_id=stages["Qualified"].pk)
    deal_contact_add(
        actor=rep, deal_id=deal.pk, person_id=PersonFactory().pk, role=ContactRole.DECISION_MAKER
    )

    with pytest.raises(RuleBroken, match="decision maker"):
        deal_move(actor=rep, deal_id=deal.pk, stage_id=stages["Appointment"].pk)


def test_skipping_stages_forward_still_passes_their_gates(
    rep: User, make_deal: Any, stages: dict[str, Stage]
) -> None:
    deal = make_deal(rep)

    with pytest.raises(RuleBroken) as refusal:
        deal_move(actor=rep, deal_id=deal.pk, stage_id=stages["Proposal"].pk)

    assert refusal.value.code == "decision_maker_required"


def test_moving_back_needs_no_gate(
    rep: User, make_deal: Any, stages: dict[str, Stage], confirm_decision_maker: Any
) -> None:
    deal = make_deal(rep, stage_id=stages["Qualified"].pk)
    confirm_decision_maker(deal)
    deal_move(actor=rep, deal_id=deal.pk, stage_id=stages["Proposal"].pk)

    moved = deal_move(actor=rep, deal_id=deal.pk, stage_id=stages["Contacted"].pk)

    assert moved.stage == stages["Contacted"]


@pytest.mark.parametrize(
    ("gate", "code", "fix"),
    [
        ("requires_budget", "budget_required", {"budget_amount": "20000"}),
        ("requires_timeline", "timeline_required", {"decision_date": "2026-12-15"}),
    ],
)
def test_budget_and_timeline_gates_work_like_the_decision_maker_gate(
    rep: User,
    admin_user: User,
    make_deal: Any,
    stages: dict[str, Stage],
    gate: str,
    code: str,
    fix: dict[str, str],
) -> None:
    stage_update(actor=admin_user, stage_id=stages["Contacted"].pk, **{gate: True})
    deal = make_deal(rep)

    with pytest.raises(RuleBroken) as refusal:
        deal_move(actor=rep, deal_id=deal.pk, stage_id=stages["Contacted"].pk)
    assert refusal.value.code == code

    deal_update(actor=rep, deal_id=deal.pk, expected_version=1, **fix)
    assert deal_move(actor=rep, deal_id=deal.pk, stage_id=stages["Contacted"].pk).stage == stages["Contacted"]


def test_an_admin_can_switch_a_gate_off(
    rep: User, admin_user: User, make_deal: Any, stages: dict[str, Stage]
) -> None:
    stage_update(actor=admin_user, stage_id=stages["Appointment"].pk, requires_decision_maker=False)
    deal = make_deal(rep, stage_id=stages["Qualified"].pk)

    assert (
        deal_move(actor=rep, deal_id=deal.pk, stage_id=stages["Appointment"].pk).stage
        == stages["Appointment"]
    )


def test_only_an_admin_changes_stage_gates(rep: User, stages: dict[str, Stage]) -> None:
    with pytest.raises(NotAllowed):
        stage_update(actor=rep, stage_id=stages["Appointment"].pk, requires_decision_maker=False)


def test_a_move_based_on_a_stale_version_is_refused(
    rep: User, make_deal: Any, stages: dict[str, Stage]
) -> None:
    deal = make_deal(rep)
    deal_update(actor=rep, deal_id=deal.pk, expected_version=1, value=1)

    with pytest.raises(StaleVersion):
        deal_move(actor=rep, deal_id=deal.pk, stage_id=stages["Contacted"].pk, expected_version=1)


def test_winning_a_deal_moves_it_to_won_and_records_when(rep: User, make_deal: Any) -> None:
    deal = make_deal(rep)

    won = deal_win(actor=rep, deal_id=deal.pk)

    assert won.status == DealStatus.WON and won.stage.name == "Won" and won.won_at is not None
    assert history(won)[-1] == ("Lead", "Won")
    with pytest.raises(RuleBroken) as again:
        deal_win(actor=rep, deal_id=deal.pk)
    assert again.value.code == "already_won"


def test_losing_a_deal_needs_a_reason(rep: User, make_deal: Any) -> None:
    deal = make_deal(rep)

    with pytest.raises(RuleBroken) as refusal:
        deal_lose(actor=rep, deal_id=deal.pk, lost_reason="  ")
    assert refusal.value.code == "lost_reason_required"
    deal.refresh_from_db()
    assert deal.status == DealStatus.OPEN

    lost = deal_lose(actor=rep, deal_id=deal.pk, lost_reason="Chose a competitor")
    assert lost.status == DealStatus.LOST and lost.lost_reason == "Chose a competitor" and lost.lost_at
    assert lost.stage_changes.order_by("-id").first().note == "Chose a competitor"  # type: ignore[union-attr]


def test_dropping_a_deal_on_the_lost_stage_also_needs_the_reason(
    rep: User, make_deal: Any, stages: dict[str, Stage]
) -> None:
    deal = make_deal(rep)

    with pytest.raises(RuleBroken) as refusal:
        deal_move(actor=rep, deal_id=deal.pk, stage_id=stages["Lost"].pk)

    assert refusal.value.code == "lost_reason_required"


def test_moving_a_lost_deal_to_an_open_stage_reopens_it(
    rep: User, make_deal: Any, stages: dict[str, Stage]
) -> None:
    deal = make_deal(rep)
    deal_lose(actor=rep, deal_id=deal.pk, lost_reason="Timing")

    reopened = deal_move(actor=rep, deal_id=deal.pk, stage_id=stages["Contacted"].pk)

    assert reopened.status == DealStatus.OPEN and reopened.lost_reason == "" and reopened.lost_at is None


def test_authority_is_confirmed_only_for_buying_roles_and_says_how(rep: User, make_deal: Any) -> None:
    deal = make_deal(rep)
    champion = deal_contact_add(actor=rep, deal_id=deal.pk, person_id=PersonFactory().pk, role="champion")
    buyer = deal_contact_add(actor=rep, deal_id=deal.pk, person_id=PersonFactory().pk, role="economic_buyer")

    with pytest.raises(RuleBroken) as refusal:
        contact_confirm_authority(actor=rep, deal_contact_id=champion.pk, how="meeting")
    assert refusal.value.code == "not_a_buying_role"
    with pytest.raises(InvalidInput):
        contact_confirm_authority(actor=rep, deal_contact_id=buyer.pk, how="gut feeling")

    confirmed = contact_confirm_authority(actor=rep, deal_contact_id=buyer.pk, how="email", note="CFO signs")
    assert confirmed.authority_confirmed_by == rep and confirmed.authority_confirmed_at
    assert confirmed.authority_confirmed_how == "email"


def test_the_same_person_cannot_hold_the_same_role_twice(rep: User, make_deal: Any) -> None:
    deal = make_deal(rep)
    person = PersonFactory()
    deal_contact_add(actor=rep, deal_id=deal.pk, person_id=person.pk, role="champion")

    with pytest.raises(InvalidInput, match="already on"):
        deal_contact_add(actor=rep, deal_id=deal.pk, person_id=person.pk, role="champion")


def test_stage_history_is_append_only(rep: User, make_deal: Any) -> None:
    change = make_deal(rep).stage_changes.get()
    change.note = "rewritten"

    with pytest.raises(RuntimeError, match="append-only"):
        change.save()


def test_an_edit_that_changes_nothing_keeps_the_version(rep: User, make_deal: Any) -> None:
    deal = make_deal(rep)

    unchanged = deal_update(actor=rep, deal_id=deal.pk, expected_version=1)

    assert unchanged.version == 1


def test_weighted_value_rounds_half_up_like_money_elsewhere(rep: User, make_deal: Any) -> None:
    deal = make_deal(rep, value="2500.50", probability=5)

    assert deal.weighted_value == Decimal("125.03")
