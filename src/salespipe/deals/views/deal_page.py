"""The deal page: a deal's header and next step, inline edits, qualification and contacts, and its
timeline of stage changes and activities.

Every form posts to its own URL and works without JavaScript: a POST ends in a redirect with a message,
or in the page again with the form's errors. htmx upgrades each form to a partial swap of the one
template's `{% partialdef %}` fragments:

- a change of the deal (an edit, a move, win, lose) answers with the summary, details and qualification
  fragments out of band, so every form on the page carries the deal's new version;
- a change of an activity answers with the timeline and the next step out of band;
- a refusal answers with the form that was sent, its errors shown, in the place it was sent from.

Edits carry the version of the deal they were filled in from; a stale one is refused with a conflict
message and changes nothing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from babel.numbers import format_currency, format_percent
from django import forms
from django.contrib import messages
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from salespipe.activities import services as activity_services
from salespipe.activities.forms import CompleteForm, RecordForm, RescheduleForm, ScheduleForm
from salespipe.activities.models import Activity, ActivityKind
from salespipe.activities.selectors import activity_get, activity_next_step, activity_owner_list
from salespipe.analytics.views import deal_suggestions_panel
from salespipe.core.errors import NotFound, SalespipeError, StaleVersion
from salespipe.core.web import actor_of, add_service_error, is_fragment_request
from salespipe.deals import selectors, services
from salespipe.deals.forms import (
    CONFIRMATION_CHOICES,
    FIELD_FORMS,
    ROLE_CHOICES,
    ConfirmAuthorityForm,
    ContactAddForm,
    ContactCreateForm,
    ContactRoleForm,
    ContactSearchForm,
    DealFieldForm,
    LoseForm,
    MoveForm,
    OwnerForm,
    VersionForm,
)
from salespipe.deals.models import BUYING_AUTHORITY_ROLES, Deal, DealContact, DealStatus, StageKind
from salespipe.deals.timeline import (
    Timeline,
    TimelineEntry,
    deal_contacts,
    deal_marks,
    deal_stage_path,
    deal_timeline,
    decision_maker_confirmed,
)
from salespipe.directory.selectors import person_list
from salespipe.directory.services import person_create
from salespipe.people.models import Role, User

PAGE = "deals/deal_detail.html"
CONTACT_SEARCH_RESULTS = 10

CONFLICT_MESSAGE = gettext_lazy(
    "This deal was changed by someone else since you opened it, so your change was not saved. "
    "Reload the page to see the current values, then make your change again."
)

# --- request helpers ------------------------------------------------------------------------------------


def _deal_or_404(actor: User, deal_id: int) -> Deal:
    """The deal, if the actor may see it; for anyone else it does not exist."""
    try:
        return selectors.deal_get(actor=actor, deal_id=deal_id)
    except NotFound as error:
        raise Http404(error.message) from None


def _detail_url(deal: Deal, anchor: str = "") -> str:
    url = reverse("deals:detail", args=[deal.pk])
    return f"{url}#{anchor}" if anchor else url


def _redirect(request: HttpRequest, deal: Deal, message: str, *, ok: bool, anchor: str = "") -> HttpResponse:
    (messages.success if ok else messages.error)(request, message)
    return HttpResponseRedirect(_detail_url(deal, anchor))


def _fragments(
    request: HttpRequest,
    context: dict[str, Any],
    names: Iterable[str],
    *,
    oob: Iterable[str] = (),
    status: int = 200,
    retarget: str = "",
) -> HttpResponse:
    """Fragments of the page: `names` for the request's own target, `oob` swapped out of band."""
    html = "".join(render_to_string(f"{PAGE}#{name}", context, request=request) for name in names)
    html += "".join(
        render_to_string(f"{PAGE}#{name}", {**context, "oob": True}, request=request) for name in oob
    )
    response = HttpResponse(html, status=status)
    if retarget:
        response["HX-Retarget"] = retarget
        response["HX-Reswap"] = "outerHTML"
    return response


# --- presentation ---------------------------------------------------------------------------------------


