"""API test helpers: a real HTTP client per user, authenticated with a real personal access token."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client

from salespipe.people.models import User
from salespipe.people.tokens import token_create

ApiClient = Callable[[User], Client]


@pytest.fixture
def api_client(db: None) -> ApiClient:
    """`api_client(user)`: a test client sending `Authorization: Bearer <a new token of user>`."""

    def make(user: User) -> Client:
        _, raw = token_create(user=user, name="tests")
        return Client(headers={"Authorization": f"Bearer {raw}"})

    return make


@pytest.fixture
def session_client(db: None) -> ApiClient:
    """`session_client(user)`: a test client signed in to the web session, as the browser is."""

    def make(user: User) -> Client:
        client = Client()
        client.force_login(user)
        return client

    return make
