"""Who sees and changes what: a rep their own, a manager their teams', an admin everything."""

from __future__ import annotations

from typing import Any

import pytest

from salespipe.activities.selectors import activity_list
from salespipe.activities.services import activity_schedule
from salespipe.core.errors import NotFound
from salespipe.deals.models import Deal, Stage
from salespipe.deals.selectors import deal_get, deal_list, deal_stage_history
from salespipe.deals.services import deal_move, deal_update, deal_win
from salespipe.people.models import User

pytestmark = pytest.mark.django_db


@pytest.fixture
def deals(rep: User, teammate: User, manager: User, outsider: User, make_deal: Any) -> dict[str, Deal]:
    return {
        "rep": make_deal(rep, title="rep's"),
        "teammate": make_deal(teammate, title="teammate's"),
        "manager": make_deal(manager, title="manager's"),
        "outsider": make_deal(outsider, title="outsider's"),
    }


def titles(actor: User) -> set[str]:
    return set(deal_list(actor=actor).values_list("title", flat=True))


def test_a_rep_sees_only_their_own_deals(rep: User, deals: dict[str, Deal]) -> None:
    assert titles(rep) == {"rep's"}


def test_a_manager_sees_their_own_and_their_teams_deals(manager: User, deals: dict[str, Deal]) -> None:
    assert titles(manager) == {"rep's", "teammate's", "manager's"}


def test_another_teams_manager_sees_only_that_team(other_manager: User, deals: dict[str, Deal]) -> None:
    assert titles(other_manager) == {"outsider's"}


def test_an_admin_sees_every_deal(admin_user: User, deals: dict[str, Deal]) -> None:
    assert titles(admin_user) == {"rep's", "teammate's", "manager's", "outsider's"}


def test_another_reps_deal_does_not_exist_for_a_rep(
    rep: User, deals: dict[str, Deal], stages: dict[str, Stage]
) -> None:
    theirs = deals["teammate"]

    for attempt in (
        lambda: deal_get(actor=rep, deal_id=theirs.pk),
        lambda: deal_stage_history(actor=rep, deal_id=theirs.pk),
        lambda: deal_update(actor=rep, deal_id=theirs.pk, expected_version=1, value=1),
        lambda: deal_move(actor=rep, deal_id=theirs.pk, stage_id=stages["Contacted"].pk),
        lambda: deal_win(actor=rep, deal_id=theirs.pk),
    ):
        with pytest.raises(NotFound):
            attempt()
    theirs.refresh_from_db()
    assert theirs.version == 1 and theirs.status == "open"


def test_a_manager_can_work_their_teams_deals_but_not_another_teams(
    manager: User, deals: dict[str, Deal], stages: dict[str, Stage]
) -> None:
    moved = deal_move(actor=manager, deal_id=deals["rep"].pk, stage_id=stages["Contacted"].pk)
    assert moved.stage == stages["Contacted"]

    with pytest.raises(NotFound):
        deal_move(actor=manager, deal_id=deals["outsider"].pk, stage_id=stages["Contacted"].pk)


def test_a_rep_cannot_plan_work_on_another_reps_deal(rep: User, deals: dict[str, Deal]) -> None:
    with pytest.raises(NotFound):
        activity_schedule(
            actor=rep, kind="call", due_at=deals["teammate"].created_at, deal_id=deals["teammate"].pk
        )


def test_activities_are_scoped_like_deals(
    rep: User, teammate: User, manager: User, deals: dict[str, Deal]
) -> None:
    for deal in deals.values():
        activity_schedule(actor=deal.owner, kind="call", due_at=deal.created_at, deal_id=deal.pk)

    assert {a.owner for a in activity_list(actor=rep)} == {rep}
    assert {a.deal_id for a in activity_list(actor=manager)} == {
        deals["rep"].pk,
        deals["teammate"].pk,
        deals["manager"].pk,
    }


def test_deal_search_ignores_accents_and_case_in_titles_and_organizations(rep: User, make_deal: Any) -> None:
    from salespipe.directory.services import organization_create

    make_deal(rep, title="Παπαδόπουλος: 12 άδειες")
    make_deal(rep, title="Renewal", organization_id=organization_create(actor=rep, name="Οικονόμου ΑΕ").pk)
    make_deal(rep, title="Acme")

    assert titles_matching(rep, "παπαδοπουλος") == {"Παπαδόπουλος: 12 άδειες"}
    assert titles_matching(rep, "ΟΙΚΟΝΟΜΟΥ") == {"Renewal"}


def titles_matching(actor: User, search: str) -> set[str]:
    return set(deal_list(actor=actor, search=search).values_list("title", flat=True))
