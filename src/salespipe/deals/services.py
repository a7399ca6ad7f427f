"""Every change to a deal goes through here: one transaction, its checks, its history row."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.db.models import Case, Count, DecimalField, F, Max, Min, OuterRef, Q, Subquery, Value, When
from django.db.models.functions import Coalesce, Greatest, Round
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from salespipe.core.errors import InvalidInput, NotAllowed, NotFound, RuleBroken, StaleVersion
from salespipe.core.models import ExchangeRate
from salespipe.core.money import base_currency, currency_code, to_base
from salespipe.core.text import fold
from salespipe.deals.gates import Qualification, gates_check, stages_entered
from salespipe.deals.models import (
    BUYING_AUTHORITY_ROLES,
    AuthorityConfirmation,
    ContactRole,
    Deal,
    DealContact,
    DealSource,
    DealStatus,
    Pipeline,
    Stage,
    StageChange,
    StageKind,
    StageOutcome,
    StageStay,
    Urgency,
)
from salespipe.directory.models import Organization, Person
from salespipe.people.models import User
from salespipe.people.selectors import owner_scope, user_can_manage
from salespipe.webhooks import events
from salespipe.webhooks.payloads import deal_payload
from salespipe.webhooks.services import webhook_event_emit

MAX_VALUE = Decimal("999999999999.99")

# How the messages below name a field; the keys are the field names of the API.
_FIELD_NAMES = {
    "value": gettext_lazy("Value"),
    "budget_amount": gettext_lazy("Budget amount"),
    "source": gettext_lazy("Source"),
    "urgency": gettext_lazy("Urgency"),
    "role": gettext_lazy("Role"),
}


def _field_name(field: str) -> str:
    return str(_FIELD_NAMES.get(field, field.replace("_", " ").capitalize()))


# --- helpers shared by the services below -----------------------------------------------------------


def _deal_for_change(actor: User, deal_id: int) -> Deal:
    """The deal, locked for the transaction, if the actor may see it (else 404: no existence leak)."""
    deal = (
        Deal.objects.select_for_update(of=("self",))
        .select_related("stage", "owner", "pipeline")
        .filter(owner_scope(actor), pk=deal_id)
        .first()
    )
    if deal is None:
        raise NotFound(_("There is no deal with id %(id)s, or you may not see it.") % {"id": deal_id})
    return deal


def _check_version(deal: Deal, expected_version: int | None) -> None:
    if expected_version is not None and expected_version != deal.version:
        raise StaleVersion(
            _(
                "'%(title)s' was changed by someone else since you opened it (your version "
                "%(yours)s, now %(current)s). Reload it and apply your change again."
            )
            % {"title": deal.title, "yours": expected_version, "current": deal.version},
            fields={"version": _("current version is %(current)s") % {"current": deal.version}},
        )


def _save(deal: Deal, fields: list[str]) -> None:
    deal.version += 1
    deal.updated_at = timezone.now()
    deal.save(update_fields=[*fields, "version", "updated_at"])


def _money(raw: Any, *, field: str, allow_none: bool = False) -> Decimal | None:
    if raw is None and allow_none:
        return None
    try:
        amount = Decimal(str(raw))
    except (InvalidOperation, ValueError):
        raise InvalidInput(
            _("%(field)s must be a number.") % {"field": _field_name(field)},
            fields={field: _("not a number")},
        ) from None
    if not amount.is_finite() or amount < 0 or amount > MAX_VALUE:
        raise InvalidInput(
            _("%(field)s must be between 0 and %(max)s.") % {"field": _field_name(field), "max": MAX_VALUE},
            fields={field: _("out of range")},
        )
    return amount.quantize(Decimal("0.01"))


def _rate_to_base(currency: str) -> Decimal:
    if currency == base_currency():
        return Decimal(1)
    rate = ExchangeRate.objects.filter(currency=currency).values_list("rate_to_base", flat=True).first()
    if rate is None:
        raise InvalidInput(
            _(
                "There is no exchange rate from %(currency)s to %(base)s, so reports could not count "
                "this deal. Ask an administrator to add one (admin: Settings → Exchange rates) or use "
                "%(base)s."
            )
            % {"currency": currency, "base": base_currency()},
            fields={"currency": _("no exchange rate")},
        )
    return rate


def _probability(raw: Any) -> int | None:
    if raw is None:
        return None
    if not isinstance(raw, int) or isinstance(raw, bool) or not 0 <= raw <= 100:
        raise InvalidInput(
            _("Probability is a whole percent from 0 to 100."), fields={"probability": _("out of range")}
        )
    return raw


def _choice(raw: str, choices: type[Any], field: str) -> str:
    if raw and raw not in choices.values:
        raise InvalidInput(
            _("%(field)s must be one of: %(choices)s.")
            % {"field": _field_name(field), "choices": ", ".join(choices.values)},
            fields={field: _("unknown value")},
        )
    return raw


def _assignable_owner(actor: User, owner_id: int | None) -> User:
    if owner_id is None or owner_id == actor.pk:
        return actor
    owner = User.objects.filter(pk=owner_id, is_active=True).select_related("team").first()
    if owner is None:
        raise InvalidInput(
            _("There is no active user with id %(id)s.") % {"id": owner_id},
            fields={"owner_id": _("unknown user")},
        )
    if not user_can_manage(actor, owner):
        raise NotAllowed(
            _("You cannot give deals to %(user)s: only their manager or an administrator can.")
            % {"user": owner}
        )
    return owner


def _organization(organization_id: int | None) -> Organization | None:
    if organization_id is None:
        return None
    organization = Organization.objects.filter(pk=organization_id).first()
    if organization is None:
        raise InvalidInput(
            _("There is no organization with id %(id)s.") % {"id": organization_id},
            fields={"organization_id": _("unknown")},
        )
    return organization


def _person(person_id: int | None) -> Person | None:
    if person_id is None:
        return None
    person = Person.objects.filter(pk=person_id).first()
    if person is None:
        raise InvalidInput(
            _("There is no person with id %(id)s.") % {"id": person_id}, fields={"person_id": _("unknown")}
        )
    return person


def deal_qualification(deal: Deal) -> Qualification:
    return Qualification(
        decision_maker_confirmed=deal.contacts.filter(
            role__in=BUYING_AUTHORITY_ROLES, authority_confirmed_at__isnull=False
        ).exists(),
        budget_known=deal.budget_amount is not None,
        timeline_known=deal.decision_date is not None,
    )


def _record_stage_change(deal: Deal, *, actor: User | None, from_stage: Stage | None, note: str = "") -> None:
    change = StageChange.objects.create(
        deal=deal,
        from_stage=from_stage,
        to_stage=deal.stage,
        to_status=deal.status,
        changed_by=actor,
        changed_at=deal.stage_entered_at,
        note=note[:200],
    )
    _stage_stays_follow(deal, change)


def _stage_stays_follow(deal: Deal, change: StageChange) -> None:
    """Keep the deal's stage stays (`StageStay`) in step with a new stage change: the stay it is in ends
    now, the stays of the pipeline's earlier open stages went further when it enters an open or won stage,
    and a new stay begins, knowing when the deal was last in that stage. Two queries, however long the
    deal's history."""
    stage = change.to_stage
    stays = StageStay.objects.filter(deal_id=deal.pk)
    # In the insert itself, as a subquery of the deal's stays in that stage so far.
    previous = Subquery(
        stays.filter(stage=stage).values("deal_id").annotate(at=Max("entered_at")).values("at")
    )
    ending = Q(left_at__isnull=True)
    if stage.kind == StageKind.LOST:
        stays.filter(ending).update(left_at=change.changed_at)
    else:
        passed = Stage.objects.filter(
            pipeline_id=stage.pipeline_id, kind=StageKind.OPEN, position__lt=stage.position
        ).values("pk")
        stays.filter(ending | Q(advanced=False, stage_id__in=passed)).update(
            left_at=Coalesce(F("left_at"), Value(change.changed_at)),
            advanced=Case(When(stage_id__in=passed, then=Value(True)), default=F("advanced")),
        )
    StageStay.objects.create(
        entry=change,
        deal_id=deal.pk,
        owner_id=deal.owner_id,
        stage=stage,
        entered_at=change.changed_at,
        previous_entry_at=previous,
    )


