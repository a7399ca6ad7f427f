"""Each deal and activity service emits its event with the entity's data; without webhooks, at no cost."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from salespipe.activities.services import activity_complete, activity_record, activity_schedule
from salespipe.deals.models import Deal, Stage
from salespipe.deals.services import deal_lose, deal_move, deal_update, deal_win
from salespipe.people.models import User
from salespipe.webhooks import selectors
from salespipe.webhooks.events import DEAL_CREATED, DEAL_WON, EVENTS
from salespipe.webhooks.models import Webhook, WebhookDelivery
from salespipe.webhooks.services import webhook_create, webhook_event_emit
from tests.factories import OrganizationFactory
from tests.webhooks.conftest import Receiver

pytestmark = pytest.mark.django_db


def events_sent() -> list[str]:
    return list(WebhookDelivery.objects.order_by("pk").values_list("event", flat=True))


def last_data(event: str) -> dict[str, Any]:
    delivery = WebhookDelivery.objects.filter(event=event).latest("pk")
    assert delivery.payload["event"] == event
    assert delivery.payload["delivery_id"] == str(delivery.uuid)
    data: dict[str, Any] = delivery.payload["data"]
    return data


def test_creating_a_deal_emits_deal_created_with_the_deal(
    webhook: Webhook, make_deal: Any, rep: User
) -> None:
    organization = OrganizationFactory(name="Acme S.A.")

    deal = make_deal(rep, title="Acme: 20 licences", value="2500", organization_id=organization.pk)

    assert events_sent() == ["deal.created"]
    assert last_data("deal.created") == {
        "id": deal.pk,
        "title": "Acme: 20 licences",
        "pipeline": {"id": deal.pipeline_id, "name": deal.pipeline.name},
        "stage": {"id": deal.stage_id, "name": "Lead"},
        "status": "open",
        "value": "2500.00",
        "currency": deal.currency,
        "owner": "rep",
        "organization": "Acme S.A.",
        "expected_close_date": "2026-12-31",
        "won_at": None,
        "lost_at": None,
        "lost_reason": "",
        "version": deal.version,
    }


def test_editing_a_deal_emits_deal_updated_naming_the_changed_fields(
    webhook: Webhook, make_deal: Any, rep: User
) -> None:
    deal = make_deal(rep)

    deal_update(actor=rep, deal_id=deal.pk, expected_version=deal.version, value="5000", title="Acme: 40")

    assert events_sent() == ["deal.created", "deal.updated"]
    data = last_data("deal.updated")
    assert data["changed"] == ["title", "value"]
    assert data["value"] == "5000.00" and data["title"] == "Acme: 40"
    assert data["version"] == deal.version + 1


def test_moving_winning_and_losing_deals_emit_their_events(
    webhook: Webhook, make_deal: Any, rep: User, stages: dict[str, Stage]
) -> None:
    first, second, third = make_deal(rep), make_deal(rep), make_deal(rep)

    deal_move(actor=rep, deal_id=first.pk, stage_id=stages["Contacted"].pk)
    deal_win(actor=rep, deal_id=first.pk)
    deal_lose(actor=rep, deal_id=second.pk, lost_reason="price")
    # moving into a won stage is winning: deal.won, not deal.moved
    deal_move(actor=rep, deal_id=third.pk, stage_id=stages["Won"].pk)

    assert events_sent()[3:] == ["deal.moved", "deal.won", "deal.lost", "deal.won"]
    moved = WebhookDelivery.objects.get(event="deal.moved").payload["data"]
    assert moved["stage"] == {"id": stages["Contacted"].pk, "name": "Contacted"}
    won = WebhookDelivery.objects.filter(event="deal.won").earliest("pk").payload["data"]
    assert won["status"] == "won" and won["won_at"] is not None
    lost = last_data("deal.lost")
    assert lost["status"] == "lost" and lost["lost_reason"] == "price" and lost["lost_at"] is not None


def test_scheduling_recording_and_completing_activities_emit_their_events(
    webhook: Webhook, make_deal: Any, rep: User
) -> None:
    deal = make_deal(rep)
    due = dt.datetime(2026, 12, 1, 10, 0, tzinfo=dt.UTC)

    call = activity_schedule(actor=rep, kind="call", subject="Call Maria", due_at=due, deal_id=deal.pk)
    activity_complete(actor=rep, activity_id=call.pk, outcome="done")
    activity_record(actor=rep, kind="note", subject="Wants a discount")

    assert events_sent()[1:] == ["activity.created", "activity.completed", "activity.created"]
    completed = WebhookDelivery.objects.get(event="activity.completed").payload["data"]
    assert completed == {
        "id": call.pk,
        "kind": "call",
        "subject": "Call Maria",
        "deal_id": deal.pk,
        "owner": "rep",
        "due_at": "2026-12-01T10:00:00+00:00",
        "done_at": completed["done_at"],
        "outcome": "done",
    }
    assert completed["done_at"] is not None


def test_a_refused_change_emits_nothing(webhook: Webhook, make_deal: Any, rep: User) -> None:
    from salespipe.core.errors import RuleBroken

    deal = make_deal(rep)

    with pytest.raises(RuleBroken):
        deal_lose(actor=rep, deal_id=deal.pk, lost_reason="")

    assert events_sent() == ["deal.created"]


def test_without_webhooks_emitting_costs_no_query(django_assert_num_queries: Any) -> None:
    built: list[int] = []

    def payload() -> dict[str, Any]:
        built.append(1)
        return {"id": 1}

    selectors.webhook_events_subscribed()  # the answer a running process has at hand
    with django_assert_num_queries(0):
        for event in EVENTS:
            assert webhook_event_emit(event=event, payload=payload) == []

    # and the payload was never even built
    assert built == []


def test_an_event_nobody_subscribes_to_costs_no_query(
    admin_user: User, receiver: Receiver, allow_loopback: None, django_assert_num_queries: Any
) -> None:
    webhook_create(actor=admin_user, url=receiver.url(), events=[DEAL_WON])
    selectors.webhook_events_subscribed()

    with django_assert_num_queries(0):
        assert webhook_event_emit(event=DEAL_CREATED, payload={"id": 1}) == []


def test_a_webhook_saved_by_another_process_is_seen_once_the_cached_answer_is_stale(
    admin_user: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given this process knows that nobody listens
    clock = [1000.0]
    monkeypatch.setattr(selectors.time, "monotonic", lambda: clock[0])
    monkeypatch.setattr(selectors, "_subscriptions", None)
    assert selectors.webhook_events_subscribed() == frozenset()
    # when another process registers a webhook (written here without this process's service)
    Webhook.objects.create(
        url="https://hooks.example.com/",
        events=[DEAL_CREATED],
        secret="s",
        created_at=dt.datetime.now(dt.UTC),
        updated_at=dt.datetime.now(dt.UTC),
    )

    # then this process sees it once its answer is older than SUBSCRIPTIONS_FRESH_SECONDS, not before
    clock[0] += selectors.SUBSCRIPTIONS_FRESH_SECONDS - 1
    assert webhook_event_emit(event=DEAL_CREATED, payload={"id": 1}) == []
    clock[0] += 2
    assert len(webhook_event_emit(event=DEAL_CREATED, payload={"id": 1})) == 1


def test_a_webhook_saved_in_this_process_is_seen_at_once(
    admin_user: User, receiver: Receiver, allow_loopback: None
) -> None:
    assert selectors.webhook_events_subscribed() == frozenset()

    webhook_create(actor=admin_user, url=receiver.url(), events=[DEAL_CREATED])

    assert len(webhook_event_emit(event=DEAL_CREATED, payload={"id": 1})) == 1


def test_a_deal_change_costs_the_same_queries_with_or_without_other_events_subscribed(
    admin_user: User,
    receiver: Receiver,
    allow_loopback: None,
    make_deal: Any,
    rep: User,
    django_assert_num_queries: Any,
) -> None:
    # given webhooks for activities only
    webhook_create(actor=admin_user, url=receiver.url(), events=["activity.created"])
    deal = make_deal(rep)
    deal = Deal.objects.get(pk=deal.pk)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        deal_update(actor=rep, deal_id=deal.pk, expected_version=deal.version, value="10")

    assert not any("webhooks_" in query["sql"] for query in queries.captured_queries)
