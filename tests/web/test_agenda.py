"""The agenda: planned activities grouped as overdue, today and upcoming on the owner's own clock;
completing, rescheduling and cancelling in place; managers reading their team members' agendas."""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo
from typing import Any

import pytest
from django.template.loader import render_to_string
from django.test import Client
from django.test.html import parse_html
from django.urls import reverse
from django.utils import timezone, translation

from salespipe.activities.forms import CompleteForm, RescheduleForm
from salespipe.activities.models import Activity, ActivityKind
from salespipe.activities.selectors import AGENDA_PAGE_SIZE
from salespipe.activities.services import (
    activity_cancel,
    activity_record,
    activity_schedule,
    info_request_log,
)
from salespipe.deals.models import Deal
from salespipe.people.models import Team, User
from tests.factories import OrganizationFactory, PersonFactory, UserFactory

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}
AGENDA = "/agenda/"
# Session, user, requests waiting for an answer, overdue, today, upcoming (with whether anything comes
# later).
REP_AGENDA_QUERIES = 6
# The same, and the people whose agenda the manager may open.
MANAGER_AGENDA_QUERIES = 7


def text(response: Any) -> str:
    return response.content.decode()


def messages_of(response: Any) -> list[str]:
    return [str(message) for message in response.context["messages"]]


def local_midnight(zone: dt.tzinfo, *, days_from_today: int = 0) -> dt.datetime:
    today = timezone.now().astimezone(zone).date()
    return dt.datetime.combine(today + dt.timedelta(days=days_from_today), dt.time.min, tzinfo=zone)


def groups(page: str) -> dict[str, str]:
    """Each agenda group's HTML by its key (overdue, today, upcoming)."""
    return dict(re.findall(r'<section id="agenda-(\w+)"(.*?)</section>', page, re.S))


def group_of(page: str, subject: str) -> str | None:
    found = [key for key, html in groups(page).items() if f"</span> {subject}" in html]
    assert len(found) <= 1, f"{subject} is in {found}"
    return found[0] if found else None


def plan(owner: User, deal: Deal | None, subject: str, due_at: dt.datetime, kind: str = "call") -> Activity:
    return activity_schedule(
        actor=owner, kind=kind, subject=subject, due_at=due_at, deal_id=deal.pk if deal else None
    )


@pytest.fixture
def deal(rep: User, make_deal: Any) -> Deal:
    person = PersonFactory(first_name="Nikos", last_name="Alexiou", phone="+30 210 1234567")
    return make_deal(
        rep, title="Acme: 20 licences", person_id=person.pk, organization_id=person.organization_id
    )


def test_the_agenda_splits_days_at_the_owners_midnight_not_the_servers(
    team: Team, make_deal: Any, browser_of: Any
) -> None:
    # given: the same instants, planned for a rep in Singapore and one in New York
    singapore = UserFactory(username="singapore", team=team, time_zone="Asia/Singapore")
    new_york = UserFactory(username="new_york", team=team, time_zone="America/New_York")
    sg_today = local_midnight(zoneinfo.ZoneInfo("Asia/Singapore"))
    ny_tomorrow = local_midnight(zoneinfo.ZoneInfo("America/New_York"), days_from_today=1)
    minute = dt.timedelta(minutes=1)
    moments = {
        "before Singapore midnight": sg_today - minute,
        "after Singapore midnight": sg_today + minute,
        "before New York midnight": ny_tomorrow - minute,
        "after New York midnight": ny_tomorrow + minute,
    }
    for user in (singapore, new_york):
        deal = make_deal(user)
        for subject, moment in moments.items():
            plan(user, deal, subject, moment)

    # when
    sg_page = text(browser_of(singapore).get(AGENDA))
    ny_page = text(browser_of(new_york).get(AGENDA))

    # then: each owner's midnight splits their days
    assert group_of(sg_page, "before Singapore midnight") == "overdue"
    assert group_of(sg_page, "after Singapore midnight") == "today"
    assert group_of(ny_page, "before New York midnight") == "today"
    assert group_of(ny_page, "after New York midnight") == "upcoming"
    # and the other's midnight falls in the middle of their day, so it splits nothing
    assert group_of(ny_page, "before Singapore midnight") == group_of(ny_page, "after Singapore midnight")
    assert group_of(sg_page, "before New York midnight") == group_of(sg_page, "after New York midnight")
    # times show on the owner's clock
    assert "on the clock of Asia/Singapore" in sg_page
    assert f'datetime="{(sg_today + minute).isoformat()}"' in sg_page