# The column of `StageOutcome` that counts a deal of this status; an open deal is counted nowhere.
_OUTCOME_COLUMNS: dict[str, str] = {DealStatus.WON: "won_deals", DealStatus.LOST: "lost_deals"}


def _stage_outcomes_shift(deal: Deal, *, was: str, becomes: str, leaving: Stage | None = None) -> None:
    """Move the deal's count from the `was` to the `becomes` column of every open stage it has been in.

    Those stages are the targets of its history, which start with its first stage, plus `leaving`, the
    open stage it is closing from, in case the history lacks it. One query to take a deal out, three to
    count it in, however long its history; the caller's transaction holds the deal's row lock.
    """
    taken, added = _OUTCOME_COLUMNS.get(was), _OUTCOME_COLUMNS.get(becomes)
    changes: dict[str, Any] = {}
    if taken:
        # Never below zero: a count that is off (rebuild it) must not block a user's reopen or delete.
        changes[taken] = Greatest(F(taken) - 1, Value(0))
    if added:
        changes[added] = F(added) + 1
    if not changes:
        return
    passed = StageChange.objects.filter(deal_id=deal.pk, to_stage__kind=StageKind.OPEN).order_by()
    if not added:
        StageOutcome.objects.filter(stage_id__in=passed.values("to_stage_id")).update(**changes)
        return
    stage_ids = set(passed.values_list("to_stage_id", flat=True).distinct())
    if leaving is not None and leaving.kind == StageKind.OPEN:
        stage_ids.add(leaving.pk)
    if not stage_ids:
        return
    StageOutcome.objects.bulk_create(
        [StageOutcome(stage_id=stage_id) for stage_id in sorted(stage_ids)], ignore_conflicts=True
    )
    StageOutcome.objects.filter(stage_id__in=stage_ids).update(**changes)


