"""The pipeline board: columns of open deals per stage, paged per column, moved by drag and drop or by
keyboard, filtered through the query string.

Pages are server-rendered and work without JavaScript; htmx asks for fragments (the columns, the next
cards of a column, the updated headers after a move) and board.js adds drag and drop."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, cast
from urllib.parse import urlencode

from django import forms
from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, QueryDict
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext, gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from salespipe.core.errors import InvalidInput, NotFound, SalespipeError
from salespipe.core.web import actor_of, is_fragment_request
from salespipe.deals import selectors, services
from salespipe.deals.models import Deal, Pipeline, Stage, StageKind
from salespipe.deals.selectors import (
    BoardCard,
    BoardColumnPage,
    BoardColumnTotals,
    BoardCursor,
    BoardFilters,
)
from salespipe.people.models import Role, Team, User

# --- filters ----------------------------------------------------------------------------------------------

CLOSE_PERIODS = [
    ("", gettext_lazy("Any time")),
    ("this_month", gettext_lazy("This month")),
    ("next_month", gettext_lazy("Next month")),
    ("this_quarter", gettext_lazy("This quarter")),
    ("overdue", gettext_lazy("Overdue")),
    ("custom", gettext_lazy("From … to …")),
]


def _month_start(day: dt.date, months_ahead: int = 0) -> dt.date:
    index = day.year * 12 + day.month - 1 + months_ahead
    return dt.date(index // 12, index % 12 + 1, 1)


def close_period_range(
    period: str, *, today: dt.date, start: dt.date | None = None, end: dt.date | None = None
) -> tuple[dt.date | None, dt.date | None]:
    """The expected-close dates a named period covers, both ends included (None: open-ended)."""
    one_day = dt.timedelta(days=1)
    if period == "this_month":
        return _month_start(today), _month_start(today, 1) - one_day
    if period == "next_month":
        return _month_start(today, 1), _month_start(today, 2) - one_day
    if period == "this_quarter":
        first = dt.date(today.year, (today.month - 1) // 3 * 3 + 1, 1)
        return first, _month_start(first, 3) - one_day
    if period == "overdue":
        return None, today - one_day
    return start, end


class BoardFilterForm(forms.Form):
    """The board's filters, read from the query string. Owner and team are checked against what the actor
    may see when the choices are given; every read is scoped by the actor anyway."""

    pipeline = forms.IntegerField(
        required=False,
        label=gettext_lazy("Pipeline"),
        widget=forms.Select(attrs={"data-autosubmit": ""}),
        error_messages={"invalid": gettext_lazy("Choose a pipeline from the list.")},
    )
    owner = forms.IntegerField(
        required=False,
        label=gettext_lazy("Owner"),
        widget=forms.Select(attrs={"data-autosubmit": ""}),
        error_messages={"invalid": gettext_lazy("Choose an owner from the list.")},
    )
    team = forms.IntegerField(
        required=False,
        label=gettext_lazy("Team"),
        widget=forms.Select(attrs={"data-autosubmit": ""}),
        error_messages={"invalid": gettext_lazy("Choose a team from the list.")},
    )
    close = forms.ChoiceField(
        required=False,
        choices=CLOSE_PERIODS,
        label=gettext_lazy("Expected close"),
        widget=forms.Select(attrs={"data-autosubmit": ""}),
        error_messages={"invalid_choice": gettext_lazy("Choose an expected-close period from the list.")},
    )
    close_from = forms.DateField(
        required=False,
        label=gettext_lazy("Closing from"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    close_to = forms.DateField(
        required=False,
        label=gettext_lazy("Closing by"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    q = forms.CharField(
        required=False,
        max_length=100,
        label=gettext_lazy("Search"),
        widget=forms.TextInput(attrs={"type": "search", "placeholder": gettext_lazy("Deal or organization")}),
    )

    def __init__(
        self,
        data: QueryDict,
        *,
        pipelines: list[Pipeline] | None = None,
        owners: list[User] | None = None,
        teams: list[Team] | None = None,
    ) -> None:
        super().__init__(data)
        self.pipelines, self.owners, self.teams = pipelines, owners, teams
        if pipelines is not None:
            self._choices("pipeline", [(p.pk, p.name) for p in pipelines], blank=None)
        if owners is not None:
            self._choices("owner", [(u.pk, str(u)) for u in owners], blank=gettext_lazy("Everyone"))
        if teams is not None:
            self._choices("team", [(t.pk, t.name) for t in teams], blank=gettext_lazy("All teams"))

    def _choices(self, name: str, choices: list[tuple[int, str]], *, blank: Any) -> None:
        widget = cast(forms.Select, self.fields[name].widget)
        widget.choices = [*([("", blank)] if blank is not None else []), *choices]

    def clean_pipeline(self) -> int | None:
        return self._known("pipeline", self.pipelines, gettext("There is no such pipeline."))

    def clean_owner(self) -> int | None:
        return self._known(
            "owner",
            self.owners,
            gettext("You cannot see that person's deals; choose an owner from the list."),
        )

    def clean_team(self) -> int | None:
        return self._known("team", self.teams, gettext("You cannot see that team; choose one from the list."))

    def _known(self, name: str, allowed: list[Any] | None, message: str) -> int | None:
        value = cast(int | None, self.cleaned_data.get(name))
        if value is not None and allowed is not None and value not in {item.pk for item in allowed}:
            raise forms.ValidationError(message, code="unknown")
        return value

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        start, end = cleaned.get("close_from"), cleaned.get("close_to")
        if start and end and start > end:
            # Neither end can be trusted alone, so the whole range is left out.
            self.add_error("close_to", gettext("The end of the period comes before its start."))
            cleaned.pop("close_from", None)
        return cleaned

    def board_filters(self) -> BoardFilters:
        """The valid filters; a field with an error is left out (and its message shown)."""
        self.is_valid()
        data = self.cleaned_data
        period = data.get("close") or ""
        start, end = data.get("close_from"), data.get("close_to")
        if period not in {"", "custom"}:
            start = end = None
        start, end = close_period_range(period, today=timezone.localdate(), start=start, end=end)
        return BoardFilters(
            owner_id=data.get("owner"),
            team_id=data.get("team"),
            expected_close_from=start,
            expected_close_to=end,
            search=(data.get("q") or "").strip(),
        )


FILTER_PARAMS = ("pipeline", "owner", "team", "close", "close_from", "close_to", "q")


def _filter_query(request: HttpRequest) -> str:
    """The board's filters as a query string, to carry them through moves and "load more"."""
    return urlencode([(key, value) for key in FILTER_PARAMS for value in request.GET.getlist(key) if value])