def test_the_agenda_lists_only_the_owners_planned_activities_with_their_deal_and_person(
    rep: User, teammate: User, deal: Deal, make_deal: Any, browser_of: Any
) -> None:
    # given
    soon = timezone.now() + dt.timedelta(days=2)
    plan(rep, deal, "Call Nikos", soon)
    activity_cancel(actor=rep, activity_id=plan(rep, deal, "Cancelled call", soon).pk)
    activity_record(actor=rep, kind="call", deal_id=deal.pk, subject="Call already made")
    plan(teammate, make_deal(teammate), "Teammate call", soon)

    # when
    page = text(browser_of(rep).get(AGENDA))

    # then
    assert group_of(page, "Call Nikos") == "upcoming"
    assert "Cancelled call" not in page
    assert "Call already made" not in page
    assert "Teammate call" not in page
    assert f'href="/deals/{deal.pk}/">Acme: 20 licences</a>' in page
    assert "Nikos Alexiou" in page
    assert 'href="tel:+30 210 1234567"' in page


def test_todays_activities_whose_time_has_passed_are_marked_late(
    rep: User, deal: Deal, browser_of: Any
) -> None:
    # given: one earlier today, one later today, on the rep's clock
    now = timezone.now()
    tomorrow = local_midnight(rep.zone, days_from_today=1)
    early = plan(rep, deal, "Early call", max(local_midnight(rep.zone), now - dt.timedelta(minutes=1)))
    late = plan(
        rep, deal, "Late call", min(tomorrow - dt.timedelta(microseconds=1), now + dt.timedelta(hours=1))
    )

    # when
    page = text(browser_of(rep).get(AGENDA))

    # then
    assert group_of(page, "Early call") == group_of(page, "Late call") == "today"
    classes = {int(pk): css for css, pk in re.findall(r'<li class="([^"]*)" id="agenda-item-(\d+)"', page)}
    assert classes == {early.pk: "agenda-item agenda-late", late.pk: "agenda-item"}


def test_completing_from_the_agenda_takes_it_off_and_updates_the_deal(
    rep: User, deal: Deal, browser_of: Any
) -> None:
    # given
    call = plan(rep, deal, "Call Nikos", timezone.now() - dt.timedelta(hours=1))
    plan(rep, deal, "Send the proposal", timezone.now() + dt.timedelta(days=3), kind="email")

    # when
    response = browser_of(rep).post(
        reverse("activities:complete", args=[call.pk]),
        {"outcome": "connected", "note": "Wants a demo"},
        headers=HTMX,
    )

    # then
    fragment = text(response)
    assert response.status_code == 200
    assert re.search(r'<div id="agenda-groups"[^>]*hx-swap-oob="true"', fragment)
    assert "Done: Call Nikos." in fragment
    assert "</span> Call Nikos" not in fragment
    assert group_of(fragment, "Send the proposal") == "upcoming"
    call.refresh_from_db()
    assert (call.outcome, call.note) == ("connected", "Wants a demo")
    deal.refresh_from_db()
    assert deal.last_activity_at == call.done_at


