"""The agenda and the deal page in a real browser; also the screenshots kept in docs/screenshots."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from salespipe.activities.models import Activity
from salespipe.activities.services import activity_schedule
from salespipe.people.models import User
from tests.browser.conftest import keep_for_docs, screenshot, sign_in

pytestmark = pytest.mark.django_db(transaction=True)


def test_completing_an_overdue_call_from_the_agenda_takes_it_off_the_list(
    page: Any, rep: User, make_deal: Any, confirm_decision_maker: Any
) -> None:
    # given an overdue call and a meeting tomorrow
    deal = make_deal(rep, title="Acme: 20 licences")
    confirm_decision_maker(deal)
    call = activity_schedule(
        actor=rep,
        kind="call",
        subject="Call Maria about the quote",
        due_at=timezone.now() - dt.timedelta(hours=3),
        deal_id=deal.pk,
    )
    meeting = activity_schedule(
        actor=rep,
        kind="meeting",
        subject="Demo at Acme",
        due_at=timezone.now() + dt.timedelta(days=1),
        deal_id=deal.pk,
    )
    sign_in(page, "rep")

    # when the rep opens the agenda and marks the call done
    page.get_by_role("link", name="Agenda").click()
    page.wait_for_url("**/agenda/**")
    keep_for_docs(screenshot(page, "agenda"))
    item = page.locator(f"#agenda-item-{call.pk}")
    item.get_by_text("Complete").click()
    item.get_by_role("button", name="Mark as done").click()

    # then it leaves the overdue list and is done in the database
    page.locator(f"#agenda-item-{call.pk}").wait_for(state="detached")
    assert Activity.objects.get(pk=call.pk).done_at is not None
    assert page.locator(f"#agenda-item-{meeting.pk}").is_visible()
    # with the call and the email that confirm it the working day before (today, as it is tomorrow)
    assert page.locator(
        ".agenda-subject", has_text="Call to confirm the appointment: Demo at Acme"
    ).is_visible()
    assert page.locator(
        ".agenda-subject", has_text="Email to confirm the appointment: Demo at Acme"
    ).is_visible()


def test_the_deal_page_shows_the_next_step_and_refuses_a_gated_move_with_its_message(
    page: Any, rep: User, make_deal: Any, stages: Any
) -> None:
    # given a qualified deal with a call planned and no decision maker yet
    deal = make_deal(
        rep, title="Ζαχαροπλαστείο Ρόδου: 12 άδειες", value=12000, stage_id=stages["Qualified"].pk
    )
    activity_schedule(
        actor=rep,
        kind="call",
        subject="Ask who signs",
        due_at=timezone.now() + dt.timedelta(hours=2),
        deal_id=deal.pk,
    )
    sign_in(page, "rep")

    # when the rep opens the deal
    page.goto(f"/deals/{deal.pk}/")

    # then the next step is prominent
    assert page.get_by_text("Ask who signs").first.is_visible()
    keep_for_docs(screenshot(page, "deal-page"))

    # and moving it to Appointment from the stage path is refused with the gate's message
    page.get_by_role("button", name="Move to Appointment").click()
    page.get_by_text("before a decision maker is confirmed").first.wait_for()
    deal.refresh_from_db()
    assert deal.stage == stages["Qualified"]
