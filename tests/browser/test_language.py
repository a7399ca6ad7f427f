"""The Greek interface, in a real browser."""

from __future__ import annotations

from typing import Any

import pytest

from salespipe.people.models import User
from tests.browser.conftest import screenshot, sign_in

pytestmark = pytest.mark.django_db(transaction=True)


def test_switching_to_greek_translates_the_interface(page: Any, rep: User, pipeline: Any) -> None:
    # given
    sign_in(page, "rep")

    # when
    with page.expect_navigation():
        page.get_by_label("Language").select_option("el")

    # then
    assert page.locator("html").get_attribute("lang") == "el"
    assert page.get_by_role("link", name="Ατζέντα").is_visible()
    screenshot(page, "board-greek")
