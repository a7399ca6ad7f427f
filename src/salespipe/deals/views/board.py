"""The pipeline board."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def board(request: HttpRequest) -> HttpResponse:
    return render(request, "deals/board.html", {})
