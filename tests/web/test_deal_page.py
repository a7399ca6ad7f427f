"""The deal page: header, next step and timeline; inline edits with versions; stage moves and their
gates; contacts and buying authority; activities scheduled, logged, completed, moved and cancelled in
place. Each form works without JavaScript (POST, then a redirect with a message) and with htmx (a
fragment, or fragments out of band)."""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from salespipe.activities.models import Activity
from salespipe.activities.services import activity_complete, activity_record, activity_schedule
from salespipe.deals.models import ContactRole, Deal, DealContact, DealStatus, Stage
from salespipe.deals.services import deal_contact_add, deal_move, deal_update, exchange_rate_set
from salespipe.deals.timeline import TIMELINE_PAGE_SIZE
from salespipe.directory.models import Person
from salespipe.people.models import User
from tests.factories import OrganizationFactory, PersonFactory

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}
ATHENS = zoneinfo.ZoneInfo("Europe/Athens")

# Session, user, deal, stages, next step, contacts, timeline stage changes, timeline activities, and the
# budget and close-date suggestions (analytics.selectors.deal_suggestions).
DEAL_PAGE_QUERIES = 10


@pytest.fixture
def deal(rep: User, make_deal: Any) -> Deal:
    person = PersonFactory(first_name="Maria", last_name="Papadopoulou")
    return make_deal(
        rep,
        title="Acme: 20 licences",
        organization_id=person.organization_id,
        person_id=person.pk,
        value=1000,
    )


def url(deal: Deal, name: str = "detail", *args: int | str) -> str:
    return reverse(f"deals:{name}", args=[deal.pk, *args])


def text(response: Any) -> str:
    return response.content.decode()


def refreshed(deal: Deal) -> Deal:
    deal.refresh_from_db()
    return deal


def messages_of(response: Any) -> list[str]:
    return [str(message) for message in response.context["messages"]]


# --- the page -------------------------------------------------------------------------------------------


def test_the_deal_page_shows_the_header_the_next_step_and_the_timeline(
    rep: User, deal: Deal, stages: dict[str, Stage], browser_of: Any
) -> None:
    # given
    deal_move(actor=rep, deal_id=deal.pk, stage_id=stages["Contacted"].pk)
    activity_record(actor=rep, kind="call", deal_id=deal.pk, subject="Intro call", outcome="connected")
    activity_schedule(
        actor=rep,
        kind="call",
        deal_id=deal.pk,
        subject="Ask about the budget",
        due_at=dt.datetime(2031, 3, 2, 10, 30, tzinfo=ATHENS),
    )

    # when
    response = browser_of(rep).get(url(deal))

    # then
    page = text(response)
    assert response.status_code == 200
    assert "Acme: 20 licences" in page
    assert deal.organization is not None and deal.organization.name in page
    assert re.search(r'aria-current="step">\s*<span>Contacted</span>', page)
    assert all(name in page for name in ("Lead", "Qualified", "Appointment", "Demo/Trial", "Proposal"))
    assert "€1,000.00" in page  # the value
    assert "€100.00" in page  # weighted: 10% in Contacted
    next_step = page[page.index('id="deal-next-step"') :]
    assert "Ask about the budget" in next_step[: next_step.index("</div>")]
    assert "March 2, 2031, 10:30 a.m." in next_step  # on the rep's clock (Europe/Athens)
    timeline = page[page.index('id="deal-timeline"') :]
    # Newest first: the planned call, the call made, the move, the creation.
    positions = [timeline.index(s) for s in ("Ask about the budget", "Intro call", "Lead → Contacted")]
    assert positions == sorted(positions)
    assert timeline.index("Lead → Contacted") < timeline.index("Created in Lead")
    assert "Connected" in timeline


def test_an_open_deal_without_a_planned_activity_asks_for_a_next_step(
    rep: User, deal: Deal, browser_of: Any
) -> None:
    # when
    response = browser_of(rep).get(url(deal))

    # then
    assert "No next step — schedule one" in text(response)


def test_a_rotting_deal_and_an_overdue_next_step_are_marked(rep: User, deal: Deal, browser_of: Any) -> None:
    # given: Lead rots after 14 days without progress; the only planned call was due yesterday
    Deal.objects.filter(pk=deal.pk).update(stage_entered_at=timezone.now() - dt.timedelta(days=20))
    activity_schedule(
        actor=rep, kind="call", deal_id=deal.pk, due_at=timezone.now() - dt.timedelta(days=1), subject="Chase"
    )

    # when
    page = text(browser_of(rep).get(url(deal)))

    # then
    assert "Rotting: no progress for 20 days." in page
    assert "mark-overdue" in page
    assert "No next step" not in page


