"""REST endpoints for deals, their contacts and stage history, and pipelines with their stages."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any

from django.http import HttpRequest, HttpResponse
from ninja import Field, Query, Router, Schema
from ninja.params.functions import Header
from ninja.responses import Status

from salespipe.core.api_support import (
    ETAG_HEADER_DOC,
    InputSchema,
    Page,
    PageParams,
    PatchSchema,
    errors,
    etag_matches,
    if_match_version,
    page,
    request_user,
)
from salespipe.core.errors import InvalidInput, VersionRequired
from salespipe.deals import pipelines, selectors, services
from salespipe.deals.models import (
    AuthorityConfirmation,
    ContactRole,
    Deal,
    DealContact,
    DealSource,
    DealStatus,
    Pipeline,
    Stage,
    StageKind,
    Urgency,
)
from salespipe.directory.api import OrganizationRef, PersonRef
from salespipe.people.api import UserRef

router = Router(tags=["deals"])
pipelines_router = Router(tags=["pipelines"])

IfMatch = Annotated[
    str | None,
    Header(
        None,
        alias="If-Match",
        description="The deal's ETag from a previous answer; the change is refused with 412 if the deal "
        "changed since.",
    ),
]
IfNoneMatch = Annotated[
    str | None, Header(None, alias="If-None-Match", description="An ETag; 304 if the deal still has it.")
]
WITH_ETAG: dict[str, Any] = {"responses": {200: {"headers": ETAG_HEADER_DOC}}}

# --- schemas --------------------------------------------------------------------------------------------


class StageRef(Schema):
    id: int
    name: str
    kind: StageKind


class DealRef(Schema):
    id: int
    title: str


class DealOut(Schema):
    id: int
    title: str
    organization: OrganizationRef | None
    person: PersonRef | None = Field(description="The main contact.")
    owner: UserRef
    pipeline_id: int
    stage: StageRef
    status: DealStatus
    value: Decimal = Field(description="In the deal's currency, as a decimal string.")
    currency: str = Field(description="ISO 4217 code.")
    base_value: Decimal = Field(description="The value in the base currency, used by reports.")
    weighted_value: Decimal = Field(description="value * win_probability / 100.")
    win_probability: int = Field(description="Percent: the manual `probability` if set, else the stage's.")
    probability: int | None = Field(description="Manual win probability override, percent.")
    expected_close_date: dt.date | None
    source: DealSource | None
    budget_amount: Decimal | None = Field(description="What the prospect intends to spend.")
    budget_evidence: str = Field(description="Why the budget is believed, e.g. similar past purchases.")
    decision_date: dt.date | None = Field(description="By when the prospect decides.")
    urgency: Urgency | None
    lost_reason: str
    won_at: dt.datetime | None
    lost_at: dt.datetime | None
    stage_entered_at: dt.datetime
    last_activity_at: dt.datetime | None
    next_activity_at: dt.datetime | None
    version: int = Field(description="Goes up by one with every change; the ETag carries it too.")
    created_at: dt.datetime
    updated_at: dt.datetime

    @staticmethod
    def resolve_source(deal: Deal) -> str | None:
        return deal.source or None

    @staticmethod
    def resolve_urgency(deal: Deal) -> str | None:
        return deal.urgency or None


class DealFilters(Schema):
    pipeline_id: int | None = None
    stage_id: int | None = None
    status: DealStatus | None = None
    owner_id: int | None = None
    team_id: int | None = Field(None, description="Deals owned by members of this team.")
    organization_id: int | None = None
    person_id: int | None = Field(None, description="Deals whose main contact is this person.")
    q: str = Field("", description="Part of the title.")
    expected_close_from: dt.date | None = Field(None, description="Expected to close on or after.")
    expected_close_to: dt.date | None = Field(None, description="Expected to close on or before.")


class DealIn(InputSchema):
    title: str
    pipeline_id: int | None = Field(None, description="Default: the stage's pipeline, else the default one.")
    stage_id: int | None = Field(None, description="An open stage; default: the pipeline's first stage.")
    owner_id: int | None = Field(None, description="Default: you. Managers may give deals to their teams.")
    organization_id: int | None = None
    person_id: int | None = None
    value: Decimal = Decimal(0)
    currency: str | None = Field(None, description="ISO 4217 code; default: the base currency.")
    expected_close_date: dt.date | None = None
    probability: int | None = Field(None, description="Manual win probability, 0-100.")
    source: DealSource | None = None
    budget_amount: Decimal | None = None
    budget_evidence: str = ""
    decision_date: dt.date | None = None
    urgency: Urgency | None = None


class DealPatch(PatchSchema):
    clearable = frozenset(
        {
            "organization_id",
            "person_id",
            "expected_close_date",
            "probability",
            "source",
            "budget_amount",
            "budget_evidence",
            "decision_date",
            "urgency",
        }
    )

    version: int | None = Field(None, description="The version the edit is based on, if no If-Match is sent.")
    title: str | None = None
    organization_id: int | None = None
    person_id: int | None = None
    owner_id: int | None = None
    value: Decimal | None = None
    currency: str | None = None
    expected_close_date: dt.date | None = None
    probability: int | None = None
    source: DealSource | None = None
    budget_amount: Decimal | None = None
    budget_evidence: str | None = None
    decision_date: dt.date | None = None
    urgency: Urgency | None = None


class MoveIn(InputSchema):
    stage_id: int
    lost_reason: str = Field("", description="Required when the stage is a lost stage.")


class LoseIn(InputSchema):
    lost_reason: str = Field(description="Why it was lost, e.g. price, competitor, no budget.")


class StageChangeOut(Schema):
    id: int
    from_stage: StageRef | None = Field(description="Null for the stage the deal was created in.")
    to_stage: StageRef
    to_status: DealStatus
    changed_by: UserRef | None
    changed_at: dt.datetime
    note: str


class DealContactOut(Schema):
    id: int
    deal_id: int
    person: PersonRef
    role: ContactRole
    authority_confirmed: bool
    authority_confirmed_at: dt.datetime | None
    authority_confirmed_by: UserRef | None
    authority_confirmed_how: AuthorityConfirmation | None
    authority_note: str

    @staticmethod
    def resolve_authority_confirmed_how(contact: DealContact) -> str | None:
        return contact.authority_confirmed_how or None


class DealContactIn(InputSchema):
    person_id: int
    role: ContactRole


class DealContactPatch(PatchSchema):
    role: ContactRole | None = Field(
        None, description="Demoting a confirmed decision maker to a non-buying role drops the confirmation."
    )


class ConfirmAuthorityIn(InputSchema):
    how: AuthorityConfirmation
    note: str = ""
    confirmed_at: dt.datetime | None = Field(None, description="A past time with a zone; default: now.")


class StageOut(Schema):
    id: int
    name: str
    position: int
    kind: StageKind
    default_probability: int = Field(description="Percent.")
    rotting_days: int | None
    requires_decision_maker: bool
    requires_budget: bool
    requires_timeline: bool
    meeting_requires_decision_maker: bool = Field(
        description="Meetings on deals in this stage need a confirmed decision maker (409 otherwise)."
    )


class PipelineOut(Schema):
    id: int
    name: str
    is_default: bool
    is_active: bool
    position: int
    stages: list[StageOut] = Field(description="In board order.")

    @staticmethod
    def resolve_stages(pipeline: Pipeline) -> list[Stage]:
        return list(pipeline.stages.all())


class StageIn(InputSchema):
    name: str
    kind: StageKind
    default_probability: int = Field(ge=0, le=100)
    rotting_days: int | None = Field(None, ge=1)
    requires_decision_maker: bool = False
    requires_budget: bool = False
    requires_timeline: bool = False
    meeting_requires_decision_maker: bool = True


class PipelineIn(InputSchema):
    name: str
    stages: list[StageIn] | None = Field(
        None,
        description="Open stages in order plus one won and one lost stage; default: the standard stages.",
    )


class StagePatch(PatchSchema):
    clearable = frozenset({"rotting_days"})

    name: str | None = None
    default_probability: int | None = Field(None, ge=0, le=100)
    rotting_days: int | None = Field(None, ge=1)
    requires_decision_maker: bool | None = None
    requires_budget: bool | None = None
    requires_timeline: bool | None = None
    meeting_requires_decision_maker: bool | None = None


# --- deals ----------------------------------------------------------------------------------------------


def _deal_answer(request: HttpRequest, response: HttpResponse, deal_id: int) -> Deal:
    deal = selectors.deal_get(actor=request_user(request), deal_id=deal_id)
    response["ETag"] = deal.etag
    return deal


@router.get("/deals", response={200: Page[DealOut], **errors()}, summary="List deals")
def deal_list(request: HttpRequest, filters: Query[DealFilters], paging: Query[PageParams]) -> dict[str, Any]:
    """The deals you may see (a rep: their own; a manager: their teams'; an admin: all), newest first."""
    deals = selectors.deal_list(
        actor=request_user(request),
        pipeline_id=filters.pipeline_id,
        stage_id=filters.stage_id,
        status=filters.status,
        owner_id=filters.owner_id,
        team_id=filters.team_id,
        organization_id=filters.organization_id,
        person_id=filters.person_id,
        search=filters.q,
        expected_close_from=filters.expected_close_from,
        expected_close_to=filters.expected_close_to,
    )
    return page(deals, cursor=paging.cursor, limit=paging.limit)


@router.post(
    "/deals",
    response={201: DealOut, **errors(403, 409)},
    summary="Create a deal",
    openapi_extra={"responses": {201: {"headers": ETAG_HEADER_DOC}}},
)
def deal_create(request: HttpRequest, response: HttpResponse, payload: DealIn) -> Status[Deal]:
    """A new open deal. The gates of its stage apply: creating it straight into a gated stage is
    refused with 409 (e.g. `budget_required`)."""
    deal = services.deal_create(actor=request_user(request), **payload.model_dump(exclude_none=True))
    return Status(201, _deal_answer(request, response, deal.pk))


@router.get(
    "/deals/{deal_id}",
    response={200: DealOut, 304: None, **errors(404)},
    summary="Get a deal",
    openapi_extra=WITH_ETAG,
)
def deal_get(
    request: HttpRequest, response: HttpResponse, deal_id: int, if_none_match: IfNoneMatch = None
) -> Deal | Status[None]:
    """The deal, with its version in the `ETag` header: send it back as `If-Match` when changing it."""
    deal = _deal_answer(request, response, deal_id)
    if etag_matches(if_none_match, deal.etag):
        return Status(304, None)
    return deal


@router.patch(
    "/deals/{deal_id}",
    response={200: DealOut, **errors(403, 404, 412, 428)},
    summary="Change a deal",
    openapi_extra=WITH_ETAG,
)
def deal_update(
    request: HttpRequest, response: HttpResponse, deal_id: int, payload: DealPatch, if_match: IfMatch = None
) -> Deal:
    """Change the fields present in the body; the others stay. The edit must say which version it is
    based on, as the `If-Match` header (the ETag) or as `version` in the body: without either it is
    refused with 428, and if the deal changed since, with 412. Stage and status change through move,
    win and lose."""
    actor = request_user(request)
    header_version = if_match_version(if_match, deal_id=deal_id)
    if header_version is not None and payload.version is not None and header_version != payload.version:
        raise InvalidInput(
            f"If-Match names version {header_version} but the body version {payload.version}; send one.",
            fields={"version": "disagrees with If-Match"},
        )
    version = header_version if header_version is not None else payload.version
    if version is None:
        selectors.deal_get(actor=actor, deal_id=deal_id)  # a deal the actor may not see is a 404 first
        raise VersionRequired(
            f"Say which version of deal {deal_id} this edit is based on: send its ETag as If-Match, or "
            '"version" in the body. This keeps you from overwriting somebody else\'s change.',
            fields={"version": "required"},
        )
    services.deal_update(
        actor=actor, deal_id=deal_id, expected_version=version, **payload.changes(exclude=["version"])
    )
    return _deal_answer(request, response, deal_id)


@router.delete("/deals/{deal_id}", response={204: None, **errors(404, 412)}, summary="Delete a deal")
def deal_delete(request: HttpRequest, deal_id: int, if_match: IfMatch = None) -> Status[None]:
    """Delete the deal with its contacts, activities and history. With `If-Match`, only if unchanged."""
    services.deal_delete(
        actor=request_user(request),
        deal_id=deal_id,
        expected_version=if_match_version(if_match, deal_id=deal_id),
    )
    return Status(204, None)


@router.post(
    "/deals/{deal_id}/move",
    response={200: DealOut, **errors(404, 409, 412)},
    summary="Move a deal to a stage",
    openapi_extra=WITH_ETAG,
)
def deal_move(
    request: HttpRequest, response: HttpResponse, deal_id: int, payload: MoveIn, if_match: IfMatch = None
) -> Deal:
    """Move the deal to a stage. Moving forward must pass the gates of every stage entered, e.g. 409
    `decision_maker_required` for Appointment before a decision maker is confirmed. A won stage wins
    the deal, a lost stage loses it (409 `lost_reason_required` without a reason), an open stage
    reopens a closed one."""
    services.deal_move(
        actor=request_user(request),
        deal_id=deal_id,
        stage_id=payload.stage_id,
        lost_reason=payload.lost_reason,
        expected_version=if_match_version(if_match, deal_id=deal_id),
    )
    return _deal_answer(request, response, deal_id)


@router.post(
    "/deals/{deal_id}/win",
    response={200: DealOut, **errors(404, 409, 412)},
    summary="Mark a deal won",
    openapi_extra=WITH_ETAG,
)
def deal_win(request: HttpRequest, response: HttpResponse, deal_id: int, if_match: IfMatch = None) -> Deal:
    """Move the deal to its pipeline's won stage (409 `already_won` if it is won)."""
    services.deal_win(
        actor=request_user(request),
        deal_id=deal_id,
        expected_version=if_match_version(if_match, deal_id=deal_id),
    )
    return _deal_answer(request, response, deal_id)


@router.post(
    "/deals/{deal_id}/lose",
    response={200: DealOut, **errors(404, 409, 412)},
    summary="Mark a deal lost",
    openapi_extra=WITH_ETAG,
)
def deal_lose(
    request: HttpRequest, response: HttpResponse, deal_id: int, payload: LoseIn, if_match: IfMatch = None
) -> Deal:
    """Move the deal to its pipeline's lost stage; the reason is required (409 `lost_reason_required`)."""
    services.deal_lose(
        actor=request_user(request),
        deal_id=deal_id,
        lost_reason=payload.lost_reason,
        expected_version=if_match_version(if_match, deal_id=deal_id),
    )
    return _deal_answer(request, response, deal_id)


@router.get(
    "/deals/{deal_id}/history",
    response={200: Page[StageChangeOut], **errors(404)},
    summary="A deal's stage history",
)
def deal_history(request: HttpRequest, deal_id: int, paging: Query[PageParams]) -> dict[str, Any]:
    """Every stage change of the deal, newest first: from where to where, by whom and when."""
    changes = selectors.deal_stage_history(actor=request_user(request), deal_id=deal_id)
    return page(changes, cursor=paging.cursor, limit=paging.limit)


# --- deal contacts and buying authority -----------------------------------------------------------------


@router.get(
    "/deals/{deal_id}/contacts",
    response={200: Page[DealContactOut], **errors(404)},
    summary="A deal's contacts",
)
def deal_contact_list(request: HttpRequest, deal_id: int, paging: Query[PageParams]) -> dict[str, Any]:
    """The people on the deal with their roles and whether their buying authority is confirmed."""
    contacts = selectors.deal_contact_list(actor=request_user(request), deal_id=deal_id)
    return page(contacts, cursor=paging.cursor, limit=paging.limit)


@router.post(
    "/deals/{deal_id}/contacts",
    response={201: DealContactOut, **errors(404)},
    summary="Add a contact to a deal",
)
def deal_contact_add(request: HttpRequest, deal_id: int, payload: DealContactIn) -> Status[DealContact]:
    """Put a person from the directory on the deal in a role (decision maker, champion, ...)."""
    actor = request_user(request)
    contact = services.deal_contact_add(
        actor=actor, deal_id=deal_id, person_id=payload.person_id, role=payload.role
    )
    return Status(201, selectors.deal_contact_get(actor=actor, deal_contact_id=contact.pk))


@router.patch(
    "/deal-contacts/{deal_contact_id}",
    response={200: DealContactOut, **errors(404)},
    summary="Change a contact's role",
)
def deal_contact_update(request: HttpRequest, deal_contact_id: int, payload: DealContactPatch) -> DealContact:
    actor = request_user(request)
    changes = payload.changes()
    if "role" in changes:
        services.deal_contact_update(actor=actor, deal_contact_id=deal_contact_id, role=changes["role"])
    return selectors.deal_contact_get(actor=actor, deal_contact_id=deal_contact_id)


@router.delete(
    "/deal-contacts/{deal_contact_id}",
    response={204: None, **errors(404)},
    summary="Take a contact off a deal",
)
def deal_contact_remove(request: HttpRequest, deal_contact_id: int) -> Status[None]:
    services.deal_contact_remove(actor=request_user(request), deal_contact_id=deal_contact_id)
    return Status(204, None)


@router.post(
    "/deal-contacts/{deal_contact_id}/confirm-authority",
    response={200: DealContactOut, **errors(404, 409)},
    summary="Confirm a contact's buying authority",
)
def deal_contact_confirm_authority(
    request: HttpRequest, deal_contact_id: int, payload: ConfirmAuthorityIn
) -> DealContact:
    """Record that this decision maker or economic buyer can say yes to the purchase: you confirmed
    it, when and how. Stages gated on a decision maker open once one is confirmed. Other roles are
    refused with 409 `not_a_buying_role`."""
    actor = request_user(request)
    services.contact_confirm_authority(actor=actor, deal_contact_id=deal_contact_id, **payload.model_dump())
    return selectors.deal_contact_get(actor=actor, deal_contact_id=deal_contact_id)


@router.post(
    "/deal-contacts/{deal_contact_id}/withdraw-authority",
    response={200: DealContactOut, **errors(404)},
    summary="Withdraw a buying-authority confirmation",
)
def deal_contact_withdraw_authority(request: HttpRequest, deal_contact_id: int) -> DealContact:
    """Take back a confirmation that turned out wrong; the deal stays in its stage."""
    actor = request_user(request)
    services.contact_withdraw_authority(actor=actor, deal_contact_id=deal_contact_id)
    return selectors.deal_contact_get(actor=actor, deal_contact_id=deal_contact_id)


# --- pipelines and stages -------------------------------------------------------------------------------


@pipelines_router.get("/pipelines", response={200: Page[PipelineOut], **errors()}, summary="List pipelines")
def pipeline_list(request: HttpRequest, paging: Query[PageParams]) -> dict[str, Any]:
    """The active pipelines with their stages and gates (newest pipeline first; `position` is the
    order an admin chose)."""
    pipelines_seen = selectors.pipeline_list(actor=request_user(request))
    return page(pipelines_seen, cursor=paging.cursor, limit=paging.limit)


@pipelines_router.get(
    "/pipelines/{pipeline_id}", response={200: PipelineOut, **errors(404)}, summary="Get a pipeline"
)
def pipeline_get(request: HttpRequest, pipeline_id: int) -> Pipeline:
    return selectors.pipeline_get(actor=request_user(request), pipeline_id=pipeline_id)


@pipelines_router.post(
    "/pipelines", response={201: PipelineOut, **errors(403)}, summary="Create a pipeline (admin)"
)
def pipeline_create(request: HttpRequest, payload: PipelineIn) -> Status[Pipeline]:
    """A new pipeline with the given stages, or the standard ones. Only administrators change pipelines."""
    actor = request_user(request)
    specs = (
        [pipelines.StageSpec(**stage.model_dump()) for stage in payload.stages]
        if payload.stages is not None
        else None
    )
    pipeline = pipelines.pipeline_create(actor=actor, name=payload.name, stages=specs)
    return Status(201, selectors.pipeline_get(actor=actor, pipeline_id=pipeline.pk))


@pipelines_router.patch(
    "/stages/{stage_id}", response={200: StageOut, **errors(403, 404, 409)}, summary="Change a stage (admin)"
)
def stage_update(request: HttpRequest, stage_id: int, payload: StagePatch) -> Stage:
    """Rename a stage, change its default probability or rotting days, or set its gates (open stages
    only: 409 on a won or lost stage). The kind and the order stay."""
    return pipelines.stage_update(actor=request_user(request), stage_id=stage_id, **payload.changes())
