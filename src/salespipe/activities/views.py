"""The agenda: someone's planned activities, overdue, today and coming up, reckoned on their own clock.

A rep sees their own agenda; a manager can open a team member's, an admin anyone's. Days split at the
agenda owner's midnight and times show in their time zone, so a manager in Athens reading the agenda of
a rep in Singapore sees the rep's "today".

Completing, rescheduling and cancelling work in place: without JavaScript a POST redirects back with a
message; with htmx the groups are swapped out of band, and a refusal brings back the one item with its
form and the reason.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.cache import patch_vary_headers
from django.utils.html import format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from salespipe.activities import selectors, services
from salespipe.activities.forms import CompleteForm, RescheduleForm
from salespipe.activities.models import Activity, ActivityKind
from salespipe.activities.selectors import Agenda, AgendaBounds, AgendaPage
from salespipe.core.errors import NotFound, SalespipeError
from salespipe.core.web import actor_of, is_fragment_request
from salespipe.deals.models import DealStatus
from salespipe.deals.selectors import deal_get
from salespipe.people.models import Role, User

PAGE = "activities/agenda.html"

_TITLES = {
    "requests": gettext_lazy("Waiting for your answer"),
    "overdue": gettext_lazy("Overdue"),
    "today": gettext_lazy("Today"),
    "upcoming": gettext_lazy("Upcoming"),
    "later": gettext_lazy("Later"),
}
_EMPTY = {
    "requests": gettext_lazy("No information request is waiting for an answer."),
    "overdue": gettext_lazy("Nothing overdue."),
    "today": gettext_lazy("Nothing planned for today."),
    "upcoming": gettext_lazy("Nothing planned for the next two weeks."),
    "later": gettext_lazy("Nothing planned later."),
}


def _agenda_url(actor: User, owner: User, **params: str) -> str:
    query = {"owner": str(owner.pk)} if owner.pk != actor.pk else {}
    query.update(params)
    url = reverse("activities:agenda")
    return f"{url}?{urlencode(query)}" if query else url


def _owners(actor: User) -> list[User]:
    """Whose agenda the actor may open; a rep only their own (no query)."""
    if actor.role == Role.REP:
        return [actor]
    return list(selectors.activity_owner_list(actor=actor))


def _owner(request: HttpRequest, actor: User, owners: list[User]) -> User:
    raw = request.GET.get("owner", "")
    if not raw:
        return actor
    owner = next((user for user in owners if str(user.pk) == raw), None)
    if owner is None:
        raise Http404("There is no such user, or you may not see their agenda.")
    return owner


# The agenda writes some 60 values into each of up to 80 items, and Django's template engine spends
# microseconds on every one it looks up, translates, formats or reverses. So the items' times, kinds and
# addresses are worked out here, the words and each kind's outcomes once per response, and a fresh item's
# forms are written in the template from them instead of rendered from two Form objects per item, which
# took about half of the page's time. Only the item a refusal brings back is rendered from its forms,
# which hold what was typed and the errors; tests/web/test_agenda.py holds the two to the same markup.


@dataclass(frozen=True)
class Outcomes:
    """The outcome choice of a fresh complete form for one kind of activity."""

    options: SafeString
    required: bool


@dataclass(frozen=True)
class Due:
    """When an activity is due, on the owner's clock, as the item writes it."""

    iso: str
    day: str
    time: str
    # As the reschedule form's date and time inputs hold them.
    date_value: str
    time_value: str


@dataclass(frozen=True)
class AgendaItem:
    """A planned activity as the agenda shows it, with the addresses of its actions and the outcomes of its
    kind. The item a refusal brings back has its forms as they were sent and the reason."""

    activity: Activity
    id: str
    kind: str
    due: Due | None
    # When an information request came in, on the owner's clock.
    asked: str
    late: bool
    deal_url: str
    person_url: str
    organization_url: str
    complete_url: str
    reschedule_url: str
    cancel_url: str
    outcomes: Outcomes
    complete_form: CompleteForm | None = None
    reschedule_form: RescheduleForm | None = None
    error: str = ""
    open_action: str = ""


# Any id will do: reverse() writes it into an address, whose two ends then fit every other id.
_ANY_ID = 4242424242


