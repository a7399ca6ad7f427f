"""The shared directory de-duplicates across accents and case; people services guard roles."""

from __future__ import annotations

import datetime as dt

import pytest

from salespipe.core.errors import InvalidInput, NotAllowed, RuleBroken
from salespipe.directory.selectors import organization_list, person_list
from salespipe.directory.services import (
    organization_create,
    organization_delete,
    organization_find_or_create,
    person_create,
)
from salespipe.people.models import User
from salespipe.people.services import team_create, user_create, user_update
from salespipe.people.tokens import token_authenticate, token_create, token_revoke

pytestmark = pytest.mark.django_db


def test_an_organization_differing_only_in_accents_and_case_is_a_duplicate(rep: User) -> None:
    original = organization_create(actor=rep, name="Παπαδόπουλος Α.Ε.")

    with pytest.raises(RuleBroken) as refusal:
        organization_create(actor=rep, name="ΠΑΠΑΔΟΠΟΥΛΟΣ α.ε.")

    assert refusal.value.code == "duplicate_organization"
    assert str(original.pk) in refusal.value.message
    assert organization_find_or_create(actor=rep, name="παπαδοπουλος α.ε.") == (original, False)


def test_directory_search_ignores_accents_and_case(rep: User) -> None:
    organization_create(actor=rep, name="Παπαδόπουλος Α.Ε.")
    organization_create(actor=rep, name="Acme GmbH")
    person_create(actor=rep, first_name="Γιώργος", last_name="Παπαδόπουλος")

    assert [o.name for o in organization_list(actor=rep, search="παπαδοπουλος")] == ["Παπαδόπουλος Α.Ε."]
    assert [p.last_name for p in person_list(actor=rep, search="γιωργος ΠΑΠΑΔΟΠΟΥΛΟΣ")] == ["Παπαδόπουλος"]


def test_a_second_person_with_the_same_email_is_refused(rep: User) -> None:
    person_create(actor=rep, last_name="Smith", email="Jo@Example.com")

    with pytest.raises(RuleBroken) as refusal:
        person_create(actor=rep, last_name="Smyth", email="jo@example.com")

    assert refusal.value.code == "duplicate_person"


def test_a_bad_email_is_refused(rep: User) -> None:
    with pytest.raises(InvalidInput) as refusal:
        person_create(actor=rep, last_name="Smith", email="not-an-email")

    assert "email" in refusal.value.fields


def test_a_rep_may_not_delete_from_the_shared_directory_but_a_manager_may(rep: User, manager: User) -> None:
    organization = organization_create(actor=rep, name="Acme")

    with pytest.raises(NotAllowed):
        organization_delete(actor=rep, organization_id=organization.pk)

    organization_delete(actor=manager, organization_id=organization.pk)
    assert not organization_list(actor=rep).exists()


def test_users_change_their_own_profile_but_not_their_role(rep: User) -> None:
    user_update(actor=rep, user_id=rep.pk, time_zone="America/New_York", workday_starts_at=dt.time(8, 0))

    with pytest.raises(NotAllowed):
        user_update(actor=rep, user_id=rep.pk, role="admin")
    with pytest.raises(InvalidInput, match="IANA"):
        user_update(actor=rep, user_id=rep.pk, time_zone="Mars/Olympus")
    rep.refresh_from_db()
    assert rep.time_zone == "America/New_York" and rep.role == "rep"


def test_only_an_admin_adds_users_and_teams(rep: User, admin_user: User) -> None:
    with pytest.raises(NotAllowed):
        user_create(actor=rep, username="new", password="a long enough passphrase")
    with pytest.raises(NotAllowed):
        team_create(actor=rep, name="Rebels")

    user = user_create(actor=admin_user, username="new", password="a long enough passphrase", role="manager")
    assert team_create(actor=admin_user, name="North", manager_id=user.pk).manager == user


def test_a_team_manager_must_have_the_manager_role(admin_user: User, rep: User) -> None:
    with pytest.raises(InvalidInput, match="manager role"):
        team_create(actor=admin_user, name="North", manager_id=rep.pk)


def test_a_revoked_or_expired_token_no_longer_authenticates(rep: User) -> None:
    token, raw = token_create(user=rep, name="script")
    assert token_authenticate(raw) == rep

    token_revoke(user=rep, token_id=token.pk)
    assert token_authenticate(raw) is None

    expired, raw_expired = token_create(user=rep, name="old", expires_in_days=1)
    expired.expires_at = expired.created_at
    expired.save(update_fields=["expires_at"])
    assert token_authenticate(raw_expired) is None
    assert token_authenticate("sp_guessed") is None


def test_a_user_email_must_be_an_email_address(rep: User) -> None:
    with pytest.raises(InvalidInput) as refusal:
        user_update(actor=rep, user_id=rep.pk, email="nope")

    assert refusal.value.fields == {"email": "invalid"}
