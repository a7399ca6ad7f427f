"""Previous / next period and month / quarter / year links, shared by the pages that show a period
(My numbers, the team page, the leaderboard)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from salespipe.analytics.periods import MONTH, QUARTER, YEAR, Period, period_containing

KINDS = ((MONTH, gettext_lazy("Month")), (QUARTER, gettext_lazy("Quarter")), (YEAR, gettext_lazy("Year")))


@dataclass(frozen=True)
class PeriodLink:
    label: str
    url: str
    current: bool = False


@dataclass(frozen=True)
class PeriodNav:
    previous: PeriodLink
    next: PeriodLink
    kinds: list[PeriodLink]
    today: PeriodLink | None  # back to the period containing today, when another is shown


def period_nav(period: Period, today: dt.date, url_for: Callable[[str], str]) -> PeriodNav:
    """The links around `period`; `url_for(label)` is the page's address for another period."""
    fiscal = settings.FISCAL_YEAR_START_MONTH

    def link(other: Period, label: str = "", current: bool = False) -> PeriodLink:
        return PeriodLink(label or other.label, url_for(other.label), current)

    one_day = dt.timedelta(days=1)
    previous = period_containing(period.starts_on - one_day, period.kind, fiscal_year_start_month=fiscal)
    following = period_containing(period.ends_on + one_day, period.kind, fiscal_year_start_month=fiscal)
    # Switching kind keeps today in view when the period shown holds it, else the period's first day.
    anchor = today if today in period else period.starts_on
    kinds = [
        link(period_containing(anchor, kind, fiscal_year_start_month=fiscal), str(label), kind == period.kind)
        for kind, label in KINDS
    ]
    current = period_containing(today, period.kind, fiscal_year_start_month=fiscal)
    back = None if today in period else link(current, _("Back to %(period)s") % {"period": current.label})
    return PeriodNav(link(previous), link(following), kinds, back)
