"""Reads for notifications: the calendar feed, the engine's reminders, what the worker finds due, and
what a daily digest and a manager's weekly digest hold."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, fields
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import CharField, Count, Exists, F, OuterRef, Q, QuerySet, Sum, Value, Window
from django.db.models.expressions import OrderBy
from django.db.models.functions import Cast, Concat

from salespipe.activities.models import Activity, ActivityKind
from salespipe.activities.selectors import agenda_bounds
from salespipe.analytics.advice import AdviceItem, advise
from salespipe.analytics.forecast import money, ratio
from salespipe.coaching.selectors import advice_facts, advice_thresholds
from salespipe.core.business_time import WorkingHours, is_working_time, working_hours_of
from salespipe.deals.models import Deal, DealStatus
from salespipe.notifications.models import CalendarFeed, EmailStatus, SentEmail
from salespipe.numbers.selectors import (
    NumbersReport,
    NumbersScope,
    OwnerNumbers,
    company_today,
    numbers_period,
    numbers_report,
    numbers_scope,
)
from salespipe.people.models import Team, User
from salespipe.people.selectors import owner_scope

# The feed shows the past month (what happened lately) and the coming year, at most this many events.
CALENDAR_PAST = dt.timedelta(days=30)
CALENDAR_AHEAD = dt.timedelta(days=366)
CALENDAR_MAX_ACTIVITIES = 2000


def calendar_feed_by_secret(*, secret: str) -> CalendarFeed | None:
    """The feed a secret URL opens, with its user; None for an unknown or rotated secret or an inactive
    user."""
    return CalendarFeed.objects.select_related("user").filter(secret=secret, user__is_active=True).first()


def calendar_feed_activities(*, user: User, now: dt.datetime) -> list[Activity]:
    """The user's own meetings and demos, reminders and other follow-ups (activities with a parent), and
    trials ending, from a month ago to a year ahead, cancelled ones included. One query."""
    since, until = now - CALENDAR_PAST, now + CALENDAR_AHEAD
    due_in_window = Q(due_at__gte=since, due_at__lt=until)
    shown = (
        Q(due_in_window, kind__in=[ActivityKind.MEETING, ActivityKind.DEMO])
        | Q(due_in_window, parent__isnull=False)
        | Q(kind=ActivityKind.TRIAL, parent__isnull=True, ends_at__gte=since, ends_at__lt=until)
    )
    return list(
        Activity.objects.filter(shown, owner=user)
        .select_related("deal", "person", "organization")
        .order_by("due_at", "id")[:CALENDAR_MAX_ACTIVITIES]
    )


def email_get(*, key: str) -> SentEmail | None:
    return SentEmail.objects.filter(key=key).first()


# --- the engine's reminders ---------------------------------------------------------------------------------

_PLANNED = Q(done_at__isnull=True, cancelled_at__isnull=True)
# The predicate of the partial index activity_purpose_unnotified, spelled the same way so that both
# SQLite and PostgreSQL see the query may use it.
UNNOTIFIED = Q(notified_at__isnull=True) & ~Q(purpose="")


def reminder_list(
    *,
    actor: User,
    owner_id: int | None = None,
    purpose: str | None = None,
    due_before: dt.datetime | None = None,
) -> QuerySet[Activity]:
    """Planned reminders and follow-ups the engine made (calls and emails before appointments, next
    steps, trial check-ins and decisions) that the actor may see: their own, a manager's teams' too,
    everybody's for an admin. An owner the actor may not see simply has none."""
    reminders = Activity.objects.filter(owner_scope(actor), _PLANNED, ~Q(purpose=""))
    if owner_id is not None:
        reminders = reminders.filter(owner_id=owner_id)
    if purpose:
        reminders = reminders.filter(purpose=purpose)
    if due_before is not None:
        reminders = reminders.filter(due_at__lt=due_before)
    return reminders.select_related("owner", "deal", "parent")


def reminders_due(
    *, now: dt.datetime, purpose: str | None = None, planned_only: bool = False, limit: int
) -> list[Activity]:
    """Engine-made activities due by `now` that the worker has not looked at yet, earliest first, with
    the meeting (or trial) each belongs to, its owner, team, person, deal and organization. One query,
    on the partial index of unnotified engine activities."""
    due = Activity.objects.filter(UNNOTIFIED, due_at__lte=now)
    if purpose:
        due = due.filter(purpose=purpose)
    if planned_only:
        due = due.filter(_PLANNED)
    return list(
        due.select_related(
            "owner",
            "parent",
            "parent__owner",
            "parent__owner__team",
            "parent__person",
            "parent__deal",
            "parent__organization",
        ).order_by("due_at", "id")[:limit]
    )


