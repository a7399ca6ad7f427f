"""Advice for a rep: what to do next, from the state of their pipeline (PRODUCT.md, practices 7, 9–12).

Pure rules over plain facts: `coaching/selectors.py` counts the facts in SQL (how many open deals sit where,
the biggest few of each kind, appointments ahead, the track record) and `advise` turns them into items,
each with a stable code, a severity, a message in the active language and the evidence behind it as
JSON-able values. Every threshold comes in through `Thresholds` (the ADVICE_* settings). The rules, with
their defaults, are written out for people in docs/advice.md.

The two balance rules exclude each other by construction: `more_cold_calls` needs at least
`late_stage_deals` deals near closing, `more_research_and_presentations` fewer than that.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any

from babel.numbers import format_percent
from django.utils import formats, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from salespipe.analytics.forecast import FlowMonth
from salespipe.analytics.funnel import BOOKING, CLOSING, OPENING, PRESENTING, QUALIFYING, WeakStep
from salespipe.analytics.stats import StepComparison, compare_to_team
from salespipe.core.money import money_text

MORE_COLD_CALLS = "more_cold_calls"
MORE_RESEARCH_AND_PRESENTATIONS = "more_research_and_presentations"
CLOSING_SKILLS = "closing_skills"
CONFIRM_DECISION_MAKER = "confirm_decision_maker"
PROBE_BUDGET_AND_TIMELINE = "probe_budget_and_timeline"
NO_NEXT_STEP = "no_next_step"
ROTTING_DEAL = "rotting_deal"
ANSWER_INFO_REQUEST = "answer_info_request"
OFFER_TRIAL_OR_DEMO = "offer_trial_or_demo"
FAMINE_AHEAD = "famine_ahead"
BIG_DEAL_AT_RISK = "big_deal_at_risk"
WEAK_STEP = "weak_step"
CODES = (
    MORE_COLD_CALLS,
    MORE_RESEARCH_AND_PRESENTATIONS,
    CLOSING_SKILLS,
    CONFIRM_DECISION_MAKER,
    PROBE_BUDGET_AND_TIMELINE,
    NO_NEXT_STEP,
    ROTTING_DEAL,
    ANSWER_INFO_REQUEST,
    OFFER_TRIAL_OR_DEMO,
    FAMINE_AHEAD,
    BIG_DEAL_AT_RISK,
    WEAK_STEP,
)

HIGH, MEDIUM, LOW = "high", "medium", "low"
SEVERITIES = (HIGH, MEDIUM, LOW)

# How many deals a message names; the rest are counted ("and 4 more").
NAMED_DEALS = 3
# A famine month whose prospecting date is this close (or already past) is urgent.
FAMINE_URGENT_DAYS = 14

# Why a big deal is at risk (`DealRef.reasons`).
ROTTING, PAST_CLOSE_DATE, NO_NEXT_ACTIVITY = "rotting", "past_close_date", "no_next_step"


@dataclass(frozen=True)
class Thresholds:
    """The ADVICE_* settings (docs/settings.md); the defaults are the settings' defaults."""

    late_stage_deals: int = 5  # deals in the last two open stages that make them "well stocked"
    few_appointments: int = 2  # meetings and demos planned ahead that count as "few"
    appointment_days: int = 14  # how far ahead appointments are counted
    crowded_top_percent: int = 70  # share of the open deals in the first two open stages: "crowded"
    crowded_top_deals: int = 10  # … and at least this many of them
    near_closing_deals: int = 1  # at most this many in the last two open stages: "little near closing"
    min_trials: int = 10  # closed deals with an appointment, on each side, before rates are compared
    certainty_percent: int = 95  # how sure a weakness must be
    stalled_percent: int = 200  # days in the stage against the median before a deal counts as stalled
    big_deal_percent: int = 200  # value against the median open deal before a deal counts as big
    famine_months: int = 3  # how many months of the flow, the current one first, are looked at


