"""Reads from the shared directory. Everyone signed in sees it; deals on it stay scoped elsewhere."""

from __future__ import annotations

from django.db.models import QuerySet

from salespipe.core.errors import NotFound
from salespipe.core.text import fold
from salespipe.directory.models import Organization, Person
from salespipe.people.models import User


def organization_list(*, actor: User, search: str = "") -> QuerySet[Organization]:
    organizations = Organization.objects.all()
    if search.strip():
        organizations = organizations.filter(search_name__contains=fold(search))
    return organizations.order_by("-id")


def organization_get(*, actor: User, organization_id: int) -> Organization:
    organization = Organization.objects.filter(pk=organization_id).first()
    if organization is None:
        raise NotFound(f"There is no organization with id {organization_id}.")
    return organization


def person_list(
    *, actor: User, search: str = "", organization_id: int | None = None, email: str = ""
) -> QuerySet[Person]:
    people = Person.objects.select_related("organization")
    if search.strip():
        people = people.filter(search_name__contains=fold(search))
    if organization_id is not None:
        people = people.filter(organization_id=organization_id)
    if email.strip():
        people = people.filter(email=email.strip().lower())
    return people.order_by("-id")


def person_get(*, actor: User, person_id: int) -> Person:
    person = Person.objects.select_related("organization").filter(pk=person_id).first()
    if person is None:
        raise NotFound(f"There is no person with id {person_id}.")
    return person