def _export_query(pipeline: Any, filters: BoardFilters) -> str:
    """The board's open deals as the deals export's filters (`exports.tables.DEALS`): the same rows."""
    pairs = {
        "status": "open",
        "pipeline": pipeline.pk if pipeline is not None else None,
        "owner": filters.owner_id,
        "team": filters.team_id,
        "close_from": filters.expected_close_from,
        "close_to": filters.expected_close_to,
        "search": filters.search,
    }
    return urlencode({key: str(value) for key, value in pairs.items() if value not in (None, "")})


# --- columns ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    stage: Stage
    totals: BoardColumnTotals
    cards: list[BoardCard]
    more_url: str | None


def _more_url(stage_id: int, cursor: BoardCursor | None, query: str) -> str | None:
    if cursor is None:
        return None
    after = urlencode({"after_value": str(cursor.value), "after_id": cursor.deal_id})
    return f"{reverse('deals:board_column', args=[stage_id])}?{after}{'&' + query if query else ''}"


def _columns(
    stages: list[Stage],
    totals: dict[int, BoardColumnTotals],
    pages: dict[int, BoardColumnPage],
    query: str,
) -> list[Column]:
    empty = BoardColumnPage(cards=[], has_more=False)
    return [
        Column(
            stage=stage,
            totals=totals.get(stage.pk, BoardColumnTotals()),
            cards=pages.get(stage.pk, empty).cards,
            more_url=_more_url(stage.pk, pages.get(stage.pk, empty).cursor, query),
        )
        for stage in stages
    ]