@dataclass(frozen=True)
class DealRef:
    id: int
    title: str
    value: Decimal  # in the base currency
    reasons: tuple[str, ...] = ()  # a big deal's risks: ROTTING, PAST_CLOSE_DATE, NO_NEXT_ACTIVITY


@dataclass(frozen=True)
class Deals:
    """Some of the rep's open deals: how many, what they are worth, and the biggest few, biggest first."""

    count: int = 0
    value: Decimal = Decimal(0)
    biggest: tuple[DealRef, ...] = ()


@dataclass(frozen=True)
class RequestRef:
    id: int
    subject: str
    due_at: dt.datetime | None  # the response deadline
    deal_id: int | None = None
    deal_title: str = ""


@dataclass(frozen=True)
class InfoRequests:
    """Information requests waiting for an answer; the listed ones are those due first."""

    open: int = 0
    overdue: int = 0  # past their deadline
    first_due: tuple[RequestRef, ...] = ()


@dataclass(frozen=True)
class ClosingRecord:
    """Closed deals of the last twelve months that had an appointment held, won and lost: the rep's, and
    those of the rest of their team (`others` is "team"), or of the rest of the company for a rep
    without a team ("company")."""

    won: int
    lost: int
    others_won: int
    others_lost: int
    others: str = "team"


@dataclass(frozen=True)
class StageMedian:
    """The median days deals spent in a stage before leaving it, and whose deals it comes from."""

    stage: str
    days: float
    exits: int
    basis: str  # "team" or "company"


@dataclass(frozen=True)
class AdviceFacts:
    """What the rules look at, counted for one rep at one moment."""

    today: dt.date
    currency: str
    open_deals: int = 0
    top: Deals = field(default_factory=Deals)  # in the first two open stages of their pipeline
    late: Deals = field(default_factory=Deals)  # in the last two open stages
    appointments_ahead: int = 0  # meetings and demos planned within `appointment_days`
    at_or_past_appointment: Deals = field(default_factory=Deals)
    no_decision_maker: Deals = field(
        default_factory=Deals
    )  # at or past the appointment, or a meeting planned
    missing_budget_or_timeline: Deals = field(default_factory=Deals)  # at or past the appointment stage
    missing_budget: int = 0
    missing_decision_date: int = 0
    no_next_step: Deals = field(default_factory=Deals)
    rotting: Deals = field(default_factory=Deals)
    stalled: Deals = field(default_factory=Deals)  # far past their stage's median, no trial or demo done
    stage_medians: tuple[StageMedian, ...] = ()
    median_open_value: Decimal | None = None
    big_at_risk: Deals = field(default_factory=Deals)
    info_requests: InfoRequests = field(default_factory=InfoRequests)
    closing: ClosingRecord | None = None
    weak_step: WeakStep | None = None  # the funnel step they convert worst against the rest of their team
    steps_window_days: int = 90  # the window of those step conversions
    flow: tuple[FlowMonth, ...] = ()  # My numbers' months ahead, the current one first


@dataclass(frozen=True)
class AdviceItem:
    code: str
    severity: str
    message: str
    evidence: dict[str, Any]
    value_at_stake: Decimal = Decimal(0)  # what ordering weighs within a severity, in the base currency


# --- presentation, in the active language ------------------------------------------------------------------


def _locale() -> str:
    return translation.to_locale(translation.get_language() or "en")


def _money(amount: Decimal, currency: str) -> str:
    return money_text(amount, currency, locale=_locale())


def _percent(value: float) -> str:
    return format_percent(value, locale=_locale())


def _cents(amount: Decimal) -> str:
    return f"{amount:.2f}"


def _and(names: Sequence[str], more: int) -> str:
    """`A, B and C` or `A, B, C and 4 more`."""
    if more:
        return ngettext("%(names)s and %(more)s more", "%(names)s and %(more)s more", more) % {
            "names": ", ".join(names),
            "more": more,
        }
    if len(names) == 1:
        return names[0]
    return _("%(names)s and %(last)s") % {"names": ", ".join(names[:-1]), "last": names[-1]}


