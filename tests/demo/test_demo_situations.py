"""The default demo gives its reps different situations, and every advice code to someone.

The demo is generated once for the module (12 reps, 3,000 deals, seed 1, as `salespipe demo` makes it),
each rep's advice is read as an administrator sees it, and the database is rolled back.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pytest
import time_machine
from django.db import transaction

from salespipe.analytics.advice import (
    BIG_DEAL_AT_RISK,
    CLOSING_SKILLS,
    CODES,
    CONFIRM_DECISION_MAKER,
    FAMINE_AHEAD,
    MORE_COLD_CALLS,
    MORE_RESEARCH_AND_PRESENTATIONS,
    OFFER_TRIAL_OR_DEMO,
)
from salespipe.coaching.selectors import advice_for
from salespipe.demo.generator import (
    CROWDED,
    FAMINE,
    NEGLECTED_BIG_DEALS,
    SITUATIONS,
    STALLED,
    STARVED,
    STEADY,
    WEAK_CLOSER,
    WRONG_BUYER,
    demo_generate,
    rep_situation,
)
from salespipe.people.models import Role, User

TODAY = dt.date(2026, 11, 27)
NOW = dt.datetime(2026, 11, 27, 12, tzinfo=dt.UTC)

# The tests read only what the fixture found, but the mark must stay: pytest-django sets up the test
# database only for tests marked to use it, and without one the fixture would reach the real database.
pytestmark = pytest.mark.django_db


@dataclass(frozen=True)
class RepAdvice:
    username: str
    situation: str
    codes: frozenset[str]


@pytest.fixture(scope="module")
def advice(django_db_setup: None, django_db_blocker: Any) -> list[RepAdvice]:
    """Every rep of the default demo with their situation and the codes of their advice."""
    with django_db_blocker.unblock(), time_machine.travel(NOW, tick=False), transaction.atomic():
        demo_generate(reps=12, deals=3000, seed=1, today=TODAY)
        admin = User.objects.create_user(username="coach", role=Role.ADMIN, is_staff=True, is_superuser=True)
        reps = User.objects.filter(role=Role.REP).order_by("pk")
        found = [
            RepAdvice(
                username=rep.username,
                situation=rep_situation(number),
                codes=frozenset(item.code for item in advice_for(actor=admin, username=rep.username).items),
            )
            for number, rep in enumerate(reps)
        ]
        transaction.set_rollback(True)
    return found


def reps_in(advice: list[RepAdvice], situation: str) -> list[RepAdvice]:
    reps = [rep for rep in advice if rep.situation == situation]
    assert reps, f"no rep is {situation} in the default demo"
    return reps


def test_every_situation_is_in_the_default_demo_and_bigger_teams_repeat_them(advice: list[RepAdvice]) -> None:
    # given the default demo's reps (the fixture)
    # when their situations are listed, and those of a company of 200 reps
    default = {rep.situation for rep in advice}
    company = [rep_situation(number) for number in range(200)]

    # then every situation is there, the first rep (the demo's rep login) starved of appointments
    assert default == set(SITUATIONS)
    assert advice[0].situation == STARVED
    assert min(company.count(situation) for situation in SITUATIONS) >= 200 // len(SITUATIONS)


def test_every_advice_code_is_given_to_someone(advice: list[RepAdvice]) -> None:
    # given the default demo's reps (the fixture)
    # when their advice codes are put together
    given = set().union(*(rep.codes for rep in advice))

    # then none is missing
    assert given == set(CODES)


def test_a_rep_starved_of_appointments_is_told_to_make_more_cold_calls(advice: list[RepAdvice]) -> None:
    # given the reps whose late stages are full and who booked no appointments ahead
    starved = reps_in(advice, STARVED)

    # when their advice is read (the fixture)
    # then it says make more cold calls, not research and presentations
    for rep in starved:
        assert MORE_COLD_CALLS in rep.codes, rep
        assert MORE_RESEARCH_AND_PRESENTATIONS not in rep.codes, rep


def test_a_rep_with_a_crowded_top_of_the_funnel_is_told_to_research_and_present(
    advice: list[RepAdvice],
) -> None:
    # given the reps whose open deals are nearly all in the first two stages
    crowded = reps_in(advice, CROWDED)

    # when their advice is read (the fixture)
    # then it says do more research and presentations, not more cold calls
    for rep in crowded:
        assert MORE_RESEARCH_AND_PRESENTATIONS in rep.codes, rep
        assert MORE_COLD_CALLS not in rep.codes, rep


def test_a_rep_weak_at_closing_is_told_to_brush_up_closing_skills(advice: list[RepAdvice]) -> None:
    # given the reps who hold many meetings and win few of those deals
    weak = reps_in(advice, WEAK_CLOSER)

    # when their advice is read (the fixture)
    # then it says brush up closing skills, and no rep in another situation is told so on noise
    for rep in weak:
        assert CLOSING_SKILLS in rep.codes, rep
    assert not [rep for rep in advice if rep.situation != WEAK_CLOSER and CLOSING_SKILLS in rep.codes]


@pytest.mark.parametrize(
    ("situation", "code"),
    [
        (WRONG_BUYER, CONFIRM_DECISION_MAKER),
        (STALLED, OFFER_TRIAL_OR_DEMO),
        (NEGLECTED_BIG_DEALS, BIG_DEAL_AT_RISK),
        (FAMINE, FAMINE_AHEAD),
    ],
)
def test_each_other_situation_gets_the_advice_it_calls_for(
    advice: list[RepAdvice], situation: str, code: str
) -> None:
    # given the reps in a situation
    reps = reps_in(advice, situation)

    # when their advice is read (the fixture)
    # then it has the item for it
    for rep in reps:
        assert code in rep.codes, rep


def test_a_steady_rep_gets_none_of_the_pipeline_balance_or_closing_advice(advice: list[RepAdvice]) -> None:
    # given the reps in none of the situations
    steady = reps_in(advice, STEADY)

    # when their advice is read (the fixture)
    # then it has neither balance item nor closing skills
    for rep in steady:
        assert not rep.codes & {MORE_COLD_CALLS, MORE_RESEARCH_AND_PRESENTATIONS, CLOSING_SKILLS}, rep
