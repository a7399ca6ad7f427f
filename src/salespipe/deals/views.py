"""Pages for deals: the board and the deal workspace."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def board(request: HttpRequest) -> HttpResponse:
    return render(request, "deals/board.html", {})