def test_a_meeting_completed_from_the_agenda_needs_an_outcome(
    rep: User, deal: Deal, browser_of: Any, confirm_decision_maker: Any
) -> None:
    # given
    confirm_decision_maker(deal)
    meeting = plan(rep, deal, "Meet the CFO", timezone.now(), kind="meeting")
    complete = reverse("activities:complete", args=[meeting.pk])

    # when
    with_htmx = browser_of(rep).post(complete, {"outcome": "", "note": "It went well"}, headers=HTMX)
    without_js = browser_of(rep).post(complete, {}, follow=True)

    # then
    assert with_htmx.status_code == 422
    assert with_htmx["HX-Retarget"] == f"#agenda-item-{meeting.pk}"
    assert (
        text(with_htmx)
        .lstrip()
        .startswith(f'<li class="agenda-item agenda-late" id="agenda-item-{meeting.pk}"')
    )
    assert "Say how the meeting went" in text(with_htmx)
    assert "It went well" in text(with_htmx)  # the note typed is kept
    assert without_js.redirect_chain == [(AGENDA, 302)]
    assert messages_of(without_js)[0].startswith("Say how the meeting went")
    meeting.refresh_from_db()
    assert meeting.is_planned


def test_a_held_meeting_on_a_deal_with_nothing_else_planned_asks_for_a_next_step(
    rep: User, deal: Deal, browser_of: Any, confirm_decision_maker: Any
) -> None:
    # given
    confirm_decision_maker(deal)
    meeting = plan(rep, deal, "Meet the CFO", timezone.now(), kind="meeting")

    # when
    response = browser_of(rep).post(
        reverse("activities:complete", args=[meeting.pk]), {"outcome": "held"}, follow=True
    )

    # then
    assert response.redirect_chain == [(AGENDA, 302)]
    assert messages_of(response) == [
        "Done: Meet the CFO.",
        "“Acme: 20 licences” has no next step — schedule one.",
    ]


def test_rescheduling_from_the_agenda_moves_the_item_on_the_owners_clock(
    team: Team, make_deal: Any, browser_of: Any
) -> None:
    # given: an overdue call of a rep in Singapore
    owner = UserFactory(username="singapore", team=team, time_zone="Asia/Singapore")
    call = plan(owner, make_deal(owner), "Call back", timezone.now() - dt.timedelta(days=3))
    tomorrow = timezone.now().astimezone(owner.zone).date() + dt.timedelta(days=1)

    # when
    response = browser_of(owner).post(
        reverse("activities:reschedule", args=[call.pk]),
        {"due_date": tomorrow.isoformat(), "due_time": "10:00"},
        headers=HTMX,
    )

    # then
    call.refresh_from_db()
    assert call.due_at == dt.datetime.combine(tomorrow, dt.time(10, 0), tzinfo=owner.zone)
    assert response.status_code == 200
    assert group_of(text(response), "Call back") == "upcoming"
    assert "Rescheduled: Call back" in text(response)


def test_rescheduling_without_a_time_is_refused_in_place(rep: User, deal: Deal, browser_of: Any) -> None:
    # given
    call = plan(rep, deal, "Call back", timezone.now() + dt.timedelta(days=1))

    # when
    response = browser_of(rep).post(
        reverse("activities:reschedule", args=[call.pk]), {"due_date": "2031-01-01"}, headers=HTMX
    )

    # then
    assert response.status_code == 422
    assert re.search(r'name="due_time"[^>]*aria-invalid="true"', text(response))
    assert re.search(r'<details class="activity-action" open>\s*<summary>Reschedule', text(response))


def test_a_manager_opens_a_team_members_agenda_and_acts_on_it(
    manager: User, rep: User, teammate: User, outsider: User, deal: Deal, browser_of: Any
) -> None:
    # given
    call = plan(rep, deal, "Call Nikos", timezone.now() + dt.timedelta(days=1))
    browser = browser_of(manager)

    # when
    page = text(browser.get(AGENDA, {"owner": rep.pk}))
    done = browser.post(reverse("activities:complete", args=[call.pk]), {"outcome": "no_answer"})

    # then
    assert f"Agenda of {rep}" in page
    assert group_of(page, "Call Nikos") == "upcoming"
    options = sorted(
        int(pk) for pk in re.findall(r'<option value="(\d+)"', page.split('id="agenda-owner"')[1])
    )
    assert options == sorted([manager.pk, rep.pk, teammate.pk])
    assert outsider.pk not in options
    assert done.status_code == 302
    assert done["Location"] == f"{AGENDA}?owner={rep.pk}"


