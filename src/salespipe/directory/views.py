"""Pages for the shared directory (organizations and people) and for quick-adding a deal.

The directory is shared, but what hangs off it is not: an organization's page lists only the deals and
activities the viewer may see. Every list is capped and continues by cursor, so a page costs the same
few queries however large the directory grows.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from salespipe.activities.selectors import activity_list
from salespipe.core.errors import NotAllowed, NotFound, RuleBroken, SalespipeError
from salespipe.core.web import actor_of, add_service_error, forbidden, is_fragment_request
from salespipe.deals.quick_add import deal_quick_add
from salespipe.deals.selectors import deal_list
from salespipe.directory import selectors, services
from salespipe.directory.forms import OrganizationForm, PersonForm, QuickAddDealForm
from salespipe.directory.models import Organization, Person
from salespipe.people.models import Role, User

# Rows of each list on a detail page before it offers "older …".
DETAIL_ROWS = 20


def _may_delete(actor: User) -> bool:
    # Mirrors the services' rule, only to decide whether to offer the button; the services enforce it.
    return actor.role in (Role.ADMIN, Role.MANAGER)


def _int_param(request: HttpRequest, name: str) -> int | None:
    raw = request.GET.get(name, "")
    return int(raw) if raw.isdigit() else None


def _list_url(request: HttpRequest, **params: str | int | None) -> str:
    query = {key: value for key, value in params.items() if value not in (None, "")}
    return f"{request.path}?{urlencode(query)}" if query else request.path


def _website_url(website: str) -> str:
    """A link that can only open a web page: anything but http(s) gets https:// in front."""
    if not website:
        return ""
    return website if website.lower().startswith(("http://", "https://")) else f"https://{website}"


# --- organizations -------------------------------------------------------------------------------------