def _locale() -> str:
    return translation.to_locale(translation.get_language() or "en")


def _money(amount: Decimal | None, currency: str) -> str:
    return "" if amount is None else format_currency(amount, currency, locale=_locale())


def _percent(value: int) -> str:
    return format_percent(Decimal(value) / 100, locale=_locale())


def _date(value: dt.date | None) -> str:
    return "" if value is None else formats.date_format(value, "DATE_FORMAT")


@dataclass(frozen=True)
class FieldRow:
    """One inline-editable line of the page: what it shows, and whether the viewer may edit it."""

    group: str
    label: str
    display: str
    note: str = ""
    editable: bool = True


_LABELS = {
    "title": gettext_lazy("Title"),
    "value": gettext_lazy("Value"),
    "expected_close": gettext_lazy("Expected close"),
    "probability": gettext_lazy("Win probability"),
    "source": gettext_lazy("Source"),
    "owner": gettext_lazy("Owner"),
    "budget": gettext_lazy("Budget"),
    "decision_date": gettext_lazy("Decision date"),
    "urgency": gettext_lazy("Urgency"),
}
DETAIL_GROUPS = ("title", "value", "expected_close", "probability", "source", "owner")
QUALIFICATION_GROUPS = ("budget", "decision_date", "urgency")


def _may_reassign(actor: User) -> bool:
    # Only managers and admins can give a deal to someone else; the service enforces who exactly.
    return actor.role in (Role.MANAGER, Role.ADMIN)


def _field_row(deal: Deal, group: str, actor: User) -> FieldRow:
    label = str(_LABELS[group])
    if group == "title":
        return FieldRow(group, label, deal.title)
    if group == "value":
        return FieldRow(group, label, _money(deal.value, deal.currency))
    if group == "expected_close":
        return FieldRow(group, label, _date(deal.expected_close_date))
    if group == "probability":
        note = _("set by hand") if deal.probability is not None else _("the stage's default")
        return FieldRow(group, label, _percent(deal.win_probability), note=note)
    if group == "source":
        return FieldRow(group, label, deal.get_source_display())
    if group == "owner":
        return FieldRow(group, label, str(deal.owner), editable=_may_reassign(actor))
    if group == "budget":
        return FieldRow(group, label, _money(deal.budget_amount, deal.currency), note=deal.budget_evidence)
    if group == "decision_date":
        return FieldRow(group, label, _date(deal.decision_date))
    return FieldRow(group, label, deal.get_urgency_display())


@dataclass(frozen=True)
class EntryView:
    """A timeline entry with the forms its planned activity offers, and the refusal of the last try."""

    entry: TimelineEntry
    complete_form: CompleteForm | None = None
    reschedule_form: RescheduleForm | None = None
    error: str = ""
    open_action: str = ""


def _activity_forms(activity: Activity, zone: dt.tzinfo) -> tuple[CompleteForm, RescheduleForm]:
    due = timezone.localtime(activity.due_at, zone) if activity.due_at else None
    auto_id = f"id_activity{activity.pk}_%s"
    return (
        CompleteForm(kind=activity.kind, auto_id=auto_id),
        RescheduleForm(
            zone=zone,
            auto_id=auto_id,
            initial={"due_date": due.date(), "due_time": due.time()} if due else {},
        ),
    )


def _entry_view(entry: TimelineEntry, zone: dt.tzinfo, **failed: Any) -> EntryView:
    activity = entry.activity
    if activity is None or not activity.is_planned:
        return EntryView(entry=entry, error=failed.get("error", ""))
    complete_form, reschedule_form = _activity_forms(activity, zone)
    return EntryView(
        entry=entry,
        complete_form=failed.pop("complete_form", complete_form),
        reschedule_form=failed.pop("reschedule_form", reschedule_form),
        **failed,
    )


# --- what each fragment shows ---------------------------------------------------------------------------