def _address_of_each(name: str) -> Callable[[int | None], str]:
    """`reverse(name, args=[pk])` for every pk at the cost of one reverse() (some 30 µs); no pk, no
    address."""
    head, _any_id, tail = reverse(name, args=[_ANY_ID]).partition(str(_ANY_ID))
    return lambda pk: f"{head}{pk}{tail}" if pk is not None else ""


def _outcomes(kind: str) -> Outcomes:
    form = CompleteForm(kind=kind)
    # As the form's select writes them, the empty choice selected.
    options = format_html_join(
        "",
        '\n  <option value="{}"{}>{}</option>',
        ((value, " selected" if value == "" else "", label) for value, label in form.offered),
    )
    return Outcomes(options=options, required=form.outcome_required)


class AgendaItems:
    """The items of one response, and the words they all share."""

    def __init__(self, owner: User, now: dt.datetime) -> None:
        self.zone = owner.zone
        self.now = now
        self.words = {
            "answer_by": _("answer by"),
            "late": _("late"),
            "complete": _("Complete"),
            "outcome": str(CompleteForm.base_fields["outcome"].label),
            "note": str(CompleteForm.base_fields["note"].label),
            "mark_as_done": _("Mark as done"),
            "reschedule": _("Reschedule"),
            "date": str(RescheduleForm.base_fields["due_date"].label),
            "time": str(RescheduleForm.base_fields["due_time"].label),
            "on_the_clock": _("On the clock of %(zone)s.") % {"zone": owner.time_zone},
            "move_it": _("Move it"),
            "cancel_this": _("Cancel this activity?"),
            "cancel_it": _("Cancel it"),
        }
        self._kinds = {value: str(label) for value, label in ActivityKind.choices}
        self._outcomes: dict[str, Outcomes] = {}
        self._days: dict[dt.date, str] = {}
        self._deal_url = _address_of_each("deals:detail")
        self._person_url = _address_of_each("directory:person")
        self._organization_url = _address_of_each("directory:organization")
        self._complete_url = _address_of_each("activities:complete")
        self._reschedule_url = _address_of_each("activities:reschedule")
        self._cancel_url = _address_of_each("activities:cancel")

    def item(self, activity: Activity) -> AgendaItem:
        kind = activity.kind
        if kind not in self._outcomes:
            self._outcomes[kind] = _outcomes(kind)
        received_at = activity.received_at
        return AgendaItem(
            activity=activity,
            id=str(activity.pk),
            kind=self._kinds.get(kind, kind),
            due=self._due(activity.due_at) if activity.due_at else None,
            asked=formats.date_format(timezone.localtime(received_at, self.zone), "SHORT_DATETIME_FORMAT")
            if received_at
            else "",
            late=activity.due_at is not None and activity.due_at < self.now,
            deal_url=self._deal_url(activity.deal_id),
            person_url=self._person_url(activity.person_id),
            organization_url=self._organization_url(activity.organization_id),
            complete_url=self._complete_url(activity.pk),
            reschedule_url=self._reschedule_url(activity.pk),
            cancel_url=self._cancel_url(activity.pk),
            outcomes=self._outcomes[kind],
        )

    def refused(
        self,
        activity: Activity,
        *,
        error: str,
        open_action: str = "",
        complete_form: CompleteForm | None = None,
        reschedule_form: RescheduleForm | None = None,
    ) -> AgendaItem:
        """The item with the forms as they were sent (a fresh one for the other action) and the reason."""
        auto_id = f"id_agenda{activity.pk}_%s"
        due = timezone.localtime(activity.due_at, self.zone) if activity.due_at else None
        return replace(
            self.item(activity),
            complete_form=complete_form or CompleteForm(kind=activity.kind, auto_id=auto_id),
            reschedule_form=reschedule_form
            or RescheduleForm(
                zone=self.zone,
                auto_id=auto_id,
                initial={"due_date": due.date(), "due_time": due.time()} if due else {},
            ),
            error=error,
            open_action=open_action,
        )

    def _due(self, due_at: dt.datetime) -> Due:
        due = timezone.localtime(due_at, self.zone)
        day = due.date()
        if day not in self._days:
            self._days[day] = (
                f"{formats.date_format(day, 'D')} {formats.date_format(day, 'SHORT_DATE_FORMAT')}"
            )
        return Due(
            iso=due.isoformat(),
            day=self._days[day],
            time=formats.time_format(due, "TIME_FORMAT"),
            date_value=day.isoformat(),
            time_value=due.strftime("%H:%M"),
        )