def test_nobody_opens_an_agenda_they_may_not_see(
    rep: User, teammate: User, other_manager: User, browser_of: Any
) -> None:
    # when
    rep_on_teammate = browser_of(rep).get(AGENDA, {"owner": teammate.pk})
    other_manager_on_rep = browser_of(other_manager).get(AGENDA, {"owner": rep.pk})
    nonsense = browser_of(rep).get(AGENDA, {"owner": "x"})

    # then
    assert [rep_on_teammate.status_code, other_manager_on_rep.status_code, nonsense.status_code] == [404] * 3


def test_a_rep_cannot_act_on_a_teammates_activity(
    rep: User, teammate: User, make_deal: Any, browser_of: Any
) -> None:
    # given
    call = plan(teammate, make_deal(teammate), "Theirs", timezone.now())
    browser = browser_of(rep)

    # when
    answers = [
        browser.post(reverse("activities:complete", args=[call.pk]), {"outcome": "done"}),
        browser.post(
            reverse("activities:reschedule", args=[call.pk]), {"due_date": "2031-01-01", "due_time": "9:00"}
        ),
        browser.post(reverse("activities:cancel", args=[call.pk])),
    ]

    # then
    assert [answer.status_code for answer in answers] == [404, 404, 404]
    call.refresh_from_db()
    assert call.is_planned


def test_cancelling_from_the_agenda_without_javascript_redirects_with_a_message(
    rep: User, deal: Deal, browser_of: Any
) -> None:
    # given
    call = plan(rep, deal, "Call Nikos", timezone.now())

    # when
    response = browser_of(rep).post(reverse("activities:cancel", args=[call.pk]), follow=True)

    # then
    assert response.redirect_chain == [(AGENDA, 302)]
    assert messages_of(response) == ["Cancelled: Call Nikos."]
    assert "</span> Call Nikos" not in text(response)


def test_later_pages_on_past_the_upcoming_days(rep: User, deal: Deal, browser_of: Any) -> None:
    # given: nothing in the next two weeks, two calls after
    tomorrow = local_midnight(rep.zone, days_from_today=1)
    plan(rep, deal, "In three weeks", tomorrow + dt.timedelta(days=21))
    plan(rep, deal, "In a month", tomorrow + dt.timedelta(days=30))
    browser = browser_of(rep)

    # when
    page = text(browser.get(AGENDA))
    later_link = re.search(r'hx-get="(/agenda/\?[^"]*group=later[^"]*)"', page)
    assert later_link is not None
    later = text(browser.get(later_link.group(1).replace("&amp;", "&"), headers=HTMX))
    later_without_js = text(browser.get(later_link.group(1).replace("&amp;", "&")))

    # then
    assert "Nothing planned for the next two weeks." not in page  # the "Later" link stands in for it
    assert group_of(page, "In three weeks") is None
    assert later.index("In three weeks") < later.index("In a month")
    assert "<html" not in later
    assert group_of(later_without_js, "In three weeks") == group_of(later_without_js, "In a month") == "later"


def test_a_long_backlog_is_shown_a_page_at_a_time(rep: User, deal: Deal, browser_of: Any) -> None:
    # given
    start = local_midnight(rep.zone, days_from_today=-40)
    for n in range(AGENDA_PAGE_SIZE + 5):
        plan(rep, deal, f"Old call {n:02}", start + dt.timedelta(hours=n))
    browser = browser_of(rep)

    # when
    page = text(browser.get(AGENDA))
    more_link = re.search(r'hx-get="(/agenda/\?[^"]*group=overdue[^"]*)"', page)
    assert more_link is not None
    more = text(browser.get(more_link.group(1).replace("&amp;", "&"), headers=HTMX))
    without_js = text(browser.get(more_link.group(1).replace("&amp;", "&")))

    # then
    assert re.findall(r"</span> Old call (\d\d)", groups(page)["overdue"]) == [
        f"{n:02}" for n in range(AGENDA_PAGE_SIZE)
    ]
    assert re.findall(r"</span> Old call (\d\d)", more) == [
        f"{n:02}" for n in range(AGENDA_PAGE_SIZE, AGENDA_PAGE_SIZE + 5)
    ]
    assert re.findall(r"</span> Old call (\d\d)", groups(without_js)["overdue"]) == re.findall(
        r"</span> Old call (\d\d)", more
    )


