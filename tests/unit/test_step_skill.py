"""Which selling skill a weak step calls for, by where the step sits against the appointment stage."""

from __future__ import annotations

import pytest

from salespipe.analytics.funnel import BOOKING, CLOSING, OPENING, PRESENTING, QUALIFYING, step_skill


@pytest.mark.parametrize(
    ("step", "skill"),
    [
        # Lead → Contacted → Qualified → Appointment (gate) → Demo/Trial → Proposal → Won
        (0, OPENING),
        (1, QUALIFYING),
        (2, BOOKING),
        (3, PRESENTING),
        (4, PRESENTING),
        (5, CLOSING),
    ],
)
def test_the_default_pipelines_steps_map_to_the_skills_to_coach(step: int, skill: str) -> None:
    assert step_skill(step, appointment=3, last=5) == skill


def test_an_appointment_right_after_the_first_stage_makes_the_first_step_booking() -> None:
    assert step_skill(0, appointment=1, last=3) == BOOKING


def test_an_appointment_stage_that_is_the_last_open_one_is_left_by_closing() -> None:
    assert step_skill(2, appointment=2, last=2) == CLOSING


def test_without_an_appointment_stage_the_first_step_opens_the_last_closes_the_rest_qualify() -> None:
    assert [step_skill(step, appointment=None, last=3) for step in range(4)] == [
        OPENING,
        QUALIFYING,
        QUALIFYING,
        CLOSING,
    ]
