"""What every page view shares: who is asking, whether htmx wants a fragment, and how refusals show."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from django import forms
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils.translation import gettext as _

from salespipe.core.errors import SalespipeError
from salespipe.people.models import User


def actor_of(request: HttpRequest) -> User:
    """The signed-in user: the actor of every selector and service a page calls. Every page needs a
    signed-in user (LoginRequiredMiddleware), so there always is one."""
    user = request.user
    assert isinstance(user, User)
    return user


def view_url(name: str) -> str:
    """The address of a view that takes no arguments (`reverse(name)`), worked out once per URL
    configuration and script prefix: reverse() takes some 30 µs, and a team's numbers page links each
    member's numbers and deals three times."""
    return _reversed(name, get_script_prefix(), get_urlconf() or settings.ROOT_URLCONF)


@functools.lru_cache(maxsize=256)
def _reversed(name: str, script_prefix: str, urlconf: str) -> str:
    # reverse() reads the same prefix and configuration the key names.
    return reverse(name, urlconf=urlconf)


def is_fragment_request(request: HttpRequest) -> bool:
    """An htmx request that wants a piece of the page. Restoring history after a cache miss also comes
    from htmx (htmx 2 marks it HX-Request too) but needs the whole page."""
    return (
        request.headers.get("HX-Request") == "true"
        and request.headers.get("HX-History-Restore-Request") != "true"
    )


def forbidden(request: HttpRequest, message: str) -> HttpResponse:
    """403 with the reason, on a page that says what to do instead."""
    return render(request, "forbidden.html", {"message": message}, status=403)


def admin_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Settings are for administrators; everyone else gets a 403 that says so."""

    @functools.wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not actor_of(request).is_admin:
            return forbidden(request, _("Only an administrator can change the settings."))
        return view(request, *args, **kwargs)

    return wrapped


def add_service_error(form: forms.Form, error: SalespipeError) -> None:
    """Show a service's refusal on the form: beside the field it names, else above the form."""
    # The services name their arguments (stage_id); the forms name what a person picks (stage). A stale
    # version is about the whole form, not the hidden field that carries it.
    candidates = [candidate for name in error.fields for candidate in (name, name.removesuffix("_id"))]
    field = next((name for name in candidates if name in form.fields and name != "version"), None)
    form.add_error(field, error.message)