def test_the_agenda_runs_the_same_queries_with_a_light_or_a_heavy_load(
    manager: User,
    rep: User,
    teammate: User,
    make_deal: Any,
    browser_of: Any,
    django_assert_num_queries: Any,
) -> None:
    # given: a teammate with one call; the rep with 150 over 30 deals, overdue, today and coming up, each
    # with a contact, or only an organization for every third
    plan(teammate, make_deal(teammate), "One call", timezone.now() + dt.timedelta(days=1))
    deals = [
        make_deal(rep, title=f"Deal {n}", organization_id=OrganizationFactory().pk)
        if n % 3 == 0
        else make_deal(rep, title=f"Deal {n}", person_id=PersonFactory().pk)
        for n in range(30)
    ]
    today = local_midnight(rep.zone)
    for n in range(150):
        plan(rep, deals[n % 30], f"Call {n}", today + dt.timedelta(hours=n - 50))
    for n in range(30):
        info_request_log(actor=rep, deal_id=deals[n].pk, received_at=today - dt.timedelta(hours=n))
    light, heavy = browser_of(teammate), browser_of(rep)
    light.get(AGENDA)
    heavy.get(AGENDA)
    for_manager = browser_of(manager)
    for_manager.get(AGENDA)

    # when / then
    with django_assert_num_queries(REP_AGENDA_QUERIES):
        assert light.get(AGENDA).status_code == 200
    with django_assert_num_queries(REP_AGENDA_QUERIES):
        assert heavy.get(AGENDA).status_code == 200
    with django_assert_num_queries(MANAGER_AGENDA_QUERIES):
        assert for_manager.get(AGENDA, {"owner": teammate.pk}).status_code == 200
    with django_assert_num_queries(MANAGER_AGENDA_QUERIES):
        assert for_manager.get(AGENDA, {"owner": rep.pk}).status_code == 200


def test_information_requests_waiting_for_an_answer_head_the_agenda_late_ones_first(
    rep: User, deal: Deal, browser_of: Any
) -> None:
    # given: a request from three days ago (late) and one from just now, and an overdue call
    info_request_log(actor=rep, deal_id=deal.pk, subject="Price list", received_at=timezone.now())
    info_request_log(
        actor=rep, deal_id=deal.pk, subject="Case studies", received_at=timezone.now() - dt.timedelta(days=3)
    )
    plan(rep, deal, "Call back", timezone.now() - dt.timedelta(days=2))

    # when
    page = text(browser_of(rep).get(AGENDA))

    # then
    assert page.index("Waiting for your answer") < page.index("Overdue")
    assert page.index("Case studies") < page.index("Price list") < page.index("Call back")
    assert group_of(page, "Case studies") == "requests"
    requests = groups(page)["requests"]
    assert requests.count("answer by") == 2 and requests.count("· asked ") == 2
    assert group_of(page, "Call back") == "overdue"


def test_without_requests_waiting_the_agenda_has_no_requests_group(rep: User, browser_of: Any) -> None:
    assert "Waiting for your answer" not in text(browser_of(rep).get(AGENDA))