def _summary_context(actor: User, deal: Deal) -> dict[str, Any]:
    """The header, the stage path, the next step and the editable fields (3 queries with the deal)."""
    stages = deal_stage_path(deal=deal)
    next_step = activity_next_step(deal_id=deal.pk)
    now = timezone.now()
    return {
        "deal": deal,
        "actor": actor,
        "version_form": VersionForm(initial={"version": deal.version}, auto_id=False),
        "stages": [stage for stage in stages if stage.kind == StageKind.OPEN],
        "is_open": deal.status == DealStatus.OPEN,
        "next_step": next_step,
        "marks": deal_marks(
            deal=deal,
            stage=deal.stage,
            next_step_due=next_step.due_at if next_step else None,
            now=now,
            today=timezone.localdate(now),
        ),
        "value_display": _money(deal.value, deal.currency),
        "weighted_display": _money(deal.weighted_value, deal.currency),
        "probability_display": _percent(deal.win_probability),
        "expected_close_display": _date(deal.expected_close_date),
        "detail_rows": [_field_row(deal, group, actor) for group in DETAIL_GROUPS],
        "qualification_rows": [_field_row(deal, group, actor) for group in QUALIFICATION_GROUPS],
        "lose_form": LoseForm(initial={"version": deal.version}, auto_id="id_lose_%s"),
    }


def _contacts_context(deal: Deal, **extra: Any) -> dict[str, Any]:
    contacts = list(deal_contacts(deal=deal))
    return {
        "deal": deal,
        "contacts": contacts,
        "decision_maker_confirmed": decision_maker_confirmed(contacts),
        "contact_search_form": ContactSearchForm(auto_id="id_contact_search_%s"),
        "contact_create_form": ContactCreateForm(auto_id="id_new_contact_%s"),
        **_contact_choices(),
        **extra,
    }


def _contact_choices() -> dict[str, Any]:
    return {
        "role_choices": ROLE_CHOICES,
        "confirmation_choices": CONFIRMATION_CHOICES,
        "buying_roles": [role.value for role in BUYING_AUTHORITY_ROLES],
    }


def _timeline_context(actor: User, deal: Deal, *, before: str = "") -> dict[str, Any]:
    timeline: Timeline = deal_timeline(deal=deal, before=before)
    return {
        "deal": deal,
        "timeline_before": before,
        "timeline_next": timeline.next_before,
        "timeline": [_entry_view(entry, actor.zone) for entry in timeline.entries],
        "zone_name": actor.time_zone,
    }


def _activity_forms_context(actor: User, **bound: Any) -> dict[str, Any]:
    return {
        "schedule_form": bound.get("schedule_form")
        or ScheduleForm(zone=actor.zone, auto_id="id_schedule_%s"),
        "record_form": bound.get("record_form") or RecordForm(auto_id="id_record_%s"),
        "user_zone": actor.time_zone,
    }


def _page(request: HttpRequest, deal: Deal, *, status: int = 200, **overrides: Any) -> HttpResponse:
    """The whole page, with any form that failed shown open with its errors."""
    actor = actor_of(request)
    context = {
        **_summary_context(actor, deal),
        **_contacts_context(deal),
        **_timeline_context(actor, deal, before=request.GET.get("before", "")),
        **_activity_forms_context(actor),
        "suggestions": deal_suggestions_panel(actor=actor, deal=deal),
        **overrides,
    }
    return render(request, PAGE, context, status=status)


# --- the page -------------------------------------------------------------------------------------------


@require_GET
def deal_detail(request: HttpRequest, deal_id: int) -> HttpResponse:
    deal = _deal_or_404(actor_of(request), deal_id)
    return _page(request, deal)


@require_GET
def deal_timeline_more(request: HttpRequest, deal_id: int) -> HttpResponse:
    """Older timeline entries after "show more": list items for htmx, else the page from there."""
    actor = actor_of(request)
    deal = _deal_or_404(actor, deal_id)
    before = request.GET.get("before", "")
    if not is_fragment_request(request):
        url = reverse("deals:detail", args=[deal.pk])
        return HttpResponseRedirect(f"{url}?{urlencode({'before': before})}#deal-timeline" if before else url)
    response = render(request, f"{PAGE}#timeline_entries", _timeline_context(actor, deal, before=before))
    patch_vary_headers(response, ("HX-Request",))
    return response


