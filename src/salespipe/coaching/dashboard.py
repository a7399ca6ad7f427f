"""The manager's dashboard (`/team/`) and the leaderboard: a line per member of a team, what the team's
funnel looks like and how much it won month by month.

Each line puts together what a manager of a virtual team checks every week (PRODUCT.md, practice 12):

- the numbers for the period (attainment, expected, gap, coverage, commission earned) from
  `numbers.selectors.numbers_report` for the team, one call for everyone;
- appointments (meetings and demos) planned in the rep's own this week and next week, calls made and
  meetings and demos held this week, each week running Monday to Sunday on the rep's wall clock;
- rotting open deals (no completed activity and no stage change for the stage's rotting days) and open
  information requests, with how many are past their deadline;
- the weakest step: of the steps where the rep converts significantly worse than the rest of the team
  (`analytics.stats.compare_to_team`), the one where they lose most — the gap between the two rates
  weighted by how sure it is — with the evidence;
- the rep's local time now and the hours both they and the viewer are at work today (a pure function of
  the two people's working hours, `working_hours_overlap`);

and, for the charts, the team's funnel and its won value per month against the quota.

A rep's advice is not part of it: the advice engine (`coaching.selectors.advice_for`) works one person at
a time, so the page loads each rep's first item on its own (`views.advice_page`). Everything here is a
fixed number of queries whatever the number of reps or deals: the activity counts, the rotting deals and
the monthly trend are each one query grouped by owner (or conditional sums), never a query per rep
(tests/coaching/test_dashboard.py pins the count).
"""

from __future__ import annotations

import datetime as dt
import functools
import itertools
import operator
import zoneinfo
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db.models import Count, IntegerField, Q, Sum, Value
from django.utils import timezone
from django.utils.translation import gettext as _

from salespipe.activities.models import Activity, ActivityKind
from salespipe.analytics.forecast import money
from salespipe.analytics.funnel import WeakStep
from salespipe.analytics.periods import Period, add_months, month_period
from salespipe.analytics.selectors import NOT_HELD
from salespipe.coaching.selectors import advice_thresholds, weakest_of
from salespipe.core.business_time import WorkingHours, is_working_time, working_hours_of
from salespipe.core.errors import NotFound
from salespipe.deals.models import Deal, DealStatus, Stage, StageKind
from salespipe.insights import selectors as insights
from salespipe.numbers import selectors as numbers
from salespipe.numbers.selectors import NumbersReport, OwnerNumbers
from salespipe.people.models import Role, Team, User
from salespipe.quotas.resolution import quota_book

APPOINTMENT_KINDS = (ActivityKind.MEETING, ActivityKind.DEMO)
TREND_MONTHS = 6
# The window of the stage conversions compared for the weakest step and shown in the funnel: the insights'
# default, so the dashboard and /insights/ tell the same story.
WEAKNESS_WINDOW_DAYS = insights.DEFAULT_WINDOW_DAYS


# --- working hours side by side (pure) ------------------------------------------------------------------


@dataclass(frozen=True)
class Overlap:
    """When two people are both at work on one day: the shared stretches, as aware datetimes."""

    windows: tuple[tuple[dt.datetime, dt.datetime], ...]

    @property
    def total(self) -> dt.timedelta:
        # In UTC: two wall-clock times of one zone subtract as wall-clock times, so the hour repeated
        # when the clocks go back would count as none.
        return sum(
            (end.astimezone(dt.UTC) - start.astimezone(dt.UTC) for start, end in self.windows),
            dt.timedelta(0),
        )


def _working_window(day: dt.date, hours: WorkingHours) -> tuple[dt.datetime, dt.datetime] | None:
    """One local date's working hours as aware UTC datetimes; None on a day off (or a day whose hours
    vanish in a clock change)."""
    if day.isoweekday() not in hours.weekdays:
        return None
    start = dt.datetime.combine(day, hours.starts_at, tzinfo=hours.zone).astimezone(dt.UTC)
    end = dt.datetime.combine(day, hours.ends_at, tzinfo=hours.zone).astimezone(dt.UTC)
    return (start, end) if start < end else None


