"""Settings pages for users and teams (administrators only), and every user's own preferences."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from salespipe.core.errors import NotAllowed, NotFound, SalespipeError
from salespipe.core.web import actor_of, add_service_error, admin_required, forbidden
from salespipe.people import selectors, services
from salespipe.people.forms import PreferencesForm, TeamForm, UserCreateForm, UserEditForm
from salespipe.people.models import User

# --- every user's own preferences -----------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def preferences(request: HttpRequest) -> HttpResponse:
    """Time zone, working hours and days, language, the daily and weekly digests and prospect reminder
    emails."""
    user = actor_of(request)
    initial = PreferencesForm.initial_for(user)
    if request.method != "POST":
        form = PreferencesForm(user=user, initial=initial)
        return render(request, "people/preferences.html", {"form": form})
    form = PreferencesForm(request.POST, user=user, initial=initial)
    if form.is_valid():
        changes = form.changes_for(user)
        try:
            services.user_preferences_update(actor=user, **changes)
        except SalespipeError as error:
            add_service_error(form, error)
        else:
            language = changes.get("language") or translation.get_language()
            with translation.override(language):
                messages.success(request, _("Saved your preferences."))
            response = redirect("people:preferences")
            if changes.get("language"):
                # The pages follow the language chosen for the emails, as the language picker would.
                response.set_cookie(
                    settings.LANGUAGE_COOKIE_NAME,
                    changes["language"],
                    max_age=settings.LANGUAGE_COOKIE_AGE,
                    path=settings.LANGUAGE_COOKIE_PATH,
                    domain=settings.LANGUAGE_COOKIE_DOMAIN,
                    secure=settings.LANGUAGE_COOKIE_SECURE,
                    httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
                    samesite=settings.LANGUAGE_COOKIE_SAMESITE,
                )
            return response
    return render(request, "people/preferences.html", {"form": form}, status=422)


# --- settings: the overview ----------------------------------------------------------------------------


@require_GET
@admin_required
def settings_home(request: HttpRequest) -> HttpResponse:
    return render(request, "people/settings.html", {})


# --- settings: users -----------------------------------------------------------------------------------


@require_GET
@admin_required
def settings_users(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "people/settings_users.html",
        {"users": selectors.user_list(actor=actor_of(request), include_inactive=True)},
    )


@require_http_methods(["GET", "POST"])
@admin_required
def settings_user_create(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    if request.method != "POST":
        form = UserCreateForm(actor=actor, initial={"time_zone": actor.time_zone})
        return render(request, "people/settings_user_form.html", {"form": form, "subject": None})
    form = UserCreateForm(request.POST, actor=actor)
    if form.is_valid():
        data = form.cleaned_data
        try:
            user = services.user_create(
                actor=actor,
                username=data["username"],
                password=data["password"],
                role=data["role"],
                email=data["email"],
                first_name=data["first_name"],
                last_name=data["last_name"],
                team_id=data["team"],
                time_zone=data["time_zone"],
            )
        except SalespipeError as error:
            add_service_error(form, error)
        else:
            messages.success(request, _("Added %(name)s.") % {"name": user.username})
            return redirect("people:settings_users")
    return render(request, "people/settings_user_form.html", {"form": form, "subject": None})


def _user_or_404(actor: User, user_id: int) -> User:
    user = selectors.user_list(actor=actor, include_inactive=True).filter(pk=user_id).first()
    if user is None:
        raise Http404(f"There is no user with id {user_id}.")
    return user


@require_http_methods(["GET", "POST"])
@admin_required
def settings_user_edit(request: HttpRequest, user_id: int) -> HttpResponse:
    actor = actor_of(request)
    subject = _user_or_404(actor, user_id)
    if request.method != "POST":
        form = UserEditForm(actor=actor, initial=UserEditForm.initial_for(subject))
        return render(request, "people/settings_user_form.html", {"form": form, "subject": subject})
    form = UserEditForm(request.POST, actor=actor, initial=UserEditForm.initial_for(subject))
    if form.is_valid():
        try:
            services.user_update(actor=actor, user_id=subject.pk, **form.changes_for(subject))
        except SalespipeError as error:
            add_service_error(form, error)
        else:
            messages.success(request, _("Saved the changes to %(name)s.") % {"name": subject.username})
            return redirect("people:settings_users")
    return render(request, "people/settings_user_form.html", {"form": form, "subject": subject})


# --- settings: teams -----------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@admin_required
def settings_teams(request: HttpRequest) -> HttpResponse:
    """The teams, and a form to add one."""
    actor = actor_of(request)
    form = TeamForm(request.POST or None, actor=actor)
    if request.method == "POST" and form.is_valid():
        try:
            team = services.team_create(
                actor=actor,
                name=form.cleaned_data["name"],
                manager_id=form.cleaned_data["manager"],
                prospect_reminder_emails=form.cleaned_data["prospect_reminder_emails"],
            )
        except SalespipeError as error:
            add_service_error(form, error)
        else:
            messages.success(request, _("Added the team %(name)s.") % {"name": team.name})
            return redirect("people:settings_teams")
    return render(
        request, "people/settings_teams.html", {"teams": selectors.team_list(actor=actor), "form": form}
    )


@require_http_methods(["GET", "POST"])
@admin_required
def settings_team_edit(request: HttpRequest, team_id: int) -> HttpResponse:
    actor = actor_of(request)
    try:
        team = selectors.team_get(actor=actor, team_id=team_id)
    except NotFound as error:
        raise Http404(error.message) from None
    if request.method != "POST":
        form = TeamForm(actor=actor, initial=TeamForm.initial_for(team))
        return render(request, "people/settings_team_form.html", {"form": form, "team": team})
    form = TeamForm(request.POST, actor=actor)
    if form.is_valid():
        manager = form.cleaned_data["manager"]
        try:
            services.team_update(
                actor=actor,
                team_id=team.pk,
                name=form.cleaned_data["name"],
                manager_id=manager,
                clear_manager=manager is None,
                prospect_reminder_emails=form.cleaned_data["prospect_reminder_emails"],
            )
        except NotAllowed as error:
            return forbidden(request, error.message)
        except SalespipeError as error:
            add_service_error(form, error)
        else:
            messages.success(request, _("Saved the team %(name)s.") % {"name": form.cleaned_data["name"]})
            return redirect("people:settings_teams")
    return render(request, "people/settings_team_form.html", {"form": form, "team": team})