# --- deals --------------------------------------------------------------------------------------------


@transaction.atomic
def deal_create(
    *,
    actor: User,
    title: str,
    pipeline_id: int | None = None,
    stage_id: int | None = None,
    owner_id: int | None = None,
    organization_id: int | None = None,
    person_id: int | None = None,
    value: Any = 0,
    currency: str | None = None,
    expected_close_date: dt.date | None = None,
    probability: int | None = None,
    source: str = "",
    budget_amount: Any = None,
    budget_evidence: str = "",
    decision_date: dt.date | None = None,
    urgency: str = "",
) -> Deal:
    """A new open deal in the chosen (or the pipeline's first) stage; its gates apply as on a move."""
    title = title.strip()
    if not title:
        raise InvalidInput(
            _("A deal needs a title, e.g. the organization and what it buys."),
            fields={"title": _("required")},
        )
    pipeline = _pipeline_for_new_deal(pipeline_id, stage_id)
    stages = list(pipeline.stages.order_by("position"))
    if stage_id is None:
        stage = next(s for s in stages if s.kind == StageKind.OPEN)
    else:
        found = next((s for s in stages if s.pk == stage_id), None)
        if found is None:
            raise InvalidInput(
                _("Stage %(stage)s is not a stage of the pipeline '%(pipeline)s'.")
                % {"stage": stage_id, "pipeline": pipeline.name},
                fields={"stage_id": _("unknown")},
            )
        if found.kind != StageKind.OPEN:
            raise InvalidInput(
                _("A new deal starts in an open stage; create it, then mark it won or lost."),
                fields={"stage_id": _("not an open stage")},
            )
        stage = found
    code = currency_code(currency) if currency else base_currency()
    amount = _money(value, field="value")
    assert amount is not None
    now = timezone.now()
    deal = Deal(
        title=title,
        search_title=fold(title)[:200],
        organization=_organization(organization_id),
        person=_person(person_id),
        owner=_assignable_owner(actor, owner_id),
        pipeline=pipeline,
        stage=stage,
        status=DealStatus.OPEN,
        value=amount,
        currency=code,
        base_value=to_base(amount, rate_to_base=_rate_to_base(code)),
        expected_close_date=expected_close_date,
        probability=_probability(probability),
        source=_choice(source, DealSource, "source"),
        budget_amount=_money(budget_amount, field="budget_amount", allow_none=True),
        budget_evidence=budget_evidence.strip(),
        decision_date=decision_date,
        urgency=_choice(urgency, Urgency, "urgency"),
        stage_entered_at=now,
        created_by=actor,
        created_at=now,
        updated_at=now,
    )
    # A new deal has no contacts yet, so only its own fields can satisfy the budget and timeline gates.
    gates_check(
        deal_title=title,
        stages=stages_entered(pipeline_stages=stages, current=None, target=stage),
        qualification=Qualification(
            decision_maker_confirmed=False,
            budget_known=deal.budget_amount is not None,
            timeline_known=decision_date is not None,
        ),
    )
    deal.save()
    _record_stage_change(deal, actor=actor, from_stage=None)
    webhook_event_emit(event=events.DEAL_CREATED, payload=lambda: deal_payload(deal))
    return deal