def _named(deals: Deals, currency: str) -> str:
    """The biggest deals by title and value, and how many more there are."""
    shown = deals.biggest[:NAMED_DEALS]
    if not shown:
        return ngettext("%(count)s deal", "%(count)s deals", deals.count) % {"count": deals.count}
    names = [f"“{deal.title}” ({_money(deal.value, currency)})" for deal in shown]
    return _and(names, max(deals.count - len(shown), 0))


def _deals_evidence(deals: Deals) -> dict[str, Any]:
    return {
        "deals": deals.count,
        "value": _cents(deals.value),
        "biggest": [
            {"id": deal.id, "title": deal.title, "value": _cents(deal.value)}
            | ({"reasons": list(deal.reasons)} if deal.reasons else {})
            for deal in deals.biggest[:NAMED_DEALS]
        ],
    }


# --- the rules ---------------------------------------------------------------------------------------------


def _more_cold_calls(facts: AdviceFacts, limits: Thresholds) -> AdviceItem | None:
    late = facts.late
    if late.count < limits.late_stage_deals or facts.appointments_ahead > limits.few_appointments:
        return None
    if facts.appointments_ahead == 0:
        text = _(
            "Make more cold calls: %(late)s deals are near closing (%(deals)s) but no appointment is "
            "planned in the next %(days)s days. Once these close, nothing follows them."
        )
    else:
        text = ngettext(
            "Make more cold calls: %(late)s deals are near closing (%(deals)s) but only %(appointments)s "
            "appointment is planned in the next %(days)s days. Once these close, nothing follows them.",
            "Make more cold calls: %(late)s deals are near closing (%(deals)s) but only %(appointments)s "
            "appointments are planned in the next %(days)s days. Once these close, nothing follows them.",
            facts.appointments_ahead,
        )
    message = text % {
        "late": late.count,
        "deals": _named(late, facts.currency),
        "appointments": facts.appointments_ahead,
        "days": limits.appointment_days,
    }
    return AdviceItem(
        code=MORE_COLD_CALLS,
        severity=HIGH if facts.appointments_ahead == 0 else MEDIUM,
        message=message,
        evidence={
            "late_stage": _deals_evidence(late),
            "appointments_ahead": facts.appointments_ahead,
            "appointment_days": limits.appointment_days,
            "thresholds": {
                "late_stage_deals": limits.late_stage_deals,
                "few_appointments": limits.few_appointments,
            },
        },
        value_at_stake=late.value,
    )


def _more_research(facts: AdviceFacts, limits: Thresholds) -> AdviceItem | None:
    top, late = facts.top, facts.late
    crowded = (
        facts.open_deals > 0
        and top.count >= limits.crowded_top_deals
        and top.count * 100 >= limits.crowded_top_percent * facts.open_deals
    )
    # Fewer than `late_stage_deals` as well: never both balance items, whatever the settings say.
    little_near_closing = late.count <= limits.near_closing_deals and late.count < limits.late_stage_deals
    if not (crowded and little_near_closing):
        return None
    share = top.count / facts.open_deals
    message = ngettext(
        "Fewer cold calls, more research and presentations: %(top)s of your %(open)s open deals "
        "(%(share)s) are in the first two stages (%(deals)s) and only %(late)s is near closing. Research "
        "them and present to the decision makers to move them on.",
        "Fewer cold calls, more research and presentations: %(top)s of your %(open)s open deals "
        "(%(share)s) are in the first two stages (%(deals)s) and only %(late)s are near closing. Research "
        "them and present to the decision makers to move them on.",
        late.count,
    ) % {
        "top": top.count,
        "open": facts.open_deals,
        "share": _percent(share),
        "deals": _named(top, facts.currency),
        "late": late.count,
    }
    return AdviceItem(
        code=MORE_RESEARCH_AND_PRESENTATIONS,
        severity=MEDIUM,
        message=message,
        evidence={
            "open_deals": facts.open_deals,
            "top_stages": _deals_evidence(top),
            "top_share": round(share, 4),
            "late_stage_deals": late.count,
            "thresholds": {
                "crowded_top_percent": limits.crowded_top_percent,
                "crowded_top_deals": limits.crowded_top_deals,
                "near_closing_deals": limits.near_closing_deals,
            },
        },
        value_at_stake=top.value,
    )


