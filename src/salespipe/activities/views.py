"""Pages for activities: the agenda."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def agenda(request: HttpRequest) -> HttpResponse:
    return render(request, "activities/agenda.html", {})