@dataclass(frozen=True)
class Group:
    key: str
    title: str
    empty: str
    items: list[AgendaItem]
    # Query string parameters of the next page of this group, if there is one.
    more: dict[str, str] | None


def _group(key: str, page: AgendaPage, items: AgendaItems, *, more_key: str = "") -> Group:
    next_after = page.next_after
    return Group(
        key=key,
        title=str(_TITLES[key]),
        empty=str(_EMPTY[key]),
        items=[items.item(activity) for activity in page.activities],
        more={"group": more_key or key, "after": next_after} if next_after else None,
    )


def _groups(agenda: Agenda, items: AgendaItems) -> list[Group]:
    upcoming = _group("upcoming", agenda.upcoming, items)
    later = {"group": "later", "after": agenda.later_after} if agenda.later_after else None
    # The requests head the agenda only while there are some.
    requests = [_group("requests", agenda.requests, items)] if agenda.requests.activities else []
    return [
        *requests,
        _group("overdue", agenda.overdue, items),
        _group("today", agenda.today, items),
        Group(upcoming.key, upcoming.title, upcoming.empty, upcoming.items, later),
    ]


def _more_page(actor: User, owner: User, bounds: AgendaBounds, group: str, after: str) -> AgendaPage:
    """The page after `after` of one group; "later" runs on past the upcoming days without an end."""
    due_from, due_before = {
        "requests": (None, None),
        "overdue": (None, bounds.today_starts),
        "today": (bounds.today_starts, bounds.tomorrow_starts),
        "later": (bounds.tomorrow_starts, None),
    }[group]
    return selectors.agenda_page(
        actor=actor,
        owner_id=owner.pk,
        due_from=due_from,
        due_before=due_before,
        after=after,
        requests=group == "requests",
    )


def _context(actor: User, owner: User, owners: list[User], now: dt.datetime) -> dict[str, Any]:
    agenda = selectors.agenda_for(actor=actor, owner=owner, now=now)
    items = AgendaItems(owner, now)
    return {
        "actor": actor,
        "owner": owner,
        "owners": owners,
        "zone": owner.zone,
        "zone_name": owner.time_zone,
        "now": now,
        "today": agenda.bounds.today,
        "groups": _groups(agenda, items),
        "agenda_url": _agenda_url(actor, owner),
        "words": items.words,
    }