# --- inline edits ---------------------------------------------------------------------------------------


def _field_form(group: str, deal: Deal, actor: User, data: Any = None) -> DealFieldForm:
    form_class = FIELD_FORMS[group]
    initial = {name: getattr(deal, name) for name in form_class.base_fields if name != "version"}
    initial["version"] = deal.version
    kwargs: dict[str, Any] = {"data": data, "initial": initial, "auto_id": f"id_{group}_%s"}
    if form_class is OwnerForm:
        kwargs["owners"] = list(activity_owner_list(actor=actor))
    return form_class(**kwargs)


def _group_or_404(group: str, deal: Deal, actor: User) -> str:
    if group not in FIELD_FORMS or not _field_row(deal, group, actor).editable:
        raise Http404(f"There is no field group '{group}' you may edit.")
    return group


def _editing(
    request: HttpRequest, deal: Deal, group: str, form: DealFieldForm, *, status: int, conflict: bool = False
) -> HttpResponse:
    """The edit form of one group: the fragment for htmx, else the page with the form open."""
    actor = actor_of(request)
    editing = {
        "editing": group,
        "edit_form": form,
        "edit_row": _field_row(deal, group, actor),
        "conflict": conflict,
    }
    if is_fragment_request(request):
        context = {"deal": deal, **editing}
        return _fragments(
            request,
            context,
            ["field_form"],
            status=status,
            retarget=f"#field-{group}" if status >= 400 else "",
        )
    return _page(request, deal, status=status, **editing)


@require_GET
def deal_field(request: HttpRequest, deal_id: int, group: str) -> HttpResponse:
    """One field group as shown (cancelling an edit); without htmx, the page."""
    actor = actor_of(request)
    deal = _deal_or_404(actor, deal_id)
    group = _group_or_404(group, deal, actor)
    if not is_fragment_request(request):
        return HttpResponseRedirect(_detail_url(deal, f"field-{group}"))
    response = render(request, f"{PAGE}#field_row", {"deal": deal, "row": _field_row(deal, group, actor)})
    patch_vary_headers(response, ("HX-Request",))
    return response


@require_http_methods(["GET", "POST"])
def deal_field_edit(request: HttpRequest, deal_id: int, group: str) -> HttpResponse:
    """GET: the edit form of a field group, filled from the deal as it is now. POST: save it."""
    actor = actor_of(request)
    deal = _deal_or_404(actor, deal_id)
    group = _group_or_404(group, deal, actor)
    if request.method != "POST":
        form = _field_form(group, deal, actor)
        first = next(iter(form.visible_fields()), None)
        if first is not None:
            first.field.widget.attrs["autofocus"] = True
        response = _editing(request, deal, group, form, status=200)
        patch_vary_headers(response, ("HX-Request",))
        return response
    form = _field_form(group, deal, actor, request.POST)
    if not form.is_valid():
        return _editing(request, deal, group, form, status=422)
    try:
        services.deal_update(
            actor=actor, deal_id=deal.pk, expected_version=form.cleaned_data["version"], **form.changes()
        )
    except StaleVersion:
        form.add_error(None, str(CONFLICT_MESSAGE))
        return _editing(request, deal, group, form, status=412, conflict=True)
    except SalespipeError as error:
        add_service_error(form, error)
        return _editing(request, deal, group, form, status=error.http_status)
    message = _("Saved: %(field)s.") % {"field": _LABELS[group]}
    return _deal_changed(request, deal, message, anchor=f"field-{group}")


def _deal_changed(
    request: HttpRequest, deal: Deal, message: str, *, ok: bool = True, anchor: str = "", status: int = 200
) -> HttpResponse:
    """After a change of the deal (or a refusal of one): the fragments that carry its version."""
    if not is_fragment_request(request):
        return _redirect(request, deal, message, ok=ok, anchor=anchor)
    actor = actor_of(request)
    fresh = _deal_or_404(actor, deal.pk)
    context = {**_summary_context(actor, fresh), "notice": message, "notice_ok": ok}
    return _fragments(request, context, [], oob=["summary", "details", "qualification"], status=status)