def _pipeline_for_new_deal(pipeline_id: int | None, stage_id: int | None) -> Pipeline:
    if pipeline_id is None and stage_id is not None:
        stage = Stage.objects.select_related("pipeline").filter(pk=stage_id).first()
        if stage is None:
            raise InvalidInput(
                _("There is no stage with id %(id)s.") % {"id": stage_id}, fields={"stage_id": _("unknown")}
            )
        return stage.pipeline
    pipelines = Pipeline.objects.filter(is_active=True)
    pipeline = (
        pipelines.filter(pk=pipeline_id).first() if pipeline_id else pipelines.filter(is_default=True).first()
    )
    if pipeline is None:
        raise InvalidInput(
            _("There is no active pipeline with id %(id)s.") % {"id": pipeline_id}
            if pipeline_id
            else _("There is no default pipeline; run `salespipe init` to create it."),
            fields={"pipeline_id": _("unknown")},
        )
    return pipeline


_EDITABLE = {
    "title",
    "organization_id",
    "person_id",
    "owner_id",
    "value",
    "currency",
    "expected_close_date",
    "probability",
    "source",
    "budget_amount",
    "budget_evidence",
    "decision_date",
    "urgency",
}


@transaction.atomic
def deal_update(*, actor: User, deal_id: int, expected_version: int, **changes: Any) -> Deal:
    """Edit a deal's fields. The edit must name the version it was based on; a stale one is refused."""
    unknown = set(changes) - _EDITABLE
    if unknown:
        raise InvalidInput(
            _(
                "These deal fields cannot be edited here: %(fields)s. "
                "Use move, win or lose to change the stage or status."
            )
            % {"fields": ", ".join(sorted(unknown))}
        )
    deal = _deal_for_change(actor, deal_id)
    _check_version(deal, expected_version)
    fields: list[str] = []
    for field, value in changes.items():
        if field == "title":
            value = (value or "").strip()
            if not value:
                raise InvalidInput(_("A deal needs a title."), fields={"title": _("required")})
            deal.search_title = fold(value)[:200]
            fields.append("search_title")
        elif field == "organization_id":
            _organization(value)
        elif field == "person_id":
            _person(value)
        elif field == "owner_id":
            if value is None:
                raise InvalidInput(_("A deal must have an owner."), fields={"owner_id": _("required")})
            value = _assignable_owner(actor, value).pk
        elif field == "value":
            value = _money(value, field="value")
        elif field == "currency":
            value = currency_code(value)
        elif field == "budget_amount":
            value = _money(value, field="budget_amount", allow_none=True)
        elif field == "probability":
            value = _probability(value)
        elif field == "source":
            value = _choice(value or "", DealSource, "source")
        elif field == "urgency":
            value = _choice(value or "", Urgency, "urgency")
        elif field == "budget_evidence":
            value = (value or "").strip()
        setattr(deal, field, value)
        fields.append(field)
    if not fields:
        # Nothing to change: the version stays, so an empty edit cannot turn colleagues' forms stale.
        return deal
    if {"value", "currency"} & set(changes):
        deal.base_value = to_base(deal.value, rate_to_base=_rate_to_base(deal.currency))
        fields.append("base_value")
    _save(deal, fields)
    if "owner_id" in changes:
        # The funnel counts a deal's whole history as its owner's now.
        StageStay.objects.filter(deal_id=deal.pk).update(owner_id=deal.owner_id)
    webhook_event_emit(event=events.DEAL_UPDATED, payload=lambda: deal_payload(deal, changed=list(changes)))
    return deal


