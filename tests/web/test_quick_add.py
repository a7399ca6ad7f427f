"""Quick add: one form makes a deal with its organization and contact, reusing what the directory has,
all or nothing."""

from __future__ import annotations

from typing import Any

import pytest

from salespipe.core.errors import InvalidInput, NotAllowed, RuleBroken
from salespipe.deals.models import Deal, Stage
from salespipe.deals.quick_add import deal_quick_add
from salespipe.directory.models import Organization, Person
from salespipe.directory.services import organization_create, person_create
from salespipe.people.models import User

pytestmark = pytest.mark.django_db


def _counts() -> tuple[int, int, int]:
    return Organization.objects.count(), Person.objects.count(), Deal.objects.count()


# --- the service -----------------------------------------------------------------------------------------


def test_quick_add_creates_the_organization_and_person_it_does_not_find(
    rep: User, stages: dict[str, Stage]
) -> None:
    # when
    added = deal_quick_add(
        actor=rep,
        title="Acme: 20 licences",
        value="2500",
        stage_id=stages["Contacted"].pk,
        organization_name="Acme GmbH",
        first_name="Anna",
        last_name="Schmidt",
        email="Anna@Acme.test",
        phone="+49 30 1234",
    )

    # then
    deal = Deal.objects.select_related("organization", "person").get()
    assert (added.organization_created, added.person_created) == (True, True)
    assert deal.organization == added.organization and deal.organization.name == "Acme GmbH"
    assert deal.person == added.person and deal.person.organization == deal.organization
    assert (deal.person.email, deal.person.phone) == ("anna@acme.test", "+49 30 1234")
    assert (deal.stage, deal.owner, str(deal.value)) == (stages["Contacted"], rep, "2500.00")


def test_quick_add_reuses_an_organization_named_with_other_accents_and_case(rep: User, pipeline: Any) -> None:
    # given
    existing = organization_create(actor=rep, name="Παπαδόπουλος Α.Ε.")

    # when
    added = deal_quick_add(actor=rep, title="Νέα συμφωνία", organization_name="ΠΑΠΑΔΟΠΟΥΛΟΣ α.ε.")

    # then
    assert (added.organization, added.organization_created) == (existing, False)
    assert Organization.objects.count() == 1


def test_quick_add_reuses_a_person_by_email_in_any_case(rep: User, pipeline: Any) -> None:
    # given
    existing = person_create(actor=rep, first_name="Anna", last_name="Schmidt", email="anna@acme.test")

    # when
    added = deal_quick_add(actor=rep, title="Acme", last_name="Schmid", email="ANNA@Acme.Test")

    # then
    assert (added.person, added.person_created) == (existing, False)
    assert Person.objects.count() == 1


def test_quick_add_reuses_a_person_by_name_at_the_same_organization_only(rep: User, pipeline: Any) -> None:
    # given
    acme = organization_create(actor=rep, name="Acme")
    other = organization_create(actor=rep, name="Other")
    at_acme = person_create(
        actor=rep, first_name="Γιώργος", last_name="Παπαδόπουλος", organization_id=acme.pk
    )
    person_create(actor=rep, first_name="Γιώργος", last_name="Παπαδόπουλος", organization_id=other.pk)

    # when
    same = deal_quick_add(
        actor=rep, title="One", organization_name="acme", first_name="ΓΙΩΡΓΟΣ", last_name="παπαδοπουλος"
    )
    elsewhere = deal_quick_add(
        actor=rep, title="Two", organization_name="Third Ltd", first_name="Γιώργος", last_name="Παπαδόπουλος"
    )

    # then
    assert (same.person, same.person_created) == (at_acme, False)
    assert elsewhere.person_created is True
    assert elsewhere.person is not None and elsewhere.person.organization == elsewhere.organization


def test_a_reused_person_gets_the_email_their_record_lacks_and_keeps_the_rest(
    rep: User, pipeline: Any
) -> None:
    # given
    acme = organization_create(actor=rep, name="Acme")
    existing = person_create(
        actor=rep, first_name="Anna", last_name="Schmidt", phone="+30 210 1", organization_id=acme.pk
    )

    # when
    deal_quick_add(
        actor=rep,
        title="Acme",
        organization_name="Acme",
        first_name="Anna",
        last_name="Schmidt",
        email="anna@acme.test",
        phone="+30 210 999",
    )

    # then
    existing.refresh_from_db()
    assert (existing.email, existing.phone) == ("anna@acme.test", "+30 210 1")


