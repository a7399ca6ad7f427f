"""Shared fixtures: the default pipeline and a small sales organization with every role.

admin_user
manager ── team ── rep, teammate
other_manager ── other_team ── outsider
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterator
from typing import Any

import pytest
from django.utils import translation

from salespipe.deals.models import ContactRole, Deal, Pipeline, Stage
from salespipe.deals.pipelines import pipeline_ensure_default
from salespipe.deals.services import contact_confirm_authority, deal_contact_add, deal_create
from salespipe.people.models import Role, Team, User
from tests.factories import PersonFactory, TeamFactory, UserFactory


@pytest.fixture(autouse=True)
def fast_password_hashing(settings: Any) -> None:
    """Real hashing costs ~0.3 s a user by design; tests create many users and test no hashing."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def default_language() -> Iterator[None]:
    """Each test starts, and leaves, in the default language: one that switches to Greek (a request in
    Greek, `translation.activate`) must not leave the next test's messages in Greek."""
    translation.deactivate()
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def no_webhooks_known(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test starts with an empty database, so with no webhook: the answer every process keeps at
    hand (webhooks.selectors.webhook_events_subscribed) says so, fresh, as in a running app. Without
    this, the answer a previous test left behind (its webhooks rolled back since) would cost this test
    a query when it changes a deal, and the pinned query counts would depend on test order. The answer
    stays fresh for the whole test, however slow, until a webhook service changes webhooks."""
    from salespipe.webhooks import selectors

    for_the_whole_test = time.monotonic() + 24 * 3600
    monkeypatch.setattr(selectors, "_subscriptions", (for_the_whole_test, frozenset()))


@pytest.fixture
def pipeline(db: None) -> Pipeline:
    return pipeline_ensure_default()


@pytest.fixture
def stages(pipeline: Pipeline) -> dict[str, Stage]:
    return {stage.name: stage for stage in pipeline.stages.all()}


@pytest.fixture
def admin_user(db: None) -> User:
    return UserFactory(username="admin", role=Role.ADMIN, is_staff=True, is_superuser=True)


@pytest.fixture
def manager(db: None) -> User:
    return UserFactory(username="manager", role=Role.MANAGER)


@pytest.fixture
def team(manager: User) -> Team:
    return TeamFactory(name="Athens", manager=manager)


@pytest.fixture
def rep(team: Team) -> User:
    return UserFactory(username="rep", team=team)


@pytest.fixture
def teammate(team: Team) -> User:
    return UserFactory(username="teammate", team=team)


@pytest.fixture
def other_manager(db: None) -> User:
    return UserFactory(username="other_manager", role=Role.MANAGER)


@pytest.fixture
def outsider(other_manager: User) -> User:
    return UserFactory(username="outsider", team=TeamFactory(name="Berlin", manager=other_manager))


@pytest.fixture
def make_deal(pipeline: Pipeline) -> Any:
    """Create a deal through the service, as its owner would."""

    def make(owner: User, **fields: Any) -> Deal:
        fields.setdefault("title", "Acme: 20 licences")
        fields.setdefault("value", 1000)
        fields.setdefault("expected_close_date", dt.date(2026, 12, 31))
        return deal_create(actor=owner, **fields)

    return make


@pytest.fixture
def confirm_decision_maker() -> Any:
    """Add a decision maker to the deal and confirm their buying authority."""

    def confirm(deal: Deal, *, actor: User | None = None) -> None:
        actor = actor or deal.owner
        contact = deal_contact_add(
            actor=actor, deal_id=deal.pk, person_id=PersonFactory().pk, role=ContactRole.DECISION_MAKER
        )
        contact_confirm_authority(actor=actor, deal_contact_id=contact.pk, how="asked_directly")

    return confirm


@pytest.fixture
def browser_of(db: None) -> Any:
    """`browser_of(user)`: a Django test client signed in as that user, as their browser would be."""
    from django.test import Client

    def make(user: User) -> Client:
        client = Client()
        client.force_login(user)
        return client

    return make