def working_hours_overlap(mine: WorkingHours, theirs: WorkingHours, *, day: dt.date) -> Overlap:
    """The stretches of my working day `day` (a date on my calendar) in which the other person is at
    work too, on their own calendar: a manager in Athens (09:00–17:00) and a rep in New York
    (09:00–17:00) share 16:00–17:00 Athens time; on my day off, or theirs, nothing. The stretches are in
    my time zone, earliest first; their total is what `working_time_between` counts for them over my
    day."""
    my_day = _working_window(day, mine)
    if my_day is None:
        return Overlap(())
    start, end = my_day
    # My working day spans at most two of their dates, and one before when they are far ahead of me.
    first = start.astimezone(theirs.zone).date() - dt.timedelta(days=1)
    last = end.astimezone(theirs.zone).date()
    windows = []
    while first <= last:
        their_day = _working_window(first, theirs)
        if their_day is not None:
            shared_start, shared_end = max(start, their_day[0]), min(end, their_day[1])
            if shared_start < shared_end:
                windows.append((shared_start.astimezone(mine.zone), shared_end.astimezone(mine.zone)))
        first += dt.timedelta(days=1)
    return Overlap(tuple(windows))


def week_bounds(now: dt.datetime, zone: zoneinfo.ZoneInfo) -> tuple[dt.datetime, dt.datetime, dt.datetime]:
    """The start of this week, of next week and of the week after, Monday 00:00 on that zone's clock."""
    today = now.astimezone(zone).date()
    monday = today - dt.timedelta(days=today.weekday())
    return tuple(  # type: ignore[return-value]
        dt.datetime.combine(monday + dt.timedelta(weeks=weeks), dt.time.min, tzinfo=zone)
        for weeks in range(3)
    )


# --- whose dashboard ------------------------------------------------------------------------------------


def dashboard_teams(*, actor: User) -> list[Team]:
    """The teams whose dashboard the actor may open: a manager's own, every team for an admin, none for a
    rep. One query."""
    if actor.role == Role.REP:
        return []
    teams = Team.objects.select_related("manager").order_by("name")
    if not actor.is_admin:
        teams = teams.filter(manager=actor)
    return list(teams)


def dashboard_team(*, actor: User, name: str | None, teams: Sequence[Team]) -> Team:
    """The team asked for by name, or the first of `teams` (from `dashboard_teams`). A team the actor may
    not open does not exist for them."""
    if actor.role == Role.REP:
        raise NotFound(_("The team dashboard is for sales managers and administrators."))
    if name:
        found = next((team for team in teams if team.name == name.strip()), None)
        if found is None:
            raise NotFound(_("There is no team '%(team)s', or you may not see it.") % {"team": name})
        return found
    if not teams:
        raise NotFound(
            _("You manage no team yet: an administrator makes you a team's manager in the settings.")
        )
    return teams[0]


# --- the lines ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RepActivity:
    booked_this_week: int = 0  # meetings and demos planned this week (rep's calendar)
    booked_next_week: int = 0
    calls_done: int = 0  # calls made this week
    meetings_done: int = 0  # meetings and demos held this week
    info_requests: int = 0  # open information requests
    info_requests_overdue: int = 0  # … past their response deadline


@dataclass(frozen=True)
class DealHealth:
    open_deals: int = 0
    rotting_deals: int = 0


@dataclass(frozen=True)
class RepLine:
    numbers: OwnerNumbers
    activity: RepActivity
    health: DealHealth
    weakest_step: WeakStep | None
    local_now: dt.datetime  # now on the rep's wall clock
    at_work: bool  # inside their working hours now
    overlap: Overlap  # with the viewer, on the viewer's today

    @property
    def user(self) -> User:
        return self.numbers.user


@dataclass(frozen=True)
class FunnelStage:
    """One open stage of the team's funnel: open deals now, and the cohort that entered it in the window."""

    stage_id: int
    name: str
    open_deals: int
    open_value: Decimal
    entered: int
    advanced: int

    @property
    def conversion(self) -> float | None:
        return self.advanced / self.entered if self.entered else None