def closing_comparison(closing: ClosingRecord, limits: Thresholds) -> StepComparison:
    """The rep's appointment → won rate against the rest of the team's."""
    return compare_to_team(
        closing.won,
        closing.won + closing.lost,
        closing.others_won,
        closing.others_won + closing.others_lost,
        min_trials=limits.min_trials,
        certainty=limits.certainty_percent / 100,
    )


def _closing_skills(facts: AdviceFacts, limits: Thresholds) -> AdviceItem | None:
    if facts.closing is None:
        return None
    step = closing_comparison(facts.closing, limits)
    if not step.weak or step.rate is None or step.team_rate is None:
        return None
    values = {
        "won": step.successes,
        "closed": step.trials,
        "rate": _percent(step.rate),
        "others_rate": _percent(step.team_rate),
        "others_closed": step.team_trials,
    }
    if facts.closing.others == "company":
        message = _(
            "Brush up your closing skills: you won %(won)s of the %(closed)s deals you had an appointment "
            "on (%(rate)s), against %(others_rate)s of %(others_closed)s for the rest of the company."
        )
    else:
        message = _(
            "Brush up your closing skills: you won %(won)s of the %(closed)s deals you had an appointment "
            "on (%(rate)s), against %(others_rate)s of %(others_closed)s for the rest of your team."
        )
    message %= values
    waiting = facts.at_or_past_appointment
    if waiting.count:
        message += " " + _("Your next chances to close: %(deals)s.") % {
            "deals": _named(waiting, facts.currency)
        }
    return AdviceItem(
        code=CLOSING_SKILLS,
        severity=MEDIUM,
        message=message,
        evidence={
            "won": step.successes,
            "lost": step.trials - step.successes,
            "rate": round(step.rate, 4),
            "interval": [round(step.interval[0], 4), round(step.interval[1], 4)],
            "compared_with": facts.closing.others,
            "others_won": step.team_successes,
            "others_lost": step.team_trials - step.team_successes,
            "others_rate": round(step.team_rate, 4),
            "probability_below": round(step.probability_below, 4),
            "at_or_past_appointment": _deals_evidence(waiting),
            "thresholds": {"min_trials": limits.min_trials, "certainty_percent": limits.certainty_percent},
        },
        value_at_stake=waiting.value,
    )


def _skill_hint(skill: str) -> str:
    """What to work on for a weak step, in a sentence (`analytics.funnel.step_skill`)."""
    hints = {
        OPENING: _("Work on your opening: your first calls move fewer deals on than your team's."),
        QUALIFYING: _(
            "Qualify better: find and confirm the decision maker, the budget and the timeline early."
        ),
        BOOKING: _(
            "Ask for the appointment: fewer of your qualified deals get to a meeting than your team's."
        ),
        PRESENTING: _("Sharpen your demos and presentations: fewer of your deals move on after them."),
        CLOSING: _("Brush up your closing: fewer of your deals in the last stage are won than your team's."),
    }
    return hints[skill]


