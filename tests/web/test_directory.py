"""The organizations and people pages: search, paging, forms through the services, and detail pages that
show only the deals and activities the viewer may see."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from salespipe.activities.services import activity_schedule
from salespipe.directory.models import Organization, Person
from salespipe.directory.selectors import DIRECTORY_PAGE_SIZE
from salespipe.directory.services import organization_create, person_create
from salespipe.people.models import User
from tests.factories import OrganizationFactory, PersonFactory

pytestmark = pytest.mark.django_db

# Session, user, then the page of rows: no COUNT, no query per row.
ORGANIZATION_LIST_QUERIES = 3
PERSON_LIST_QUERIES = 3
# Session, user, the organization, its first people, the viewer's deals on it, their activities on it.
ORGANIZATION_PAGE_QUERIES = 6
# Session, user, the person with their organization, the viewer's deals with them, their activities.
PERSON_PAGE_QUERIES = 5


def _queries(client: Client, url: str) -> tuple[int, Any]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries), response


def _deal_on(make_deal: Any, owner: User, person: Person, title: str) -> Any:
    return make_deal(owner, title=title, organization_id=person.organization_id, person_id=person.pk)


def _call_about(owner: User, deal: Any, subject: str) -> Any:
    return activity_schedule(
        actor=owner,
        kind="call",
        subject=subject,
        due_at=timezone.now() + dt.timedelta(days=1),
        deal_id=deal.pk,
        person_id=deal.person_id,
    )


# --- organizations: list, search, paging ------------------------------------------------------------------


def test_searching_organizations_ignores_accents_and_case(browser_of: Any, rep: User) -> None:
    # given
    organization_create(actor=rep, name="Παπαδόπουλος Α.Ε.")
    organization_create(actor=rep, name="Acme GmbH")

    # when
    response = browser_of(rep).get("/organizations/", {"q": "παπαδοπουλος"})

    # then
    assert response.status_code == 200
    assert "Παπαδόπουλος Α.Ε." in response.text
    assert "Acme GmbH" not in response.text


def test_the_organization_list_is_alphabetical_and_pages_on_with_a_next_link(
    browser_of: Any, rep: User
) -> None:
    # given
    for n in range(DIRECTORY_PAGE_SIZE + 5):
        OrganizationFactory(name=f"Org {n:03d}")
    browser = browser_of(rep)

    # when
    first = browser.get("/organizations/")
    second = browser.get(first.context["next_url"])

    # then
    assert [o.name for o in first.context["page"].rows] == [
        f"Org {n:03d}" for n in range(DIRECTORY_PAGE_SIZE)
    ]
    assert [o.name for o in second.context["page"].rows] == [
        f"Org {n:03d}" for n in range(DIRECTORY_PAGE_SIZE, DIRECTORY_PAGE_SIZE + 5)
    ]
    assert second.context["next_url"] is None
    assert "Next page" in first.text
    assert "Next page" not in second.text


def test_the_next_page_keeps_the_search(browser_of: Any, rep: User) -> None:
    # given
    for n in range(DIRECTORY_PAGE_SIZE + 2):
        OrganizationFactory(name=f"Ωμέγα {n:03d}")
    OrganizationFactory(name="Zeta")
    browser = browser_of(rep)

    # when
    first = browser.get("/organizations/", {"q": "ΩΜΕΓΑ"})
    second = browser.get(first.context["next_url"])

    # then
    assert [o.name for o in second.context["page"].rows] == [
        f"Ωμέγα {n:03d}" for n in range(DIRECTORY_PAGE_SIZE, DIRECTORY_PAGE_SIZE + 2)
    ]


def test_an_htmx_search_answers_with_the_results_only(browser_of: Any, rep: User) -> None:
    # given
    organization_create(actor=rep, name="Acme GmbH")

    # when
    response = browser_of(rep).get("/organizations/", {"q": "acme"}, headers={"HX-Request": "true"})

    # then
    assert "Acme GmbH" in response.text
    assert "<html" not in response.text


def test_restoring_history_after_an_htmx_search_gets_the_whole_page(browser_of: Any, rep: User) -> None:
    # when
    response = browser_of(rep).get(
        "/organizations/",
        {"q": "acme"},
        headers={"HX-Request": "true", "HX-History-Restore-Request": "true"},
    )

    # then
    assert "<html" in response.text


def test_the_organization_list_runs_the_same_queries_for_few_or_many_rows(browser_of: Any, rep: User) -> None:
    # given
    browser = browser_of(rep)
    OrganizationFactory.create_batch(2)
    few, _ = _queries(browser, "/organizations/")
    OrganizationFactory.create_batch(80)

    # when
    many, response = _queries(browser, "/organizations/")

    # then
    assert few == many == ORGANIZATION_LIST_QUERIES
    assert len(response.context["page"].rows) == DIRECTORY_PAGE_SIZE


# --- organizations: create, edit, delete ------------------------------------------------------------------


def test_a_rep_adds_an_organization_and_lands_on_its_page(browser_of: Any, rep: User) -> None:
    # when
    response = browser_of(rep).post(
        "/organizations/new/", {"name": "  Acme GmbH ", "country": "de", "city": "Berlin"}, follow=True
    )

    # then
    organization = Organization.objects.get()
    assert (organization.name, organization.country, organization.created_by) == ("Acme GmbH", "DE", rep)
    assert response.redirect_chain[-1][0] == f"/organizations/{organization.pk}/"
    assert "Acme GmbH is in the directory now." in response.text


def test_adding_a_duplicate_organization_is_refused_with_a_link_to_the_existing_one(
    browser_of: Any, rep: User
) -> None:
    # given
    existing = organization_create(actor=rep, name="Παπαδόπουλος Α.Ε.")

    # when
    response = browser_of(rep).post("/organizations/new/", {"name": "ΠΑΠΑΔΟΠΟΥΛΟΣ α.ε."})

    # then
    assert response.status_code == 200
    assert "is already in the directory" in response.text
    assert f'href="/organizations/{existing.pk}/"' in response.text
    assert Organization.objects.count() == 1


def test_a_bad_country_code_is_shown_beside_the_field(browser_of: Any, rep: User) -> None:
    # when
    response = browser_of(rep).post("/organizations/new/", {"name": "Acme", "country": "1"})

    # then
    assert response.status_code == 200
    assert response.context["form"].errors["country"] == [
        "Country is a two-letter ISO code such as GR or DE."
    ]
    assert not Organization.objects.exists()


def test_editing_an_organization_saves_the_changes(browser_of: Any, rep: User) -> None:
    # given
    organization = organization_create(actor=rep, name="Acme")

    # when
    response = browser_of(rep).post(
        f"/organizations/{organization.pk}/edit/", {"name": "Acme Hellas", "industry": "Software"}
    )

    # then
    organization.refresh_from_db()
    assert response.status_code == 302
    assert (organization.name, organization.search_name, organization.industry) == (
        "Acme Hellas",
        "acme hellas",
        "Software",
    )


def test_the_edit_form_starts_with_the_current_values(browser_of: Any, rep: User) -> None:
    # given
    organization = organization_create(actor=rep, name="Acme", city="Αθήνα")

    # when
    response = browser_of(rep).get(f"/organizations/{organization.pk}/edit/")

    # then
    assert 'value="Αθήνα"' in response.text


def test_a_rep_may_not_delete_an_organization(browser_of: Any, rep: User) -> None:
    # given
    organization = organization_create(actor=rep, name="Acme")
    browser = browser_of(rep)

    # when
    confirm = browser.get(f"/organizations/{organization.pk}/delete/")
    delete = browser.post(f"/organizations/{organization.pk}/delete/")

    # then
    assert confirm.status_code == delete.status_code == 403
    assert "Only a manager or an administrator can delete" in delete.text
    assert Organization.objects.filter(pk=organization.pk).exists()
    assert (
        f"/organizations/{organization.pk}/delete/"
        not in browser.get(f"/organizations/{organization.pk}/").text
    )


def test_a_manager_deletes_an_organization_after_confirming(browser_of: Any, manager: User) -> None:
    # given
    organization = organization_create(actor=manager, name="Acme")
    browser = browser_of(manager)

    # when
    confirm = browser.get(f"/organizations/{organization.pk}/delete/")
    response = browser.post(f"/organizations/{organization.pk}/delete/", follow=True)

    # then
    assert confirm.status_code == 200
    assert response.redirect_chain[-1][0] == "/organizations/"
    assert "Deleted Acme from the directory." in response.text
    assert not Organization.objects.exists()


def test_an_organization_with_deals_is_kept_and_the_page_says_why(
    browser_of: Any, admin_user: User, rep: User, make_deal: Any
) -> None:
    # given
    person = PersonFactory()
    _deal_on(make_deal, rep, person, "Acme: 20 licences")

    # when
    response = browser_of(admin_user).post(f"/organizations/{person.organization_id}/delete/", follow=True)

    # then
    assert "still has deals" in response.text
    assert Organization.objects.filter(pk=person.organization_id).exists()


def test_a_form_without_the_csrf_token_is_refused(rep: User) -> None:
    # given
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(rep)

    # when
    response = browser.post("/organizations/new/", {"name": "Acme"})

    # then
    assert response.status_code == 403
    assert not Organization.objects.exists()


def test_a_website_link_can_only_open_a_web_page(browser_of: Any, rep: User) -> None:
    # given
    organization = organization_create(actor=rep, name="Acme", website="javascript://%0aalert(1)")

    # when
    response = browser_of(rep).get(f"/organizations/{organization.pk}/")

    # then
    assert 'href="https://javascript://%0aalert(1)"' in response.text


# --- the organization page -------------------------------------------------------------------------------


def test_the_organization_page_shows_only_the_deals_and_activities_the_viewer_may_see(
    browser_of: Any,
    rep: User,
    teammate: User,
    outsider: User,
    manager: User,
    admin_user: User,
    make_deal: Any,
) -> None:
    # given
    person = PersonFactory()
    mine = _deal_on(make_deal, rep, person, "Rep's deal")
    teammates = _deal_on(make_deal, teammate, person, "Teammate's deal")
    outsiders = _deal_on(make_deal, outsider, person, "Outsider's deal")
    for deal in (mine, teammates, outsiders):
        _call_about(deal.owner, deal, f"Call about {deal.title}")
    url = f"/organizations/{person.organization_id}/"

    # when
    seen = {
        user.username: {deal.title for deal in browser_of(user).get(url).context["deals"]}
        for user in (rep, manager, admin_user)
    }
    calls_seen_by_rep = {activity.subject for activity in browser_of(rep).get(url).context["activities"]}

    # then
    assert seen == {
        "rep": {"Rep's deal"},
        "manager": {"Rep's deal", "Teammate's deal"},
        "admin": {"Rep's deal", "Teammate's deal", "Outsider's deal"},
    }
    assert calls_seen_by_rep == {"Call about Rep's deal"}
    assert "Outsider's deal" not in browser_of(rep).get(url).text


def test_the_organization_page_lists_its_people_and_links_to_the_deal_page(
    browser_of: Any, rep: User, make_deal: Any
) -> None:
    # given
    person = PersonFactory(first_name="Μαρία", last_name="Παπαδοπούλου")
    deal = _deal_on(make_deal, rep, person, "Acme: 20 licences")

    # when
    response = browser_of(rep).get(f"/organizations/{person.organization_id}/")

    # then
    assert "Μαρία Παπαδοπούλου" in response.text
    assert f'href="/deals/{deal.pk}/"' in response.text


def test_older_deals_of_an_organization_continue_below_the_cap(
    browser_of: Any, rep: User, make_deal: Any
) -> None:
    # given
    person = PersonFactory()
    deals = [_deal_on(make_deal, rep, person, f"Deal {n}") for n in range(23)]
    browser = browser_of(rep)

    # when
    first = browser.get(f"/organizations/{person.organization_id}/")
    older = browser.get(first.context["older_deals_url"])

    # then
    assert [deal.pk for deal in first.context["deals"]] == [deal.pk for deal in reversed(deals[3:])]
    assert [deal.pk for deal in older.context["deals"]] == [deal.pk for deal in reversed(deals[:3])]
    assert older.context["older_deals_url"] is None


def test_the_organization_page_runs_the_same_queries_for_few_or_many_rows(
    browser_of: Any, manager: User, rep: User, teammate: User, make_deal: Any
) -> None:
    # given
    person = PersonFactory()
    organization = person.organization
    browser = browser_of(manager)
    _call_about(rep, _deal_on(make_deal, rep, person, "First"), "First call")
    few, _ = _queries(browser, f"/organizations/{organization.pk}/")
    for n in range(25):
        colleague = PersonFactory(organization=organization)
        deal = _deal_on(make_deal, rep if n % 2 else teammate, colleague, f"Deal {n}")
        _call_about(deal.owner, deal, f"Call {n}")

    # when
    many, response = _queries(browser, f"/organizations/{organization.pk}/")

    # then
    assert few == many == ORGANIZATION_PAGE_QUERIES
    assert len(response.context["deals"]) == len(response.context["activities"]) == 20
    assert response.context["more_people"] is True


def test_an_unknown_organization_is_not_found(browser_of: Any, rep: User) -> None:
    # when
    response = browser_of(rep).get("/organizations/999999/")

    # then
    assert response.status_code == 404


# --- people --------------------------------------------------------------------------------------------


def test_searching_people_ignores_accents_and_case(browser_of: Any, rep: User) -> None:
    # given
    person_create(actor=rep, first_name="Γιώργος", last_name="Παπαδόπουλος")
    person_create(actor=rep, first_name="Anna", last_name="Schmidt")

    # when
    response = browser_of(rep).get("/people/", {"q": "ΠΑΠΑΔΟΠΟΥΛΟΣ"})

    # then
    assert "Γιώργος Παπαδόπουλος" in response.text
    assert "Anna Schmidt" not in response.text


def test_the_people_list_narrows_to_one_organization(browser_of: Any, rep: User) -> None:
    # given
    acme = OrganizationFactory(name="Acme")
    PersonFactory(first_name="Anna", last_name="Acme", organization=acme)
    PersonFactory(first_name="Bob", last_name="Other")

    # when
    response = browser_of(rep).get("/people/", {"organization": acme.pk})

    # then
    assert [person.full_name for person in response.context["page"].rows] == ["Anna Acme"]


def test_the_people_list_runs_the_same_queries_for_few_or_many_rows(browser_of: Any, rep: User) -> None:
    # given
    browser = browser_of(rep)
    PersonFactory.create_batch(2)
    few, _ = _queries(browser, "/people/")
    PersonFactory.create_batch(70)

    # when
    many, response = _queries(browser, "/people/")

    # then
    assert few == many == PERSON_LIST_QUERIES
    assert all(person.organization.name for person in response.context["page"].rows)


def test_a_rep_adds_a_person_at_an_organization_named_in_any_case(browser_of: Any, rep: User) -> None:
    # given
    organization = organization_create(actor=rep, name="Παπαδόπουλος Α.Ε.")

    # when
    response = browser_of(rep).post(
        "/people/new/",
        {
            "first_name": "Μαρία",
            "last_name": "Νικολάου",
            "email": "Maria@Example.TEST",
            "organization_name": "παπαδοπουλος α.ε.",
        },
    )

    # then
    person = Person.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/people/{person.pk}/"
    assert (person.organization, person.email, person.created_by) == (organization, "maria@example.test", rep)


def test_a_person_at_an_unknown_organization_is_refused_beside_the_field(browser_of: Any, rep: User) -> None:
    # when
    response = browser_of(rep).post(
        "/people/new/", {"last_name": "Νικολάου", "organization_name": "Nowhere Ltd"}
    )

    # then
    assert response.status_code == 200
    assert (
        "There is no organization named “Nowhere Ltd”"
        in response.context["form"].errors["organization_name"][0]
    )
    assert not Person.objects.exists()


def test_a_person_with_a_taken_email_is_refused_with_a_link_to_the_existing_one(
    browser_of: Any, rep: User
) -> None:
    # given
    existing = person_create(actor=rep, first_name="Maria", last_name="N", email="maria@example.test")

    # when
    response = browser_of(rep).post("/people/new/", {"last_name": "Other", "email": "MARIA@example.test"})

    # then
    assert response.status_code == 200
    assert "already has the email maria@example.test" in response.text
    assert f'href="/people/{existing.pk}/"' in response.text
    assert Person.objects.count() == 1


def test_editing_a_person_can_move_them_to_no_organization(browser_of: Any, rep: User) -> None:
    # given
    person = PersonFactory(first_name="Anna", last_name="Schmidt")

    # when
    response = browser_of(rep).post(
        f"/people/{person.pk}/edit/",
        {"first_name": "Anna", "last_name": "Schmidt-Weber", "organization_name": ""},
    )

    # then
    person.refresh_from_db()
    assert response.status_code == 302
    assert (person.last_name, person.search_name, person.organization) == (
        "Schmidt-Weber",
        "anna schmidt-weber",
        None,
    )


def test_a_rep_may_not_delete_a_person_but_a_manager_may(browser_of: Any, rep: User, manager: User) -> None:
    # given
    person = PersonFactory()

    # when
    refused = browser_of(rep).post(f"/people/{person.pk}/delete/")
    allowed = browser_of(manager).post(f"/people/{person.pk}/delete/")

    # then
    assert refused.status_code == 403
    assert allowed.status_code == 302
    assert not Person.objects.filter(pk=person.pk).exists()


def test_the_person_page_shows_only_the_deals_and_activities_the_viewer_may_see(
    browser_of: Any, rep: User, outsider: User, make_deal: Any
) -> None:
    # given
    person = PersonFactory()
    mine = _deal_on(make_deal, rep, person, "Rep's deal")
    theirs = _deal_on(make_deal, outsider, person, "Outsider's deal")
    _call_about(rep, mine, "My call")
    _call_about(outsider, theirs, "Their call")

    # when
    response = browser_of(rep).get(f"/people/{person.pk}/")

    # then
    assert [deal.title for deal in response.context["deals"]] == ["Rep's deal"]
    assert [activity.subject for activity in response.context["activities"]] == ["My call"]
    assert "Outsider's deal" not in response.text and "Their call" not in response.text


def test_the_person_page_runs_the_same_queries_for_few_or_many_rows(
    browser_of: Any, manager: User, rep: User, make_deal: Any
) -> None:
    # given
    person = PersonFactory()
    browser = browser_of(manager)
    _call_about(rep, _deal_on(make_deal, rep, person, "First"), "First call")
    few, _ = _queries(browser, f"/people/{person.pk}/")
    for n in range(25):
        _call_about(rep, _deal_on(make_deal, rep, person, f"Deal {n}"), f"Call {n}")

    # when
    many, response = _queries(browser, f"/people/{person.pk}/")

    # then
    assert few == many == PERSON_PAGE_QUERIES
    assert len(response.context["deals"]) == 20