@dataclass(frozen=True)
class TrendMonth:
    month: dt.date  # its first day
    won: Decimal
    won_deals: int
    quota: Decimal | None  # the team's quota for the month (its own, else its members' added up)


@dataclass(frozen=True)
class TeamDashboard:
    team: Team
    teams: list[Team]  # the ones the viewer may open (the picker)
    period: Period
    now: dt.datetime
    viewer_hours: WorkingHours
    report: NumbersReport  # the team's numbers; `lines` follow its members
    lines: list[RepLine]
    funnel: list[FunnelStage]
    funnel_window_days: int
    trend: list[TrendMonth]

    @property
    def currency(self) -> str:
        return self.report.currency


def team_dashboard(
    *,
    actor: User,
    team: Team,
    teams: list[Team],
    period: Period,
    now: dt.datetime | None = None,
    with_charts: bool = True,
) -> TeamDashboard:
    """Everything `/team/` shows for a team the actor may open (see `dashboard_team`), in a fixed number
    of queries: the stages' rotting days and the team's numbers, whose scan of the open deals also tallies
    every open deal per owner and stage (rotting deals, and the funnel's open deals); the insights' scope
    and one query of everyone's step cohorts (the weakest steps, and the funnel's conversions); one query
    of activities; with the charts, the monthly trend and its quotas. `with_charts=False` (the API)
    leaves the funnel and the trend empty."""
    now = now or timezone.now()
    # The numbers' own scan of the open deals tallies them for the rotting counts and the funnel too.
    report = team_numbers(
        actor=actor, team=team, period=period, now=now, tally_open_deals=True, rotting=_rotting(now)
    )
    members = [line.user for line in report.members]
    try:
        insight_scope: insights.InsightsScope | None = insights.insights_scope(
            actor=actor, team_id=team.pk, window_days=WEAKNESS_WINDOW_DAYS, now=now
        )
    except NotFound:
        insight_scope = None  # no default pipeline yet: no funnel and no steps to compare
    steps = None if insight_scope is None else insights.step_conversions(actor=actor, scope=insight_scope)
    weakest = {} if steps is None else _weakest_steps(steps)
    activity = _activity(members, now)
    open_now = _open_deals(report.open_tally)
    viewer = working_hours_of(actor)
    today = now.astimezone(viewer.zone).date()
    lines = []
    for line in report.members:
        user = line.user
        hours = working_hours_of(user)
        lines.append(
            RepLine(
                numbers=line,
                activity=activity.get(user.pk, RepActivity()),
                health=open_now.health.get(user.pk, DealHealth()),
                weakest_step=weakest.get(user.pk),
                local_now=now.astimezone(hours.zone),
                at_work=is_working_time(now, hours),
                overlap=working_hours_overlap(viewer, hours, day=today),
            )
        )
    return TeamDashboard(
        team=team,
        teams=teams,
        period=period,
        now=now,
        viewer_hours=viewer,
        report=report,
        lines=lines,
        funnel=_funnel(steps, open_now) if with_charts and steps else [],
        funnel_window_days=WEAKNESS_WINDOW_DAYS,
        trend=_trend(team, report.scope.member_ids, now) if with_charts else [],
    )


def _any_of(conditions: Iterable[Q]) -> Q | None:
    found = list(conditions)
    return functools.reduce(operator.or_, found) if found else None


def _per_zone(users: Sequence[User], now: dt.datetime, field: str, weeks: tuple[int, int]) -> Q:
    """Rows whose `field` falls in the owner's own weeks `weeks[0]` to `weeks[1]` (0: this week, 1:
    next week; end excluded), the owners grouped by time zone so the condition stays short."""
    by_zone: dict[str, list[int]] = defaultdict(list)
    for user in users:
        by_zone[user.time_zone].append(user.pk)
    conditions = []
    for zone_name, ids in by_zone.items():
        bounds = week_bounds(now, zoneinfo.ZoneInfo(zone_name))
        conditions.append(
            Q(owner_id__in=ids, **{f"{field}__gte": bounds[weeks[0]], f"{field}__lt": bounds[weeks[1]]})
        )
    found = _any_of(conditions)
    assert found is not None  # there is at least one user
    return found


