"""Signing in: every page needs it, failed attempts are throttled, passwords change, pages carry a CSP."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client

from salespipe.people.models import User

pytestmark = pytest.mark.django_db
PASSWORD = "correct horse battery staple"


def sign_in(client: Client, username: str, password: str) -> Any:
    return client.post("/accounts/login/", {"username": username, "password": password})


@pytest.mark.parametrize(
    "path", ["/board/", "/agenda/", "/organizations/", "/people/", "/settings/", "/deals/1/"]
)
def test_every_page_sends_an_anonymous_visitor_to_sign_in(path: str) -> None:
    response = Client().get(path)

    assert response.status_code == 302
    assert response["Location"].startswith(f"/accounts/login/?next={path}")


def test_the_api_answers_an_anonymous_client_with_401_json_not_a_redirect() -> None:
    response = Client().get("/api/v1/deals")

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthenticated"


def test_the_right_password_signs_in_and_lands_on_the_board(rep: User, pipeline: Any) -> None:
    client = Client()

    response = sign_in(client, "rep", PASSWORD)

    assert response.status_code == 302
    assert client.get(response["Location"], follow=True).redirect_chain[-1][0] == "/board/"


def test_repeated_wrong_passwords_lock_the_account_out_even_for_the_right_one(
    rep: User, settings: Any
) -> None:
    # given as many wrong passwords as the limit allows (the last one already answers with the lock-out)
    client = Client()
    answers = [sign_in(client, "rep", "wrong").status_code for _ in range(settings.AXES_FAILURE_LIMIT)]
    assert answers == [200] * (settings.AXES_FAILURE_LIMIT - 1) + [429]

    # when the right password comes next
    response = sign_in(client, "rep", PASSWORD)

    # then it is refused with the lock-out page, and nobody is signed in
    assert response.status_code == 429
    assert b"Too many failed sign-ins" in response.content
    assert "_auth_user_id" not in client.session


def test_a_changed_password_replaces_the_old_one(rep: User, browser_of: Any) -> None:
    client = browser_of(rep)

    response = client.post(
        "/accounts/password_change/",
        {
            "old_password": PASSWORD,
            "new_password1": "a brand new passphrase",
            "new_password2": "a brand new passphrase",
        },
    )

    assert response.status_code == 302
    rep.refresh_from_db()
    assert rep.check_password("a brand new passphrase")
    assert not rep.check_password(PASSWORD)


def test_signing_out_needs_a_post_so_a_link_cannot_sign_anyone_out(rep: User, browser_of: Any) -> None:
    client = browser_of(rep)

    assert client.get("/accounts/logout/").status_code == 405
    assert client.post("/accounts/logout/").status_code == 302
    assert client.get("/board/").status_code == 302


def test_pages_carry_a_content_security_policy_and_no_inline_script(
    rep: User, browser_of: Any, pipeline: Any
) -> None:
    response = browser_of(rep).get("/board/")

    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert "frame-ancestors 'none'" in policy
    scripts = re.findall(rb"<script\b[^>]*>", response.content)
    assert scripts
    assert all(b" src=" in tag for tag in scripts), scripts
    assert not re.search(rb"\son[a-z]+=", response.content), "inline event handlers would break under the CSP"