def test_a_rep_gets_404_for_another_reps_deal_page_and_every_endpoint_of_it(
    rep: User, teammate: User, make_deal: Any, stages: dict[str, Stage], browser_of: Any
) -> None:
    # given
    theirs = make_deal(teammate, title="Not yours")
    call = activity_schedule(actor=teammate, kind="call", deal_id=theirs.pk, due_at=timezone.now())
    contact = deal_contact_add(
        actor=teammate, deal_id=theirs.pk, person_id=PersonFactory().pk, role=ContactRole.CHAMPION
    )
    browser = browser_of(rep)

    # when
    answers = [
        browser.get(url(theirs)),
        browser.get(url(theirs, "detail_timeline")),
        browser.get(url(theirs, "detail_field", "title")),
        browser.get(url(theirs, "detail_edit", "title")),
        browser.post(url(theirs, "detail_edit", "title"), {"title": "Mine now", "version": 1}),
        browser.post(url(theirs, "detail_move"), {"stage_id": stages["Contacted"].pk, "version": 1}),
        browser.post(url(theirs, "detail_win"), {"version": 1}),
        browser.post(url(theirs, "detail_lose"), {"version": 1, "lost_reason": "price"}),
        browser.get(url(theirs, "detail_contact_search"), {"q": "a"}),
        browser.post(
            url(theirs, "detail_contact_add"), {"person_id": PersonFactory().pk, "role": "champion"}
        ),
        browser.post(url(theirs, "detail_contact_create"), {"last_name": "X", "role": "champion"}),
        browser.post(url(theirs, "detail_contact_role", contact.pk), {"role": "decision_maker"}),
        browser.post(url(theirs, "detail_contact_confirm", contact.pk), {"how": "meeting"}),
        browser.post(url(theirs, "detail_contact_withdraw", contact.pk)),
        browser.post(url(theirs, "detail_contact_remove", contact.pk)),
        browser.post(
            url(theirs, "detail_activity_schedule"),
            {"kind": "call", "due_date": "2031-01-01", "due_time": "10:00"},
        ),
        browser.post(url(theirs, "detail_activity_record"), {"kind": "note", "subject": "x"}),
        browser.post(url(theirs, "detail_activity_complete", call.pk), {"outcome": "connected"}),
        browser.post(
            url(theirs, "detail_activity_reschedule", call.pk),
            {"due_date": "2031-01-01", "due_time": "10:00"},
        ),
        browser.post(url(theirs, "detail_activity_cancel", call.pk)),
    ]

    # then
    assert [answer.status_code for answer in answers] == [404] * len(answers)
    theirs = refreshed(theirs)
    assert (theirs.title, theirs.version, theirs.status) == ("Not yours", 1, DealStatus.OPEN)
    assert Activity.objects.filter(deal=theirs).count() == 1
    assert DealContact.objects.get(pk=contact.pk).role == ContactRole.CHAMPION


def test_a_manager_sees_a_team_members_deal_and_another_teams_manager_does_not(
    manager: User, other_manager: User, deal: Deal, browser_of: Any
) -> None:
    # when
    own_team = browser_of(manager).get(url(deal))
    other_team = browser_of(other_manager).get(url(deal))

    # then
    assert own_team.status_code == 200
    assert "Acme: 20 licences" in text(own_team)
    assert other_team.status_code == 404


def test_the_page_speaks_greek_with_greek_numbers_and_dates(rep: User, deal: Deal, browser_of: Any) -> None:
    # given
    browser = browser_of(rep)
    browser.cookies[settings.LANGUAGE_COOKIE_NAME] = "el"

    # when
    page = text(browser.get(url(deal)))

    # then
    assert '<html lang="el"' in page
    assert "1.000,00\xa0€" in page
    assert "31/12/2026" in page


# --- inline edits ---------------------------------------------------------------------------------------


def test_the_edit_form_is_filled_from_the_deal_and_carries_its_version(
    rep: User, deal: Deal, browser_of: Any
) -> None:
    # when
    response = browser_of(rep).get(url(deal, "detail_edit", "value"), headers=HTMX)

    # then
    fragment = text(response)
    assert response.status_code == 200
    assert fragment.lstrip().startswith('<div class="field field-editing" id="field-value">')
    assert 'name="value" value="1,000.00"' in fragment
    assert 'name="currency" value="EUR"' in fragment
    assert 'name="version" value="1"' in fragment
    assert "<html" not in fragment