def _pipeline_totals(totals: dict[int, BoardColumnTotals]) -> BoardColumnTotals:
    return BoardColumnTotals(
        count=sum(t.count for t in totals.values()),
        value=sum((t.value for t in totals.values()), Decimal(0)),
        weighted_value=sum((t.weighted_value for t in totals.values()), Decimal(0)),
    )


def _teams_of(actor: User, owners: list[User]) -> list[Team]:
    teams = {u.team.pk: u.team for u in owners if u.team is not None}
    if actor.role == Role.MANAGER:
        teams = {pk: team for pk, team in teams.items() if team.manager_id == actor.pk}
    return sorted(teams.values(), key=lambda team: team.name.casefold())


# --- pages ------------------------------------------------------------------------------------------------


@require_GET
def board(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    all_stages = selectors.board_stages(actor=actor)
    pipelines = list({stage.pipeline.pk: stage.pipeline for stage in all_stages}.values())
    sees_others = actor.role != Role.REP
    owners = selectors.board_owner_choices(actor=actor) if sees_others else [actor]
    teams = _teams_of(actor, owners) if sees_others else []
    form = BoardFilterForm(request.GET, pipelines=pipelines, owners=owners, teams=teams)
    filters = form.board_filters()

    chosen = form.cleaned_data.get("pipeline")
    pipeline = next((p for p in pipelines if p.pk == chosen), None) or next(
        (p for p in pipelines if p.is_default), pipelines[0] if pipelines else None
    )
    stages = [s for s in all_stages if pipeline and s.pipeline_id == pipeline.pk and s.kind == StageKind.OPEN]
    query = _filter_query(request)
    board_columns = selectors.board_columns(actor=actor, stages=stages, filters=filters)
    context = {
        "form": form,
        "pipeline": pipeline,
        "pipelines": pipelines,
        "show_pipelines": len(pipelines) > 1,
        "show_people": sees_others,
        "show_teams": sees_others and bool(teams),
        "columns": _columns(stages, board_columns.totals, board_columns.pages, query),
        "pipeline_totals": _pipeline_totals(board_columns.totals),
        "query": query,
        "export_query": _export_query(pipeline, filters),
        "filtered": any(value for key, value in request.GET.items() if key != "pipeline"),
        "base_currency": settings.BASE_CURRENCY,
    }
    fragment = is_fragment_request(request) and request.headers.get("HX-Target") == "board"
    template = "deals/board.html#board" if fragment else "deals/board.html"
    response = render(request, template, context)
    patch_vary_headers(response, ["HX-Request"])
    return response


def _cursor(request: HttpRequest) -> BoardCursor | None:
    raw_value, raw_id = request.GET.get("after_value"), request.GET.get("after_id")
    if raw_value is None and raw_id is None:
        return None
    try:
        value = Decimal(raw_value or "")
        deal_id = int(raw_id or "")
    except (InvalidOperation, ValueError):
        raise InvalidInput(gettext("This “load more” link is broken; reload the board.")) from None
    if not value.is_finite():
        raise InvalidInput(gettext("This “load more” link is broken; reload the board."))
    return BoardCursor(value=value, deal_id=deal_id)


@require_GET
def board_column(request: HttpRequest, stage_id: int) -> HttpResponse:
    """The next cards of a column: a fragment for htmx ("Load more"), a page of its own without JS."""
    actor = actor_of(request)
    try:
        after = _cursor(request)
    except InvalidInput as error:
        return _refusal(error)
    filters = BoardFilterForm(request.GET).board_filters()
    page = selectors.board_column_page(actor=actor, stage_id=stage_id, filters=filters, after=after)
    query = _filter_query(request)
    context: dict[str, Any] = {
        "cards": page.cards,
        "more_url": _more_url(stage_id, page.cursor, query),
        "query": query,
    }
    if is_fragment_request(request):
        response = render(request, "deals/board_parts.html#more_cards", context)
    else:
        try:
            stage = selectors.board_stage(actor=actor, stage_id=stage_id)
        except NotFound as error:
            raise Http404(error.message) from None
        context |= {"stage": stage, "board_url": f"{reverse('deals:board')}?{query}"}
        response = render(request, "deals/board_column.html", context)
    patch_vary_headers(response, ["HX-Request"])
    return response


# --- moving a card ----------------------------------------------------------------------------------------


def _refusal(error: SalespipeError) -> HttpResponse:
    """A refusal for board.js to show (it reads the text) and snap the card back."""
    return HttpResponse(error.message, status=error.http_status, content_type="text/plain; charset=utf-8")


def _apply_move(actor: User, deal_id: int, data: QueryDict) -> Deal:
    target = data.get("to", "").strip()
    try:
        version = int(data.get("version", ""))
    except ValueError:
        raise InvalidInput(
            gettext("The move did not say which version of the deal it was based on; reload the board."),
            fields={"version": "required"},
        ) from None
    if target == "won":
        return services.deal_win(actor=actor, deal_id=deal_id, expected_version=version)
    if target == "lost":
        return services.deal_lose(
            actor=actor, deal_id=deal_id, expected_version=version, lost_reason=data.get("lost_reason", "")
        )
    try:
        stage_id = int(target)
    except ValueError:
        raise InvalidInput(
            gettext("Choose where to move the deal: a stage, won or lost."), fields={"to": "required"}
        ) from None
    return services.deal_move(actor=actor, deal_id=deal_id, stage_id=stage_id, expected_version=version)


def _moved_message(deal: Deal) -> str:
    if deal.status == "won":
        return gettext("“%(title)s” is won. Well done!") % {"title": deal.title}
    if deal.status == "lost":
        return gettext("“%(title)s” is lost.") % {"title": deal.title}
    return gettext("“%(title)s” moved to %(stage)s.") % {"title": deal.title, "stage": deal.stage.name}


def _move_form_context(actor: User, deal_id: int, query: str) -> dict[str, Any]:
    deal = selectors.deal_get(actor=actor, deal_id=deal_id)
    stages = list(deal.pipeline.stages.filter(kind=StageKind.OPEN).order_by("position"))
    return {"deal": deal, "stages": stages, "query": query, "board_url": f"{reverse('deals:board')}?{query}"}


@require_http_methods(["GET", "POST"])
def board_move(request: HttpRequest, deal_id: int) -> HttpResponse:
    """Move a deal to a stage, or win or lose it.

    From board.js (htmx): the updated column headers and card as out-of-band fragments, or the refusal
    as text with its 4xx status. Without JavaScript: GET shows a small form, POST redirects back to the
    board with a message, or shows the form again with the refusal."""
    actor = actor_of(request)
    query = _filter_query(request)
    if request.method == "GET":
        try:
            return render(request, "deals/board_move.html", _move_form_context(actor, deal_id, query))
        except NotFound as error:
            raise Http404(error.message) from None
    try:
        deal = _apply_move(actor, deal_id, request.POST)
    except SalespipeError as error:
        if is_fragment_request(request):
            return _refusal(error)
        if isinstance(error, NotFound):
            raise Http404(error.message) from None
        context = _move_form_context(actor, deal_id, query) | {"error": error.message}
        return render(request, "deals/board_move.html", context, status=error.http_status)
    message = _moved_message(deal)
    if not is_fragment_request(request):
        messages.success(request, message)
        return HttpResponseRedirect(f"{reverse('deals:board')}?{query}")
    filters = BoardFilterForm(request.GET).board_filters()
    stages = list(deal.pipeline.stages.filter(kind=StageKind.OPEN).order_by("position"))
    totals = selectors.board_column_totals(actor=actor, stages=stages, filters=filters)
    card = selectors.board_card(actor=actor, deal_id=deal.pk) if deal.status == "open" else None
    context = {
        "columns": _columns(stages, totals, {}, query),
        "pipeline_totals": _pipeline_totals(totals),
        "card": card,
        "deal": deal,
        "message": message,
        "query": query,
        "base_currency": settings.BASE_CURRENCY,
    }
    return render(request, "deals/board_parts.html#moved", context)