def _activities(condition: Q | None = None) -> Count:
    """A count of activities by their owner, which is never empty: PostgreSQL's indexes do not hold the
    id, so counting ids would read each activity's row where the owner indexes answer alone."""
    return Count("owner_id", filter=condition)


def _activity(users: Sequence[User], now: dt.datetime) -> dict[int, RepActivity]:
    """Appointments planned this week and next, calls and meetings done this week, open and overdue
    information requests, per owner: ONE query of three grouped parts joined with UNION ALL, each walking
    its own index so that only the rows it counts are read — planned appointments in the two weeks (the
    agenda's partial index on owner and due time), open requests (owner, kind, done time: done is null)
    and calls and meetings done this week (the same index, done in the week)."""
    if not users:
        return {}
    ids = [user.pk for user in users]
    bounds = [week_bounds(now, user.zone) for user in users]
    zero = Value(0, output_field=IntegerField())
    planned = Activity.objects.filter(owner_id__in=ids, done_at__isnull=True, cancelled_at__isnull=True)
    appointments = (
        planned.filter(
            kind__in=APPOINTMENT_KINDS,
            due_at__gte=min(bound[0] for bound in bounds),
            due_at__lt=max(bound[2] for bound in bounds),
        )
        .values("owner_id")
        .annotate(
            this_week=_activities(_per_zone(users, now, "due_at", (0, 1))),
            next_week=_activities(_per_zone(users, now, "due_at", (1, 2))),
            calls=zero,
            meetings=zero,
            requests=zero,
            overdue=zero,
        )
        .order_by()
    )
    requests = (
        planned.filter(kind=ActivityKind.INFO_REQUEST)
        .values("owner_id")
        .annotate(
            this_week=zero,
            next_week=zero,
            calls=zero,
            meetings=zero,
            requests=_activities(),
            overdue=_activities(Q(due_at__lt=now)),
        )
        .order_by()
    )
    done = (
        Activity.objects.filter(
            owner_id__in=ids,
            kind__in=[ActivityKind.CALL, *APPOINTMENT_KINDS],
            done_at__gte=min(bound[0] for bound in bounds),
            done_at__lt=max(bound[1] for bound in bounds),
        )
        .filter(_per_zone(users, now, "done_at", (0, 1)))
        .values("owner_id")
        .annotate(
            this_week=zero,
            next_week=zero,
            calls=_activities(Q(kind=ActivityKind.CALL)),
            meetings=_activities(Q(kind__in=APPOINTMENT_KINDS) & ~Q(outcome__in=NOT_HELD)),
            requests=zero,
            overdue=zero,
        )
        .order_by()
    )
    counts: dict[int, dict[str, int]] = defaultdict(lambda: dict.fromkeys(_ACTIVITY_COUNTS, 0))
    rows: Iterable[dict[str, Any]] = appointments.union(requests, done, all=True).order_by()  # type: ignore[assignment]
    for row in rows:
        line = counts[row["owner_id"]]
        for column, field in _ACTIVITY_COUNTS.items():
            line[column] += row[field]
    return {owner_id: RepActivity(**values) for owner_id, values in counts.items()}


# RepActivity's fields, from the columns of `_activity`'s query.
_ACTIVITY_COUNTS = {
    "booked_this_week": "this_week",
    "booked_next_week": "next_week",
    "calls_done": "calls",
    "meetings_done": "meetings",
    "info_requests": "requests",
    "info_requests_overdue": "overdue",
}