@transaction.atomic
def deal_move(
    *, actor: User, deal_id: int, stage_id: int, expected_version: int | None = None, lost_reason: str = ""
) -> Deal:
    """Move a deal to a stage. Entering a won stage wins it, a lost stage loses it (a reason is
    required), an open stage from won or lost reopens it. Gates of the stages entered must pass."""
    deal = _deal_for_change(actor, deal_id)
    _check_version(deal, expected_version)
    target = Stage.objects.filter(pk=stage_id, pipeline__is_active=True).first()
    if target is None:
        raise InvalidInput(
            _("There is no active stage with id %(id)s.") % {"id": stage_id},
            fields={"stage_id": _("unknown")},
        )
    if target.pk == deal.stage_id:
        return deal
    if target.kind == StageKind.WON:
        return _close(deal, actor=actor, stage=target, status=DealStatus.WON)
    if target.kind == StageKind.LOST:
        return _close(deal, actor=actor, stage=target, status=DealStatus.LOST, lost_reason=lost_reason)
    same_pipeline = target.pipeline_id == deal.pipeline_id and deal.status == DealStatus.OPEN
    gates_check(
        deal_title=deal.title,
        stages=stages_entered(
            pipeline_stages=list(target.pipeline.stages.order_by("position")),
            current=deal.stage if same_pipeline else None,
            target=target,
        ),
        qualification=deal_qualification(deal),
    )
    from_stage, was = deal.stage, deal.status
    deal.stage, deal.pipeline_id = target, target.pipeline_id
    deal.status = DealStatus.OPEN
    deal.won_at = deal.lost_at = None
    deal.lost_reason = ""
    deal.stage_entered_at = timezone.now()
    _save(deal, ["stage", "pipeline", "status", "won_at", "lost_at", "lost_reason", "stage_entered_at"])
    # Taken out before the new history row: the deal was not counted in the stage it enters now.
    _stage_outcomes_shift(deal, was=was, becomes=DealStatus.OPEN)
    _record_stage_change(deal, actor=actor, from_stage=from_stage)
    webhook_event_emit(event=events.DEAL_MOVED, payload=lambda: deal_payload(deal))
    return deal


def _close(deal: Deal, *, actor: User, stage: Stage, status: str, lost_reason: str = "") -> Deal:
    if deal.status == status:
        already = (
            _("'%(title)s' is already won.")
            if status == DealStatus.WON
            else _("'%(title)s' is already lost.")
        )
        raise RuleBroken(already % {"title": deal.title}, code=f"already_{status}")
    lost_reason = lost_reason.strip()
    if status == DealStatus.LOST and not lost_reason:
        raise RuleBroken(
            _(
                "Say why '%(title)s' was lost (e.g. price, competitor, no budget): the reason is required "
                "so the team can learn from it."
            )
            % {"title": deal.title},
            code="lost_reason_required",
            fields={"lost_reason": _("required")},
        )
    now = timezone.now()
    from_stage, was = deal.stage, deal.status
    deal.stage, deal.pipeline_id, deal.status = stage, stage.pipeline_id, status
    deal.won_at = now if status == DealStatus.WON else None
    deal.lost_at = now if status == DealStatus.LOST else None
    deal.lost_reason = lost_reason if status == DealStatus.LOST else ""
    deal.stage_entered_at = now
    _save(deal, ["stage", "pipeline", "status", "won_at", "lost_at", "lost_reason", "stage_entered_at"])
    _record_stage_change(deal, actor=actor, from_stage=from_stage, note=deal.lost_reason)
    _stage_outcomes_shift(deal, was=was, becomes=status, leaving=from_stage)
    webhook_event_emit(
        event=events.DEAL_WON if status == DealStatus.WON else events.DEAL_LOST,
        payload=lambda: deal_payload(deal),
    )
    return deal


def _closing_stage(deal: Deal, kind: str) -> Stage:
    stage = deal.pipeline.stages.filter(kind=kind).first()
    if stage is None:
        missing = (
            _("The pipeline '%(pipeline)s' has no won stage; an administrator must add one.")
            if kind == StageKind.WON
            else _("The pipeline '%(pipeline)s' has no lost stage; an administrator must add one.")
        )
        raise RuleBroken(missing % {"pipeline": deal.pipeline.name})
    return stage


