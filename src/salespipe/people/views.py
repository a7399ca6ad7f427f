"""Pages for settings: users and teams (admins only)."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def settings_home(request: HttpRequest) -> HttpResponse:
    return render(request, "people/settings.html", {})
