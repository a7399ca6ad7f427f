"""Writes to the shared directory of organizations and people."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils.translation import gettext as _

from salespipe.core.errors import InvalidInput, NotAllowed, NotFound, RuleBroken
from salespipe.core.text import domain_of, fold
from salespipe.directory.models import Organization, OrganizationSize, Person
from salespipe.people.models import Role, User

_ORGANIZATION_FIELDS = {"name", "website", "phone", "address", "city", "country", "industry", "size"}
_PERSON_FIELDS = {"first_name", "last_name", "email", "phone", "job_title", "organization_id"}


def _clean_organization(changes: dict[str, Any]) -> dict[str, Any]:
    unknown = set(changes) - _ORGANIZATION_FIELDS
    if unknown:
        raise InvalidInput(
            _("Unknown organization fields: %(fields)s.") % {"fields": ", ".join(sorted(unknown))}
        )
    cleaned = {key: (value or "").strip() for key, value in changes.items()}
    if "name" in cleaned and not cleaned["name"]:
        raise InvalidInput(_("An organization needs a name."), fields={"name": _("required")})
    if cleaned.get("country"):
        if len(cleaned["country"]) != 2 or not cleaned["country"].isalpha():
            raise InvalidInput(
                _("Country is a two-letter ISO code such as GR or DE."), fields={"country": _("invalid")}
            )
        cleaned["country"] = cleaned["country"].upper()
    if "website" in cleaned:
        cleaned["domain"] = domain_of(cleaned["website"])
    if cleaned.get("size") and cleaned["size"] not in OrganizationSize.values:
        raise InvalidInput(
            _("Size is one of %(sizes)s (employees), or empty.")
            % {"sizes": ", ".join(OrganizationSize.values)},
            fields={"size": _("unknown")},
        )
    return cleaned


def _refuse_duplicate_organization(search_name: str, *, exclude_id: int | None = None) -> None:
    duplicates = Organization.objects.filter(search_name=search_name)
    if exclude_id is not None:
        duplicates = duplicates.exclude(pk=exclude_id)
    duplicate = duplicates.first()
    if duplicate is not None:
        raise RuleBroken(
            _("'%(name)s' is already in the directory (id %(id)s); use it instead of a copy.")
            % {"name": duplicate.name, "id": duplicate.pk},
            code="duplicate_organization",
            fields={"name": _("duplicate of organization %(id)s") % {"id": duplicate.pk}},
        )


@transaction.atomic
def organization_create(*, actor: User, name: str, **details: Any) -> Organization:
    cleaned = _clean_organization({"name": name, **details})
    search_name = fold(cleaned["name"])
    _refuse_duplicate_organization(search_name)
    return Organization.objects.create(search_name=search_name, created_by=actor, **cleaned)


@transaction.atomic
def organization_find_or_create(*, actor: User, name: str) -> tuple[Organization, bool]:
    """The organization with this name, ignoring case and accents, or a new one."""
    cleaned = _clean_organization({"name": name})
    existing = Organization.objects.filter(search_name=fold(cleaned["name"])).order_by("pk").first()
    if existing is not None:
        return existing, False
    return organization_create(actor=actor, name=cleaned["name"]), True


@transaction.atomic
def organization_update(*, actor: User, organization_id: int, **changes: Any) -> Organization:
    organization = Organization.objects.select_for_update().filter(pk=organization_id).first()
    if organization is None:
        raise NotFound(_("There is no organization with id %(id)s.") % {"id": organization_id})
    cleaned = _clean_organization(changes)
    if "name" in cleaned:
        cleaned["search_name"] = fold(cleaned["name"])
        _refuse_duplicate_organization(cleaned["search_name"], exclude_id=organization.pk)
    for field, value in cleaned.items():
        setattr(organization, field, value)
    organization.save(update_fields=[*cleaned, "updated_at"])
    return organization


def _require_directory_delete(actor: User) -> None:
    # The directory is shared: one rep deleting a company would remove it from colleagues' deals too.
    if actor.role not in (Role.ADMIN, Role.MANAGER):
        raise NotAllowed(_("Only a manager or an administrator can delete from the shared directory."))


@transaction.atomic
def organization_delete(*, actor: User, organization_id: int) -> None:
    organization = Organization.objects.filter(pk=organization_id).first()
    if organization is None:
        raise NotFound(_("There is no organization with id %(id)s.") % {"id": organization_id})
    _require_directory_delete(actor)
    if organization.deals.exists():
        raise RuleBroken(
            _("'%(name)s' still has deals; move or delete them first.") % {"name": organization.name},
            code="organization_has_deals",
        )
    organization.delete()


def _clean_person(changes: dict[str, Any]) -> dict[str, Any]:
    unknown = set(changes) - _PERSON_FIELDS
    if unknown:
        raise InvalidInput(_("Unknown person fields: %(fields)s.") % {"fields": ", ".join(sorted(unknown))})
    cleaned = {key: (value.strip() if isinstance(value, str) else value) for key, value in changes.items()}
    if "last_name" in cleaned and not cleaned["last_name"]:
        raise InvalidInput(_("A person needs at least a last name."), fields={"last_name": _("required")})
    if cleaned.get("email"):
        cleaned["email"] = cleaned["email"].lower()
        try:
            validate_email(cleaned["email"])
        except ValidationError:
            raise InvalidInput(
                _("'%(email)s' is not an email address.") % {"email": cleaned["email"]},
                fields={"email": _("invalid")},
            ) from None
    if (
        cleaned.get("organization_id") is not None
        and not Organization.objects.filter(pk=cleaned["organization_id"]).exists()
    ):
        raise InvalidInput(
            _("There is no organization with id %(id)s.") % {"id": cleaned["organization_id"]},
            fields={"organization_id": _("unknown organization")},
        )
    return cleaned


def _refuse_duplicate_person(email: str, *, exclude_id: int | None = None) -> None:
    if not email:
        return
    duplicates = Person.objects.filter(email=email)
    if exclude_id is not None:
        duplicates = duplicates.exclude(pk=exclude_id)
    duplicate = duplicates.first()
    if duplicate is not None:
        raise RuleBroken(
            _("%(name)s already has the email %(email)s (person %(id)s); use that record.")
            % {"name": duplicate.full_name, "email": email, "id": duplicate.pk},
            code="duplicate_person",
            fields={"email": _("duplicate of person %(id)s") % {"id": duplicate.pk}},
        )


@transaction.atomic
def person_create(*, actor: User, last_name: str, **details: Any) -> Person:
    cleaned = _clean_person({"last_name": last_name, **details})
    _refuse_duplicate_person(cleaned.get("email", ""))
    person = Person(created_by=actor, **cleaned)
    person.search_name = fold(person.full_name)
    person.save()
    return person


@transaction.atomic
def person_update(*, actor: User, person_id: int, **changes: Any) -> Person:
    person = Person.objects.select_for_update().filter(pk=person_id).first()
    if person is None:
        raise NotFound(_("There is no person with id %(id)s.") % {"id": person_id})
    cleaned = _clean_person(changes)
    if cleaned.get("email"):
        _refuse_duplicate_person(cleaned["email"], exclude_id=person.pk)
    for field, value in cleaned.items():
        setattr(person, field, value)
    person.search_name = fold(person.full_name)
    person.save(update_fields=[*cleaned, "search_name", "updated_at"])
    return person


@transaction.atomic
def person_delete(*, actor: User, person_id: int) -> None:
    person = Person.objects.filter(pk=person_id).first()
    if person is None:
        raise NotFound(_("There is no person with id %(id)s.") % {"id": person_id})
    _require_directory_delete(actor)
    person.delete()
