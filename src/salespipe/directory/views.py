"""Pages for the shared directory: organizations and people."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def organizations(request: HttpRequest) -> HttpResponse:
    return render(request, "directory/organizations.html", {})


def people(request: HttpRequest) -> HttpResponse:
    return render(request, "directory/people.html", {})