# --- stage moves ----------------------------------------------------------------------------------------


def _stage_change(
    request: HttpRequest,
    deal: Deal,
    form: forms.Form,
    change: Callable[[int], Deal],
    done: Callable[[Deal], str],
) -> HttpResponse:
    if not form.is_valid():
        return _deal_changed(request, deal, _("Choose a stage."), ok=False, status=422)
    try:
        changed = change(form.cleaned_data["version"])
    except StaleVersion:
        return _deal_changed(request, deal, str(CONFLICT_MESSAGE), ok=False, status=412)
    except SalespipeError as error:
        return _deal_changed(request, deal, error.message, ok=False, status=error.http_status)
    return _deal_changed(request, changed, done(changed))


@require_POST
def deal_move(request: HttpRequest, deal_id: int) -> HttpResponse:
    actor = actor_of(request)
    deal = _deal_or_404(actor, deal_id)
    form = MoveForm(request.POST)
    return _stage_change(
        request,
        deal,
        form,
        lambda version: services.deal_move(
            actor=actor, deal_id=deal.pk, stage_id=form.cleaned_data["stage_id"], expected_version=version
        ),
        lambda moved: _("Moved to %(stage)s.") % {"stage": moved.stage.name},
    )


@require_POST
def deal_win(request: HttpRequest, deal_id: int) -> HttpResponse:
    actor = actor_of(request)
    deal = _deal_or_404(actor, deal_id)
    return _stage_change(
        request,
        deal,
        VersionForm(request.POST),
        lambda version: services.deal_win(actor=actor, deal_id=deal.pk, expected_version=version),
        lambda won: _("Won: %(title)s. Well done!") % {"title": won.title},
    )


@require_POST
def deal_lose(request: HttpRequest, deal_id: int) -> HttpResponse:
    actor = actor_of(request)
    deal = _deal_or_404(actor, deal_id)
    form = LoseForm(request.POST)
    return _stage_change(
        request,
        deal,
        form,
        lambda version: services.deal_lose(
            actor=actor,
            deal_id=deal.pk,
            lost_reason=form.cleaned_data["lost_reason"],
            expected_version=version,
        ),
        lambda lost: _("Marked as lost: %(title)s.") % {"title": lost.title},
    )


# --- contacts and buying authority ----------------------------------------------------------------------


def _contacts_changed(
    request: HttpRequest, deal: Deal, message: str, *, ok: bool = True, status: int = 200, **extra: Any
) -> HttpResponse:
    if not is_fragment_request(request):
        return _redirect(request, deal, message, ok=ok, anchor="deal-contacts")
    context = _contacts_context(deal, contacts_notice=message, contacts_notice_ok=ok, **extra)
    return _fragments(request, context, ["contacts"], status=status)


def _contact_or_404(actor: User, deal: Deal, contact_id: int) -> DealContact:
    try:
        contact = selectors.deal_contact_get(actor=actor, deal_contact_id=contact_id)
    except NotFound as error:
        raise Http404(error.message) from None
    if contact.deal_id != deal.pk:
        raise Http404("That contact is not on this deal.")
    return contact


def _contact_call(
    request: HttpRequest, deal: Deal, call: Callable[[], object], message: Callable[[], str]
) -> HttpResponse:
    try:
        call()
    except SalespipeError as error:
        return _contacts_changed(request, deal, error.message, ok=False, status=error.http_status)
    return _contacts_changed(request, deal, message())