@transaction.atomic
def deal_win(*, actor: User, deal_id: int, expected_version: int | None = None) -> Deal:
    deal = _deal_for_change(actor, deal_id)
    _check_version(deal, expected_version)
    return _close(deal, actor=actor, stage=_closing_stage(deal, StageKind.WON), status=DealStatus.WON)


@transaction.atomic
def deal_lose(*, actor: User, deal_id: int, lost_reason: str, expected_version: int | None = None) -> Deal:
    deal = _deal_for_change(actor, deal_id)
    _check_version(deal, expected_version)
    return _close(
        deal,
        actor=actor,
        stage=_closing_stage(deal, StageKind.LOST),
        status=DealStatus.LOST,
        lost_reason=lost_reason,
    )


@transaction.atomic
def deal_delete(*, actor: User, deal_id: int, expected_version: int | None = None) -> None:
    deal = _deal_for_change(actor, deal_id)
    _check_version(deal, expected_version)
    _stage_outcomes_shift(deal, was=deal.status, becomes=DealStatus.OPEN)  # before its history goes too
    deal.delete()


# --- empirical stage outcomes -------------------------------------------------------------------------


@transaction.atomic
def stage_outcomes_rebuild() -> int:
    """Recount every open stage's won and lost deals from the stage history, in one aggregate query.

    The services keep the counts as deals close, reopen and go; this is for after loads that write rows
    directly (the demo generator, restores). Returns how many stages have closed deals.
    """
    StageOutcome.objects.all().delete()
    counts = (
        StageChange.objects.filter(
            to_stage__kind=StageKind.OPEN, deal__status__in=[DealStatus.WON, DealStatus.LOST]
        )
        .values("to_stage_id")
        .annotate(
            won=Count("deal_id", distinct=True, filter=Q(deal__status=DealStatus.WON)),
            lost=Count("deal_id", distinct=True, filter=Q(deal__status=DealStatus.LOST)),
        )
        .order_by()
    )
    created = StageOutcome.objects.bulk_create(
        StageOutcome(stage_id=row["to_stage_id"], won_deals=row["won"], lost_deals=row["lost"])
        for row in counts
    )
    return len(created)


# --- stage stays -----------------------------------------------------------------------------------------

# Each stage change's stay, from the deal's history: left at its next change (by time, then id), gone
# further when a later change of the deal entered an open or won stage of the same pipeline at a higher
# position, and the deal's previous entry into the same stage. One pass of window functions over the
# history, on SQLite and PostgreSQL alike.
_STAGE_STAYS_FROM_HISTORY = """
INSERT INTO deals_stagestay
    (entry_id, deal_id, owner_id, stage_id, entered_at, left_at, advanced, previous_entry_at)
SELECT id, deal_id, owner_id, to_stage_id, changed_at, left_at,
       CASE WHEN kind = 'open' AND further > position THEN TRUE ELSE FALSE END, previous_entry_at
FROM (
    SELECT c.id, c.deal_id, d.owner_id, c.to_stage_id, c.changed_at, s.kind, s.position,
           LEAD(c.changed_at) OVER (PARTITION BY c.deal_id ORDER BY c.changed_at, c.id) AS left_at,
           LAG(c.changed_at) OVER (
               PARTITION BY c.deal_id, c.to_stage_id ORDER BY c.changed_at, c.id
           ) AS previous_entry_at,
           MAX(CASE WHEN s.kind <> 'lost' THEN s.position END) OVER (
               PARTITION BY c.deal_id, s.pipeline_id ORDER BY c.changed_at, c.id
               ROWS BETWEEN 1 FOLLOWING AND UNBOUNDED FOLLOWING
           ) AS further
    FROM deals_stagechange c
    JOIN deals_stage s ON s.id = c.to_stage_id
    JOIN deals_deal d ON d.id = c.deal_id
    {where}
) AS history
"""


