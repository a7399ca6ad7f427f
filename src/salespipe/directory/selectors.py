"""Reads from the shared directory. Everyone signed in sees it; deals on it stay scoped elsewhere."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Generic, TypeVar

from django.db.models import Case, Model, QuerySet, Value, When
from django.utils.translation import gettext as _

from salespipe.activities.models import Activity
from salespipe.activities.selectors import activity_list
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
        raise NotFound(_("There is no organization with id %(id)s.") % {"id": organization_id})
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
        raise NotFound(_("There is no person with id %(id)s.") % {"id": person_id})
    return person


# --- pages for the web directory --------------------------------------------------------------------------

T = TypeVar("T", Organization, Person)

DIRECTORY_PAGE_SIZE = 50


@dataclass(frozen=True)
class DirectoryPage(Generic[T]):
    """One alphabetical page and the cursor of the next one (None on the last page). No COUNT: at a
    million rows counting costs more than the page."""

    rows: list[T]
    next_after: str | None


def _cursor(row: Organization | Person) -> str:
    return f"{row.search_name}:{row.pk}"


def _after(rows: QuerySet[T], after: str) -> QuerySet[T]:
    """Rows after the cursor in (search_name, id) order; a cursor not handed out here starts over."""
    search_name, _, raw_id = after.rpartition(":")
    if not raw_id.isdigit():
        return rows
    # A range on the indexed name first, so the database walks the index instead of testing every row.
    return rows.filter(search_name__gte=search_name).exclude(search_name=search_name, pk__lte=int(raw_id))


def _page(rows: QuerySet[T], *, after: str, limit: int) -> DirectoryPage[T]:
    found = list(_after(rows, after).order_by("search_name", "pk")[: limit + 1])
    more = len(found) > limit
    return DirectoryPage(rows=found[:limit], next_after=_cursor(found[limit - 1]) if more else None)


def organization_page(
    *, actor: User, search: str = "", after: str = "", limit: int = DIRECTORY_PAGE_SIZE
) -> DirectoryPage[Organization]:
    """Organizations A to Z whose name contains the search, ignoring case and accents."""
    return _page(organization_list(actor=actor, search=search), after=after, limit=limit)


def person_page(
    *,
    actor: User,
    search: str = "",
    organization_id: int | None = None,
    after: str = "",
    limit: int = DIRECTORY_PAGE_SIZE,
) -> DirectoryPage[Person]:
    """People A to Z (by first and last name) matching the search, with their organization."""
    people = person_list(actor=actor, search=search, organization_id=organization_id)
    return _page(people, after=after, limit=limit)


def organization_find(*, actor: User, name: str) -> Organization | None:
    """The organization with this name, ignoring case and accents (what creating it would duplicate)."""
    folded = fold(name)
    if not folded:
        return None
    return Organization.objects.filter(search_name=folded).order_by("pk").first()


def organization_suggestions(*, actor: User, search: str, limit: int = 10) -> list[Organization]:
    """Names to offer while someone types one: those starting with the text first, then containing it."""
    folded = fold(search)
    if not folded:
        return []
    return list(
        Organization.objects.filter(search_name__contains=folded)
        .annotate(starts=Case(When(search_name__startswith=folded, then=Value(0)), default=Value(1)))
        .order_by("starts", "search_name", "pk")[:limit]
    )


def person_find(
    *, actor: User, email: str = "", first_name: str = "", last_name: str = "", organization_id: int | None
) -> Person | None:
    """The person these details name: the one with this email (any case), else the one with this full
    name (ignoring case and accents) at this organization. Without an organization a name alone is too
    common to be sure, so it matches nobody."""
    people = Person.objects.select_related("organization").order_by("pk")
    email = email.strip().lower()
    if email:
        by_email = people.filter(email=email).first()
        if by_email is not None:
            return by_email
    folded = fold(f"{first_name} {last_name}")
    if not folded or organization_id is None:
        return None
    by_name = people.filter(organization_id=organization_id, search_name=folded)
    if email:
        # Someone with another email is another person who happens to share the name.
        by_name = by_name.filter(email="")
    return by_name.first()


def organization_people(*, actor: User, organization_id: int, limit: int) -> list[Person]:
    """The first people of an organization, A to Z, capped (the page links to the full list)."""
    return list(Person.objects.filter(organization_id=organization_id).order_by("search_name", "pk")[:limit])


def organization_activity_list(*, actor: User, organization_id: int) -> QuerySet[Activity]:
    """Activities about the organization (directly, or through its deals and people, which the activity
    services record on it) that the actor may see."""
    return activity_list(actor=actor).filter(organization_id=organization_id)


R = TypeVar("R", bound=Model)


@dataclass(frozen=True)
class Capped(Generic[R]):
    """The newest rows of a list, and the id to continue below (None when nothing is left)."""

    rows: list[R]
    next_before: int | None


def newest_first(rows: QuerySet[R], *, before: int | None, limit: int) -> Capped[R]:
    """A capped, newest-first slice of an already scoped list; `before` continues an earlier slice."""
    if before is not None:
        rows = rows.filter(pk__lt=before)
    found = list(rows.order_by("-pk")[: limit + 1])
    more = len(found) > limit
    return Capped(rows=found[:limit], next_before=found[limit - 1].pk if more else None)