@require_GET
def organizations(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    search = request.GET.get("q", "")[:200]
    page = selectors.organization_page(actor=actor, search=search, after=request.GET.get("after", ""))
    context = {
        "search": search,
        "page": page,
        "next_url": _list_url(request, q=search, after=page.next_after) if page.next_after else None,
    }
    template = "directory/organizations.html"
    return render(request, f"{template}#results" if is_fragment_request(request) else template, context)


@require_GET
def organization_suggestions(request: HttpRequest) -> HttpResponse:
    """<option>s for the organization name fields' datalist, as someone types."""
    search = (request.GET.get("organization_name") or request.GET.get("q") or "")[:200]
    suggestions = selectors.organization_suggestions(actor=actor_of(request), search=search)
    return render(request, "directory/organization_suggestions.html", {"suggestions": suggestions})


def _organization_or_404(actor: User, organization_id: int) -> Organization:
    try:
        return selectors.organization_get(actor=actor, organization_id=organization_id)
    except NotFound as error:
        raise Http404(error.message) from None


def _organization_or_none(actor: User, organization_id: int | None) -> Organization | None:
    if organization_id is None:
        return None
    try:
        return selectors.organization_get(actor=actor, organization_id=organization_id)
    except NotFound:
        return None


@require_GET
def organization_detail(request: HttpRequest, organization_id: int) -> HttpResponse:
    actor = actor_of(request)
    organization = _organization_or_404(actor, organization_id)
    people = selectors.organization_people(
        actor=actor, organization_id=organization.pk, limit=DETAIL_ROWS + 1
    )
    deals = selectors.newest_first(
        deal_list(actor=actor, organization_id=organization.pk),
        before=_int_param(request, "deals_before"),
        limit=DETAIL_ROWS,
    )
    activities = selectors.newest_first(
        selectors.organization_activity_list(actor=actor, organization_id=organization.pk),
        before=_int_param(request, "activities_before"),
        limit=DETAIL_ROWS,
    )
    return render(
        request,
        "directory/organization_detail.html",
        {
            "organization": organization,
            "website_url": _website_url(organization.website),
            "people": people[:DETAIL_ROWS],
            "more_people": len(people) > DETAIL_ROWS,
            **_history_context(request, deals, activities),
            "may_delete": _may_delete(actor),
        },
    )


def _history_context(request: HttpRequest, deals: Any, activities: Any) -> dict[str, Any]:
    """A directory page's deals and activities (already scoped to the viewer) with "older" links."""
    return {
        "deals": deals.rows,
        "older_deals_url": _list_url(request, deals_before=deals.next_before) if deals.next_before else None,
        "activities": activities.rows,
        "older_activities_url": (
            _list_url(request, activities_before=activities.next_before) if activities.next_before else None
        ),
    }


def _organization_form_page(
    request: HttpRequest, form: OrganizationForm, *, organization: Organization | None, duplicate: Any = None
) -> HttpResponse:
    return render(
        request,
        "directory/organization_form.html",
        {"form": form, "organization": organization, "duplicate": duplicate},
    )


@require_http_methods(["GET", "POST"])
def organization_create(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    if request.method != "POST":
        form = OrganizationForm(initial={"name": request.GET.get("name", "")[:200]})
        return _organization_form_page(request, form, organization=None)
    form = OrganizationForm(request.POST)
    if form.is_valid():
        try:
            organization = services.organization_create(actor=actor, **form.cleaned_data)
        except RuleBroken as error:
            duplicate = selectors.organization_find(actor=actor, name=form.cleaned_data["name"])
            add_service_error(form, error)
            return _organization_form_page(request, form, organization=None, duplicate=duplicate)
        except SalespipeError as error:
            add_service_error(form, error)
        else:
            messages.success(request, _("%(name)s is in the directory now.") % {"name": organization.name})
            return redirect("directory:organization", organization_id=organization.pk)
    return _organization_form_page(request, form, organization=None)


@require_http_methods(["GET", "POST"])
def organization_edit(request: HttpRequest, organization_id: int) -> HttpResponse:
    actor = actor_of(request)
    organization = _organization_or_404(actor, organization_id)
    if request.method != "POST":
        form = OrganizationForm(
            initial={field: getattr(organization, field) for field in OrganizationForm.base_fields}
        )
        return _organization_form_page(request, form, organization=organization)
    form = OrganizationForm(request.POST)
    if form.is_valid():
        try:
            services.organization_update(actor=actor, organization_id=organization.pk, **form.cleaned_data)
        except RuleBroken as error:
            duplicate = selectors.organization_find(actor=actor, name=form.cleaned_data["name"])
            add_service_error(form, error)
            return _organization_form_page(request, form, organization=organization, duplicate=duplicate)
        except SalespipeError as error:
            add_service_error(form, error)
        else:
            messages.success(
                request, _("Saved the changes to %(name)s.") % {"name": form.cleaned_data["name"]}
            )
            return redirect("directory:organization", organization_id=organization.pk)
    return _organization_form_page(request, form, organization=organization)


@require_http_methods(["GET", "POST"])
def organization_delete(request: HttpRequest, organization_id: int) -> HttpResponse:
    actor = actor_of(request)
    organization = _organization_or_404(actor, organization_id)
    if request.method != "POST":
        if not _may_delete(actor):
            return forbidden(
                request, _("Only a manager or an administrator can delete from the shared directory.")
            )
        return render(
            request, "directory/confirm_delete.html", {"record": organization, "kind": "organization"}
        )
    try:
        services.organization_delete(actor=actor, organization_id=organization.pk)
    except NotAllowed as error:
        return forbidden(request, error.message)
    except SalespipeError as error:
        messages.error(request, error.message)
        return redirect("directory:organization", organization_id=organization.pk)
    messages.success(request, _("Deleted %(name)s from the directory.") % {"name": organization.name})
    return redirect("directory:organizations")


# --- people --------------------------------------------------------------------------------------------


@require_GET
def people(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    search = request.GET.get("q", "")[:200]
    organization_id = _int_param(request, "organization")
    organization = _organization_or_none(actor, organization_id)
    page = selectors.person_page(
        actor=actor,
        search=search,
        organization_id=organization.pk if organization else None,
        after=request.GET.get("after", ""),
    )
    context = {
        "search": search,
        "page": page,
        "organization": organization,
        "next_url": _list_url(
            request, q=search, organization=organization.pk if organization else None, after=page.next_after
        )
        if page.next_after
        else None,
    }
    template = "directory/people.html"
    return render(request, f"{template}#results" if is_fragment_request(request) else template, context)


def _person_or_404(actor: User, person_id: int) -> Person:
    try:
        return selectors.person_get(actor=actor, person_id=person_id)
    except NotFound as error:
        raise Http404(error.message) from None


@require_GET
def person_detail(request: HttpRequest, person_id: int) -> HttpResponse:
    actor = actor_of(request)
    person = _person_or_404(actor, person_id)
    deals = selectors.newest_first(
        deal_list(actor=actor, person_id=person.pk),
        before=_int_param(request, "deals_before"),
        limit=DETAIL_ROWS,
    )
    activities = selectors.newest_first(
        activity_list(actor=actor, person_id=person.pk),
        before=_int_param(request, "activities_before"),
        limit=DETAIL_ROWS,
    )
    return render(
        request,
        "directory/person_detail.html",
        {
            "person": person,
            **_history_context(request, deals, activities),
            "may_delete": _may_delete(actor),
        },
    )


def _person_form_page(
    request: HttpRequest, form: PersonForm, *, person: Person | None, duplicate: Person | None = None
) -> HttpResponse:
    return render(
        request, "directory/person_form.html", {"form": form, "person": person, "duplicate": duplicate}
    )


def _person_changes(actor: User, form: PersonForm) -> dict[str, Any] | None:
    """The service's arguments from the form, or None when the organization named is unknown."""
    data = dict(form.cleaned_data)
    name = data.pop("organization_name").strip()
    organization = selectors.organization_find(actor=actor, name=name) if name else None
    if name and organization is None:
        form.add_error(
            "organization_name",
            _(
                "There is no organization named “%(name)s” in the directory. "
                "Add it first, or leave this empty."
            )
            % {"name": name},
        )
        return None
    data["organization_id"] = organization.pk if organization else None
    return data


def _save_person(request: HttpRequest, form: PersonForm, *, person: Person | None) -> HttpResponse | None:
    """Create or update through the service; the page to show, or None to show the form again."""
    actor = actor_of(request)
    changes = _person_changes(actor, form)
    if changes is None:
        return None
    try:
        if person is None:
            saved = services.person_create(actor=actor, **changes)
        else:
            saved = services.person_update(actor=actor, person_id=person.pk, **changes)
    except RuleBroken as error:
        add_service_error(form, error)
        duplicate = selectors.person_find(actor=actor, email=changes.get("email", ""), organization_id=None)
        return _person_form_page(request, form, person=person, duplicate=duplicate)
    except SalespipeError as error:
        add_service_error(form, error)
        return None
    if person is None:
        messages.success(request, _("%(name)s is in the directory now.") % {"name": saved.full_name})
    else:
        messages.success(request, _("Saved the changes to %(name)s.") % {"name": saved.full_name})
    return redirect("directory:person", person_id=saved.pk)


@require_http_methods(["GET", "POST"])
def person_create(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    if request.method != "POST":
        organization_id = _int_param(request, "organization")
        organization = _organization_or_none(actor, organization_id)
        form = PersonForm(initial={"organization_name": organization.name if organization else ""})
        return _person_form_page(request, form, person=None)
    form = PersonForm(request.POST)
    if form.is_valid() and (response := _save_person(request, form, person=None)) is not None:
        return response
    return _person_form_page(request, form, person=None)


@require_http_methods(["GET", "POST"])
def person_edit(request: HttpRequest, person_id: int) -> HttpResponse:
    actor = actor_of(request)
    person = _person_or_404(actor, person_id)
    if request.method != "POST":
        initial = {
            field: getattr(person, field) for field in PersonForm.base_fields if field != "organization_name"
        }
        initial["organization_name"] = person.organization.name if person.organization else ""
        return _person_form_page(request, PersonForm(initial=initial), person=person)
    form = PersonForm(request.POST)
    if form.is_valid() and (response := _save_person(request, form, person=person)) is not None:
        return response
    return _person_form_page(request, form, person=person)


@require_http_methods(["GET", "POST"])
def person_delete(request: HttpRequest, person_id: int) -> HttpResponse:
    actor = actor_of(request)
    person = _person_or_404(actor, person_id)
    if request.method != "POST":
        if not _may_delete(actor):
            return forbidden(
                request, _("Only a manager or an administrator can delete from the shared directory.")
            )
        return render(request, "directory/confirm_delete.html", {"record": person, "kind": "person"})
    try:
        services.person_delete(actor=actor, person_id=person.pk)
    except NotAllowed as error:
        return forbidden(request, error.message)
    except SalespipeError as error:
        messages.error(request, error.message)
        return redirect("directory:person", person_id=person.pk)
    messages.success(request, _("Deleted %(name)s from the directory.") % {"name": person.full_name})
    return redirect("directory:people")


# --- quick add -----------------------------------------------------------------------------------------


def _quick_add_matches(actor: User, data: Any) -> dict[str, Any]:
    """Which directory records the typed details would reuse, to show before saving."""
    organization_name = str(data.get("organization_name", ""))[:200]
    organization = selectors.organization_find(actor=actor, name=organization_name)
    person = selectors.person_find(
        actor=actor,
        email=str(data.get("email", ""))[:254],
        first_name=str(data.get("first_name", ""))[:100],
        last_name=str(data.get("last_name", ""))[:100],
        organization_id=organization.pk if organization else None,
    )
    return {
        "organization_name": organization_name.strip(),
        "matched_organization": organization,
        "person_named": any(
            str(data.get(field, "")).strip() for field in ("first_name", "last_name", "email", "phone")
        ),
        "matched_person": person,
    }


def _quick_add_page(request: HttpRequest, form: QuickAddDealForm, matches: dict[str, Any]) -> HttpResponse:
    return render(request, "directory/quick_add.html", {"form": form, **matches})


@require_http_methods(["GET", "POST"])
def quick_add_deal(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    if request.method != "POST":
        initial: dict[str, Any] = {"organization_name": request.GET.get("organization", "")[:200]}
        stage = _int_param(request, "stage")
        if stage:
            initial["stage"] = stage
        form = QuickAddDealForm(actor=actor, initial=initial)
        return _quick_add_page(request, form, _quick_add_matches(actor, initial))
    form = QuickAddDealForm(request.POST, actor=actor)
    matches = _quick_add_matches(actor, request.POST)
    if "check" in request.POST or not form.is_valid():
        return _quick_add_page(request, form, matches)
    data = form.cleaned_data
    try:
        added = deal_quick_add(
            actor=actor,
            title=data["title"],
            value=data["value"] if data["value"] is not None else 0,
            currency=data["currency"],
            expected_close_date=data["expected_close_date"],
            stage_id=data["stage"],
            owner_id=data.get("owner"),
            organization_name=data["organization_name"],
            first_name=data["first_name"],
            last_name=data["last_name"],
            email=data["email"],
            phone=data["phone"],
        )
    except SalespipeError as error:
        add_service_error(form, error)
        return _quick_add_page(request, form, matches)
    parts = [_("Added the deal “%(title)s”.") % {"title": added.deal.title}]
    if added.organization is not None:
        parts.append(
            (
                _("Added %(name)s to the directory.")
                if added.organization_created
                else _("Linked it to %(name)s.")
            )
            % {"name": added.organization.name}
        )
    if added.person is not None:
        parts.append(
            (_("Added %(name)s to the directory.") if added.person_created else _("Linked it to %(name)s."))
            % {"name": added.person.full_name}
        )
    messages.success(request, " ".join(parts))
    return redirect("deals:detail", deal_id=added.deal.pk)


@require_GET
def quick_add_matches(request: HttpRequest) -> HttpResponse:
    """The 'will reuse' box of the quick-add form, refreshed as someone types."""
    matches = _quick_add_matches(actor_of(request), request.GET)
    return render(request, "directory/quick_add.html#matches", matches)
