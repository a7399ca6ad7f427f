"""Pure rules, tested without a database."""

from __future__ import annotations

from dataclasses import dataclass

from hypothesis import given
from hypothesis import strategies as st

from salespipe.core.text import fold
from salespipe.deals.gates import stages_entered


@dataclass
class FakeStage:
    name: str
    position: int
    kind: str = "open"
    requires_decision_maker: bool = False
    requires_budget: bool = False
    requires_timeline: bool = False


PIPELINE = [FakeStage(f"S{i}", i) for i in range(1, 7)] + [
    FakeStage("Won", 7, "won"),
    FakeStage("Lost", 8, "lost"),
]


@given(current=st.sampled_from([None, *PIPELINE]), target=st.sampled_from(PIPELINE))
def test_a_move_checks_the_target_and_every_open_stage_it_skips_forward(
    current: FakeStage | None, target: FakeStage
) -> None:
    entered = stages_entered(pipeline_stages=PIPELINE, current=current, target=target)
    start = current.position if current else 0

    assert entered[-1] is target
    if target.position <= start:
        assert entered == [target]
    else:
        assert [s.position for s in entered[:-1]] == [
            s.position for s in PIPELINE if start < s.position < target.position and s.kind == "open"
        ]


def test_folding_ignores_greek_accents_case_and_final_sigma() -> None:
    assert fold("  Παπαδόπουλος   ΑΕ ") == fold("παπαδοπουλοσ αε")
    assert fold("Ärger Café") == "arger cafe"


@given(st.text())
def test_folding_is_idempotent(text: str) -> None:
    assert fold(fold(text)) == fold(text)