def test_an_inline_edit_saves_and_bumps_the_version(
    rep: User, admin_user: User, deal: Deal, browser_of: Any
) -> None:
    # given
    exchange_rate_set(actor=admin_user, currency="USD", rate_to_base="0.9")

    # when
    response = browser_of(rep).post(
        url(deal, "detail_edit", "value"), {"value": "2500.50", "currency": "usd", "version": 1}, headers=HTMX
    )

    # then: the deal changed once, and every versioned fragment came back out of band with version 2
    deal = refreshed(deal)
    assert (deal.value, deal.currency, deal.base_value, deal.version) == (
        Decimal("2500.50"),
        "USD",
        Decimal("2250.45"),
        2,
    )
    fragments = text(response)
    assert response.status_code == 200
    for fragment_id in ("deal-summary", "deal-details", "deal-qualification"):
        assert re.search(rf'id="{fragment_id}"[^>]*hx-swap-oob="true"', fragments)
    assert 'name="version" value="2"' in fragments
    assert 'name="version" value="1"' not in fragments
    assert "Saved: Value." in fragments
    assert "$2,500.50" in fragments


def test_an_inline_edit_without_javascript_redirects_back_with_a_message(
    rep: User, deal: Deal, browser_of: Any
) -> None:
    # when
    response = browser_of(rep).post(
        url(deal, "detail_edit", "title"), {"title": "Acme: 40 licences", "version": 1}, follow=True
    )

    # then
    assert response.redirect_chain == [(url(deal) + "#field-title", 302)]
    assert messages_of(response) == ["Saved: Title."]
    assert refreshed(deal).title == "Acme: 40 licences"


def test_a_stale_edit_shows_the_conflict_message_and_changes_nothing(
    rep: User, manager: User, deal: Deal, browser_of: Any
) -> None:
    # given: the rep opened the edit form at version 1, then the manager changed the deal
    form = text(browser_of(rep).get(url(deal, "detail_edit", "title"), headers=HTMX))
    assert 'name="version" value="1"' in form
    deal_update(actor=manager, deal_id=deal.pk, expected_version=1, value=5000)

    # when
    with_htmx = browser_of(rep).post(
        url(deal, "detail_edit", "title"), {"title": "Rep's title", "version": 1}, headers=HTMX
    )
    without_js = browser_of(rep).post(
        url(deal, "detail_edit", "title"), {"title": "Rep's title", "version": 1}
    )

    # then
    for response in (with_htmx, without_js):
        assert response.status_code == 412
        assert "changed by someone else" in text(response)
        assert "Reload the deal" in text(response)
        assert 'value="Rep&#x27;s title"' in text(response)  # what they typed is still there to copy
    assert with_htmx["HX-Retarget"] == "#field-title"
    deal = refreshed(deal)
    assert (deal.title, deal.value, deal.version) == ("Acme: 20 licences", 5000, 2)


def test_invalid_input_shows_the_fields_error_and_changes_nothing(
    rep: User, deal: Deal, browser_of: Any
) -> None:
    # when
    response = browser_of(rep).post(
        url(deal, "detail_edit", "value"), {"value": "10", "currency": "XYZ", "version": 1}, headers=HTMX
    )

    # then
    fragment = text(response)
    assert response.status_code == 422
    assert "not an ISO 4217 currency code" in fragment
    assert re.search(r'name="currency"[^>]*aria-invalid="true"', fragment)
    deal = refreshed(deal)
    assert (deal.currency, deal.version) == ("EUR", 1)


def test_the_owner_can_be_given_only_to_people_the_manager_may_assign(
    manager: User, rep: User, teammate: User, outsider: User, deal: Deal, browser_of: Any
) -> None:
    # when
    form = text(browser_of(manager).get(url(deal, "detail_edit", "owner"), headers=HTMX))
    to_outsider = browser_of(manager).post(
        url(deal, "detail_edit", "owner"), {"owner_id": outsider.pk, "version": 1}, headers=HTMX
    )
    to_teammate = browser_of(manager).post(
        url(deal, "detail_edit", "owner"), {"owner_id": teammate.pk, "version": 1}, headers=HTMX
    )

    # then
    options = re.findall(r'<option value="(\d+)"', form)
    assert sorted(map(int, options)) == sorted([manager.pk, rep.pk, teammate.pk])
    assert to_outsider.status_code == 422
    assert to_teammate.status_code == 200
    assert refreshed(deal).owner == teammate


def test_a_rep_is_not_offered_to_give_their_deal_away(rep: User, deal: Deal, browser_of: Any) -> None:
    # when
    page = text(browser_of(rep).get(url(deal)))
    edit = browser_of(rep).get(url(deal, "detail_edit", "owner"))

    # then
    assert url(deal, "detail_edit", "owner") not in page
    assert edit.status_code == 404


