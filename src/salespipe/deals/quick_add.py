"""Quick add: a deal with its organization and contact person from one form, in one transaction."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db import transaction

from salespipe.deals.models import Deal
from salespipe.deals.services import deal_create
from salespipe.directory.models import Organization, Person
from salespipe.directory.selectors import person_find
from salespipe.directory.services import organization_find_or_create, person_create, person_update
from salespipe.people.models import User


@dataclass(frozen=True)
class QuickAdded:
    deal: Deal
    organization: Organization | None
    organization_created: bool
    person: Person | None
    person_created: bool


@transaction.atomic
def deal_quick_add(
    *,
    actor: User,
    title: str,
    value: Any = 0,
    currency: str | None = None,
    expected_close_date: dt.date | None = None,
    pipeline_id: int | None = None,
    stage_id: int | None = None,
    owner_id: int | None = None,
    organization_name: str = "",
    first_name: str = "",
    last_name: str = "",
    email: str = "",
    phone: str = "",
) -> QuickAdded:
    """Create a deal, reusing the organization (same name, ignoring case and accents) and the person
    (same email, else same full name at that organization) when the directory has them, and creating
    them when it does not. A reused person gets the email or phone their record lacks; nothing is
    overwritten. Any contact detail means a contact is wanted (a new one needs a last name). All or
    nothing: a refusal anywhere (a stage gate, a bad email) leaves no trace."""
    organization: Organization | None = None
    organization_created = False
    if organization_name.strip():
        organization, organization_created = organization_find_or_create(actor=actor, name=organization_name)
    person: Person | None = None
    person_created = False
    if any(detail.strip() for detail in (first_name, last_name, email, phone)):
        person = person_find(
            actor=actor,
            email=email,
            first_name=first_name,
            last_name=last_name,
            organization_id=organization.pk if organization else None,
        )
        if person is None:
            person = person_create(
                actor=actor,
                last_name=last_name,
                first_name=first_name,
                email=email,
                phone=phone,
                organization_id=organization.pk if organization else None,
            )
            person_created = True
        else:
            missing = {
                field: given.strip()
                for field, given, known in (("email", email, person.email), ("phone", phone, person.phone))
                if given.strip() and not known
            }
            if missing:
                person = person_update(actor=actor, person_id=person.pk, **missing)
    deal = deal_create(
        actor=actor,
        title=title,
        pipeline_id=pipeline_id,
        stage_id=stage_id,
        owner_id=owner_id,
        organization_id=organization.pk if organization else None,
        person_id=person.pk if person else None,
        value=value,
        currency=currency,
        expected_close_date=expected_close_date,
    )
    return QuickAdded(
        deal=deal,
        organization=organization,
        organization_created=organization_created,
        person=person,
        person_created=person_created,
    )