@require_GET
def contact_search(request: HttpRequest, deal_id: int) -> HttpResponse:
    """People in the directory matching the search, each to add to the deal with a role."""
    actor = actor_of(request)
    deal = _deal_or_404(actor, deal_id)
    form = ContactSearchForm(request.GET, auto_id="id_contact_search_%s")
    query = form.cleaned_data["q"].strip() if form.is_valid() else ""
    people = list(person_list(actor=actor, search=query)[:CONTACT_SEARCH_RESULTS]) if query else []
    results = {
        "contact_query": query,
        "contact_results": people,
        **_contact_choices(),
    }
    if is_fragment_request(request):
        response = render(request, f"{PAGE}#contact_results", {"deal": deal, **results})
    else:
        response = _page(request, deal, **results, contact_search_form=form)
    patch_vary_headers(response, ("HX-Request",))
    return response


@require_POST
def contact_add(request: HttpRequest, deal_id: int) -> HttpResponse:
    actor = actor_of(request)
    deal = _deal_or_404(actor, deal_id)
    form = ContactAddForm(request.POST)
    if not form.is_valid():
        return _contacts_changed(request, deal, _("Choose a person and their role."), ok=False, status=422)
    return _contact_call(
        request,
        deal,
        lambda: services.deal_contact_add(
            actor=actor,
            deal_id=deal.pk,
            person_id=form.cleaned_data["person_id"],
            role=form.cleaned_data["role"],
        ),
        lambda: _("Added to the deal."),
    )


@require_POST
def contact_create(request: HttpRequest, deal_id: int) -> HttpResponse:
    """Put a new person in the directory (at the deal's organization) and on the deal, both or neither."""
    actor = actor_of(request)
    deal = _deal_or_404(actor, deal_id)
    form = ContactCreateForm(request.POST, auto_id="id_new_contact_%s")
    if form.is_valid():
        data = form.cleaned_data
        try:
            with transaction.atomic():
                person = person_create(
                    actor=actor,
                    last_name=data["last_name"],
                    first_name=data["first_name"],
                    email=data["email"],
                    organization_id=deal.organization_id,
                )
                services.deal_contact_add(
                    actor=actor, deal_id=deal.pk, person_id=person.pk, role=data["role"]
                )
        except SalespipeError as error:
            add_service_error(form, error)
        else:
            return _contacts_changed(
                request, deal, _("%(person)s is in the directory and on the deal.") % {"person": person}
            )
    if not is_fragment_request(request):
        return _page(request, deal, status=422, contact_create_form=form, contact_create_open=True)
    context = _contacts_context(deal, contact_create_form=form, contact_create_open=True)
    return _fragments(request, context, ["contacts"], status=422)


@require_POST
def contact_role(request: HttpRequest, deal_id: int, contact_id: int) -> HttpResponse:
    actor = actor_of(request)
    deal = _deal_or_404(actor, deal_id)
    contact = _contact_or_404(actor, deal, contact_id)
    form = ContactRoleForm(request.POST)
    if not form.is_valid():
        return _contacts_changed(request, deal, _("Choose a role."), ok=False, status=422)
    return _contact_call(
        request,
        deal,
        lambda: services.deal_contact_update(
            actor=actor, deal_contact_id=contact.pk, role=form.cleaned_data["role"]
        ),
        lambda: _("Role changed."),
    )


@require_POST
def contact_confirm(request: HttpRequest, deal_id: int, contact_id: int) -> HttpResponse:
    actor = actor_of(request)
    deal = _deal_or_404(actor, deal_id)
    contact = _contact_or_404(actor, deal, contact_id)
    form = ConfirmAuthorityForm(request.POST)
    if not form.is_valid():
        return _contacts_changed(
            request, deal, _("Say how the authority was confirmed."), ok=False, status=422
        )
    return _contact_call(
        request,
        deal,
        lambda: services.contact_confirm_authority(
            actor=actor,
            deal_contact_id=contact.pk,
            how=form.cleaned_data["how"],
            note=form.cleaned_data["note"],
        ),
        lambda: _("Buying authority of %(person)s confirmed.") % {"person": contact.person},
    )


