"""Which quota applies: the finest one set for each month, an exact period quota first, a team's members
added up when the team has none of its own, and the company as its teams plus the people in no team."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from salespipe.analytics.periods import period_parse
from salespipe.people.models import Team, User
from salespipe.quotas.resolution import MEMBERS, NONE, SET, quota_book
from salespipe.quotas.services import quota_set
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

OCTOBER, NOVEMBER, MARCH = dt.date(2026, 10, 1), dt.date(2026, 11, 1), dt.date(2026, 3, 1)
YEAR = dt.date(2026, 1, 1), dt.date(2026, 12, 1)


@pytest.fixture
def rep_quotas(admin_user: User, rep: User) -> None:
    """120 000 for 2026, tightened to 45 000 for its last quarter."""
    quota_set(actor=admin_user, user_id=rep.pk, period="2026", target_value="120000", target_deals=24)
    quota_set(actor=admin_user, user_id=rep.pk, period="2026-Q4", target_value="45000", target_deals=9)


def test_a_month_outside_the_quarterly_quota_takes_a_twelfth_of_the_yearly_one(
    rep: User, rep_quotas: None
) -> None:
    # when
    book = quota_book(user_ids=[rep.pk], first_month=YEAR[0], last_month=YEAR[1])

    # then
    share = book.user_month(rep.pk, MARCH)
    assert share is not None
    assert share.value == Decimal(10_000)
    assert share.deals == Decimal(2)


def test_a_month_inside_the_quarterly_quota_takes_a_third_of_the_quarter(rep: User, rep_quotas: None) -> None:
    # when
    book = quota_book(user_ids=[rep.pk], first_month=YEAR[0], last_month=YEAR[1])

    # then
    share = book.user_month(rep.pk, NOVEMBER)
    assert share is not None
    assert share.value == Decimal(15_000)
    assert share.deals == Decimal(3)
    assert book.user_period(rep.pk, period_parse("2026-11")).value == Decimal("15000.00")


def test_a_period_with_a_quota_of_its_own_takes_it_exactly(rep: User, rep_quotas: None) -> None:
    # when
    book = quota_book(user_ids=[rep.pk], first_month=YEAR[0], last_month=YEAR[1])

    # then the quarter and the year are what was set for them, not the sum of their months
    quarter = book.user_period(rep.pk, period_parse("2026-Q4"))
    assert (quarter.value, quarter.deals, quarter.source) == (Decimal("45000.00"), 9, SET)
    year = book.user_period(rep.pk, period_parse("2026"))
    assert (year.value, year.deals, year.source) == (Decimal("120000.00"), 24, SET)


def test_a_period_without_a_quota_of_its_own_adds_up_its_months(rep: User, rep_quotas: None) -> None:
    # when
    book = quota_book(user_ids=[rep.pk], first_month=YEAR[0], last_month=YEAR[1])

    # then Q3 is three twelfths of the year
    third_quarter = book.user_period(rep.pk, period_parse("2026-Q3"))
    assert (third_quarter.value, third_quarter.deals, third_quarter.source) == (Decimal("30000.00"), 6, SET)


def test_thirds_of_a_quarter_add_back_up_to_the_quarter(admin_user: User, rep: User) -> None:
    # given a quarter that does not divide into whole cents
    quota_set(actor=admin_user, user_id=rep.pk, period="2026-Q4", target_value="100000", target_deals=10)

    # when
    book = quota_book(user_ids=[rep.pk], first_month=OCTOBER, last_month=dt.date(2026, 12, 1))

    # then each month shows its rounded third, and the months added up unrounded make the whole quarter
    assert book.user_period(rep.pk, period_parse("2026-10")).value == Decimal("33333.33")
    shares = [book.user_month(rep.pk, month) for month in period_parse("2026-Q4").month_starts]
    assert (
        sum((share.value for share in shares if share is not None), Decimal(0)).quantize(Decimal("0.01"))
        == 100_000
    )


def test_no_quota_covering_a_period_resolves_to_none(rep: User, rep_quotas: None) -> None:
    book = quota_book(user_ids=[rep.pk], first_month=YEAR[0], last_month=YEAR[1])
    resolved = book.user_period(rep.pk, period_parse("2027-Q1"))
    assert (resolved.value, resolved.deals, resolved.source) == (None, None, NONE)


def test_a_team_without_a_quota_of_its_own_has_its_members_quotas_added_up(
    admin_user: User, team: Team, rep: User, teammate: User, rep_quotas: None
) -> None:
    # given the teammate's own quota for the quarter
    quota_set(actor=admin_user, user_id=teammate.pk, period="2026-Q4", target_value="30000")

    # when
    book = quota_book(team_ids=[team.pk], first_month=OCTOBER, last_month=dt.date(2026, 12, 1))

    # then
    quarter = book.team_period(team.pk, period_parse("2026-Q4"))
    assert (quarter.value, quarter.source) == (Decimal("75000.00"), MEMBERS)
    november, source = book.team_month(team.pk, NOVEMBER)
    assert november is not None
    assert (november.value, source) == (Decimal(25_000), MEMBERS)


def test_a_team_quota_overrides_its_members(
    admin_user: User, team: Team, rep: User, teammate: User, rep_quotas: None
) -> None:
    # given the team's own quota for the quarter
    quota_set(actor=admin_user, team_id=team.pk, period="2026-Q4", target_value="90000")

    # when
    book = quota_book(team_ids=[team.pk], first_month=OCTOBER, last_month=dt.date(2026, 12, 1))

    # then the quarter and each of its months take the team's
    quarter = book.team_period(team.pk, period_parse("2026-Q4"))
    assert (quarter.value, quarter.source) == (Decimal("90000.00"), SET)
    november, source = book.team_month(team.pk, NOVEMBER)
    assert november is not None
    assert (november.value, source) == (Decimal(30_000), SET)


def test_the_company_is_its_teams_plus_the_people_in_no_team(
    admin_user: User, team: Team, rep: User, teammate: User, outsider: User
) -> None:
    # given Athens with a team quota that overrides its members', Berlin with only its member's, and a
    # seller in no team
    loner = UserFactory(username="loner")
    quota_set(actor=admin_user, team_id=team.pk, period="2026-Q4", target_value="90000")
    quota_set(actor=admin_user, user_id=rep.pk, period="2026-Q4", target_value="45000")
    quota_set(actor=admin_user, user_id=outsider.pk, period="2026-Q4", target_value="30000")
    quota_set(actor=admin_user, user_id=loner.pk, period="2026", target_value="24000")

    # when
    book = quota_book(company=True, first_month=OCTOBER, last_month=dt.date(2026, 12, 1))

    # then 90 000 for Athens, 30 000 for Berlin and a quarter of the loner's year
    company = book.company_period(period_parse("2026-Q4"))
    assert (company.value, company.source) == (Decimal("126000.00"), MEMBERS)
    november = book.company_month(NOVEMBER)
    assert november is not None
    assert november.value == Decimal(42_000)


def test_a_teams_or_the_companys_book_is_read_in_two_queries_and_answered_from_memory(
    admin_user: User, team: Team, rep: User, teammate: User, rep_quotas: None, django_assert_num_queries: Any
) -> None:
    with django_assert_num_queries(2):
        book = quota_book(company=True, first_month=OCTOBER, last_month=dt.date(2026, 12, 1))
    with django_assert_num_queries(0):
        book.company_period(period_parse("2026-Q4"))
        book.team_period(team.pk, period_parse("2026-Q4"))


def test_one_persons_book_is_read_in_one_query(
    rep: User, rep_quotas: None, django_assert_num_queries: Any
) -> None:
    with django_assert_num_queries(1):
        book = quota_book(user_ids=[rep.pk], first_month=OCTOBER, last_month=dt.date(2026, 12, 1))
        assert book.user_period(rep.pk, period_parse("2026-Q4")).value == Decimal("45000.00")