@transaction.atomic
def stage_stays_rebuild(*, deal_ids: Sequence[int] | None = None, pipeline_id: int | None = None) -> int:
    """Write the stage stays of `deal_ids`, or of the deals that have been in `pipeline_id`'s stages
    (neither: every deal), afresh from their stage history.

    The services keep the stays as deals move; this is for loads that write the history directly (the
    demo generator, imports, restores) and for a reordered pipeline, whose stays' "went further" depends
    on the stages' order. Returns how many stays were written."""
    stays = StageStay.objects.all()
    where, params = "", list(deal_ids or [])
    if deal_ids is not None:
        if not params:
            return 0
        stays = stays.filter(deal_id__in=params)
        where = f"WHERE c.deal_id IN ({', '.join(['%s'] * len(params))})"
    elif pipeline_id is not None:
        been_there = StageChange.objects.filter(to_stage__pipeline_id=pipeline_id).values("deal_id")
        stays = stays.filter(deal_id__in=been_there)
        where = (
            "WHERE c.deal_id IN (SELECT h.deal_id FROM deals_stagechange h "
            "JOIN deals_stage p ON p.id = h.to_stage_id WHERE p.pipeline_id = %s)"
        )
        params = [pipeline_id]
    stays.delete()
    with connection.cursor() as cursor:
        cursor.execute(_STAGE_STAYS_FROM_HISTORY.format(where=where), params)
        return int(max(cursor.rowcount, 0))


# --- contacts and buying authority --------------------------------------------------------------------


def _contact_for_change(actor: User, deal_contact_id: int) -> DealContact:
    contact = (
        DealContact.objects.select_for_update(of=("self",))
        .select_related("deal", "person")
        .filter(owner_scope(actor, owner_field="deal__owner"), pk=deal_contact_id)
        .first()
    )
    if contact is None:
        raise NotFound(
            _("There is no deal contact with id %(id)s, or you may not see it.") % {"id": deal_contact_id}
        )
    return contact


@transaction.atomic
def deal_contact_add(*, actor: User, deal_id: int, person_id: int, role: str) -> DealContact:
    deal = _deal_for_change(actor, deal_id)
    person = Person.objects.filter(pk=person_id).first()
    if person is None:
        raise InvalidInput(
            _("There is no person with id %(id)s.") % {"id": person_id}, fields={"person_id": _("unknown")}
        )
    _choice(role, ContactRole, "role")
    if not role:
        raise InvalidInput(
            _("Give the contact a role: %(roles)s.") % {"roles": ", ".join(ContactRole.values)},
            fields={"role": _("required")},
        )
    try:
        with transaction.atomic():
            return DealContact.objects.create(deal=deal, person=person, role=role)
    except IntegrityError:
        raise InvalidInput(
            _("%(person)s is already on '%(title)s' as %(role)s.")
            % {"person": person, "title": deal.title, "role": ContactRole(role).label.lower()},
            fields={"role": _("duplicate")},
        ) from None


@transaction.atomic
def deal_contact_update(*, actor: User, deal_contact_id: int, role: str) -> DealContact:
    contact = _contact_for_change(actor, deal_contact_id)
    _choice(role, ContactRole, "role")
    if role != contact.role and contact.authority_confirmed_at and role not in BUYING_AUTHORITY_ROLES:
        # Confirmed authority belongs to the buying roles; demoting the role drops the confirmation.
        contact.authority_confirmed_at = None
        contact.authority_confirmed_by = None
        contact.authority_confirmed_how = ""
    contact.role = role
    try:
        with transaction.atomic():
            contact.save(
                update_fields=[
                    "role",
                    "authority_confirmed_at",
                    "authority_confirmed_by",
                    "authority_confirmed_how",
                ]
            )
    except IntegrityError:
        raise InvalidInput(
            _("%(person)s already has that role on this deal.") % {"person": contact.person},
            fields={"role": _("duplicate")},
        ) from None
    return contact


@transaction.atomic
def deal_contact_remove(*, actor: User, deal_contact_id: int) -> None:
    _contact_for_change(actor, deal_contact_id).delete()


