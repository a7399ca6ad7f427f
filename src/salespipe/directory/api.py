"""REST endpoints for the shared directory of organizations and people."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any, Literal

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema
from ninja.responses import Status

from salespipe.core.api_support import (
    InputSchema,
    Page,
    PageParams,
    PatchSchema,
    errors,
    page,
    request_user,
)
from salespipe.directory import selectors, services
from salespipe.directory.models import Organization, OrganizationSize, Person

router = Router(tags=["directory"])

# --- schemas --------------------------------------------------------------------------------------------


class OrganizationRef(Schema):
    id: int
    name: str


class PersonRef(Schema):
    id: int
    name: str

    @staticmethod
    def resolve_name(person: Person) -> str:
        return person.full_name


class OrganizationOut(Schema):
    id: int
    name: str
    website: str
    phone: str
    address: str
    city: str
    country: str = Field(description="ISO 3166 alpha-2 code, e.g. GR; empty when unknown.")
    industry: str
    size: OrganizationSize | Literal[""] = Field(
        description="Employees: 1-10, 11-50, 51-200, 201-1000, 1001+."
    )
    created_at: dt.datetime
    updated_at: dt.datetime


class OrganizationFilters(Schema):
    q: str = Field("", description="Part of the name; case and accents are ignored.")


class OrganizationIn(InputSchema):
    name: str
    website: str = ""
    phone: str = ""
    address: str = ""
    city: str = ""
    country: str = Field("", description="ISO 3166 alpha-2 code, e.g. GR.")
    industry: str = ""
    size: OrganizationSize | Literal[""] = ""


class OrganizationPatch(PatchSchema):
    clearable = frozenset({"website", "phone", "address", "city", "country", "industry", "size"})

    name: str | None = None
    website: str | None = None
    phone: str | None = None
    address: str | None = None
    city: str | None = None
    country: str | None = None
    industry: str | None = None
    size: OrganizationSize | Literal[""] | None = None


class PersonOut(Schema):
    id: int
    name: str
    first_name: str
    last_name: str
    email: str
    phone: str
    job_title: str
    organization: OrganizationRef | None
    created_at: dt.datetime
    updated_at: dt.datetime

    @staticmethod
    def resolve_name(person: Person) -> str:
        return person.full_name


class PersonFilters(Schema):
    q: str = Field("", description="Part of the full name; case and accents are ignored.")
    organization_id: int | None = None
    email: str = Field("", description="Exact email address (case is ignored).")


class PersonIn(InputSchema):
    last_name: str
    first_name: str = ""
    email: str = ""
    phone: str = ""
    job_title: str = ""
    organization_id: int | None = None


class PersonPatch(PatchSchema):
    clearable = frozenset({"email", "phone", "job_title", "organization_id"})

    first_name: str | None = None
    last_name: str | None = None
    email: str | None = None
    phone: str | None = None
    job_title: str | None = None
    organization_id: int | None = None

    def changes(self, *, exclude: Iterable[str] = ()) -> dict[str, Any]:
        # A cleared text field is stored empty, not null.
        return {
            field: "" if value is None and field != "organization_id" else value
            for field, value in super().changes(exclude=exclude).items()
        }


# --- organizations --------------------------------------------------------------------------------------


@router.get("/organizations", response={200: Page[OrganizationOut], **errors()}, summary="List organizations")
def organization_list(
    request: HttpRequest, filters: Query[OrganizationFilters], paging: Query[PageParams]
) -> dict[str, Any]:
    """The shared directory, newest first; `q` finds "Ελληνική" from "ελληνικη" and "Müller" from "muller"."""
    organizations = selectors.organization_list(actor=request_user(request), search=filters.q)
    return page(organizations, cursor=paging.cursor, limit=paging.limit)


@router.post("/organizations", response={201: OrganizationOut, **errors(409)}, summary="Add an organization")
def organization_create(request: HttpRequest, payload: OrganizationIn) -> Status[Organization]:
    """Refused with 409 `duplicate_organization` when the name (ignoring case and accents) is taken."""
    organization = services.organization_create(actor=request_user(request), **payload.model_dump())
    return Status(201, organization)


@router.get(
    "/organizations/{organization_id}",
    response={200: OrganizationOut, **errors(404)},
    summary="Get an organization",
)
def organization_get(request: HttpRequest, organization_id: int) -> Organization:
    return selectors.organization_get(actor=request_user(request), organization_id=organization_id)


@router.patch(
    "/organizations/{organization_id}",
    response={200: OrganizationOut, **errors(404, 409)},
    summary="Change an organization",
)
def organization_update(
    request: HttpRequest, organization_id: int, payload: OrganizationPatch
) -> Organization:
    return services.organization_update(
        actor=request_user(request), organization_id=organization_id, **payload.changes()
    )


@router.delete(
    "/organizations/{organization_id}",
    response={204: None, **errors(403, 404, 409)},
    summary="Delete an organization (manager, admin)",
)
def organization_delete(request: HttpRequest, organization_id: int) -> Status[None]:
    """The directory is shared, so only a manager or an administrator deletes from it; an organization
    that still has deals is refused with 409 `organization_has_deals`."""
    services.organization_delete(actor=request_user(request), organization_id=organization_id)
    return Status(204, None)


# --- persons --------------------------------------------------------------------------------------------


@router.get("/persons", response={200: Page[PersonOut], **errors()}, summary="List persons")
def person_list(
    request: HttpRequest, filters: Query[PersonFilters], paging: Query[PageParams]
) -> dict[str, Any]:
    """Contacts at prospects and customers, newest first."""
    people = selectors.person_list(
        actor=request_user(request),
        search=filters.q,
        organization_id=filters.organization_id,
        email=filters.email,
    )
    return page(people, cursor=paging.cursor, limit=paging.limit)


@router.post("/persons", response={201: PersonOut, **errors(409)}, summary="Add a person")
def person_create(request: HttpRequest, payload: PersonIn) -> Status[Person]:
    """Refused with 409 `duplicate_person` when another person has the same email."""
    person = services.person_create(actor=request_user(request), **payload.model_dump())
    return Status(201, person)


@router.get("/persons/{person_id}", response={200: PersonOut, **errors(404)}, summary="Get a person")
def person_get(request: HttpRequest, person_id: int) -> Person:
    return selectors.person_get(actor=request_user(request), person_id=person_id)


@router.patch(
    "/persons/{person_id}", response={200: PersonOut, **errors(404, 409)}, summary="Change a person"
)
def person_update(request: HttpRequest, person_id: int, payload: PersonPatch) -> Person:
    actor = request_user(request)
    services.person_update(actor=actor, person_id=person_id, **payload.changes())
    return selectors.person_get(actor=actor, person_id=person_id)


@router.delete(
    "/persons/{person_id}",
    response={204: None, **errors(403, 404)},
    summary="Delete a person (manager, admin)",
)
def person_delete(request: HttpRequest, person_id: int) -> Status[None]:
    services.person_delete(actor=request_user(request), person_id=person_id)
    return Status(204, None)