def test_the_edit_link_works_without_javascript(rep: User, deal: Deal, browser_of: Any) -> None:
    # when
    response = browser_of(rep).get(url(deal, "detail_edit", "budget"))

    # then: the whole page, with the budget's form open in place
    page = text(response)
    assert response.status_code == 200
    assert "<html" in page
    assert re.search(r'id="field-budget">.*?<form method="post"', page, re.S)
    assert 'name="budget_evidence"' in page


# --- stages ---------------------------------------------------------------------------------------------


def test_a_gate_refusal_on_a_move_shows_its_message(
    rep: User, deal: Deal, stages: dict[str, Stage], browser_of: Any
) -> None:
    # when
    with_htmx = browser_of(rep).post(
        url(deal, "detail_move"), {"stage_id": stages["Appointment"].pk, "version": 1}, headers=HTMX
    )
    without_js = browser_of(rep).post(
        url(deal, "detail_move"), {"stage_id": stages["Proposal"].pk, "version": 1}, follow=True
    )

    # then
    assert with_htmx.status_code == 409
    assert "cannot enter &#x27;Appointment&#x27; before a decision maker is confirmed" in text(with_htmx)
    assert 'role="alert"' in text(with_htmx)
    assert messages_of(without_js) == [
        "'Acme: 20 licences' cannot enter 'Appointment' before a decision maker is confirmed. Add the "
        "person who decides (decision maker or economic buyer) to the deal and confirm their buying "
        "authority: who confirmed it, when and how."
    ]
    deal = refreshed(deal)
    assert (deal.stage, deal.version) == (stages["Lead"], 1)


def test_a_move_past_the_gate_with_a_confirmed_decision_maker_goes_through(
    rep: User, deal: Deal, stages: dict[str, Stage], confirm_decision_maker: Any, browser_of: Any
) -> None:
    # given
    confirm_decision_maker(deal)

    # when
    response = browser_of(rep).post(
        url(deal, "detail_move"), {"stage_id": stages["Appointment"].pk, "version": 1}, headers=HTMX
    )

    # then
    assert response.status_code == 200
    assert "Moved to Appointment." in text(response)
    assert re.search(r'aria-current="step">\s*<span>Appointment</span>', text(response))
    assert refreshed(deal).stage == stages["Appointment"]


def test_a_stale_move_is_refused(
    rep: User, manager: User, deal: Deal, stages: dict[str, Stage], browser_of: Any
) -> None:
    # given
    deal_update(actor=manager, deal_id=deal.pk, expected_version=1, title="Renamed")

    # when
    response = browser_of(rep).post(
        url(deal, "detail_move"), {"stage_id": stages["Contacted"].pk, "version": 1}, headers=HTMX
    )

    # then
    assert response.status_code == 412
    assert "changed by someone else" in text(response)
    assert refreshed(deal).stage == stages["Lead"]


def test_losing_needs_a_reason_and_winning_closes_the_deal(
    rep: User, deal: Deal, make_deal: Any, browser_of: Any
) -> None:
    # given
    other = make_deal(rep, title="Beta")
    browser = browser_of(rep)

    # when
    no_reason = browser.post(url(deal, "detail_lose"), {"version": 1, "lost_reason": " "}, headers=HTMX)
    lost = browser.post(
        url(deal, "detail_lose"), {"version": 1, "lost_reason": "Went with a competitor"}, follow=True
    )
    won = browser.post(url(other, "detail_win"), {"version": 1}, headers=HTMX)

    # then
    assert no_reason.status_code == 409
    assert "Say why" in text(no_reason)
    assert messages_of(lost) == ["Marked as lost: Acme: 20 licences."]
    deal, other = refreshed(deal), refreshed(other)
    assert (deal.status, deal.lost_reason) == (DealStatus.LOST, "Went with a competitor")
    assert "Went with a competitor" in text(lost)  # on the timeline and in the header
    assert won.status_code == 200
    assert other.status == DealStatus.WON
    assert "Won on" in text(won)


# --- contacts -------------------------------------------------------------------------------------------


def test_a_person_from_the_directory_is_found_added_confirmed_and_withdrawn(
    rep: User, deal: Deal, stages: dict[str, Stage], browser_of: Any
) -> None:
    # given
    decider = PersonFactory(first_name="Γιώργος", last_name="Παπαδόπουλος")
    browser = browser_of(rep)

    # when: searching without accents finds them; they are added as decision maker and confirmed
    found = browser.get(url(deal, "detail_contact_search"), {"q": "παπαδοπ"}, headers=HTMX)
    added = browser.post(
        url(deal, "detail_contact_add"), {"person_id": decider.pk, "role": "decision_maker"}, headers=HTMX
    )
    contact = DealContact.objects.get(deal=deal, person=decider)
    confirmed = browser.post(
        url(deal, "detail_contact_confirm", contact.pk),
        {"how": "meeting", "note": "Signs every purchase over €5k"},
        headers=HTMX,
    )
    moved = browser.post(url(deal, "detail_move"), {"stage_id": stages["Appointment"].pk, "version": 1})
    withdrawn = browser.post(url(deal, "detail_contact_withdraw", contact.pk), headers=HTMX)

    # then
    assert found.status_code == 200
    assert f'name="person_id" value="{decider.pk}"' in text(found)
    assert added.status_code == 200
    assert text(added).lstrip().startswith('<div id="deal-contacts"')
    assert "Added to the deal." in text(added)
    assert "Buying authority confirmed by" in text(confirmed)
    assert "In a meeting" in text(confirmed)
    assert moved.status_code == 302
    assert refreshed(deal).stage == stages["Appointment"]
    assert "No confirmed decision maker yet" in text(withdrawn)
    contact.refresh_from_db()
    assert contact.authority_confirmed_at is None