@require_GET
def agenda(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    owners = _owners(actor)
    owner = _owner(request, actor, owners)
    now = timezone.now()
    group = request.GET.get("group", "")
    after = request.GET.get("after", "")
    paging = group in ("requests", "overdue", "today", "later") and bool(after)
    if paging and is_fragment_request(request):
        bounds = selectors.agenda_bounds(now=now, zone=owner.zone)
        items = AgendaItems(owner, now)
        more = _group(group, _more_page(actor, owner, bounds, group, after), items)
        fragment = {"group": more, "owner": owner, "words": items.words}
        response = render(request, f"{PAGE}#agenda_items", fragment)
        patch_vary_headers(response, ("HX-Request",))
        return response
    context = _context(actor, owner, owners, now)
    if paging:
        # Without JavaScript "more" opens the page with that group continued from where it stopped.
        bounds = selectors.agenda_bounds(now=now, zone=owner.zone)
        more = _group(group, _more_page(actor, owner, bounds, group, after), AgendaItems(owner, now))
        replaced = "upcoming" if group == "later" else group
        context["groups"] = [more if g.key == replaced else g for g in context["groups"]]
        context["continued"] = more.key
    response = render(request, PAGE, context)
    patch_vary_headers(response, ("HX-Request",))
    return response


# --- acting on an activity in place ---------------------------------------------------------------------


def _activity_or_404(actor: User, activity_id: int) -> Activity:
    try:
        return selectors.activity_get(actor=actor, activity_id=activity_id)
    except NotFound as error:
        raise Http404(error.message) from None


def _changed(request: HttpRequest, activity: Activity, message: str, *, warning: str = "") -> HttpResponse:
    """After a change: back to the agenda with a message, or its groups swapped out of band."""
    actor = actor_of(request)
    owner = activity.owner
    if not is_fragment_request(request):
        messages.success(request, message)
        if warning:
            messages.warning(request, warning)
        return HttpResponseRedirect(_agenda_url(actor, owner))
    context = {
        **_context(actor, owner, [owner], timezone.now()),
        "notice": message,
        "warning": warning,
        "oob": True,
    }
    return HttpResponse(render_to_string(f"{PAGE}#agenda_groups", context, request=request))


def _refused(
    request: HttpRequest, activity: Activity, error: str, status: int, **failed: Any
) -> HttpResponse:
    """The item again with its form open and the reason; without htmx, back with the reason."""
    actor = actor_of(request)
    owner = activity.owner
    if not is_fragment_request(request):
        messages.error(request, error)
        return HttpResponseRedirect(_agenda_url(actor, owner))
    items = AgendaItems(owner, timezone.now())
    context = {
        "item": items.refused(activity, error=error, **failed),
        "owner": owner,
        "zone_name": owner.time_zone,
        "words": items.words,
    }
    response = HttpResponse(render_to_string(f"{PAGE}#agenda_item", context, request=request), status=status)
    response["HX-Retarget"] = f"#agenda-item-{activity.pk}"
    response["HX-Reswap"] = "outerHTML"
    return response


def _next_step_warning(actor: User, activity: Activity) -> str:
    """After an appointment is held the deal must get a next step (PRODUCT.md, practice 7)."""
    if activity.deal_id is None:
        return ""
    try:
        deal = deal_get(actor=actor, deal_id=activity.deal_id)
    except NotFound:
        return ""
    if deal.status != DealStatus.OPEN or deal.next_activity_at is not None:
        return ""
    return _("“%(deal)s” has no next step — schedule one.") % {"deal": deal.title}


@require_POST
def activity_complete(request: HttpRequest, activity_id: int) -> HttpResponse:
    actor = actor_of(request)
    activity = _activity_or_404(actor, activity_id)
    form = CompleteForm(request.POST, kind=activity.kind, auto_id=f"id_agenda{activity.pk}_%s")
    if not form.is_valid():
        return _refused(
            request, activity, _("Check the outcome."), 422, complete_form=form, open_action="complete"
        )
    try:
        services.activity_complete(actor=actor, activity_id=activity.pk, **form.complete_kwargs())
    except SalespipeError as error:
        return _refused(
            request, activity, error.message, error.http_status, complete_form=form, open_action="complete"
        )
    return _changed(
        request,
        activity,
        _("Done: %(subject)s.") % {"subject": activity.subject},
        warning=_next_step_warning(actor, activity),
    )


@require_POST
def activity_reschedule(request: HttpRequest, activity_id: int) -> HttpResponse:
    actor = actor_of(request)
    activity = _activity_or_404(actor, activity_id)
    zone = activity.owner.zone
    form = RescheduleForm(request.POST, zone=zone, auto_id=f"id_agenda{activity.pk}_%s")
    if not form.is_valid():
        return _refused(
            request,
            activity,
            _("Give a date and a time."),
            422,
            reschedule_form=form,
            open_action="reschedule",
        )
    try:
        moved = services.activity_reschedule(actor=actor, activity_id=activity.pk, due_at=form.due_at())
    except SalespipeError as error:
        return _refused(
            request,
            activity,
            error.message,
            error.http_status,
            reschedule_form=form,
            open_action="reschedule",
        )
    assert moved.due_at is not None
    when = formats.date_format(timezone.localtime(moved.due_at, zone), "DATETIME_FORMAT")
    return _changed(
        request,
        activity,
        _("Rescheduled: %(subject)s, now %(when)s.") % {"subject": activity.subject, "when": when},
    )


@require_POST
def activity_cancel(request: HttpRequest, activity_id: int) -> HttpResponse:
    actor = actor_of(request)
    activity = _activity_or_404(actor, activity_id)
    try:
        services.activity_cancel(actor=actor, activity_id=activity.pk)
    except SalespipeError as error:
        return _refused(request, activity, error.message, error.http_status)
    return _changed(request, activity, _("Cancelled: %(subject)s.") % {"subject": activity.subject})
