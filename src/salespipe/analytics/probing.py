"""Probing questions: what to ask, without asking outright, for each fact a deal is still missing.

The seed's advice (PRODUCT.md, practice 6): budget and timeline are sensitive this early in a
relationship, so hint around them. Ask about similar things the prospect bought before to sense the
budget, and explore how urgent the need is to sense the timeline. Plain lists, no database.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

# In the order a rep would find them out: who decides, what they spend, by when, how badly they need it.
FACTS = ("decision_maker", "budget", "decision_date", "urgency")

FACT_LABELS: dict[str, Promise] = {
    "decision_maker": _("No confirmed decision maker"),
    "budget": _("No budget"),
    "decision_date": _("No decision date"),
    "urgency": _("No urgency"),
}

QUESTIONS: dict[str, tuple[Promise, ...]] = {
    "decision_maker": (
        _("Who else will be involved in choosing a solution like this?"),
        _("How did your company decide the last time it bought something similar?"),
        _("Whose budget would a purchase like this come out of?"),
        _("Who would need to be happy with the result for this to count as a success?"),
    ),
    "budget": (
        _("What did you spend on this the last time?"),
        _("What have you paid for similar services or tools in the past?"),
        _("Which other projects compete for this budget?"),
        _("How are purchases like this usually funded in your company?"),
    ),
    "decision_date": (
        _("What happens if this is not solved by the end of the quarter?"),
        _("When would you like to have the new solution in use?"),
        _("What has to happen on your side before a decision can be made?"),
        _("Is there an event or a deadline this is tied to?"),
    ),
    "urgency": (
        _("What does it cost you each month that this stays unsolved?"),
        _("Why look at this now rather than next year?"),
        _("Where does this rank among your priorities this quarter?"),
    ),
}


@dataclass(frozen=True)
class ProbingTopic:
    fact: str
    label: str
    questions: tuple[str, ...]


def missing_facts(
    *, decision_maker_confirmed: bool, budget_known: bool, decision_date_known: bool, urgency_known: bool
) -> list[str]:
    known = {
        "decision_maker": decision_maker_confirmed,
        "budget": budget_known,
        "decision_date": decision_date_known,
        "urgency": urgency_known,
    }
    return [fact for fact in FACTS if not known[fact]]


def probing_topics(facts: Sequence[str]) -> list[ProbingTopic]:
    """The questions for each missing fact, in the active language."""
    return [
        ProbingTopic(
            fact=fact,
            label=str(FACT_LABELS[fact]),
            questions=tuple(str(question) for question in QUESTIONS[fact]),
        )
        for fact in facts
    ]
