"""`analytics.sql.rollup`: the same rows grouped per owner, per team and in total, or at the levels asked."""

from __future__ import annotations

from typing import Any

import pytest
from django.db.models import F

from salespipe.analytics import sql
from salespipe.deals.models import Deal
from salespipe.people.models import User

pytestmark = pytest.mark.django_db

MEASURES = [sql.Measure("deals", "COUNT(*)"), sql.Measure("value", "SUM(k_value)")]


@pytest.fixture
def deals(rep: User, teammate: User, outsider: User, make_deal: Any) -> Any:
    for owner, value in ((rep, 100), (rep, 50), (teammate, 20), (outsider, 7)):
        make_deal(owner, value=value)
    return Deal.objects.annotate(
        k_owner=F("owner_id"), k_team=F("owner__team_id"), k_value=F("base_value")
    ).values("k_owner", "k_team", "k_value")


def test_every_level_by_default(deals: Any, rep: User, teammate: User) -> None:
    # when
    groups = sql.rollup(deals, MEASURES)

    # then
    assert groups[("owner", rep.pk)]["deals"] == 2
    assert groups[("team", rep.team_id)]["deals"] == 3
    assert groups[("all", None)]["deals"] == 4
    assert float(groups[("all", None)]["value"]) == 177


def test_only_the_levels_asked_come_back_with_the_same_figures(deals: Any, rep: User) -> None:
    # when
    everything = sql.rollup(deals, MEASURES)
    total = sql.rollup(deals, MEASURES, levels=("all",))
    teams = sql.rollup(deals, MEASURES, levels=("team",))

    # then
    assert total == {("all", None): everything[("all", None)]}
    assert teams == {key: row for key, row in everything.items() if key[0] == "team"}


@pytest.mark.parametrize("levels", [(), ("all", "company")])
def test_an_unknown_or_empty_level_is_refused(deals: Any, levels: tuple[str, ...]) -> None:
    with pytest.raises(ValueError, match="levels are some of"):
        sql.rollup(deals, MEASURES, levels=levels)