def _rotting(now: dt.datetime) -> Q | None:
    """Open deals without progress (a completed activity or a stage change) for their stage's rotting
    days, as a condition on deals: one query for the stages' rotting days."""
    stages = Stage.objects.filter(kind=StageKind.OPEN, rotting_days__isnull=False).values_list(
        "pk", "rotting_days"
    )
    conditions = []
    for stage_id, days in stages:
        since = now - dt.timedelta(days=days or 0)
        conditions.append(
            Q(stage_id=stage_id, stage_entered_at__lt=since)
            & (Q(last_activity_at__isnull=True) | Q(last_activity_at__lt=since))
        )
    return _any_of(conditions)


@dataclass(frozen=True)
class _OpenDeals:
    """The team's open deals, counted per owner and stage."""

    health: dict[int, DealHealth]  # per owner
    by_stage: dict[int, tuple[int, Decimal]]  # per stage: deals and their value


def _open_deals(tally: dict[tuple[int, int], numbers.OpenTally]) -> _OpenDeals:
    """Open and rotting deals per owner, and open deals and value per stage (the funnel's), from the team's
    numbers' tally of the members' open deals per owner and stage."""
    health: dict[int, DealHealth] = {}
    by_stage: dict[int, tuple[int, Decimal]] = {}
    for (owner_id, stage_id), found in tally.items():
        mine = health.get(owner_id, DealHealth())
        health[owner_id] = DealHealth(mine.open_deals + found.deals, mine.rotting_deals + found.rotting_deals)
        deals, value = by_stage.get(stage_id, (0, Decimal(0)))
        by_stage[stage_id] = (deals + found.deals, value + found.value)
    return _OpenDeals(health, by_stage)


def _weakest_steps(steps: insights.StepConversions) -> dict[int, WeakStep]:
    """Per owner, the weak step where they lose most against the rest of the team (none when no step is
    significantly weak): `coaching.selectors.weakest_of`, as in their own advice."""
    limits = advice_thresholds()
    found = {
        owner_id: weakest_of(steps.stages, cohorts, steps.rest(owner_id), limits)
        for owner_id, cohorts in steps.owners.items()
    }
    return {owner_id: step for owner_id, step in found.items() if step is not None}


def _funnel(steps: insights.StepConversions, open_now: _OpenDeals) -> list[FunnelStage]:
    """The team's open deals per stage now and the stage conversions in the window (the step
    conversions' total): no query of its own."""
    return [
        FunnelStage(
            stage_id=stage.id,
            name=stage.name,
            open_deals=open_now.by_stage.get(stage.id, (0, Decimal(0)))[0],
            open_value=money(open_now.by_stage.get(stage.id, (0, Decimal(0)))[1]),
            entered=cohort.entered,
            advanced=cohort.advanced,
        )
        for stage, cohort in zip(steps.stages, steps.total, strict=True)
    ]


def _trend(team: Team, member_ids: Sequence[int], now: dt.datetime) -> list[TrendMonth]:
    """Won value and deals per month for the last `TREND_MONTHS` months (this one included, on the
    company's calendar) against the team's quota for each: one query of conditional sums over the won
    deals (no date function per row) and two for the quotas."""
    this_month = month_period(numbers.company_today(now)).starts_on
    months = [add_months(this_month, offset) for offset in range(1 - TREND_MONTHS, 1)]
    zone = zoneinfo.ZoneInfo(settings.TIME_ZONE)
    bounds = [
        dt.datetime.combine(month, dt.time.min, tzinfo=zone) for month in [*months, add_months(this_month, 1)]
    ]
    sums: dict[str, Any] = {}
    for index, (start, end) in enumerate(itertools.pairwise(bounds)):
        in_month = Q(won_at__gte=start, won_at__lt=end)
        sums[f"won_{index}"] = Sum("base_value", filter=in_month)
        sums[f"deals_{index}"] = Count("pk", filter=in_month)
    # Grouped per owner and added up here, as My numbers does: the query planners then walk each
    # member's wins through the (owner, won_at) index rather than the company's through (status, won_at).
    per_owner = (
        Deal.objects.filter(
            owner_id__in=list(member_ids), status=DealStatus.WON, won_at__gte=bounds[0], won_at__lt=bounds[-1]
        )
        .values("owner_id")
        .annotate(**sums)
        .order_by()
    )
    totals: dict[str, Any] = defaultdict(int)
    for row in per_owner:
        found: dict[str, Any] = dict(row)
        for name in sums:
            totals[name] += found[name] or 0
    book = quota_book(team_ids=[team.pk], first_month=months[0], last_month=months[-1])
    return [
        TrendMonth(
            month=month,
            won=money(totals[f"won_{index}"] or Decimal(0)),
            won_deals=totals[f"deals_{index}"] or 0,
            quota=book.team_period(team.pk, month_period(month)).value,
        )
        for index, month in enumerate(months)
    ]


