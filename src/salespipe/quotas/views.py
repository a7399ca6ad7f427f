"""The quotas page (managers and admins set them; a rep reads their own) and the commission plan
settings (administrators).

Quotas show for one period at a time, the current fiscal quarter unless another is picked. Each team and
person in the actor's charge has a row that edits in place: without JavaScript *Save* posts and comes back
with a message; with htmx only the row is swapped, a refusal brings the row back with its reason.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from babel.numbers import format_currency
from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from salespipe.analytics.periods import MONTH, QUARTER, YEAR, Period, period_containing, period_parse
from salespipe.core.errors import InvalidInput, NotFound, SalespipeError
from salespipe.core.web import actor_of, add_service_error, admin_required, is_fragment_request
from salespipe.people.models import Role, Team, User
from salespipe.people.selectors import user_list
from salespipe.quotas import selectors, services
from salespipe.quotas.forms import AssignmentForm, CommissionPlanForm, QuotaForm, TierFormSet
from salespipe.quotas.models import CommissionPlan, Quota

PAGE = "quotas/quotas.html"

# --- presentation ---------------------------------------------------------------------------------------


def money(amount: Any) -> str:
    locale = translation.to_locale(translation.get_language() or "en")
    return format_currency(amount, settings.BASE_CURRENCY, locale=locale)


def _fiscal(day: dt.date, kind: str) -> Period:
    return period_containing(day, kind, fiscal_year_start_month=settings.FISCAL_YEAR_START_MONTH)


def _period_of(raw: str) -> tuple[Period, str]:
    """The period asked for, else the current fiscal quarter (with why, when the asked one is no period)."""
    today = timezone.localdate(timezone=timezone.get_default_timezone())
    if raw:
        try:
            return period_parse(raw, fiscal_year_start_month=settings.FISCAL_YEAR_START_MONTH), ""
        except InvalidInput as error:
            return _fiscal(today, QUARTER), error.message
    return _fiscal(today, QUARTER), ""


def _quotas_url(period: Period) -> str:
    return f"{reverse('quotas:quotas')}?{urlencode({'period': period.label})}"


@dataclass(frozen=True)
class Picker:
    """Links to the periods around the shown one, and to the month, quarter and year it starts."""

    previous: Period
    next: Period
    kinds: list[tuple[str, Period, bool]]


def _picker(period: Period) -> Picker:
    kinds = [
        (str(_("Month")), _fiscal(period.starts_on, MONTH), period.kind == MONTH),
        (str(_("Quarter")), _fiscal(period.starts_on, QUARTER), period.kind == QUARTER),
        (str(_("Year")), _fiscal(period.starts_on, YEAR), period.kind == YEAR),
    ]
    return Picker(
        previous=_fiscal(period.starts_on - dt.timedelta(days=1), period.kind),
        next=_fiscal(period.ends_on + dt.timedelta(days=1), period.kind),
        kinds=kinds,
    )


# --- the quotas page ------------------------------------------------------------------------------------


@dataclass
class Row:
    """One team or person: their quota for the period, if any, and the form that sets it."""

    who: str  # "team:<id>" or "user:<id>"
    label: str
    is_team: bool
    quota: Quota | None
    member: bool = False  # a person listed under their team
    editable: bool = True
    form: QuotaForm | None = None
    error: str = ""

    @property
    def key(self) -> str:
        return self.who.replace(":", "-")

    @property
    def target(self) -> str:
        return money(self.quota.target_value) if self.quota else ""


def _who(quota: Quota) -> str:
    return f"user:{quota.user_id}" if quota.user_id else f"team:{quota.team_id}"


def _owner(quota: Quota) -> User | Team:
    owner = quota.user if quota.user is not None else quota.team
    assert owner is not None
    return owner


def _label(owner: User | Team) -> str:
    if isinstance(owner, Team):
        return _("Team %(team)s") % {"team": owner.name}
    return f"{owner} ({owner.username})"


def _row_form(row: Row, period: Period, choices: list[tuple[str, Any]], data: Any = None) -> QuotaForm:
    quota = row.quota
    initial = {
        "who": row.who,
        "period": period.label,
        "target_value": quota.target_value if quota else None,
        "target_deals": quota.target_deals if quota else None,
    }
    form = QuotaForm(data, who_choices=choices, initial=initial, auto_id=f"id_{row.key}_%s")
    for name in ("target_value", "target_deals"):
        form.fields[name].widget.attrs["form"] = f"quota-form-{row.key}"
    return form


@dataclass(frozen=True)
class Board:
    """The rows of the page and the choices of its add form."""

    rows: list[Row]
    choices: list[tuple[str, Any]]
    editable: bool


def _board(actor: User, period: Period) -> Board:
    quotas = {_who(quota): quota for quota in selectors.quota_list(actor=actor, period=period.label)}
    if actor.role == Role.REP:
        # What applies to them, read-only: their team's quota and their own.
        own = [
            Row(
                f"user:{actor.pk}", _label(actor), False, quotas.pop(f"user:{actor.pk}", None), editable=False
            )
        ]
        if actor.team is not None:
            team_who = f"team:{actor.team_id}"
            own.insert(0, Row(team_who, _label(actor.team), True, quotas.pop(team_who, None), editable=False))
        return Board(rows=own, choices=[], editable=False)
    teams = list(selectors.quota_teams(actor=actor))
    people = list(selectors.quota_people(actor=actor))
    rows: list[Row] = []
    for team in teams:
        rows.append(Row(f"team:{team.pk}", _label(team), True, quotas.pop(f"team:{team.pk}", None)))
        for person in people:
            if person.team_id == team.pk:
                who = f"user:{person.pk}"
                rows.append(Row(who, _label(person), False, quotas.pop(who, None), member=True))
    shown_teams = {team.pk for team in teams}
    for person in people:
        if person.team_id not in shown_teams:
            who = f"user:{person.pk}"
            rows.append(Row(who, _label(person), False, quotas.pop(who, None)))
    # Quotas of people not listed (deactivated, say) stay visible; a manager's own is theirs to read only.
    for who, quota in quotas.items():
        theirs = quota.user_id == actor.pk and not actor.is_admin
        rows.append(Row(who, _label(_owner(quota)), quota.team_id is not None, quota, editable=not theirs))
    choices = [(row.who, row.label) for row in rows if row.editable]
    for row in rows:
        if row.editable:
            row.form = _row_form(row, period, choices)
    return Board(rows=rows, choices=choices, editable=True)


def _page(
    request: HttpRequest,
    actor: User,
    period: Period,
    board: Board,
    *,
    add_form: QuotaForm | None = None,
    period_error: str = "",
    status: int = 200,
) -> HttpResponse:
    if add_form is None and board.editable:
        add_form = QuotaForm(who_choices=board.choices, initial={"period": period.label}, auto_id="id_new_%s")
    context = {
        "actor": actor,
        "period": period,
        "picker": _picker(period),
        "board": board,
        "add_form": add_form,
        "period_error": period_error,
        "base_currency": settings.BASE_CURRENCY,
    }
    return render(request, PAGE, context, status=status)


def _row_response(
    request: HttpRequest, row: Row, period: Period, *, notice: str = "", status: int = 200
) -> HttpResponse:
    response = render(
        request,
        f"{PAGE}#quota_row",
        {
            "row": row,
            "period": period,
            "board": Board(rows=[row], choices=[], editable=True),
            "notice": notice,
        },
        status=status,
    )
    patch_vary_headers(response, ("HX-Request",))
    return response


def _form_errors(form: QuotaForm) -> str:
    return " ".join(
        f"{form.fields[name].label}: {message}" if name in form.fields else str(message)
        for name, problems in form.errors.items()
        for message in problems
    )


@require_http_methods(["GET", "POST"])
def quotas_page(request: HttpRequest) -> HttpResponse:
    """GET: the quotas for a period. POST: set one (a row's *Save* or the add form)."""
    actor = actor_of(request)
    if request.method != "POST":
        period, period_error = _period_of(request.GET.get("period", ""))
        return _page(request, actor, period, _board(actor, period), period_error=period_error)
    period, _error = _period_of(request.POST.get("period", ""))
    board = _board(actor, period)
    if not board.editable:
        # The services would refuse it too; the page says so without trying.
        messages.error(
            request, _("Quotas are set by your manager or an administrator; ask them to change a quota.")
        )
        return redirect(_quotas_url(period))
    form = QuotaForm(request.POST, who_choices=board.choices, auto_id="id_new_%s")
    row = next((row for row in board.rows if row.who == request.POST.get("who")), None)
    fragment = is_fragment_request(request) and row is not None
    error: SalespipeError | None = None
    if form.is_valid():
        try:
            quota = services.quota_set(
                actor=actor,
                period=form.cleaned_data["period"],
                target_value=form.cleaned_data["target_value"],
                target_deals=form.cleaned_data["target_deals"],
                **form.owner(),
            )
        except SalespipeError as refusal:
            error = refusal
            add_service_error(form, refusal)
        else:
            saved_period = selectors.quota_period(quota)
            saved = _("Saved the quota of %(who)s for %(period)s: %(target)s.") % {
                "who": dict(board.choices)[form.cleaned_data["who"]],
                "period": saved_period.label,
                "target": money(quota.target_value),
            }
            if fragment and row is not None and saved_period.label == period.label:
                row.quota = quota
                row.form = _row_form(row, period, board.choices)
                return _row_response(request, row, period, notice=saved)
            if fragment:
                # Set for another period than the page shows: reload the page there.
                response = HttpResponse(status=204)
                response["HX-Redirect"] = _quotas_url(saved_period)
                messages.success(request, saved)
                return response
            messages.success(request, saved)
            return redirect(_quotas_url(saved_period))
    status = error.http_status if error is not None else 422
    if fragment and row is not None:
        row.form = _row_form(row, period, board.choices, request.POST)
        row.form.is_valid()
        row.error = error.message if error is not None else _form_errors(form)
        return _row_response(request, row, period, status=status)
    return _page(request, actor, period, board, add_form=form, status=status)


@require_POST
def quota_delete(request: HttpRequest, quota_id: int) -> HttpResponse:
    actor = actor_of(request)
    quota = selectors.quota_list(actor=actor).filter(pk=quota_id).first()
    if quota is None:
        raise Http404(f"There is no quota with id {quota_id}, or you may not see it.")
    period = selectors.quota_period(quota)
    row = Row(_who(quota), _label(_owner(quota)), quota.team_id is not None, None)
    try:
        services.quota_delete(actor=actor, quota_id=quota.pk)
    except SalespipeError as error:
        if is_fragment_request(request):
            row.quota = quota
            row.form = _row_form(row, period, [(row.who, row.label)])
            row.error = error.message
            return _row_response(request, row, period, status=error.http_status)
        messages.error(request, error.message)
        return redirect(_quotas_url(period))
    removed = _("Removed the quota of %(who)s for %(period)s.") % {"who": row.label, "period": period.label}
    if is_fragment_request(request):
        row.form = _row_form(row, period, [(row.who, row.label)])
        return _row_response(request, row, period, notice=removed)
    messages.success(request, removed)
    return redirect(_quotas_url(period))


# --- settings: commission plans -------------------------------------------------------------------------


def _assignment_form(actor: User, plans: list[CommissionPlan], data: Any = None) -> AssignmentForm:
    people = user_list(actor=actor).exclude(role=Role.ADMIN)
    return AssignmentForm(
        data,
        user_choices=[("", "—"), *((person.pk, f"{person} ({person.username})") for person in people)],
        plan_choices=[("", "—"), *((plan.pk, plan.name) for plan in plans if plan.is_active)],
    )


def _plans_page(
    request: HttpRequest, actor: User, *, form: AssignmentForm | None = None, status: int = 200
) -> HttpResponse:
    plans = list(selectors.commission_plan_list(actor=actor))
    context = {
        "plans": plans,
        "assignments": selectors.commission_assignment_list(actor=actor),
        "form": form or _assignment_form(actor, plans),
        "base_currency": settings.BASE_CURRENCY,
    }
    return render(request, "quotas/commission_plans.html", context, status=status)


@require_GET
@admin_required
def commission_plans(request: HttpRequest) -> HttpResponse:
    """The plans with their tiers, who is on which, and a form to put someone on a plan."""
    return _plans_page(request, actor_of(request))


@require_POST
@admin_required
def commission_assign(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    plans = list(selectors.commission_plan_list(actor=actor))
    form = _assignment_form(actor, plans, request.POST)
    if form.is_valid():
        try:
            assignment = services.commission_assign(
                actor=actor,
                user_id=form.cleaned_data["user"],
                plan_id=form.cleaned_data["plan"],
                starts_on=form.cleaned_data["starts_on"],
                ends_on=form.cleaned_data["ends_on"],
            )
        except SalespipeError as error:
            add_service_error(form, error)
        else:
            messages.success(
                request,
                _("%(user)s is on the plan %(plan)s from %(start)s.")
                % {"user": assignment.user, "plan": assignment.plan.name, "start": assignment.starts_on},
            )
            return redirect("quotas:commission_plans")
    return _plans_page(request, actor, form=form, status=422)


@require_POST
@admin_required
def commission_unassign(request: HttpRequest, assignment_id: int) -> HttpResponse:
    try:
        services.commission_unassign(actor=actor_of(request), assignment_id=assignment_id)
    except NotFound as error:
        raise Http404(error.message) from None
    except SalespipeError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Removed the plan assignment."))
    return redirect("quotas:commission_plans")


def _plan_form_page(
    request: HttpRequest,
    plan: CommissionPlan | None,
    form: CommissionPlanForm,
    tiers: Any,
    *,
    status: int = 200,
) -> HttpResponse:
    context = {"plan": plan, "form": form, "tiers": tiers, "base_currency": settings.BASE_CURRENCY}
    return render(request, "quotas/commission_plan_form.html", context, status=status)


def _save_plan(
    actor: User, plan: CommissionPlan | None, form: CommissionPlanForm, tiers: Any
) -> CommissionPlan:
    data = form.cleaned_data
    if plan is None:
        return services.commission_plan_create(
            actor=actor, name=data["name"], base_rate=data["base_rate"], cap=data["cap"], tiers=tiers.tiers()
        )
    return services.commission_plan_update(
        actor=actor,
        plan_id=plan.pk,
        name=data["name"],
        base_rate=data["base_rate"],
        cap=data["cap"],
        clear_cap=data["cap"] is None,
        tiers=tiers.tiers(),
        is_active=data["is_active"],
    )


@require_http_methods(["GET", "POST"])
@admin_required
def commission_plan_edit(request: HttpRequest, plan_id: int | None = None) -> HttpResponse:
    """Create a plan (no id) or edit one: its name, rates, cap and tiers."""
    actor = actor_of(request)
    plan = None
    if plan_id is not None:
        try:
            plan = selectors.commission_plan_get(actor=actor, plan_id=plan_id)
        except NotFound as error:
            raise Http404(error.message) from None
    if request.method != "POST":
        initial: dict[str, Any] = {}
        tier_rows: list[dict[str, Any]] = []
        if plan is not None:
            initial = {
                "name": plan.name,
                "base_rate": plan.base_rate,
                "cap": plan.cap,
                "is_active": plan.is_active,
            }
            tier_rows = [
                {"from_attainment": tier.from_attainment, "rate": tier.rate} for tier in plan.tiers.all()
            ]
        form = CommissionPlanForm(initial=initial)
        return _plan_form_page(request, plan, form, TierFormSet(initial=tier_rows, prefix="tiers"))
    form = CommissionPlanForm(request.POST)
    tiers = TierFormSet(request.POST, prefix="tiers")
    if form.is_valid() and tiers.is_valid():
        try:
            saved = _save_plan(actor, plan, form, tiers)
        except SalespipeError as error:
            add_service_error(form, error)
        else:
            messages.success(request, _("Saved the commission plan %(name)s.") % {"name": saved.name})
            return HttpResponseRedirect(reverse("quotas:commission_plans"))
    return _plan_form_page(request, plan, form, tiers, status=422)