@require_POST
def contact_withdraw(request: HttpRequest, deal_id: int, contact_id: int) -> HttpResponse:
    actor = actor_of(request)
    deal = _deal_or_404(actor, deal_id)
    contact = _contact_or_404(actor, deal, contact_id)
    return _contact_call(
        request,
        deal,
        lambda: services.contact_withdraw_authority(actor=actor, deal_contact_id=contact.pk),
        lambda: _("Confirmation of %(person)s withdrawn.") % {"person": contact.person},
    )


@require_POST
def contact_remove(request: HttpRequest, deal_id: int, contact_id: int) -> HttpResponse:
    actor = actor_of(request)
    deal = _deal_or_404(actor, deal_id)
    contact = _contact_or_404(actor, deal, contact_id)
    return _contact_call(
        request,
        deal,
        lambda: services.deal_contact_remove(actor=actor, deal_contact_id=contact.pk),
        lambda: _("%(person)s removed from the deal.") % {"person": contact.person},
    )


# --- activities -----------------------------------------------------------------------------------------


def _activities_changed(
    request: HttpRequest, deal: Deal, message: str, *, main: str = "", **main_context: Any
) -> HttpResponse:
    """After an activity changed: the timeline and the next step, out of band, and `main` in place."""
    if not is_fragment_request(request):
        return _redirect(request, deal, message, ok=True, anchor="deal-timeline")
    actor = actor_of(request)
    fresh = _deal_or_404(actor, deal.pk)
    context = {
        **_summary_context(actor, fresh),
        **_timeline_context(actor, fresh),
        **_activity_forms_context(actor),
        "timeline_notice": message,
        **main_context,
    }
    return _fragments(request, context, [main] if main else [], oob=["timeline", "next_step"])


def _new_activity(
    request: HttpRequest,
    deal: Deal,
    form: ScheduleForm | RecordForm,
    *,
    name: str,
    create: Callable[[], Activity],
    done: Callable[[Activity], str],
) -> HttpResponse:
    actor = actor_of(request)
    if form.is_valid():
        try:
            activity = create()
        except SalespipeError as error:
            add_service_error(form, error)
            status = error.http_status
        else:
            message = done(activity)
            return _activities_changed(request, deal, message, main=name, **{f"{name}_notice": message})
    else:
        status = 422
    if not is_fragment_request(request):
        return _page(request, deal, status=status, **{name: form})
    return _fragments(
        request, {"deal": deal, **_activity_forms_context(actor, **{name: form})}, [name], status=status
    )


@require_POST
def activity_schedule(request: HttpRequest, deal_id: int) -> HttpResponse:
    actor = actor_of(request)
    deal = _deal_or_404(actor, deal_id)
    form = ScheduleForm(request.POST, zone=actor.zone, auto_id="id_schedule_%s")
    return _new_activity(
        request,
        deal,
        form,
        name="schedule_form",
        create=lambda: activity_services.activity_schedule(
            actor=actor, deal_id=deal.pk, **form.schedule_kwargs()
        ),
        done=lambda activity: _("Scheduled: %(subject)s.") % {"subject": activity.subject},
    )


@require_POST
def activity_record(request: HttpRequest, deal_id: int) -> HttpResponse:
    actor = actor_of(request)
    deal = _deal_or_404(actor, deal_id)
    form = RecordForm(request.POST, auto_id="id_record_%s")

    def create() -> Activity:
        data = form.cleaned_data
        if data["kind"] == ActivityKind.INFO_REQUEST:
            # A request is logged as it comes in: it gets its deadline and waits for the answer.
            return activity_services.info_request_log(
                actor=actor, deal_id=deal.pk, subject=data["subject"], note=data["note"]
            )
        return activity_services.activity_record(actor=actor, deal_id=deal.pk, **data)

    def done(activity: Activity) -> str:
        if activity.kind == ActivityKind.INFO_REQUEST and activity.due_at is not None:
            deadline = formats.date_format(timezone.localtime(activity.due_at, actor.zone), "DATETIME_FORMAT")
            return _("Logged: %(subject)s. Answer it by %(deadline)s.") % {
                "subject": activity.subject,
                "deadline": deadline,
            }
        return _("Recorded: %(subject)s.") % {"subject": activity.subject}

    return _new_activity(request, deal, form, name="record_form", create=create, done=done)


