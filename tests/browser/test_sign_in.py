"""Signing in and out, in a real browser."""

from __future__ import annotations

from typing import Any

import pytest

from salespipe.people.models import User
from tests.browser.conftest import sign_in

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_rep_signs_in_lands_on_the_board_and_signs_out(page: Any, rep: User, pipeline: Any) -> None:
    # when
    sign_in(page, "rep")

    # then
    assert page.url.endswith("/board/")
    # From the keyboard, as a keyboard user does: on a loaded machine a pointer click on the menu was twice
    # reported as taken by the menu itself (the <details> around it) and never landed.
    page.get_by_label("Your account").press("Enter")
    sign_out = page.get_by_role("button", name="Sign out")
    sign_out.wait_for(state="visible")
    sign_out.press("Enter")
    page.wait_for_url("**/accounts/login/**")


def test_a_wrong_password_keeps_the_user_out_with_a_message(page: Any, rep: User) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill("rep")
    page.get_by_label("Password").fill("wrong")
    page.get_by_role("button", name="Sign in").click()

    assert page.get_by_role("alert").is_visible()
    assert "/accounts/login/" in page.url
