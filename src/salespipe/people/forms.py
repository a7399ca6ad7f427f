"""Forms of the user and team settings. They parse and label input; the services decide."""

from __future__ import annotations

import zoneinfo
from functools import cache
from typing import Any

from django import forms
from django.conf import settings
from django.utils.functional import Promise as StrPromise
from django.utils.translation import gettext_lazy as _

from salespipe.people.models import Role, Team, User
from salespipe.people.selectors import team_list, user_list

WEEKDAYS = [
    ("1", _("Monday")),
    ("2", _("Tuesday")),
    ("3", _("Wednesday")),
    ("4", _("Thursday")),
    ("5", _("Friday")),
    ("6", _("Saturday")),
    ("7", _("Sunday")),
]


@cache
def _time_zones() -> list[tuple[str, str]]:
    return [(name, name) for name in sorted(zoneinfo.available_timezones())]


def _team_choices(actor: User) -> list[tuple[str, str | StrPromise]]:
    return [("", _("No team")), *((str(team.pk), team.name) for team in team_list(actor=actor))]


class _TeamChoiceMixin(forms.Form):
    team = forms.TypedChoiceField(label=_("Team"), coerce=int, required=False, empty_value=None)
    time_zone = forms.ChoiceField(label=_("Time zone"))

    def __init__(self, *args: Any, actor: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        team_field = self.fields["team"]
        zone_field = self.fields["time_zone"]
        assert isinstance(team_field, forms.ChoiceField) and isinstance(zone_field, forms.ChoiceField)
        team_field.choices = _team_choices(actor)
        zone_field.choices = _time_zones()


class UserCreateForm(_TeamChoiceMixin):
    username = forms.CharField(label=_("Username"), max_length=150)
    password = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_("They can change it after signing in."),
    )
    first_name = forms.CharField(label=_("First name"), max_length=150, required=False)
    last_name = forms.CharField(label=_("Last name"), max_length=150, required=False)
    email = forms.EmailField(label=_("Email"), required=False)
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices, initial=Role.REP)
    field_order = ["username", "password", "first_name", "last_name", "email", "role", "team", "time_zone"]


class UserEditForm(_TeamChoiceMixin):
    first_name = forms.CharField(label=_("First name"), max_length=150, required=False)
    last_name = forms.CharField(label=_("Last name"), max_length=150, required=False)
    email = forms.EmailField(label=_("Email"), required=False)
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)
    workday_starts_at = forms.TimeField(
        label=_("Working day starts at"), widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
    )
    workday_ends_at = forms.TimeField(
        label=_("Working day ends at"), widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
    )
    working_weekdays = forms.MultipleChoiceField(
        label=_("Working days"), choices=WEEKDAYS, widget=forms.CheckboxSelectMultiple
    )
    is_active = forms.BooleanField(
        label=_("Active"), required=False, help_text=_("An inactive user cannot sign in; their work stays.")
    )
    field_order = [
        "first_name",
        "last_name",
        "email",
        "role",
        "team",
        "time_zone",
        "workday_starts_at",
        "workday_ends_at",
        "working_weekdays",
        "is_active",
    ]

    @staticmethod
    def initial_for(user: User) -> dict[str, Any]:
        return {
            "first_name": user.first_name,
            "last_name": user.last_name,
            "email": user.email,
            "role": user.role,
            "team": user.team_id,
            "time_zone": user.time_zone,
            "workday_starts_at": user.workday_starts_at,
            "workday_ends_at": user.workday_ends_at,
            "working_weekdays": list(user.working_weekdays),
            "is_active": user.is_active,
        }

    def changes_for(self, user: User) -> dict[str, Any]:
        """The service's arguments: only what differs from the user as they are."""
        data = dict(self.cleaned_data)
        data["team_id"] = data.pop("team")
        data["working_weekdays"] = "".join(sorted(data["working_weekdays"]))
        current = self.initial_for(user)
        current["team_id"] = current.pop("team")
        current["working_weekdays"] = user.working_weekdays
        return {field: value for field, value in data.items() if value != current[field]}


def _manager_choices(actor: User) -> list[tuple[str, str | StrPromise]]:
    managers = user_list(actor=actor).filter(role__in=(Role.MANAGER, Role.ADMIN))
    return [("", _("No manager")), *((str(user.pk), f"{user} ({user.username})") for user in managers)]


class TeamForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    manager = forms.TypedChoiceField(
        label=_("Manager"),
        coerce=int,
        required=False,
        empty_value=None,
        help_text=_("A user with the manager (or administrator) role."),
    )
    prospect_reminder_emails = forms.BooleanField(
        label=_("Email prospects before appointments"),
        required=False,
        help_text=_(
            "The working day before an appointment, the prospect gets a short reminder with the "
            "appointment attached. Members may choose otherwise in their preferences."
        ),
    )

    def __init__(self, *args: Any, actor: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        manager_field = self.fields["manager"]
        assert isinstance(manager_field, forms.ChoiceField)
        manager_field.choices = _manager_choices(actor)

    @staticmethod
    def initial_for(team: Team) -> dict[str, Any]:
        return {
            "name": team.name,
            "manager": team.manager_id,
            "prospect_reminder_emails": team.prospect_reminder_emails,
        }


def _language_choices() -> list[tuple[str, str | StrPromise]]:
    site = dict(settings.LANGUAGES).get(settings.LANGUAGE_CODE, settings.LANGUAGE_CODE)
    return [("", _("The site's language (%(language)s)") % {"language": site}), *settings.LANGUAGES]


def _yes_no_or_team(value: str) -> bool | None:
    return {"yes": True, "no": False}.get(value)


class PreferencesForm(forms.Form):
    """A user's own preferences (people:preferences)."""

    time_zone = forms.ChoiceField(label=_("Time zone"))
    workday_starts_at = forms.TimeField(
        label=_("Working day starts at"), widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
    )
    workday_ends_at = forms.TimeField(
        label=_("Working day ends at"), widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
    )
    working_weekdays = forms.MultipleChoiceField(
        label=_("Working days"), choices=WEEKDAYS, widget=forms.CheckboxSelectMultiple
    )
    language = forms.ChoiceField(
        label=_("Language of your emails"),
        required=False,
        help_text=_("Your daily agenda, and the reminders your prospects get, are written in it."),
    )
    daily_digest = forms.BooleanField(
        label=_("Email me my agenda at the start of each working day"), required=False
    )
    weekly_digest = forms.BooleanField(
        label=_("Email me my teams' week on Monday morning"),
        required=False,
        help_text=_(
            "For those who manage a team: each team's numbers, what changed since last week and the first "
            "advice for each rep, at the start of your first working day of the week."
        ),
    )
    prospect_reminder_emails = forms.TypedChoiceField(
        label=_("Email my prospects a reminder the working day before an appointment"),
        choices=[("team", _("As my team does")), ("yes", _("Yes")), ("no", _("No"))],
        coerce=_yes_no_or_team,
        empty_value=None,
        widget=forms.RadioSelect,
    )

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        zone_field, language_field, prospects_field = (
            self.fields["time_zone"],
            self.fields["language"],
            self.fields["prospect_reminder_emails"],
        )
        assert isinstance(zone_field, forms.ChoiceField) and isinstance(language_field, forms.ChoiceField)
        zone_field.choices = _time_zones()
        language_field.choices = _language_choices()
        team = user.team
        if team is not None:
            prospects_field.help_text = (
                _("Your team (%(team)s) emails prospects.")
                if team.prospect_reminder_emails
                else _("Your team (%(team)s) does not email prospects.")
            ) % {"team": team.name}
        else:
            prospects_field.help_text = _('You are in no team, so "As my team does" means no.')

    @staticmethod
    def initial_for(user: User) -> dict[str, Any]:
        choice = user.prospect_reminder_emails
        return {
            "time_zone": user.time_zone,
            "workday_starts_at": user.workday_starts_at,
            "workday_ends_at": user.workday_ends_at,
            "working_weekdays": list(user.working_weekdays),
            "language": user.language,
            "daily_digest": user.daily_digest,
            "weekly_digest": user.weekly_digest,
            "prospect_reminder_emails": "team" if choice is None else ("yes" if choice else "no"),
        }

    def changes_for(self, user: User) -> dict[str, Any]:
        """The service's arguments: only what differs from the user as they are."""
        data = dict(self.cleaned_data)
        data["working_weekdays"] = "".join(sorted(data["working_weekdays"]))
        current = {field: getattr(user, field) for field in data}
        return {field: value for field, value in data.items() if value != current[field]}