def test_a_namesake_with_another_email_is_another_person(rep: User, pipeline: Any) -> None:
    # given
    acme = organization_create(actor=rep, name="Acme")
    person_create(
        actor=rep, first_name="Anna", last_name="Schmidt", email="anna@acme.test", organization_id=acme.pk
    )

    # when
    added = deal_quick_add(
        actor=rep,
        title="Acme",
        organization_name="Acme",
        first_name="Anna",
        last_name="Schmidt",
        email="a2@acme.test",
    )

    # then
    assert added.person_created is True
    assert Person.objects.count() == 2


def test_a_gate_refusal_leaves_no_organization_person_or_deal_behind(
    rep: User, stages: dict[str, Stage]
) -> None:
    # given
    before = _counts()

    # when
    with pytest.raises(RuleBroken) as refusal:
        deal_quick_add(
            actor=rep,
            title="Too early",
            stage_id=stages["Appointment"].pk,
            organization_name="Brand New Ltd",
            first_name="New",
            last_name="Person",
            email="new@brand.test",
        )

    # then
    assert refusal.value.code == "decision_maker_required"
    assert _counts() == before


def test_a_bad_email_leaves_no_organization_behind(rep: User, pipeline: Any) -> None:
    # when
    with pytest.raises(InvalidInput):
        deal_quick_add(
            actor=rep, title="Acme", organization_name="Brand New Ltd", last_name="X", email="not-an-email"
        )

    # then
    assert _counts() == (0, 0, 0)


def test_a_rep_owns_the_deal_they_quick_add_and_cannot_hand_it_to_a_colleague(
    rep: User, teammate: User, pipeline: Any
) -> None:
    # when
    own = deal_quick_add(actor=rep, title="Mine", organization_name="Acme")
    with pytest.raises(NotAllowed):
        deal_quick_add(actor=rep, title="Theirs", owner_id=teammate.pk, organization_name="Other Ltd")

    # then
    assert own.deal.owner == rep
    assert list(Organization.objects.values_list("name", flat=True)) == ["Acme"]


def test_a_manager_may_quick_add_for_their_rep_but_not_for_another_team(
    manager: User, rep: User, outsider: User, pipeline: Any
) -> None:
    # when
    for_rep = deal_quick_add(actor=manager, title="For the rep", owner_id=rep.pk)
    with pytest.raises(NotAllowed):
        deal_quick_add(actor=manager, title="For an outsider", owner_id=outsider.pk)

    # then
    assert for_rep.deal.owner == rep
    assert Deal.objects.count() == 1


# --- the page --------------------------------------------------------------------------------------------


def test_the_form_offers_only_open_stages_and_marks_gated_ones(
    browser_of: Any, rep: User, stages: dict[str, Stage]
) -> None:
    # when
    response = browser_of(rep).get("/deals/new/")

    # then
    offered = [
        label for _, options in response.context["form"].fields["stage"].choices for _, label in options
    ]
    assert offered[:3] == ["Lead", "Contacted", "Qualified"]
    assert "Appointment (needs a confirmed decision maker)" in offered
    assert "Won" not in offered and "Lost" not in offered
    assert "owner" not in response.context["form"].fields


def test_a_manager_can_pick_an_owner_among_the_people_they_manage(
    browser_of: Any, manager: User, rep: User, outsider: User, pipeline: Any
) -> None:
    # when
    response = browser_of(manager).get("/deals/new/")

    # then
    owners = {pk for pk, _ in response.context["form"].fields["owner"].choices}
    assert owners == {manager.pk, rep.pk}