def emails_to_retry_count(*, now: dt.datetime) -> int:
    """Failed emails whose pause is over and queued ones whose task seems lost (see email_retry_due)."""
    return SentEmail.objects.filter(
        status__in=[EmailStatus.QUEUED, EmailStatus.FAILED], next_attempt_at__lte=now
    ).count()


def emails_queued_among(*, keys: list[str]) -> set[str]:
    """Which of these email keys were queued before (sent or not)."""
    return set(SentEmail.objects.filter(key__in=keys).values_list("key", flat=True)) if keys else set()


# --- the daily digest ---------------------------------------------------------------------------------------

DIGEST_KEY_PREFIX = "digest"
# Each section of a digest lists at most this many activities and says how many more there are.
DIGEST_SECTION_SIZE = 20


def digest_key(*, user_id: int, day: dt.date) -> str:
    """One digest per user and local date."""
    return f"{DIGEST_KEY_PREFIX}:{user_id}:{day.isoformat()}"


def digests_due(*, now: dt.datetime, limit: int) -> list[tuple[User, dt.date]]:
    """Users whose daily digest is due now, with their local date: active, with an email address and the
    digest on, at work now (a working day, at or after the start of their day and before its end), and
    not yet sent a digest for that date. One query: whether each candidate had the digest of each date
    someone on Earth may be living now (yesterday to tomorrow in UTC) is an indexed lookup of its key,
    so nothing is rendered again for whoever had theirs."""
    days = [(now.astimezone(dt.UTC) + dt.timedelta(days=offset)).date() for offset in (-1, 0, 1)]
    sent = {
        f"digest_sent_{index}": Exists(
            SentEmail.objects.filter(
                key=Concat(
                    Value(f"{DIGEST_KEY_PREFIX}:"),
                    Cast(OuterRef("pk"), output_field=CharField()),
                    Value(f":{day.isoformat()}"),
                    output_field=CharField(),
                )
            )
        )
        for index, day in enumerate(days)
    }
    candidates = (
        User.objects.filter(is_active=True, daily_digest=True)
        .exclude(email="")
        .annotate(**sent)
        .order_by("pk")
    )
    due: list[tuple[User, dt.date]] = []
    for user in candidates:
        try:
            hours = working_hours_of(user)
        except ValueError:
            continue  # broken working hours (edited in the database): no day to start
        if not is_working_time(now, hours):
            continue
        day = now.astimezone(hours.zone).date()
        if day in days and getattr(user, f"digest_sent_{days.index(day)}"):
            continue
        due.append((user, day))
        if len(due) >= limit:
            break
    return due


@dataclass(frozen=True)
class DigestSection:
    """Up to DIGEST_SECTION_SIZE activities of one section, and how many there are in all."""

    activities: Sequence[Activity]
    total: int

    @property
    def more(self) -> int:
        return self.total - len(self.activities)


@dataclass(frozen=True)
class Digest:
    day: dt.date
    overdue: DigestSection
    today: DigestSection
    requests: DigestSection
    tomorrow: DigestSection

    @property
    def is_empty(self) -> bool:
        return not (self.overdue.total or self.today.total or self.requests.total or self.tomorrow.total)


def _section(activities: QuerySet[Activity], *, order: tuple[str | OrderBy, ...], size: int) -> DigestSection:
    # The window count is taken over every matching row before LIMIT: the list and its total in one query.
    rows = list(
        activities.select_related("deal", "person", "organization")
        .annotate(section_total=Window(Count("pk")))
        .order_by(*order)[:size]
    )
    return DigestSection(activities=rows, total=rows[0].section_total if rows else 0)


def digest_for(*, user: User, now: dt.datetime, size: int = DIGEST_SECTION_SIZE) -> Digest:
    """What a user's daily digest shows, reckoned on their own clock: planned activities overdue (due
    before today) and due today, information requests not answered yet (earliest deadline, so overdue,
    first) and the meetings and demos of tomorrow. Four queries whatever the backlog."""
    bounds = agenda_bounds(now=now, zone=user.zone, upcoming_days=1)
    planned = Activity.objects.filter(_PLANNED, owner=user)
    tasks = planned.exclude(kind=ActivityKind.INFO_REQUEST)
    by_due = ("due_at", "id")
    return Digest(
        day=bounds.today,
        overdue=_section(tasks.filter(due_at__lt=bounds.today_starts), order=by_due, size=size),
        today=_section(
            tasks.filter(due_at__gte=bounds.today_starts, due_at__lt=bounds.tomorrow_starts),
            order=by_due,
            size=size,
        ),
        requests=_section(
            planned.filter(kind=ActivityKind.INFO_REQUEST),
            order=(F("due_at").asc(nulls_last=True), "id"),
            size=size,
        ),
        tomorrow=_section(
            planned.filter(
                kind__in=[ActivityKind.MEETING, ActivityKind.DEMO],
                due_at__gte=bounds.tomorrow_starts,
                due_at__lt=bounds.later_starts,
            ),
            order=by_due,
            size=size,
        ),
    )