def _weak_step(facts: AdviceFacts, limits: Thresholds) -> AdviceItem | None:
    step = facts.weak_step
    if step is None:
        return None
    comparison = step.comparison
    rate, others_rate = comparison.rate, comparison.team_rate
    if rate is None or others_rate is None:
        return None
    if step.skill == CLOSING and facts.closing is not None and closing_comparison(facts.closing, limits).weak:
        return None  # `closing_skills` already says it, on the appointments' record
    message = (
        _skill_hint(step.skill)
        + " "
        + _(
            "%(stage)s → %(next)s: %(advanced)s of the %(entered)s deals that entered %(stage)s in the "
            "last %(days)s days went further (%(rate)s), against %(others_rate)s of %(others_entered)s "
            "for the rest of your team."
        )
        % {
            "stage": step.stage,
            "next": step.next_stage,
            "advanced": comparison.successes,
            "entered": comparison.trials,
            "days": facts.steps_window_days,
            "rate": _percent(rate),
            "others_rate": _percent(others_rate),
            "others_entered": comparison.team_trials,
        }
    )
    return AdviceItem(
        code=WEAK_STEP,
        severity=MEDIUM,
        message=message,
        evidence={
            "stage": step.stage,
            "next_stage": step.next_stage,
            "skill": step.skill,
            "window_days": facts.steps_window_days,
            "entered": comparison.trials,
            "advanced": comparison.successes,
            "rate": round(rate, 4),
            "interval": [round(comparison.interval[0], 4), round(comparison.interval[1], 4)],
            "others_entered": comparison.team_trials,
            "others_advanced": comparison.team_successes,
            "others_rate": round(others_rate, 4),
            "probability_below": round(comparison.probability_below, 4),
            "thresholds": {"min_trials": limits.min_trials, "certainty_percent": limits.certainty_percent},
        },
    )


def _confirm_decision_maker(facts: AdviceFacts, limits: Thresholds) -> AdviceItem | None:
    deals = facts.no_decision_maker
    if not deals.count:
        return None
    message = ngettext(
        "Confirm the decision maker on %(count)s deal that is at or past the appointment stage or has a "
        "meeting planned: %(deals)s. An appointment with someone who cannot say yes rarely ends in a sale.",
        "Confirm the decision maker on %(count)s deals that are at or past the appointment stage or have a "
        "meeting planned: %(deals)s. An appointment with someone who cannot say yes rarely ends in a sale.",
        deals.count,
    ) % {"count": deals.count, "deals": _named(deals, facts.currency)}
    return AdviceItem(
        code=CONFIRM_DECISION_MAKER,
        severity=HIGH,
        message=message,
        evidence=_deals_evidence(deals),
        value_at_stake=deals.value,
    )


def _probe_budget_and_timeline(facts: AdviceFacts, limits: Thresholds) -> AdviceItem | None:
    deals = facts.missing_budget_or_timeline
    if not deals.count:
        return None
    message = ngettext(
        "Probe budget and timeline on %(count)s deal at or past the appointment stage: %(deals)s "
        "(%(budget)s without a budget, %(timeline)s without a decision date). Ask what they spent on "
        "similar things before and what happens if this is not solved soon.",
        "Probe budget and timeline on %(count)s deals at or past the appointment stage: %(deals)s "
        "(%(budget)s without a budget, %(timeline)s without a decision date). Ask what they spent on "
        "similar things before and what happens if this is not solved soon.",
        deals.count,
    ) % {
        "count": deals.count,
        "deals": _named(deals, facts.currency),
        "budget": facts.missing_budget,
        "timeline": facts.missing_decision_date,
    }
    return AdviceItem(
        code=PROBE_BUDGET_AND_TIMELINE,
        severity=MEDIUM,
        message=message,
        evidence=_deals_evidence(deals)
        | {"without_budget": facts.missing_budget, "without_decision_date": facts.missing_decision_date},
        value_at_stake=deals.value,
    )


def _no_next_step(facts: AdviceFacts, limits: Thresholds) -> AdviceItem | None:
    deals = facts.no_next_step
    if not deals.count:
        return None
    message = ngettext(
        "Plan a next step on %(count)s open deal with nothing scheduled: %(deals)s.",
        "Plan a next step on %(count)s open deals with nothing scheduled: %(deals)s.",
        deals.count,
    ) % {"count": deals.count, "deals": _named(deals, facts.currency)}
    return AdviceItem(
        code=NO_NEXT_STEP,
        severity=MEDIUM,
        message=message,
        evidence=_deals_evidence(deals),
        value_at_stake=deals.value,
    )