@pytest.mark.parametrize("language", ["en", "el"])
def test_a_fresh_items_forms_are_what_the_forms_render(
    team: Team, make_deal: Any, confirm_decision_maker: Any, language: str
) -> None:
    """The agenda writes each fresh item's complete, reschedule and cancel forms from values worked out
    once per page; they must be what activity_actions.html renders from the forms themselves, as the deal
    page and a refused item show them."""
    # given: an owner in Singapore with something of every kind planned, its subject needing escapes
    owner = UserFactory(username="singapore", team=team, time_zone="Asia/Singapore")
    deal = make_deal(owner, person_id=PersonFactory().pk)
    confirm_decision_maker(deal)
    soon = local_midnight(owner.zone, days_from_today=2) + dt.timedelta(hours=9, minutes=30)
    for kind in ActivityKind.values:
        if kind not in (ActivityKind.NOTE, ActivityKind.INFO_REQUEST):
            activity_schedule(
                actor=owner,
                kind=kind,
                subject=f'{kind} <b>"A&B"</b>',
                due_at=soon,
                deal_id=deal.pk,
                ends_at=soon + dt.timedelta(days=10) if kind == ActivityKind.TRIAL else None,
            )
    info_request_log(actor=owner, deal_id=deal.pk, subject="Price list")
    browser = Client(headers={"Accept-Language": language})
    browser.force_login(owner)

    # when
    page = text(browser.get(AGENDA))

    # then
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    assert token is not None
    items = re.findall(r'<li class="agenda-item[^"]*" id="agenda-item-(\d+)">(.*?)</li>', page, re.S)
    activities = Activity.objects.in_bulk([int(pk) for pk, _html in items])
    assert {activity.kind for activity in activities.values()} == set(ActivityKind.values) - {"note"}
    for pk, html in items:
        activity = activities[int(pk)]
        assert activity.due_at is not None
        due = timezone.localtime(activity.due_at, owner.zone)
        auto_id = f"id_agenda{pk}_%s"
        with translation.override(language):
            expected = render_to_string(
                "activities/activity_actions.html",
                {
                    "activity": activity,
                    "complete_form": CompleteForm(kind=activity.kind, auto_id=auto_id),
                    "reschedule_form": RescheduleForm(
                        zone=owner.zone,
                        auto_id=auto_id,
                        initial={"due_date": due.date(), "due_time": due.time()},
                    ),
                    "complete_url": reverse("activities:complete", args=[activity.pk]),
                    "reschedule_url": reverse("activities:reschedule", args=[activity.pk]),
                    "cancel_url": reverse("activities:cancel", args=[activity.pk]),
                    "zone_name": owner.time_zone,
                    "csrf_token": token.group(1),
                },
            )
        # The actions run to the end of the item's last block.
        actions = html[html.index('<div class="activity-actions">') : html.rindex("</div>")]
        assert parse_html(actions) == parse_html(expected), activity.kind


@pytest.mark.parametrize(
    ("language", "date", "time"), [("en", "%m/%d/%Y", "9:30 a.m."), ("el", "%d/%m/%Y", "09:30")]
)
def test_an_items_times_are_written_on_the_owners_clock_in_their_language(
    team: Team, make_deal: Any, language: str, date: str, time: str
) -> None:
    # given: in Singapore, a call planned at half past nine two days from now, and a request that came in
    # at half past nine yesterday
    owner = UserFactory(username="singapore", team=team, time_zone="Asia/Singapore")
    deal = make_deal(owner)
    due_at = local_midnight(owner.zone, days_from_today=2) + dt.timedelta(hours=9, minutes=30)
    call = plan(owner, deal, "Call back", due_at)
    received_at = local_midnight(owner.zone, days_from_today=-1) + dt.timedelta(hours=9, minutes=30)
    request = info_request_log(actor=owner, deal_id=deal.pk, subject="Price list", received_at=received_at)
    browser = Client(headers={"Accept-Language": language})
    browser.force_login(owner)

    # when
    page = text(browser.get(AGENDA))

    # then
    item = page.split(f'id="agenda-item-{call.pk}"')[1]
    assert f'<time datetime="{due_at.isoformat()}"><span class="agenda-day">' in item
    assert re.search(rf'<span class="agenda-day">\w+ {re.escape(due_at.strftime(date))}</span>', item)
    assert f'<strong class="agenda-time">{time}</strong>' in item
    assert f'name="due_date" value="{due_at.date().isoformat()}"' in item
    assert 'name="due_time" value="09:30"' in item
    asked = page.split(f'id="agenda-item-{request.pk}"')[1]
    assert re.search(rf"· \w+ [^<]*{re.escape(received_at.strftime(date))} {time}</span>", asked)