def test_saving_the_form_redirects_to_the_new_deal_with_a_message(
    browser_of: Any, rep: User, stages: dict[str, Stage]
) -> None:
    # given
    acme = organization_create(actor=rep, name="Acme")

    # when
    response = browser_of(rep).post(
        "/deals/new/",
        {
            "title": "Acme: 20 licences",
            "value": "2500.50",
            "currency": "EUR",
            "expected_close_date": "2026-11-30",
            "stage": stages["Lead"].pk,
            "organization_name": "ACME",
            "first_name": "Anna",
            "last_name": "Schmidt",
            "email": "anna@acme.test",
        },
    )

    # then
    deal = Deal.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/deals/{deal.pk}/"
    assert deal.organization == acme and deal.person is not None and deal.person.full_name == "Anna Schmidt"
    assert str(deal.value) == "2500.50" and deal.expected_close_date.isoformat() == "2026-11-30"
    assert [str(m) for m in response.wsgi_request._messages] == [
        "Added the deal “Acme: 20 licences”. Linked it to Acme. Added Anna Schmidt to the directory."
    ]


def test_a_refusal_is_shown_on_the_form_and_nothing_is_saved(
    browser_of: Any, rep: User, stages: dict[str, Stage]
) -> None:
    # when
    response = browser_of(rep).post(
        "/deals/new/",
        {
            "title": "Too early",
            "currency": "EUR",
            "stage": stages["Appointment"].pk,
            "organization_name": "Brand New Ltd",
            "last_name": "Person",
        },
    )

    # then
    assert response.status_code == 200
    assert "cannot enter &#x27;Appointment&#x27; before a decision maker is confirmed" in response.text
    assert _counts() == (0, 0, 0)


def test_checking_shows_what_would_be_reused_without_saving(
    browser_of: Any, rep: User, stages: dict[str, Stage]
) -> None:
    # given
    acme = organization_create(actor=rep, name="Παπαδόπουλος Α.Ε.")
    anna = person_create(actor=rep, first_name="Anna", last_name="Schmidt", email="anna@acme.test")

    # when
    response = browser_of(rep).post(
        "/deals/new/",
        {
            "check": "1",
            "title": "Acme",
            "currency": "EUR",
            "stage": stages["Lead"].pk,
            "organization_name": "παπαδοπουλος α.ε.",
            "last_name": "Schmidt",
            "email": "ANNA@acme.test",
        },
    )

    # then
    assert (
        f'Organization: <a href="/organizations/{acme.pk}/">Παπαδόπουλος Α.Ε.</a>, already in the directory'
        in response.text
    )
    assert (
        f'Contact: <a href="/people/{anna.pk}/">Anna Schmidt</a>, already in the directory' in response.text
    )
    assert not Deal.objects.exists()


def test_the_matches_box_answers_as_someone_types(browser_of: Any, rep: User) -> None:
    # given
    organization_create(actor=rep, name="Acme")

    # when
    known = browser_of(rep).get(
        "/deals/new/matches/", {"organization_name": "ACME"}, headers={"HX-Request": "true"}
    )
    unknown = browser_of(rep).get(
        "/deals/new/matches/",
        {"organization_name": "Brand New", "last_name": "X"},
        headers={"HX-Request": "true"},
    )

    # then
    assert "already in the directory" in known.text and "<html" not in known.text
    assert "Organization: “Brand New” is new and will be added to the directory" in unknown.text
    assert "Contact: new, and will be added to the directory" in unknown.text


def test_organization_names_are_suggested_as_someone_types(browser_of: Any, rep: User) -> None:
    # given
    organization_create(actor=rep, name="Ωμέγα Α.Ε.")
    organization_create(actor=rep, name="Alpha Omega")

    # when
    response = browser_of(rep).get("/organizations/suggestions/", {"organization_name": "ωμε"})

    # then
    assert response.text.strip() == '<option value="Ωμέγα Α.Ε."></option>'


def test_a_contact_without_a_last_name_is_refused_beside_the_field(
    browser_of: Any, rep: User, stages: dict[str, Stage]
) -> None:
    # when
    response = browser_of(rep).post(
        "/deals/new/",
        {
            "title": "Acme",
            "currency": "EUR",
            "stage": stages["Lead"].pk,
            "organization_name": "Acme",
            "first_name": "Anna",
        },
    )

    # then
    assert response.context["form"].errors["last_name"] == ["A person needs at least a last name."]
    assert _counts() == (0, 0, 0)