def test_a_contacts_role_changes_and_the_contact_can_be_removed(
    rep: User, deal: Deal, browser_of: Any
) -> None:
    # given
    contact = deal_contact_add(actor=rep, deal_id=deal.pk, person_id=PersonFactory().pk, role="influencer")
    browser = browser_of(rep)

    # when
    changed = browser.post(url(deal, "detail_contact_role", contact.pk), {"role": "champion"}, follow=True)
    contact.refresh_from_db()
    role = contact.role
    removed = browser.post(url(deal, "detail_contact_remove", contact.pk), headers=HTMX)

    # then
    assert messages_of(changed) == ["Role changed."]
    assert role == ContactRole.CHAMPION
    assert removed.status_code == 200
    assert not DealContact.objects.filter(pk=contact.pk).exists()


def test_confirming_authority_of_a_champion_is_refused_with_the_reason(
    rep: User, deal: Deal, browser_of: Any
) -> None:
    # given
    contact = deal_contact_add(actor=rep, deal_id=deal.pk, person_id=PersonFactory().pk, role="champion")

    # when
    response = browser_of(rep).post(
        url(deal, "detail_contact_confirm", contact.pk), {"how": "meeting"}, headers=HTMX
    )

    # then
    assert response.status_code == 409
    assert "only a decision maker or an economic buyer" in text(response)
    contact.refresh_from_db()
    assert contact.authority_confirmed_at is None


def test_someone_new_goes_into_the_directory_at_the_deals_organization_and_onto_the_deal(
    rep: User, deal: Deal, browser_of: Any
) -> None:
    # when
    response = browser_of(rep).post(
        url(deal, "detail_contact_create"),
        {
            "first_name": "Eleni",
            "last_name": "Georgiou",
            "email": "eleni@acme.test",
            "role": "economic_buyer",
        },
        headers=HTMX,
    )

    # then
    person = Person.objects.get(email="eleni@acme.test")
    assert response.status_code == 200
    assert person.organization_id == deal.organization_id
    assert DealContact.objects.filter(deal=deal, person=person, role="economic_buyer").exists()
    assert "Eleni Georgiou" in text(response)


def test_someone_new_with_a_taken_email_is_refused_and_nothing_is_created(
    rep: User, deal: Deal, browser_of: Any
) -> None:
    # given
    PersonFactory(email="taken@acme.test")
    people = Person.objects.count()

    # when
    response = browser_of(rep).post(
        url(deal, "detail_contact_create"),
        {"last_name": "Copy", "email": "taken@acme.test", "role": "user"},
        headers=HTMX,
    )

    # then
    assert response.status_code == 422
    assert "already has the email taken@acme.test" in text(response)
    assert Person.objects.count() == people
    assert not deal.contacts.exists()


# --- activities -----------------------------------------------------------------------------------------


def test_a_meeting_is_not_booked_from_the_deal_page_before_a_decision_maker_is_confirmed(
    rep: User, deal: Deal, browser_of: Any
) -> None:
    # when
    response = browser_of(rep).post(
        url(deal, "detail_activity_schedule"),
        {"kind": "meeting", "subject": "Meet them", "due_date": "2031-05-06", "due_time": "09:30"},
        headers=HTMX,
    )

    # then the form comes back with the gate's reason, and nothing was booked
    assert response.status_code == 409
    assert "cannot be booked before a decision maker is confirmed" in text(response)
    assert not Activity.objects.filter(deal=deal).exists()