def _rotting(facts: AdviceFacts, limits: Thresholds) -> AdviceItem | None:
    deals = facts.rotting
    if not deals.count:
        return None
    message = ngettext(
        "Revive or close %(count)s rotting deal, without a completed activity or a stage change for longer "
        "than its stage allows: %(deals)s.",
        "Revive or close %(count)s rotting deals, without a completed activity or a stage change for longer "
        "than their stage allows: %(deals)s.",
        deals.count,
    ) % {"count": deals.count, "deals": _named(deals, facts.currency)}
    return AdviceItem(
        code=ROTTING_DEAL,
        severity=MEDIUM,
        message=message,
        evidence=_deals_evidence(deals),
        value_at_stake=deals.value,
    )


def _request_name(request: RequestRef) -> str:
    if request.deal_title:
        return _("“%(subject)s” on “%(deal)s”") % {"subject": request.subject, "deal": request.deal_title}
    return f"“{request.subject}”"


def _answer_info_request(facts: AdviceFacts, limits: Thresholds) -> AdviceItem | None:
    requests = facts.info_requests
    if not requests.open:
        return None
    shown = requests.first_due[:NAMED_DEALS]
    named = _and([_request_name(request) for request in shown], max(requests.open - len(shown), 0))
    if requests.overdue:
        message = ngettext(
            "Answer the information requests waiting for you at once: %(count)s open, %(overdue)s of them "
            "past its deadline: %(requests)s.",
            "Answer the information requests waiting for you at once: %(count)s open, %(overdue)s of them "
            "past their deadline: %(requests)s.",
            requests.overdue,
        )
    else:
        message = ngettext(
            "Answer %(count)s open information request before its deadline: %(requests)s.",
            "Answer %(count)s open information requests before their deadlines: %(requests)s.",
            requests.open,
        )
    message %= {"count": requests.open, "overdue": requests.overdue, "requests": named}
    return AdviceItem(
        code=ANSWER_INFO_REQUEST,
        severity=HIGH if requests.overdue else MEDIUM,
        message=message,
        evidence={
            "open": requests.open,
            "overdue": requests.overdue,
            "first_due": [
                {
                    "id": request.id,
                    "subject": request.subject,
                    "due_at": None if request.due_at is None else request.due_at.isoformat(),
                    "deal_id": request.deal_id,
                    "deal_title": request.deal_title or None,
                }
                for request in shown
            ],
        },
    )


def _offer_trial_or_demo(facts: AdviceFacts, limits: Thresholds) -> AdviceItem | None:
    deals = facts.stalled
    if not deals.count:
        return None
    message = ngettext(
        "Offer a free trial or a demo on %(count)s deal stalled for more than %(percent)s of the usual "
        "time in its stage: %(deals)s.",
        "Offer a free trial or a demo on %(count)s deals stalled for more than %(percent)s of the usual "
        "time in their stage: %(deals)s.",
        deals.count,
    ) % {
        "count": deals.count,
        "percent": _percent(limits.stalled_percent / 100),
        "deals": _named(deals, facts.currency),
    }
    return AdviceItem(
        code=OFFER_TRIAL_OR_DEMO,
        severity=LOW,
        message=message,
        evidence=_deals_evidence(deals)
        | {
            "stage_medians": [
                {
                    "stage": median.stage,
                    "days": round(median.days, 1),
                    "exits": median.exits,
                    "basis": median.basis,
                }
                for median in facts.stage_medians
            ],
            "thresholds": {"stalled_percent": limits.stalled_percent},
        },
        value_at_stake=deals.value,
    )