# --- the weekly digest to managers --------------------------------------------------------------------------

WEEKLY_DIGEST_KEY_PREFIX = "weekly-digest"
# Each rep's advice in the weekly digest: the few items that matter most, as the advice engine orders them.
WEEKLY_DIGEST_ADVICE_ITEMS = 3
# "This week" in the digest: the seven days up to the moment it is written.
WEEK = dt.timedelta(days=7)


def iso_week(day: dt.date) -> str:
    """The ISO week holding `day`, as people and keys write it: "2026-W10"."""
    year, week, _ = day.isocalendar()
    return f"{year:04d}-W{week:02d}"


def weekly_digest_key(*, user_id: int, week: str) -> str:
    """One weekly digest per manager and ISO week."""
    return f"{WEEKLY_DIGEST_KEY_PREFIX}:{user_id}:{week}"


def weekly_digest_starts(day: dt.date, hours: WorkingHours) -> dt.datetime:
    """When the weekly digest of the ISO week holding `day` falls due: the start of the working day on
    Monday, or on the first working day of that week when Monday is not one of them."""
    monday = day - dt.timedelta(days=day.isoweekday() - 1)
    first_working_day = monday + dt.timedelta(days=min(hours.weekdays) - 1)
    return dt.datetime.combine(first_working_day, hours.starts_at, tzinfo=hours.zone)


def _key_sent(prefix: str, suffix: str) -> Exists:
    """Whether the email keyed `<prefix>:<the outer user's id>:<suffix>` was queued: an indexed lookup."""
    return Exists(
        SentEmail.objects.filter(
            key=Concat(
                Value(f"{prefix}:"),
                Cast(OuterRef("pk"), output_field=CharField()),
                Value(f":{suffix}"),
                output_field=CharField(),
            )
        )
    )


def weekly_digests_due(*, now: dt.datetime, limit: int) -> list[tuple[User, str]]:
    """Managers whose weekly digest is due now, with their ISO week: active, with an email address and
    the weekly digest on, managing at least one team, at work now on their own clock, past the start of
    their week's first working day (`weekly_digest_starts`), and not yet sent that week's digest. A
    worker that was down on Monday morning finds it due later that week, in working hours; once the
    week is over, it is the next week's that falls due. One query: whether each manager had the digest
    of each week someone on Earth may be living now is an indexed lookup of its key."""
    weeks = sorted(
        {iso_week((now.astimezone(dt.UTC) + dt.timedelta(days=offset)).date()) for offset in (-1, 0, 1)}
    )
    sent = {
        f"weekly_sent_{index}": _key_sent(WEEKLY_DIGEST_KEY_PREFIX, week) for index, week in enumerate(weeks)
    }
    candidates = (
        User.objects.filter(
            Exists(Team.objects.filter(manager_id=OuterRef("pk"))), is_active=True, weekly_digest=True
        )
        .exclude(email="")
        .annotate(**sent)
        .order_by("pk")
    )
    due: list[tuple[User, str]] = []
    for user in candidates:
        try:
            hours = working_hours_of(user)
        except ValueError:
            continue  # broken working hours (edited in the database): no week to start
        day = now.astimezone(hours.zone).date()
        if not is_working_time(now, hours) or now < weekly_digest_starts(day, hours):
            continue
        week = iso_week(day)
        if week in weeks and getattr(user, f"weekly_sent_{weeks.index(week)}"):
            continue
        due.append((user, week))
        if len(due) >= limit:
            break
    return due


@dataclass(frozen=True)
class WeekChanges:
    """What changed in the seven days up to the digest: deals won (and the part of their value won inside
    the current period, which the attainment of a week ago leaves out), opened and lost."""

    won: Decimal = Decimal("0.00")
    won_deals: int = 0
    won_in_period: Decimal = Decimal("0.00")
    new_deals: int = 0
    new_value: Decimal = Decimal("0.00")
    lost_deals: int = 0
    lost_value: Decimal = Decimal("0.00")

    def __add__(self, other: WeekChanges) -> WeekChanges:
        return WeekChanges(*(getattr(self, each.name) + getattr(other, each.name) for each in fields(self)))