def test_scheduling_from_the_deal_page_reads_the_users_clock_and_sets_the_next_step(
    rep: User, deal: Deal, browser_of: Any, confirm_decision_maker: Any
) -> None:
    # given
    confirm_decision_maker(deal)

    # when
    response = browser_of(rep).post(
        url(deal, "detail_activity_schedule"),
        {
            "kind": "meeting",
            "subject": "Demo for the board",
            "due_date": "2031-05-06",
            "due_time": "09:30",
            "duration_minutes": "60",
            "note": "Bring the ROI sheet",
        },
        headers=HTMX,
    )

    # then
    meeting = Activity.objects.get(deal=deal, kind="meeting")
    assert meeting.due_at == dt.datetime(2031, 5, 6, 9, 30, tzinfo=ATHENS)
    assert (meeting.kind, meeting.duration_minutes, meeting.owner) == ("meeting", 60, rep)
    # the first thing to do is the call to confirm it, on the Monday before at the start of the day
    assert refreshed(deal).next_activity_at == dt.datetime(2031, 5, 5, 9, 0, tzinfo=ATHENS)
    fragments = text(response)
    assert response.status_code == 200
    assert fragments.lstrip().startswith('<div id="schedule-activity"')
    assert "Scheduled: Demo for the board." in fragments
    assert re.search(r'id="deal-next-step"[^>]*hx-swap-oob="true"', fragments)
    assert re.search(r'id="deal-timeline"[^>]*hx-swap-oob="true"', fragments)
    next_step = fragments[fragments.index('id="deal-next-step"') :]
    assert "Demo for the board" in next_step[: next_step.index("</div>")]


def test_scheduling_without_a_date_shows_the_error_in_the_form(
    rep: User, deal: Deal, browser_of: Any
) -> None:
    # when
    response = browser_of(rep).post(
        url(deal, "detail_activity_schedule"), {"kind": "call", "subject": "Call back"}, headers=HTMX
    )

    # then
    assert response.status_code == 422
    assert re.search(r'name="due_date"[^>]*aria-invalid="true"', text(response))
    assert 'value="Call back"' in text(response)
    assert not Activity.objects.exists()


def test_completing_rescheduling_and_cancelling_in_place_move_the_next_step(
    rep: User, deal: Deal, browser_of: Any
) -> None:
    # given
    soon = timezone.now() + dt.timedelta(hours=2)
    call = activity_schedule(actor=rep, kind="call", deal_id=deal.pk, due_at=soon, subject="Call")
    demo = activity_schedule(
        actor=rep, kind="demo", deal_id=deal.pk, due_at=soon + dt.timedelta(days=1), subject="Demo"
    )
    browser = browser_of(rep)

    # when / then: completing the call makes the demo the next step
    done = browser.post(
        url(deal, "detail_activity_complete", call.pk), {"outcome": "connected", "note": "Keen"}, headers=HTMX
    )
    assert done.status_code == 200
    assert "Done: Call." in text(done)
    assert refreshed(deal).next_activity_at == demo.due_at

    # when / then: moving the demo moves the next step
    moved = browser.post(
        url(deal, "detail_activity_reschedule", demo.pk),
        {"due_date": "2031-01-15", "due_time": "16:00"},
        headers=HTMX,
    )
    assert moved.status_code == 200
    assert refreshed(deal).next_activity_at == dt.datetime(2031, 1, 15, 16, 0, tzinfo=ATHENS)
    assert "Jan. 15, 2031, 4 p.m." in text(moved)

    # when / then: cancelling it leaves the deal without a next step
    cancelled = browser.post(url(deal, "detail_activity_cancel", demo.pk), headers=HTMX)
    assert cancelled.status_code == 200
    assert refreshed(deal).next_activity_at is None
    assert "No next step — schedule one" in text(cancelled)
    call.refresh_from_db()
    assert (call.outcome, call.note) == ("connected", "Keen")


def test_a_meeting_cannot_be_completed_without_an_outcome(
    rep: User, deal: Deal, browser_of: Any, confirm_decision_maker: Any
) -> None:
    # given
    confirm_decision_maker(deal)
    meeting = activity_schedule(actor=rep, kind="meeting", deal_id=deal.pk, due_at=timezone.now())

    # when
    with_htmx = browser_of(rep).post(
        url(deal, "detail_activity_complete", meeting.pk), {"outcome": ""}, headers=HTMX
    )
    without_js = browser_of(rep).post(url(deal, "detail_activity_complete", meeting.pk), {}, follow=True)

    # then
    assert with_htmx.status_code == 422
    assert with_htmx["HX-Retarget"] == f"#activity-{meeting.pk}"
    assert "Say how the meeting went" in text(with_htmx)
    assert re.search(r"<details class=\"activity-action\" open>\s*<summary>Complete", text(with_htmx))
    assert messages_of(without_js)[0].startswith("Say how the meeting went")
    meeting.refresh_from_db()
    assert meeting.is_planned


