"""`view_url`: reverse() worked out once, but never an address for another prefix or URL configuration."""

from __future__ import annotations

from django.urls import clear_script_prefix, reverse, set_script_prefix, set_urlconf

from salespipe.core.web import view_url


def test_a_view_url_is_the_reversed_address_under_the_current_script_prefix() -> None:
    assert view_url("numbers:deals") == reverse("numbers:deals") == "/numbers/deals/"
    try:
        # Served under a sub-path (SCRIPT_NAME): the links follow it, though the address was reversed before.
        set_script_prefix("/crm/")
        assert view_url("numbers:deals") == "/crm/numbers/deals/"
    finally:
        clear_script_prefix()
    assert view_url("numbers:deals") == "/numbers/deals/"


def test_a_view_url_follows_the_url_configuration_of_the_request() -> None:
    try:
        set_urlconf("tests.web.urls_elsewhere")
        assert view_url("numbers:deals") == "/elsewhere/numbers/deals/"
    finally:
        set_urlconf(None)
    assert view_url("numbers:deals") == "/numbers/deals/"
