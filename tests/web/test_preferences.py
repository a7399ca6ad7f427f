"""Every user's own preferences (/me/ and PATCH /api/v1/users/me), and the team's default for prospect
reminder emails."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.test import Client

from salespipe.core.errors import InvalidInput
from salespipe.people.models import Team, User
from salespipe.people.services import user_preferences_update
from salespipe.people.tokens import token_create

pytestmark = pytest.mark.django_db

URL = "/me/"
# Session, user, and the user's team (what "as my team does" means for them).
PAGE_QUERIES = 3
JSON = "application/json"


@pytest.fixture
def api_client() -> Any:
    """`api_client(user)`: a client sending a new personal access token of the user."""

    def make(user: User) -> Client:
        _, raw = token_create(user=user, name="tests")
        return Client(headers={"Authorization": f"Bearer {raw}"})

    return make


def form_data(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "time_zone": "Europe/Athens",
        "workday_starts_at": "09:00",
        "workday_ends_at": "17:00",
        "working_weekdays": ["1", "2", "3", "4", "5"],
        "language": "",
        "daily_digest": "on",
        "prospect_reminder_emails": "team",
    }
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


def preferences_of(user: User) -> tuple[Any, ...]:
    user.refresh_from_db()
    return (
        user.time_zone,
        user.workday_starts_at,
        user.workday_ends_at,
        user.working_weekdays,
        user.language,
        user.daily_digest,
        user.prospect_reminder_emails,
    )


# --- the page -----------------------------------------------------------------------------------------------


def test_every_user_finds_their_preferences_in_the_user_menu(browser_of: Any, rep: User) -> None:
    response = browser_of(rep).get("/agenda/")

    assert response.status_code == 200
    assert f'href="{URL}"' in response.content.decode()


def test_the_page_shows_the_current_preferences_and_the_teams_default(
    browser_of: Any, rep: User, team: Team, django_assert_num_queries: Any
) -> None:
    rep.time_zone, rep.working_weekdays, rep.prospect_reminder_emails = "Asia/Singapore", "123456", False
    rep.save()
    team.prospect_reminder_emails = True
    team.save()
    browser = browser_of(rep)

    with django_assert_num_queries(PAGE_QUERIES):
        response = browser.get(URL)

    assert response.status_code == 200
    page = response.content.decode()
    assert '<option value="Asia/Singapore" selected>' in page
    assert re.search(r'name="working_weekdays" value="6"[^>]*checked', page)
    assert not re.search(r'name="working_weekdays" value="7"[^>]*checked', page)
    assert re.search(r'name="prospect_reminder_emails" value="no"[^>]*checked', page)
    assert "Your team (Athens) emails prospects." in page


def test_saving_the_form_changes_the_preferences(browser_of: Any, rep: User) -> None:
    response = browser_of(rep).post(
        URL,
        form_data(
            time_zone="America/New_York",
            workday_starts_at="08:30",
            workday_ends_at="16:30",
            working_weekdays=["1", "2", "3", "4"],
            daily_digest=None,
            prospect_reminder_emails="yes",
        ),
    )

    assert response.status_code == 302 and response["Location"] == URL
    assert preferences_of(rep) == (
        "America/New_York",
        dt.time(8, 30),
        dt.time(16, 30),
        "1234",
        "",
        False,
        True,
    )


def test_choosing_a_language_also_switches_the_pages_to_it(browser_of: Any, rep: User) -> None:
    browser = browser_of(rep)

    response = browser.post(URL, form_data(language="el"), follow=True)

    assert preferences_of(rep)[4] == "el"
    assert browser.cookies[django_settings.LANGUAGE_COOKIE_NAME].value == "el"
    assert response.content.decode().count('lang="el"') >= 1


def test_as_my_team_does_clears_the_reps_own_choice(browser_of: Any, rep: User, team: Team) -> None:
    rep.prospect_reminder_emails = False
    rep.save()
    team.prospect_reminder_emails = True
    team.save()

    browser_of(rep).post(URL, form_data(prospect_reminder_emails="team"))

    rep.refresh_from_db()
    assert rep.prospect_reminder_emails is None
    assert rep.emails_prospects is True


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"workday_starts_at": "17:00", "workday_ends_at": "09:00"}, "workday_ends_at"),
        ({"workday_starts_at": "09:00", "workday_ends_at": "09:00"}, "workday_ends_at"),
        ({"working_weekdays": None}, "working_weekdays"),
        ({"time_zone": "Mars/Olympus_Mons"}, "time_zone"),
        ({"language": "fr"}, "language"),
        ({"prospect_reminder_emails": "maybe"}, "prospect_reminder_emails"),
    ],
)
def test_bad_input_is_shown_on_the_form_and_changes_nothing(
    browser_of: Any, rep: User, changes: dict[str, Any], field: str
) -> None:
    before = preferences_of(rep)

    response = browser_of(rep).post(URL, form_data(**{"time_zone": "Asia/Singapore", **changes}))

    assert response.status_code == 422
    form = response.context["form"]
    assert field in form.errors or form.non_field_errors(), form.errors
    assert preferences_of(rep) == before


# --- the service --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"time_zone": "Europe/Atlantis"}, "not an IANA time zone"),
        ({"workday_starts_at": dt.time(18, 0)}, "must start before it ends"),
        (
            {"workday_starts_at": dt.time(10, 0), "workday_ends_at": dt.time(9, 0)},
            "must start before it ends",
        ),
        ({"working_weekdays": "1238"}, "ISO digits without repeats"),
        ({"working_weekdays": "112"}, "ISO digits without repeats"),
        ({"working_weekdays": ""}, "ISO digits without repeats"),
        ({"language": "de"}, "Language must be one of en, el"),
        ({"daily_digest": "yes"}, "must be true or false"),
        ({"role": "admin"}, "These are not preferences: role"),
        ({"time_zone": "Asia/Tokyo", "working_weekdays": "0"}, "ISO digits without repeats"),
    ],
)
def test_the_service_refuses_bad_preferences_and_changes_nothing(
    rep: User, changes: dict[str, Any], message: str
) -> None:
    before = preferences_of(rep)

    with pytest.raises(InvalidInput, match=message):
        user_preferences_update(actor=rep, **changes)

    assert preferences_of(rep) == before


def test_the_service_keeps_weekdays_in_order(rep: User) -> None:
    user_preferences_update(actor=rep, working_weekdays="531")

    assert preferences_of(rep)[3] == "135"


# --- the same through the API -------------------------------------------------------------------------------


def test_the_api_shows_and_changes_your_preferences(api_client: Any, rep: User, team: Team) -> None:
    team.prospect_reminder_emails = True
    team.save()
    client = api_client(rep)

    changed = client.patch(
        "/api/v1/users/me",
        {"time_zone": "Asia/Singapore", "working_weekdays": "12345", "language": "el", "daily_digest": False},
        content_type=JSON,
    )
    opted_out = client.patch("/api/v1/users/me", {"prospect_reminder_emails": False}, content_type=JSON)
    follows_team = client.patch("/api/v1/users/me", {"prospect_reminder_emails": None}, content_type=JSON)

    assert changed.status_code == 200, changed.content
    body = changed.json()
    assert (body["time_zone"], body["language"], body["daily_digest"]) == ("Asia/Singapore", "el", False)
    assert (body["prospect_reminder_emails"], body["emails_prospects"]) == (None, True)
    assert (opted_out.json()["prospect_reminder_emails"], opted_out.json()["emails_prospects"]) == (
        False,
        False,
    )
    assert follows_team.json()["prospect_reminder_emails"] is None
    assert client.get("/api/v1/users/me").json()["emails_prospects"] is True
    # other users' preferences are nobody else's business
    assert "daily_digest" not in client.get(f"/api/v1/users/{rep.pk}").json()


@pytest.mark.parametrize(
    "payload",
    [
        {"time_zone": "Nowhere/Special", "daily_digest": False},
        {"workday_starts_at": "18:00:00"},
        {"working_weekdays": "9"},
        {"language": "xx"},
        {"daily_digest": None},
        {"role": "admin"},
    ],
)
def test_bad_input_through_the_api_is_a_422_and_changes_nothing(
    api_client: Any, rep: User, payload: dict[str, Any]
) -> None:
    before = preferences_of(rep)

    response = api_client(rep).patch("/api/v1/users/me", payload, content_type=JSON)

    assert response.status_code == 422, response.content
    assert response.json()["error"]["code"] == "invalid"
    assert response.json()["error"]["fields"]
    assert preferences_of(rep) == before


# --- the team's default -------------------------------------------------------------------------------------


def test_an_admin_sets_the_teams_default_in_the_team_settings(
    browser_of: Any, admin_user: User, team: Team, manager: User
) -> None:
    browser = browser_of(admin_user)
    page = browser.get(f"/settings/teams/{team.pk}/").content.decode()
    assert 'name="prospect_reminder_emails"' in page

    response = browser.post(
        f"/settings/teams/{team.pk}/",
        {"name": "Athens", "manager": str(manager.pk), "prospect_reminder_emails": "on"},
    )

    assert response.status_code == 302
    team.refresh_from_db()
    assert team.prospect_reminder_emails is True


def test_the_teams_default_through_the_api_is_for_admins(
    api_client: Any, admin_user: User, manager: User, team: Team
) -> None:
    by_manager = api_client(manager).patch(
        f"/api/v1/teams/{team.pk}", {"prospect_reminder_emails": True}, content_type=JSON
    )
    by_admin = api_client(admin_user).patch(
        f"/api/v1/teams/{team.pk}", {"prospect_reminder_emails": True}, content_type=JSON
    )
    created = api_client(admin_user).post(
        "/api/v1/teams", {"name": "Thessaloniki", "prospect_reminder_emails": True}, content_type=JSON
    )

    assert by_manager.status_code == 403
    assert by_admin.status_code == 200 and by_admin.json()["prospect_reminder_emails"] is True
    assert created.status_code == 201 and created.json()["prospect_reminder_emails"] is True
    team.refresh_from_db()
    assert team.prospect_reminder_emails is True


def test_preferences_need_a_signed_in_user(db: None) -> None:
    assert Client().get(URL).status_code == 302
    assert Client().patch("/api/v1/users/me", {}, content_type=JSON).status_code == 401
