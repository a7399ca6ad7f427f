"""Random sequences of changes to a few deals, for the property tests of what the deal services keep
alongside the deals (stage outcomes, stage stays): the same moves, wins, losses, reopens and deletes,
and, where a test asks for them, reassignments and stage reorderings."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from hypothesis import strategies as st

from salespipe.core.errors import SalespipeError
from salespipe.deals.models import Deal, Stage
from salespipe.deals.pipelines import stage_move
from salespipe.deals.services import deal_delete, deal_lose, deal_move, deal_update, deal_win
from salespipe.people.models import User

DEALS = 3
CLOSE_AND_MOVE = ("win", "lose", "move", "delete")


def change_sequences(operations: Sequence[str]) -> st.SearchStrategy[list[tuple[int, str, int]]]:
    """Up to 14 changes: (which deal, what, a number that picks a stage or a direction)."""
    return st.lists(
        st.tuples(st.integers(0, DEALS - 1), st.sampled_from(operations), st.integers(0, 63)), max_size=14
    )


@dataclass(frozen=True)
class Actors:
    rep: User  # owns the deals and makes the changes
    admin: User | None = None  # reassigns deals and reorders stages
    teammate: User | None = None  # whom a deal is reassigned to, and back


def apply_changes(
    steps: Sequence[tuple[int, str, int]], *, deals: Sequence[Deal], stages: Sequence[Stage], actors: Actors
) -> None:
    """Apply each change as its user would; those the services refuse (already won, deleted, ...) change
    nothing and are passed over."""
    rep = actors.rep
    for number, operation, target in steps:
        deal_id = deals[number].pk
        stage = stages[target % len(stages)]
        try:
            if operation == "win":
                deal_win(actor=rep, deal_id=deal_id)
            elif operation == "lose":
                deal_lose(actor=rep, deal_id=deal_id, lost_reason="Chose a competitor")
            elif operation == "move":
                deal_move(actor=rep, deal_id=deal_id, stage_id=stage.pk, lost_reason="No budget")
            elif operation == "reassign":
                assert actors.admin is not None and actors.teammate is not None
                deal = Deal.objects.get(pk=deal_id)
                owner = actors.teammate if deal.owner_id == rep.pk else rep
                deal_update(
                    actor=actors.admin, deal_id=deal_id, expected_version=deal.version, owner_id=owner.pk
                )
            elif operation == "reorder":
                assert actors.admin is not None
                stage_move(actor=actors.admin, stage_id=stage.pk, direction="up" if target % 2 else "down")
            else:
                deal_delete(actor=rep, deal_id=deal_id)
        except (SalespipeError, Deal.DoesNotExist):
            pass