def test_completing_a_done_activity_again_is_refused(rep: User, deal: Deal, browser_of: Any) -> None:
    # given
    call = activity_schedule(actor=rep, kind="call", deal_id=deal.pk, due_at=timezone.now())
    activity_complete(actor=rep, activity_id=call.pk, outcome="connected")

    # when
    response = browser_of(rep).post(
        url(deal, "detail_activity_complete", call.pk), {"outcome": "done"}, headers=HTMX
    )

    # then
    assert response.status_code == 409
    assert "This activity is done already." in text(response)


def test_logging_a_call_that_is_done_puts_it_on_the_timeline(rep: User, deal: Deal, browser_of: Any) -> None:
    # when
    response = browser_of(rep).post(
        url(deal, "detail_activity_record"),
        {"kind": "call", "subject": "Quick check-in", "outcome": "left_message", "note": "Call back Monday"},
        headers=HTMX,
    )

    # then
    call = Activity.objects.get(deal=deal)
    assert call.done_at is not None and call.outcome == "left_message"
    assert refreshed(deal).last_activity_at == call.done_at
    timeline = text(response)[text(response).index('id="deal-timeline"') :]
    assert "Quick check-in" in timeline
    assert "Left a message" in timeline


def test_an_activity_of_another_deal_cannot_be_acted_on_through_this_one(
    rep: User, deal: Deal, make_deal: Any, browser_of: Any
) -> None:
    # given
    other = make_deal(rep, title="Other deal")
    call = activity_schedule(actor=rep, kind="call", deal_id=other.pk, due_at=timezone.now())

    # when
    response = browser_of(rep).post(url(deal, "detail_activity_cancel", call.pk))

    # then
    assert response.status_code == 404
    call.refresh_from_db()
    assert call.is_planned


def test_forms_without_javascript_redirect_back_with_a_message(
    rep: User, deal: Deal, browser_of: Any
) -> None:
    # given
    browser = browser_of(rep)

    # when
    scheduled = browser.post(
        url(deal, "detail_activity_schedule"),
        {"kind": "call", "subject": "Follow up", "due_date": "2031-02-03", "due_time": "11:00"},
    )
    page = browser.get(scheduled["Location"])
    call = Activity.objects.get(deal=deal)
    cancelled = browser.post(url(deal, "detail_activity_cancel", call.pk), follow=True)

    # then
    assert scheduled.status_code == 302
    assert scheduled["Location"] == url(deal) + "#deal-timeline"
    assert messages_of(page) == ["Scheduled: Follow up."]
    assert messages_of(cancelled) == ["Cancelled: Follow up."]


def test_every_form_on_the_page_carries_the_csrf_token(rep: User, deal: Deal) -> None:
    # given: a contact and a planned call bring their forms; the browser enforces CSRF as a real one meets it
    deal_contact_add(actor=rep, deal_id=deal.pk, person_id=PersonFactory().pk, role="decision_maker")
    activity_schedule(actor=rep, kind="call", deal_id=deal.pk, due_at=timezone.now())
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(rep)
    page = text(browser.get(url(deal)))

    # when
    posts = re.findall(r'<form method="post"[^>]*>\s*<input type="hidden" name="csrfmiddlewaretoken"', page)
    forms = re.findall(r'<form method="post"', page)
    refused = browser.post(url(deal, "detail_win"), {"version": 1})

    # then
    assert len(posts) == len(forms) > 10
    assert refused.status_code == 403


# --- the timeline's length and the page's cost ----------------------------------------------------------


def test_the_timeline_shows_older_entries_on_request(rep: User, deal: Deal, browser_of: Any) -> None:
    # given: 25 calls logged an hour apart, plus the creation
    start = timezone.now() - dt.timedelta(days=2)
    for n in range(25):
        activity_record(
            actor=rep,
            kind="call",
            deal_id=deal.pk,
            subject=f"Call {n:02}",
            done_at=start + dt.timedelta(hours=n),
        )
    browser = browser_of(rep)

    # when
    first = text(browser.get(url(deal)))
    cursor = re.search(r'hx-get="[^"]*timeline/\?before=([^"]+)"', first)
    assert cursor is not None
    rest = text(browser.get(url(deal, "detail_timeline"), {"before": cursor.group(1)}, headers=HTMX))

    # then: the newest page is the creation (just now) and the 19 latest calls; the rest follows
    timeline = first[first.index('id="deal-timeline"') :]
    assert "Created in Lead" in timeline
    shown = re.findall(r"Call (\d\d)", timeline)
    assert shown == [f"{n:02}" for n in range(24, 24 - (TIMELINE_PAGE_SIZE - 1), -1)]
    assert re.findall(r"Call (\d\d)", rest) == ["05", "04", "03", "02", "01", "00"]
    assert "Show older" not in rest


