"""Reads of deals, always scoped by the acting user (rep: own; manager: their teams; admin: all)."""

from __future__ import annotations

import datetime as dt

from django.db.models import Prefetch, Q, QuerySet

from salespipe.core.errors import NotFound
from salespipe.core.text import fold
from salespipe.deals.models import Deal, DealContact, Pipeline, Stage, StageChange
from salespipe.people.models import User
from salespipe.people.selectors import owner_scope


def deal_list(
    *,
    actor: User,
    pipeline_id: int | None = None,
    stage_id: int | None = None,
    status: str | None = None,
    owner_id: int | None = None,
    team_id: int | None = None,
    organization_id: int | None = None,
    person_id: int | None = None,
    search: str = "",
    expected_close_from: dt.date | None = None,
    expected_close_to: dt.date | None = None,
) -> QuerySet[Deal]:
    deals = Deal.objects.filter(owner_scope(actor)).select_related("organization", "person", "owner", "stage")
    filters = {
        "pipeline_id": pipeline_id,
        "stage_id": stage_id,
        "status": status,
        "owner_id": owner_id,
        "owner__team_id": team_id,
        "organization_id": organization_id,
        "person_id": person_id,
        "expected_close_date__gte": expected_close_from,
        "expected_close_date__lte": expected_close_to,
    }
    deals = deals.filter(**{key: value for key, value in filters.items() if value is not None})
    if search.strip():
        folded = fold(search)
        deals = deals.filter(Q(search_title__contains=folded) | Q(organization__search_name__contains=folded))
    return deals.order_by("-id")


def deal_get(*, actor: User, deal_id: int) -> Deal:
    deal = (
        Deal.objects.filter(owner_scope(actor), pk=deal_id)
        .select_related("organization", "person", "owner", "stage", "pipeline")
        .first()
    )
    if deal is None:
        raise NotFound(f"There is no deal with id {deal_id}, or you may not see it.")
    return deal


def deal_contact_list(*, actor: User, deal_id: int) -> QuerySet[DealContact]:
    deal = deal_get(actor=actor, deal_id=deal_id)
    return deal.contacts.select_related("person", "authority_confirmed_by").order_by("role", "id")


def deal_contact_get(*, actor: User, deal_contact_id: int) -> DealContact:
    contact = (
        DealContact.objects.filter(owner_scope(actor, owner_field="deal__owner"), pk=deal_contact_id)
        .select_related("person", "authority_confirmed_by")
        .first()
    )
    if contact is None:
        raise NotFound(f"There is no deal contact with id {deal_contact_id}, or you may not see it.")
    return contact


def deal_stage_history(*, actor: User, deal_id: int) -> QuerySet[StageChange]:
    deal = deal_get(actor=actor, deal_id=deal_id)
    return deal.stage_changes.select_related("from_stage", "to_stage", "changed_by").order_by(
        "-changed_at", "-id"
    )


def pipeline_list(*, actor: User, include_inactive: bool = False) -> QuerySet[Pipeline]:
    """Pipelines and their stages are settings everyone works with; only admins change them."""
    pipelines = Pipeline.objects.prefetch_related(
        Prefetch("stages", queryset=Stage.objects.order_by("position"))
    )
    if not include_inactive:
        pipelines = pipelines.filter(is_active=True)
    return pipelines.order_by("position", "name")


def pipeline_get(*, actor: User, pipeline_id: int) -> Pipeline:
    pipeline = pipeline_list(actor=actor, include_inactive=actor.is_admin).filter(pk=pipeline_id).first()
    if pipeline is None:
        raise NotFound(f"There is no pipeline with id {pipeline_id}.")
    return pipeline