def _deal_activity_or_404(actor: User, deal: Deal, activity_id: int) -> Activity:
    try:
        activity = activity_get(actor=actor, activity_id=activity_id)
    except NotFound as error:
        raise Http404(error.message) from None
    if activity.deal_id != deal.pk:
        raise Http404("That activity is not on this deal.")
    return activity


def _activity_refused(
    request: HttpRequest, deal: Deal, activity: Activity, error: str, status: int, **failed: Any
) -> HttpResponse:
    """The timeline entry again, its form open with the refusal; without htmx, back with a message."""
    if not is_fragment_request(request):
        return _redirect(request, deal, error, ok=False, anchor=f"activity-{activity.pk}")
    actor = actor_of(request)
    moment = activity.done_at or activity.cancelled_at or activity.due_at or activity.created_at
    entry = TimelineEntry(kind="activity", moment=moment, activity=activity)
    view = _entry_view(entry, actor.zone, error=error, **failed)
    return _fragments(
        request,
        {"deal": deal, "item": view, "zone_name": actor.time_zone},
        ["timeline_entry"],
        status=status,
        retarget=f"#activity-{activity.pk}",
    )


@require_POST
def activity_complete(request: HttpRequest, deal_id: int, activity_id: int) -> HttpResponse:
    actor = actor_of(request)
    deal = _deal_or_404(actor, deal_id)
    activity = _deal_activity_or_404(actor, deal, activity_id)
    form = CompleteForm(request.POST, kind=activity.kind, auto_id=f"id_activity{activity.pk}_%s")
    if not form.is_valid():
        return _activity_refused(
            request, deal, activity, _("Check the outcome."), 422, complete_form=form, open_action="complete"
        )
    try:
        activity_services.activity_complete(actor=actor, activity_id=activity.pk, **form.complete_kwargs())
    except SalespipeError as error:
        return _activity_refused(
            request,
            deal,
            activity,
            error.message,
            error.http_status,
            complete_form=form,
            open_action="complete",
        )
    return _activities_changed(request, deal, _("Done: %(subject)s.") % {"subject": activity.subject})


@require_POST
def activity_reschedule(request: HttpRequest, deal_id: int, activity_id: int) -> HttpResponse:
    actor = actor_of(request)
    deal = _deal_or_404(actor, deal_id)
    activity = _deal_activity_or_404(actor, deal, activity_id)
    form = RescheduleForm(request.POST, zone=actor.zone, auto_id=f"id_activity{activity.pk}_%s")
    if not form.is_valid():
        return _activity_refused(
            request,
            deal,
            activity,
            _("Give a date and a time."),
            422,
            reschedule_form=form,
            open_action="reschedule",
        )
    try:
        moved = activity_services.activity_reschedule(
            actor=actor, activity_id=activity.pk, due_at=form.due_at()
        )
    except SalespipeError as error:
        return _activity_refused(
            request,
            deal,
            activity,
            error.message,
            error.http_status,
            reschedule_form=form,
            open_action="reschedule",
        )
    when = formats.date_format(timezone.localtime(moved.due_at, actor.zone), "DATETIME_FORMAT")
    return _activities_changed(
        request,
        deal,
        _("Rescheduled: %(subject)s, now %(when)s.") % {"subject": activity.subject, "when": when},
    )


@require_POST
def activity_cancel(request: HttpRequest, deal_id: int, activity_id: int) -> HttpResponse:
    actor = actor_of(request)
    deal = _deal_or_404(actor, deal_id)
    activity = _deal_activity_or_404(actor, deal, activity_id)
    try:
        activity_services.activity_cancel(actor=actor, activity_id=activity.pk)
    except SalespipeError as error:
        return _activity_refused(request, deal, activity, error.message, error.http_status)
    return _activities_changed(request, deal, _("Cancelled: %(subject)s.") % {"subject": activity.subject})
