"""Stage gates: what a deal must have before it may enter a stage. Pure rules over plain facts."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol

from django.utils.translation import gettext as _

from salespipe.core.errors import RuleBroken


class GatedStage(Protocol):
    name: str
    position: int
    kind: str
    requires_decision_maker: bool
    requires_budget: bool
    requires_timeline: bool


@dataclass(frozen=True)
class Qualification:
    """What is known about the deal that the gates look at."""

    decision_maker_confirmed: bool
    budget_known: bool
    timeline_known: bool


def stages_entered(
    *, pipeline_stages: Sequence[GatedStage], current: GatedStage | None, target: GatedStage
) -> list[GatedStage]:
    """The stages whose gates a move must pass: the target and, moving forward, every open stage
    skipped on the way (jumping from Qualified to Proposal still has to pass Appointment's gate)."""
    start = current.position if current is not None else 0
    if target.position <= start:
        return [target]
    return [
        stage
        for stage in pipeline_stages
        if start < stage.position <= target.position and (stage.kind == "open" or stage is target)
    ]


def gates_check(*, deal_title: str, stages: Iterable[GatedStage], qualification: Qualification) -> None:
    """Raise the first gate refusal, with a message that says what to do about it."""
    for stage in stages:
        if stage.requires_decision_maker and not qualification.decision_maker_confirmed:
            raise RuleBroken(
                _(
                    "'%(title)s' cannot enter '%(stage)s' before a decision maker is confirmed. "
                    "Add the person who decides (decision maker or economic buyer) to the deal and "
                    "confirm their buying authority: who confirmed it, when and how."
                )
                % {"title": deal_title, "stage": stage.name},
                code="decision_maker_required",
            )
        if stage.requires_budget and not qualification.budget_known:
            raise RuleBroken(
                _(
                    "'%(title)s' cannot enter '%(stage)s' before the prospect's budget is known. "
                    "Record the budget amount on the deal, with the evidence for it."
                )
                % {"title": deal_title, "stage": stage.name},
                code="budget_required",
                fields={"budget_amount": _("required by the stage")},
            )
        if stage.requires_timeline and not qualification.timeline_known:
            raise RuleBroken(
                _(
                    "'%(title)s' cannot enter '%(stage)s' before the decision timeline is known. "
                    "Record by when the prospect decides (decision date) on the deal."
                )
                % {"title": deal_title, "stage": stage.name},
                code="timeline_required",
                fields={"decision_date": _("required by the stage")},
            )