def _famine_ahead(facts: AdviceFacts, limits: Thresholds) -> AdviceItem | None:
    months = [month for month in facts.flow[: limits.famine_months] if month.famine]
    if not months:
        return None
    short = [
        (month, (month.quota or Decimal(0)) - month.won - month.expected, month.share or Decimal(0))
        for month in months
    ]
    first = months[0]
    shortfall = sum((max(gap, Decimal(0)) for _month, gap, _share in short), Decimal(0))
    named = _and(
        [
            _("%(month)s (%(share)s of the quota)")
            % {
                "month": formats.date_format(month.month, "YEAR_MONTH_FORMAT"),
                "share": _percent(float(share)),
            }
            for month, _gap, share in short
        ],
        0,
    )
    if first.prospect_by <= facts.today:
        message = _(
            "Famine ahead: expected sales fall short in %(months)s. New deals for %(first)s should have been "
            "found by %(by)s: prospect now, and push the deals you have."
        )
    else:
        message = _(
            "Famine ahead: expected sales fall short in %(months)s. Find new deals for %(first)s by %(by)s."
        )
    message %= {
        "months": named,
        "first": formats.date_format(first.month, "YEAR_MONTH_FORMAT"),
        "by": formats.date_format(first.prospect_by, "DATE_FORMAT"),
    }
    urgent = first.prospect_by <= facts.today + dt.timedelta(days=FAMINE_URGENT_DAYS)
    return AdviceItem(
        code=FAMINE_AHEAD,
        severity=HIGH if urgent else MEDIUM,
        message=message,
        evidence={
            "months": [
                {
                    "month": f"{month.month:%Y-%m}",
                    "won": _cents(month.won),
                    "expected": _cents(month.expected),
                    "quota": None if month.quota is None else _cents(month.quota),
                    "share": None if month.share is None else f"{month.share:.4f}",
                    "prospect_by": month.prospect_by.isoformat(),
                }
                for month in months
            ],
            "shortfall": _cents(shortfall),
            "thresholds": {"famine_months": limits.famine_months},
        },
        value_at_stake=shortfall,
    )


def _big_deal_at_risk(facts: AdviceFacts, limits: Thresholds) -> AdviceItem | None:
    deals = facts.big_at_risk
    if not deals.count or facts.median_open_value is None:
        return None
    message = ngettext(
        "%(count)s big deal is at risk (rotting, past its close date or without a next step): %(deals)s. "
        "It is worth at least %(percent)s of your median open deal of %(median)s; one big sale can be "
        "worth two or three small ones.",
        "%(count)s big deals are at risk (rotting, past their close date or without a next step): "
        "%(deals)s. Each is worth at least %(percent)s of your median open deal of %(median)s; one big "
        "sale can be worth two or three small ones.",
        deals.count,
    ) % {
        "count": deals.count,
        "deals": _named(deals, facts.currency),
        "percent": _percent(limits.big_deal_percent / 100),
        "median": _money(facts.median_open_value, facts.currency),
    }
    return AdviceItem(
        code=BIG_DEAL_AT_RISK,
        severity=HIGH,
        message=message,
        evidence=_deals_evidence(deals)
        | {
            "median_open_value": _cents(facts.median_open_value),
            "thresholds": {"big_deal_percent": limits.big_deal_percent},
        },
        value_at_stake=deals.value,
    )


RULES: tuple[Callable[[AdviceFacts, Thresholds], AdviceItem | None], ...] = (
    _more_cold_calls,
    _more_research,
    _closing_skills,
    _weak_step,
    _confirm_decision_maker,
    _probe_budget_and_timeline,
    _no_next_step,
    _rotting,
    _answer_info_request,
    _offer_trial_or_demo,
    _famine_ahead,
    _big_deal_at_risk,
)


def advice_order(item: AdviceItem) -> tuple[int, Decimal, str]:
    """What matters most first: severity, then the value at stake (biggest first), then the code."""
    return SEVERITIES.index(item.severity), -item.value_at_stake, item.code


def advise(facts: AdviceFacts, thresholds: Thresholds) -> list[AdviceItem]:
    """Every item the facts call for, most important first, its message in the active language."""
    items = [
        replace(item, evidence={**item.evidence, "value_at_stake": _cents(item.value_at_stake)})
        for rule in RULES
        if (item := rule(facts, thresholds)) is not None
    ]
    return sorted(items, key=advice_order)