@transaction.atomic
def contact_confirm_authority(
    *, actor: User, deal_contact_id: int, how: str, note: str = "", confirmed_at: dt.datetime | None = None
) -> DealContact:
    """Record that this person's buying authority was confirmed: by the actor, when and how."""
    contact = _contact_for_change(actor, deal_contact_id)
    if contact.role not in BUYING_AUTHORITY_ROLES:
        raise RuleBroken(
            _(
                "%(person)s is on the deal as %(role)s; only a decision maker or an economic buyer has "
                "buying authority to confirm. Change their role first if they do decide."
            )
            % {"person": contact.person, "role": contact.get_role_display().lower()},
            code="not_a_buying_role",
        )
    if how not in AuthorityConfirmation.values:
        raise InvalidInput(
            _("Say how the authority was confirmed: one of %(ways)s.")
            % {"ways": ", ".join(AuthorityConfirmation.values)},
            fields={"how": _("unknown or missing")},
        )
    now = timezone.now()
    if confirmed_at is not None and (timezone.is_naive(confirmed_at) or confirmed_at > now):
        raise InvalidInput(
            _("The confirmation time must be a past time with a time zone."),
            fields={"confirmed_at": _("invalid")},
        )
    contact.authority_confirmed_at = confirmed_at or now
    contact.authority_confirmed_by = actor
    contact.authority_confirmed_how = how
    contact.authority_note = note.strip()
    contact.save(
        update_fields=[
            "authority_confirmed_at",
            "authority_confirmed_by",
            "authority_confirmed_how",
            "authority_note",
        ]
    )
    return contact


@transaction.atomic
def contact_withdraw_authority(*, actor: User, deal_contact_id: int) -> DealContact:
    """Take back a confirmation that turned out wrong; the deal stays where it is."""
    contact = _contact_for_change(actor, deal_contact_id)
    contact.authority_confirmed_at = None
    contact.authority_confirmed_by = None
    contact.authority_confirmed_how = ""
    contact.save(
        update_fields=["authority_confirmed_at", "authority_confirmed_by", "authority_confirmed_how"]
    )
    return contact


# --- derived marks kept for the board -----------------------------------------------------------------


def deal_refresh_activity_marks(deal_id: int) -> None:
    """Recompute the deal's last completed and next planned activity times (no version bump: they are
    derived, and an activity done elsewhere must not turn an open edit form stale)."""
    deals_refresh_activity_marks([deal_id])


def deals_refresh_activity_marks(deal_ids: Sequence[int]) -> None:
    """`deal_refresh_activity_marks` for many deals in one statement (an import's batch)."""
    if not deal_ids:
        return
    from salespipe.activities.models import Activity, ActivityPurpose

    activities = Activity.objects.filter(deal_id=OuterRef("pk"))
    Deal.objects.filter(pk__any_of=list(deal_ids)).update(
        last_activity_at=Subquery(
            activities.filter(done_at__isnull=False)
            .values("deal_id")
            .annotate(last=Max("done_at"))
            .values("last")
        ),
        next_activity_at=Subquery(
            # A prompt to agree the next step is not one: the deal shows "no next step" until it has one.
            activities.filter(done_at__isnull=True, cancelled_at__isnull=True, due_at__isnull=False)
            .exclude(purpose=ActivityPurpose.NEXT_STEP)
            .values("deal_id")
            .annotate(next=Min("due_at"))
            .values("next")
        ),
    )


# --- exchange rates -----------------------------------------------------------------------------------


@transaction.atomic
def exchange_rate_set(*, actor: User, currency: str, rate_to_base: Any) -> ExchangeRate:
    """Set a rate and re-value the open deals in that currency (closed deals keep their booked value)."""
    if not actor.is_admin:
        raise NotAllowed(_("Only an administrator can set exchange rates."))
    code = currency_code(currency)
    if code == base_currency():
        raise InvalidInput(_("%(code)s is the base currency; its rate is always 1.") % {"code": code})
    try:
        rate = Decimal(str(rate_to_base))
    except (InvalidOperation, ValueError):
        raise InvalidInput(
            _("The rate must be a positive number."), fields={"rate_to_base": _("not a number")}
        ) from None
    if not rate.is_finite() or rate <= 0:
        raise InvalidInput(
            _("The rate must be a positive number."), fields={"rate_to_base": _("not positive")}
        )
    exchange_rate, _created = ExchangeRate.objects.update_or_create(
        currency=code, defaults={"rate_to_base": rate}
    )
    Deal.objects.filter(currency=code, status=DealStatus.OPEN).update(
        base_value=Round(F("value") * Value(rate, output_field=DecimalField()), 2)
    )
    return exchange_rate
