"""The shared directory of organizations and people over HTTP."""

from __future__ import annotations

from typing import Any

from salespipe.people.models import User
from tests.api.conftest import ApiClient
from tests.factories import OrganizationFactory, PersonFactory

JSON = "application/json"


def test_adding_an_organization_answers_201(api_client: ApiClient, rep: User) -> None:
    # when
    response = api_client(rep).post(
        "/api/v1/organizations", {"name": "Ελληνική Εταιρεία", "country": "gr"}, content_type=JSON
    )

    # then
    assert response.status_code == 201
    assert response.json()["name"] == "Ελληνική Εταιρεία"
    assert response.json()["country"] == "GR"


def test_an_organization_already_in_the_directory_is_refused_with_409(
    api_client: ApiClient, rep: User
) -> None:
    # given
    existing = OrganizationFactory(name="Müller GmbH")

    # when
    response = api_client(rep).post("/api/v1/organizations", {"name": "MULLER gmbh"}, content_type=JSON)

    # then
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "duplicate_organization"
    assert str(existing.pk) in response.json()["error"]["fields"]["name"]


def test_searching_organizations_ignores_case_and_accents(api_client: ApiClient, rep: User) -> None:
    # given
    greek = OrganizationFactory(name="Ελληνική Εταιρεία")
    OrganizationFactory(name="Acme")

    # when
    found = api_client(rep).get("/api/v1/organizations", {"q": "ελληνικη"}).json()["items"]

    # then
    assert [organization["id"] for organization in found] == [greek.pk]


def test_changing_an_organization_changes_only_the_fields_sent(api_client: ApiClient, rep: User) -> None:
    # given
    organization = OrganizationFactory(name="Acme", city="Athens")

    # when
    response = api_client(rep).patch(
        f"/api/v1/organizations/{organization.pk}", {"industry": "Retail"}, content_type=JSON
    )

    # then
    assert response.status_code == 200
    assert (response.json()["name"], response.json()["city"], response.json()["industry"]) == (
        "Acme",
        "Athens",
        "Retail",
    )


def test_a_rep_may_not_delete_from_the_shared_directory(api_client: ApiClient, rep: User) -> None:
    # given
    organization = OrganizationFactory()

    # when
    response = api_client(rep).delete(f"/api/v1/organizations/{organization.pk}")

    # then
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "forbidden"


def test_a_manager_deletes_an_organization_without_deals(api_client: ApiClient, manager: User) -> None:
    # given
    organization = OrganizationFactory()
    client = api_client(manager)

    # when
    response = client.delete(f"/api/v1/organizations/{organization.pk}")

    # then
    assert response.status_code == 204
    assert client.get(f"/api/v1/organizations/{organization.pk}").status_code == 404


def test_an_organization_with_deals_cannot_be_deleted(
    api_client: ApiClient, manager: User, rep: User, make_deal: Any
) -> None:
    # given
    organization = OrganizationFactory()
    make_deal(rep, organization_id=organization.pk)

    # when
    response = api_client(manager).delete(f"/api/v1/organizations/{organization.pk}")

    # then
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "organization_has_deals"


def test_adding_and_finding_a_person_by_email(api_client: ApiClient, rep: User) -> None:
    # given
    organization = OrganizationFactory(name="Acme")
    client = api_client(rep)

    # when
    created = client.post(
        "/api/v1/persons",
        {
            "first_name": "Νίκος",
            "last_name": "Παπαδόπουλος",
            "email": "Nikos@Acme.test",
            "organization_id": organization.pk,
        },
        content_type=JSON,
    )
    found = client.get("/api/v1/persons", {"email": "nikos@acme.test"}).json()["items"]

    # then
    assert created.status_code == 201
    assert created.json()["name"] == "Νίκος Παπαδόπουλος"
    assert created.json()["organization"] == {"id": organization.pk, "name": "Acme"}
    assert [person["id"] for person in found] == [created.json()["id"]]


def test_a_person_with_a_taken_email_is_refused_with_409(api_client: ApiClient, rep: User) -> None:
    # given
    PersonFactory(email="maria@acme.test")

    # when
    response = api_client(rep).post(
        "/api/v1/persons", {"last_name": "Other", "email": "maria@acme.test"}, content_type=JSON
    )

    # then
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "duplicate_person"


def test_a_person_can_be_taken_off_their_organization(api_client: ApiClient, rep: User) -> None:
    # given
    person = PersonFactory()

    # when
    response = api_client(rep).patch(
        f"/api/v1/persons/{person.pk}", {"organization_id": None, "phone": None}, content_type=JSON
    )

    # then
    assert response.status_code == 200
    assert response.json()["organization"] is None
    assert response.json()["phone"] == ""


def test_an_unknown_person_is_a_404(api_client: ApiClient, rep: User) -> None:
    # when
    response = api_client(rep).get("/api/v1/persons/999999")

    # then
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_an_organizations_size_band_is_kept_and_an_unknown_one_refused(
    api_client: ApiClient, rep: User
) -> None:
    client = api_client(rep)

    created = client.post(
        "/api/v1/organizations", {"name": "Corner shop", "size": "11-50"}, content_type=JSON
    )
    refused = client.post("/api/v1/organizations", {"name": "Big box", "size": "huge"}, content_type=JSON)

    assert created.status_code == 201 and created.json()["size"] == "11-50"
    assert refused.status_code == 422
    assert not client.get("/api/v1/organizations", {"q": "Big box"}).json()["items"]