def test_the_deal_page_runs_the_same_queries_with_a_short_or_a_long_history(
    rep: User,
    make_deal: Any,
    stages: dict[str, Stage],
    confirm_decision_maker: Any,
    browser_of: Any,
    django_assert_num_queries: Any,
) -> None:
    # given: a bare deal, and one with contacts, moves and 60 activities
    bare = make_deal(rep, title="Bare")
    busy = make_deal(rep, title="Busy", organization_id=OrganizationFactory().pk)
    confirm_decision_maker(busy)
    for _ in range(3):
        deal_contact_add(actor=rep, deal_id=busy.pk, person_id=PersonFactory().pk, role="influencer")
    for name in ("Contacted", "Qualified", "Appointment", "Qualified", "Appointment"):
        deal_move(actor=rep, deal_id=busy.pk, stage_id=stages[name].pk)
    now = timezone.now()
    for n in range(30):
        activity_record(actor=rep, kind="call", deal_id=busy.pk, done_at=now - dt.timedelta(hours=n))
        activity_schedule(actor=rep, kind="task", deal_id=busy.pk, due_at=now + dt.timedelta(hours=n + 1))
    browser = browser_of(rep)
    browser.get(url(bare))

    # when / then
    with django_assert_num_queries(DEAL_PAGE_QUERIES):
        assert browser.get(url(bare)).status_code == 200
    with django_assert_num_queries(DEAL_PAGE_QUERIES):
        assert browser.get(url(busy)).status_code == 200


def test_a_held_meeting_leaves_the_deal_flagged_without_a_next_step_until_one_is_planned(
    rep: User, deal: Deal, browser_of: Any, confirm_decision_maker: Any
) -> None:
    # given a meeting held just now, with nothing else planned
    confirm_decision_maker(deal)
    meeting = activity_schedule(
        actor=rep, kind="meeting", deal_id=deal.pk, due_at=timezone.now() - dt.timedelta(hours=1)
    )
    browser = browser_of(rep)
    browser.post(url(deal, "detail_activity_complete", meeting.pk), {"outcome": "held"})

    # then the page flags it, and the prompt to agree one is in the timeline
    page = text(browser.get(url(deal)))
    assert 'class="next-step next-step-missing"' in page
    assert "Agree the next step after: Meeting" in page

    # when the rep plans the follow-up, the flag goes
    browser.post(
        url(deal, "detail_activity_schedule"),
        {"kind": "call", "subject": "Follow up", "due_date": "2031-05-06", "due_time": "09:30"},
    )
    page = text(browser.get(url(deal)))
    assert "next-step-missing" not in page


def test_a_trial_planned_from_the_deal_page_ends_on_its_day_and_gets_its_follow_ups(
    rep: User, deal: Deal, browser_of: Any
) -> None:
    # when
    browser_of(rep).post(
        url(deal, "detail_activity_schedule"),
        {
            "kind": "trial",
            "subject": "Pilot",
            "due_date": "2031-05-05",
            "due_time": "09:00",
            "ends_date": "2031-05-19",
        },
    )

    # then
    trial = Activity.objects.get(deal=deal, kind="trial")
    assert trial.ends_at == dt.datetime(2031, 5, 19, 9, 0, tzinfo=ATHENS)
    assert sorted(trial.follow_ups.values_list("purpose", "due_at")) == [
        ("trial_check_in", dt.datetime(2031, 5, 12, 9, 0, tzinfo=ATHENS)),
        ("trial_decision", dt.datetime(2031, 5, 19, 9, 0, tzinfo=ATHENS)),
    ]


def test_a_trial_without_an_end_is_refused_in_the_form(rep: User, deal: Deal, browser_of: Any) -> None:
    response = browser_of(rep).post(
        url(deal, "detail_activity_schedule"),
        {"kind": "trial", "due_date": "2031-05-05", "due_time": "09:00"},
        headers=HTMX,
    )

    assert response.status_code == 422
    assert "A trial needs an end date" in text(response)
    assert not Activity.objects.filter(deal=deal).exists()


def test_logging_an_information_request_from_the_deal_page_says_by_when_to_answer(
    rep: User, deal: Deal, browser_of: Any
) -> None:
    with time_machine.travel(dt.datetime(2026, 11, 27, 14, 0, tzinfo=dt.UTC), tick=False):
        response = browser_of(rep).post(
            url(deal, "detail_activity_record"),
            {"kind": "info_request", "subject": "Price list for 50 seats"},
            headers=HTMX,
        )

    request = Activity.objects.get(deal=deal, kind="info_request")
    assert request.is_planned
    assert request.due_at == dt.datetime(2026, 11, 30, 12, 0, tzinfo=ATHENS)
    assert "Logged: Price list for 50 seats. Answer it by" in text(response)
