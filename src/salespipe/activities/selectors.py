"""Reads of activities: a user's own, those of the people they manage, and those on deals they see."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from salespipe.activities.models import Activity, ActivityKind, ActivityPurpose
from salespipe.core.errors import InvalidInput, NotFound
from salespipe.deals.models import Deal
from salespipe.people.models import Role, User
from salespipe.people.selectors import owner_scope, visible_user_ids

ACTIVITY_STATES = ("planned", "overdue", "done", "cancelled")


def _visible(actor: User) -> Q:
    return owner_scope(actor) | owner_scope(actor, owner_field="deal__owner")


def _visible_of(actor: User, activities: QuerySet[Activity]) -> QuerySet[Activity]:
    """`activities` narrowed to the actor's: those they (or their teams) own, and those on deals they see.
    As the union of two id lists, each read from its own index (the owners' activities; the activities of
    the owners' deals): the same rule as `_visible`, whose OR across the deal join made the database walk
    every planned activity of everyone (0.8 s for one rep's first page at a million deals, 10 ms now)."""
    if actor.role == Role.ADMIN:
        return activities
    owners = User.objects.filter(visible_user_ids(actor)).values("pk")
    their_deals = Deal.objects.filter(owner_id__in=owners).values("pk")
    # Unordered: SQLite takes no ORDER BY inside the parts of a UNION (Django 5.2 refuses to write one).
    owned = activities.filter(owner_id__in=owners).order_by().values("pk")
    on_their_deals = activities.filter(deal_id__in=their_deals).order_by().values("pk")
    return Activity.objects.filter(pk__in=owned.union(on_their_deals))


def activity_list(
    *,
    actor: User,
    owner_id: int | None = None,
    deal_id: int | None = None,
    person_id: int | None = None,
    kind: str | None = None,
    purpose: str | None = None,
    state: str | None = None,
    due_from: dt.datetime | None = None,
    due_to: dt.datetime | None = None,
) -> QuerySet[Activity]:
    activities = Activity.objects.all()
    filters = {
        "owner_id": owner_id,
        "deal_id": deal_id,
        "person_id": person_id,
        "kind": kind,
        "purpose": purpose,
        "due_at__gte": due_from,
        "due_at__lt": due_to,
    }
    activities = activities.filter(**{key: value for key, value in filters.items() if value is not None})
    if state is not None:
        if state not in ACTIVITY_STATES:
            raise InvalidInput(
                _("State must be one of: %(states)s.") % {"states": ", ".join(ACTIVITY_STATES)},
                fields={"state": _("unknown")},
            )
        if state in ("planned", "overdue"):
            activities = activities.filter(done_at__isnull=True, cancelled_at__isnull=True)
        if state == "overdue":
            activities = activities.filter(due_at__lt=timezone.now())
        if state == "done":
            activities = activities.filter(done_at__isnull=False)
        if state == "cancelled":
            activities = activities.filter(cancelled_at__isnull=False)
    return _visible_of(actor, activities).select_related("owner", "deal", "person").order_by("-id")


def activity_get(*, actor: User, activity_id: int) -> Activity:
    activity = (
        Activity.objects.filter(_visible(actor), pk=activity_id)
        .select_related("owner", "deal", "person")
        .first()
    )
    if activity is None:
        raise NotFound(_("There is no activity with id %(id)s, or you may not see it.") % {"id": activity_id})
    return activity


# --- the deal page and the agenda -------------------------------------------------------------------------

# Each agenda group and each "more" page shows at most this many activities: the page costs the same
# whatever the backlog.
AGENDA_PAGE_SIZE = 20
# "Upcoming" covers tomorrow and the 13 days after it; "Later" pages on beyond.
AGENDA_UPCOMING_DAYS = 14


def _planned() -> Q:
    return Q(done_at__isnull=True, cancelled_at__isnull=True)


def activity_next_step(*, deal_id: int) -> Activity | None:
    """The deal's next step: its earliest planned activity. `deal_id` must be a deal the caller got from a
    scoped selector (deal_get): every activity on a visible deal is visible."""
    return (
        Activity.objects.filter(_planned(), deal_id=deal_id, due_at__isnull=False)
        # The prompt to agree a next step is not one (as on the board, deal_refresh_activity_marks).
        .exclude(purpose=ActivityPurpose.NEXT_STEP)
        .select_related("owner")
        .order_by("due_at", "id")
        .first()
    )


def activity_owner_list(*, actor: User) -> QuerySet[User]:
    """People whose agenda the actor may open and to whom they may give work: themselves, for a manager
    also their teams' members, for an admin every active user."""
    return (
        User.objects.filter(visible_user_ids(actor), is_active=True)
        .select_related("team")
        .order_by("first_name", "last_name", "username")
    )


@dataclass(frozen=True)
class AgendaBounds:
    """Where the owner's local days begin, as aware instants: the agenda's groups split on these."""

    today: dt.date
    today_starts: dt.datetime
    tomorrow_starts: dt.datetime
    later_starts: dt.datetime


def agenda_bounds(
    *, now: dt.datetime, zone: dt.tzinfo, upcoming_days: int = AGENDA_UPCOMING_DAYS
) -> AgendaBounds:
    """Today is the date on the owner's clock, not the server's: at 01:00 UTC it is already the afternoon
    in Singapore and still the evening before in New York."""
    today = now.astimezone(zone).date()

    def day_starts(day: dt.date) -> dt.datetime:
        return dt.datetime.combine(day, dt.time.min, tzinfo=zone)

    return AgendaBounds(
        today=today,
        today_starts=day_starts(today),
        tomorrow_starts=day_starts(today + dt.timedelta(days=1)),
        later_starts=day_starts(today + dt.timedelta(days=1 + upcoming_days)),
    )


@dataclass(frozen=True)
class AgendaPage:
    """Planned activities of one agenda group in due order, and where the next page starts (None: no
    more)."""

    activities: list[Activity]
    next_after: str | None


def agenda_cursor(due_at: dt.datetime, activity_id: int) -> str:
    return f"{due_at.astimezone(dt.UTC).strftime('%Y%m%dT%H%M%S.%fZ')}~{activity_id}"


def _after_cursor(after: str) -> Q | None:
    raw_time, _, raw_id = after.partition("~")
    try:
        due_at = dt.datetime.strptime(raw_time, "%Y%m%dT%H%M%S.%fZ").replace(tzinfo=dt.UTC)
    except ValueError:
        return None
    if not raw_id.isdigit():
        return None
    return Q(due_at__gt=due_at) | Q(due_at=due_at, id__gt=int(raw_id))


# What an agenda item shows and links to, and no more: the four tables joined have 75 columns, and
# reading and converting all of them for 80 rows took about a third of the agenda's selector time.
# Reading anything else of them costs a query per item, which tests/web/test_agenda.py would count.
_AGENDA_FIELDS = (
    "kind",
    "subject",
    "note",
    "due_at",
    "duration_minutes",
    "received_at",
    "owner_id",
    "deal_id",
    "person_id",
    "organization_id",
    "deal__title",
    "person__first_name",
    "person__last_name",
    "person__phone",
    "person__email",
    "organization__name",
)


def agenda_page(
    *,
    actor: User,
    owner_id: int,
    due_from: dt.datetime | None,
    due_before: dt.datetime | None,
    after: str = "",
    limit: int = AGENDA_PAGE_SIZE,
    requests: bool | None = None,
) -> AgendaPage:
    """One page of an owner's planned activities due in [due_from, due_before), earliest first, with the
    deal, person and organization each links to, holding only what the agenda shows (_AGENDA_FIELDS). One
    query, on the partial index of planned activities by owner and due time. An owner the actor may not
    see has no activities for them. `requests`: only information requests (True), everything else
    (False), or all (None)."""
    activities = Activity.objects.filter(owner_scope(actor), _planned(), owner_id=owner_id)
    if requests is not None:
        activities = (activities.filter if requests else activities.exclude)(kind=ActivityKind.INFO_REQUEST)
    if due_from is not None:
        activities = activities.filter(due_at__gte=due_from)
    if due_before is not None:
        activities = activities.filter(due_at__lt=due_before)
    cursor = _after_cursor(after) if after else None
    if cursor is not None:
        activities = activities.filter(cursor)
    found = list(
        activities.select_related("deal", "person", "organization")
        .only(*_AGENDA_FIELDS)
        .order_by("due_at", "id")[: limit + 1]
    )
    more = len(found) > limit
    shown = found[:limit]
    last = shown[-1] if shown else None
    next_after = agenda_cursor(last.due_at, last.pk) if more and last and last.due_at else None
    return AgendaPage(activities=shown, next_after=next_after)


@dataclass(frozen=True)
class Agenda:
    bounds: AgendaBounds
    # Information requests waiting for an answer, by deadline: the seed says answer them at once, so
    # they head the agenda (the late ones first) instead of mixing with the day's calls.
    requests: AgendaPage
    overdue: AgendaPage
    today: AgendaPage
    upcoming: AgendaPage
    # Where "Later" continues after the upcoming days: after the last one shown, or at the end of the
    # window when it was not full. None: nothing planned later.
    later_after: str | None


def agenda_for(*, actor: User, owner: User, now: dt.datetime, limit: int = AGENDA_PAGE_SIZE) -> Agenda:
    """The owner's planned activities: overdue (due before their today), today, and the coming days,
    reckoned in the owner's time zone, and the information requests waiting for an answer above them. Four
    queries whatever the backlog."""
    bounds = agenda_bounds(now=now, zone=owner.zone)
    requests = agenda_page(
        actor=actor, owner_id=owner.pk, due_from=None, due_before=None, limit=limit, requests=True
    )
    overdue = agenda_page(
        actor=actor,
        owner_id=owner.pk,
        due_from=None,
        due_before=bounds.today_starts,
        limit=limit,
        requests=False,
    )
    today = agenda_page(
        actor=actor,
        owner_id=owner.pk,
        due_from=bounds.today_starts,
        due_before=bounds.tomorrow_starts,
        limit=limit,
        requests=False,
    )
    # Open-ended, so the same query also tells whether anything is planned after the upcoming days.
    ahead = agenda_page(
        actor=actor,
        owner_id=owner.pk,
        due_from=bounds.tomorrow_starts,
        due_before=None,
        limit=limit,
        requests=False,
    )
    in_window = [
        activity
        for activity in ahead.activities
        if activity.due_at is not None and activity.due_at < bounds.later_starts
    ]
    if len(in_window) < len(ahead.activities):
        later_after: str | None = agenda_cursor(bounds.later_starts, 0)
    else:
        later_after = ahead.next_after
    return Agenda(
        bounds=bounds,
        requests=requests,
        overdue=overdue,
        today=today,
        upcoming=AgendaPage(activities=in_window, next_after=None),
        later_after=later_after,
    )