@dataclass(frozen=True)
class WeeklyRep:
    """One member of a team in the weekly digest: their numbers, their week, their first advice."""

    numbers: OwnerNumbers
    changes: WeekChanges
    advice: Sequence[AdviceItem]

    @property
    def user(self) -> User:
        return self.numbers.user


@dataclass(frozen=True)
class WeeklyTeam:
    team: Team
    report: NumbersReport  # the team's numbers for the current period (quarter)
    changes: WeekChanges
    reps: Sequence[WeeklyRep]

    @property
    def attainment_week_ago(self) -> Decimal | None:
        """Won a week ago (won now less what was won in the period since) ÷ the quota."""
        if self.report.quota.value is None:
            return None
        return ratio(self.report.won - self.changes.won_in_period, self.report.quota.value)


@dataclass(frozen=True)
class WeeklyDigest:
    week: str  # "2026-W10", on the manager's clock
    week_starts: dt.date  # its Monday
    since: dt.datetime  # "this week" is from here to `now`
    now: dt.datetime
    teams: Sequence[WeeklyTeam]


def _week_changes(
    scope: NumbersScope, *, since: dt.datetime, until: dt.datetime, period_starts: dt.datetime
) -> dict[int, WeekChanges]:
    """The week's won, new and lost deals of the scope's members, per owner: ONE grouped query."""
    won = Q(status=DealStatus.WON, won_at__gte=since, won_at__lt=until)
    new = Q(created_at__gte=since, created_at__lt=until)
    lost = Q(status=DealStatus.LOST, lost_at__gte=since, lost_at__lt=until)
    won_in_period = won & Q(won_at__gte=period_starts)
    rows = (
        Deal.objects.filter(scope.owns())
        .filter(won | new | lost)
        .values("owner_id")
        .annotate(
            won=Sum("base_value", filter=won),
            won_deals=Count("pk", filter=won),
            won_in_period=Sum("base_value", filter=won_in_period),
            new_deals=Count("pk", filter=new),
            new_value=Sum("base_value", filter=new),
            lost_deals=Count("pk", filter=lost),
            lost_value=Sum("base_value", filter=lost),
        )
        .order_by()
    )
    return {
        row["owner_id"]: WeekChanges(
            won=money(row["won"] or Decimal(0)),
            won_deals=row["won_deals"],
            won_in_period=money(row["won_in_period"] or Decimal(0)),
            new_deals=row["new_deals"],
            new_value=money(row["new_value"] or Decimal(0)),
            lost_deals=row["lost_deals"],
            lost_value=money(row["lost_value"] or Decimal(0)),
        )
        for row in rows
    }


def weekly_digest_for(*, manager: User, now: dt.datetime) -> WeeklyDigest:
    """What a manager's weekly digest shows for each team they manage (by name): the team's numbers for
    the current period with each member's line (My numbers' report, as the manager sees it), the week's
    changes (won, new and lost deals of the last seven days, in one grouped query per team), and each
    member's first `WEEKLY_DIGEST_ADVICE_ITEMS` advice items, their messages in the active language.

    Queries: a fixed number per team, and the advice engine's fixed number per member (it counts each
    rep's facts on its own), so a digest grows with the number of reps only through the advice."""
    day = now.astimezone(manager.zone).date()
    since = now - WEEK
    today = company_today(now)
    period = numbers_period(None, today=today)
    period_starts = dt.datetime.combine(period.starts_on, dt.time.min, tzinfo=ZoneInfo(settings.TIME_ZONE))
    thresholds = advice_thresholds()
    teams = []
    for team in Team.objects.filter(manager=manager).order_by("name"):
        scope = numbers_scope(actor=manager, team=team.name)
        report = numbers_report(actor=manager, scope=scope, period=period, now=now)
        changes = _week_changes(scope, since=since, until=now, period_starts=period_starts)
        reps = [
            WeeklyRep(
                numbers=line,
                changes=changes.get(line.user.pk, WeekChanges()),
                advice=advise(advice_facts(actor=manager, user=line.user, now=now), thresholds)[
                    :WEEKLY_DIGEST_ADVICE_ITEMS
                ],
            )
            for line in report.members
        ]
        teams.append(
            WeeklyTeam(
                team=team,
                report=report,
                changes=sum(changes.values(), WeekChanges()),
                reps=reps,
            )
        )
    return WeeklyDigest(
        week=iso_week(day),
        week_starts=day - dt.timedelta(days=day.isoweekday() - 1),
        since=since,
        now=now,
        teams=teams,
    )