# --- sorting and ranking --------------------------------------------------------------------------------


def _name(line: RepLine) -> str:
    return str(line.user).casefold()


SORTS: dict[str, Callable[[RepLine], Any]] = {
    "name": _name,
    "attainment": lambda line: line.numbers.numbers.attainment,
    "won": lambda line: line.numbers.won,
    "expected": lambda line: line.numbers.expected,
    "gap": lambda line: line.numbers.numbers.gap,
    "coverage": lambda line: line.numbers.numbers.coverage,
    "commission": lambda line: None if line.numbers.commission is None else line.numbers.commission.earned,
    "booked": lambda line: line.activity.booked_this_week + line.activity.booked_next_week,
    "calls": lambda line: line.activity.calls_done,
    "meetings": lambda line: line.activity.meetings_done,
    "rotting": lambda line: line.health.rotting_deals,
    "requests": lambda line: (line.activity.info_requests_overdue, line.activity.info_requests),
    "weakest": lambda line: None if line.weakest_step is None else line.weakest_step.shortfall,
    "local_time": lambda line: line.local_now.utcoffset(),
    "overlap": lambda line: line.overlap.total,
}


def sort_lines(lines: Sequence[RepLine], sort: str) -> list[RepLine]:
    """The lines by a column of `SORTS` (`-attainment`: highest first), names breaking ties; lines
    without the figure (no quota, no plan) last either way."""
    descending = sort.startswith("-")
    key = SORTS[sort.removeprefix("-")]
    by_name = sorted(lines, key=_name)
    present = [line for line in by_name if key(line) is not None]
    missing = [line for line in by_name if key(line) is None]
    return sorted(present, key=key, reverse=descending) + missing


@dataclass(frozen=True)
class Ranked:
    rank: int  # 1 for the first; tied lines share a rank ("1, 2, 2, 4")
    line: OwnerNumbers


def team_numbers(
    *,
    actor: User,
    team: Team,
    period: Period,
    now: dt.datetime | None = None,
    tally_open_deals: bool = False,
    rotting: Q | None = None,
) -> NumbersReport:
    """The team's numbers with a line per member (what the leaderboard ranks); to `tally_open_deals`, with
    every open deal of the members counted per stage as well, those matching `rotting` apart. Without the
    plan and the months ahead, which neither the team page nor the leaderboard shows."""
    scope = numbers.numbers_scope(actor=actor, team=team.name)
    return numbers.numbers_report(
        actor=actor,
        scope=scope,
        period=period,
        now=now,
        tally_open_deals=tally_open_deals,
        rotting=rotting,
        outlook=False,
    )


def leaderboard(lines: Sequence[OwnerNumbers]) -> list[Ranked]:
    """The members ranked by attainment, then by won value; those without a quota after everyone with
    one, by won value. Equal standings share a rank."""

    def standing(line: OwnerNumbers) -> tuple[int, Decimal, Decimal]:
        attainment = line.numbers.attainment
        return (0 if attainment is None else 1, attainment or Decimal(0), line.won)

    ordered = sorted(sorted(lines, key=lambda line: str(line.user).casefold()), key=standing, reverse=True)
    ranked: list[Ranked] = []
    for position, line in enumerate(ordered, start=1):
        tied = bool(ranked) and standing(ranked[-1].line) == standing(line)
        ranked.append(Ranked(ranked[-1].rank if tied else position, line))
    return ranked
