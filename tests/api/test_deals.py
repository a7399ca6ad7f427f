"""Deals over HTTP: scoping, gates, versions (ETag / If-Match) and the status codes of each failure."""

from __future__ import annotations

from typing import Any

from salespipe.deals.models import Stage
from salespipe.people.models import User
from tests.api.conftest import ApiClient
from tests.factories import OrganizationFactory, PersonFactory

JSON = "application/json"


def test_creating_a_deal_answers_201_with_the_deal_and_its_etag(
    api_client: ApiClient, rep: User, pipeline: Any
) -> None:
    # given
    organization = OrganizationFactory(name="Acme S.A.")

    # when
    response = api_client(rep).post(
        "/api/v1/deals",
        {"title": "Acme: 20 licences", "value": "2500.60", "organization_id": organization.pk},
        content_type=JSON,
    )

    # then
    assert response.status_code == 201
    deal = response.json()
    assert deal["title"] == "Acme: 20 licences"
    assert deal["value"] == "2500.60"
    assert deal["organization"] == {"id": organization.pk, "name": "Acme S.A."}
    assert deal["owner"]["username"] == "rep"
    assert deal["stage"]["name"] == "Lead"
    assert deal["weighted_value"] == "125.03"
    assert response.headers["ETag"] == f'"deal-{deal["id"]}-v1"'


def test_a_deal_without_a_title_is_refused_with_422_naming_the_field(
    api_client: ApiClient, rep: User, pipeline: Any
) -> None:
    # when
    response = api_client(rep).post("/api/v1/deals", {"title": "  ", "value": "-5"}, content_type=JSON)

    # then
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "invalid"
    assert "title" in response.json()["error"]["fields"]


def test_a_malformed_value_is_refused_with_422_and_every_bad_field(
    api_client: ApiClient, rep: User, pipeline: Any
) -> None:
    # when
    response = api_client(rep).post(
        "/api/v1/deals", {"value": "lots", "expected_close_date": "soon", "colour": "red"}, content_type=JSON
    )

    # then
    assert response.status_code == 422
    fields = response.json()["error"]["fields"]
    assert set(fields) == {"title", "value", "expected_close_date", "colour"}
    assert "title" in response.json()["error"]["message"]


def test_getting_a_deal_sends_its_version_as_etag(api_client: ApiClient, rep: User, make_deal: Any) -> None:
    # given
    deal = make_deal(rep)

    # when
    response = api_client(rep).get(f"/api/v1/deals/{deal.pk}")

    # then
    assert response.status_code == 200
    assert response.headers["ETag"] == f'"deal-{deal.pk}-v1"'
    assert response.json()["version"] == 1


def test_a_client_holding_the_current_etag_gets_304(api_client: ApiClient, rep: User, make_deal: Any) -> None:
    # given
    deal = make_deal(rep)
    client = api_client(rep)
    etag = client.get(f"/api/v1/deals/{deal.pk}").headers["ETag"]

    # when
    response = client.get(f"/api/v1/deals/{deal.pk}", headers={"If-None-Match": etag})

    # then
    assert response.status_code == 304
    assert response.content == b""


def test_a_patch_with_the_current_etag_changes_only_the_fields_sent(
    api_client: ApiClient, rep: User, make_deal: Any
) -> None:
    # given
    deal = make_deal(rep, title="Acme", value=1000, budget_evidence="bought 10 last year")
    client = api_client(rep)
    etag = client.get(f"/api/v1/deals/{deal.pk}").headers["ETag"]

    # when
    response = client.patch(
        f"/api/v1/deals/{deal.pk}", {"value": "1500"}, content_type=JSON, headers={"If-Match": etag}
    )

    # then
    assert response.status_code == 200
    body = response.json()
    assert body["value"] == "1500.00"
    assert body["title"] == "Acme"
    assert body["budget_evidence"] == "bought 10 last year"
    assert body["version"] == 2
    assert response.headers["ETag"] == f'"deal-{deal.pk}-v2"' != etag


def test_a_patch_may_name_its_version_in_the_body_instead(
    api_client: ApiClient, rep: User, make_deal: Any
) -> None:
    # given
    deal = make_deal(rep)

    # when
    response = api_client(rep).patch(
        f"/api/v1/deals/{deal.pk}", {"version": 1, "probability": 35}, content_type=JSON
    )

    # then
    assert response.status_code == 200
    assert response.json()["win_probability"] == 35


def test_null_clears_a_clearable_field(api_client: ApiClient, rep: User, make_deal: Any) -> None:
    # given
    deal = make_deal(rep, probability=35)

    # when
    response = api_client(rep).patch(
        f"/api/v1/deals/{deal.pk}", {"version": 1, "probability": None}, content_type=JSON
    )

    # then
    assert response.status_code == 200
    assert response.json()["probability"] is None
    assert response.json()["win_probability"] == 5


def test_null_on_a_required_field_is_refused_with_422(
    api_client: ApiClient, rep: User, make_deal: Any
) -> None:
    # given
    deal = make_deal(rep)

    # when
    response = api_client(rep).patch(
        f"/api/v1/deals/{deal.pk}", {"version": 1, "title": None}, content_type=JSON
    )

    # then
    assert response.status_code == 422
    assert "title" in response.json()["error"]["fields"]


def test_a_patch_without_if_match_or_version_is_refused_with_428(
    api_client: ApiClient, rep: User, make_deal: Any
) -> None:
    # given
    deal = make_deal(rep)

    # when
    response = api_client(rep).patch(f"/api/v1/deals/{deal.pk}", {"title": "New"}, content_type=JSON)

    # then
    assert response.status_code == 428
    assert response.json()["error"]["code"] == "version_required"


def test_a_patch_based_on_a_stale_etag_is_refused_with_412_and_changes_nothing(
    api_client: ApiClient, rep: User, make_deal: Any
) -> None:
    # given
    deal = make_deal(rep, title="Acme")
    client = api_client(rep)
    stale = client.get(f"/api/v1/deals/{deal.pk}").headers["ETag"]
    client.patch(
        f"/api/v1/deals/{deal.pk}", {"value": "2000"}, content_type=JSON, headers={"If-Match": stale}
    )

    # when
    response = client.patch(
        f"/api/v1/deals/{deal.pk}", {"title": "Overwritten"}, content_type=JSON, headers={"If-Match": stale}
    )

    # then
    assert response.status_code == 412
    assert response.json()["error"]["code"] == "stale_version"
    assert client.get(f"/api/v1/deals/{deal.pk}").json()["title"] == "Acme"


def test_an_if_match_of_another_deal_never_matches(api_client: ApiClient, rep: User, make_deal: Any) -> None:
    # given
    deal, other = make_deal(rep), make_deal(rep)

    # when
    response = api_client(rep).patch(
        f"/api/v1/deals/{deal.pk}", {"title": "x"}, content_type=JSON, headers={"If-Match": other.etag}
    )

    # then
    assert response.status_code == 412


def test_moving_with_if_match_returns_the_deal_with_a_new_etag(
    api_client: ApiClient, rep: User, make_deal: Any, stages: dict[str, Stage]
) -> None:
    # given
    deal = make_deal(rep)

    # when
    response = api_client(rep).post(
        f"/api/v1/deals/{deal.pk}/move",
        {"stage_id": stages["Qualified"].pk},
        content_type=JSON,
        headers={"If-Match": deal.etag},
    )

    # then
    assert response.status_code == 200
    assert response.json()["stage"] == {"id": stages["Qualified"].pk, "name": "Qualified", "kind": "open"}
    assert response.headers["ETag"] == f'"deal-{deal.pk}-v2"'


def test_moving_with_a_stale_etag_is_refused_with_412(
    api_client: ApiClient, rep: User, make_deal: Any, stages: dict[str, Stage]
) -> None:
    # given
    deal = make_deal(rep)
    client = api_client(rep)
    client.post(f"/api/v1/deals/{deal.pk}/move", {"stage_id": stages["Contacted"].pk}, content_type=JSON)

    # when
    response = client.post(
        f"/api/v1/deals/{deal.pk}/move",
        {"stage_id": stages["Qualified"].pk},
        content_type=JSON,
        headers={"If-Match": deal.etag},
    )

    # then
    assert response.status_code == 412


def test_entering_appointment_without_a_confirmed_decision_maker_is_refused_with_409(
    api_client: ApiClient, rep: User, make_deal: Any, stages: dict[str, Stage]
) -> None:
    # given
    deal = make_deal(rep)

    # when
    response = api_client(rep).post(
        f"/api/v1/deals/{deal.pk}/move", {"stage_id": stages["Appointment"].pk}, content_type=JSON
    )

    # then
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "decision_maker_required"
    assert "decision maker" in response.json()["error"]["message"]


def test_the_appointment_opens_once_a_decision_maker_is_confirmed_over_the_api(
    api_client: ApiClient, rep: User, make_deal: Any, stages: dict[str, Stage]
) -> None:
    # given
    deal = make_deal(rep)
    client = api_client(rep)
    person = PersonFactory()
    contact = client.post(
        f"/api/v1/deals/{deal.pk}/contacts",
        {"person_id": person.pk, "role": "decision_maker"},
        content_type=JSON,
    ).json()
    confirmed = client.post(
        f"/api/v1/deal-contacts/{contact['id']}/confirm-authority",
        {"how": "asked_directly", "note": "She signs the purchase orders."},
        content_type=JSON,
    )

    # when
    response = client.post(
        f"/api/v1/deals/{deal.pk}/move", {"stage_id": stages["Appointment"].pk}, content_type=JSON
    )

    # then
    assert confirmed.status_code == 200
    assert confirmed.json()["authority_confirmed"] is True
    assert confirmed.json()["authority_confirmed_by"]["username"] == "rep"
    assert response.status_code == 200
    assert response.json()["stage"]["name"] == "Appointment"


def test_confirming_authority_of_a_champion_is_refused_with_409(
    api_client: ApiClient, rep: User, make_deal: Any
) -> None:
    # given
    deal = make_deal(rep)
    client = api_client(rep)
    contact = client.post(
        f"/api/v1/deals/{deal.pk}/contacts",
        {"person_id": PersonFactory().pk, "role": "champion"},
        content_type=JSON,
    ).json()

    # when
    response = client.post(
        f"/api/v1/deal-contacts/{contact['id']}/confirm-authority", {"how": "meeting"}, content_type=JSON
    )

    # then
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "not_a_buying_role"


def test_withdrawing_authority_closes_the_gate_again(
    api_client: ApiClient, rep: User, make_deal: Any, stages: dict[str, Stage]
) -> None:
    # given
    deal = make_deal(rep)
    client = api_client(rep)
    contact = client.post(
        f"/api/v1/deals/{deal.pk}/contacts",
        {"person_id": PersonFactory().pk, "role": "economic_buyer"},
        content_type=JSON,
    ).json()
    client.post(
        f"/api/v1/deal-contacts/{contact['id']}/confirm-authority", {"how": "email"}, content_type=JSON
    )

    # when
    withdrawn = client.post(f"/api/v1/deal-contacts/{contact['id']}/withdraw-authority")
    move = client.post(
        f"/api/v1/deals/{deal.pk}/move", {"stage_id": stages["Appointment"].pk}, content_type=JSON
    )

    # then
    assert withdrawn.json()["authority_confirmed"] is False
    assert move.status_code == 409


def test_deal_contacts_are_listed_changed_and_removed(
    api_client: ApiClient, rep: User, make_deal: Any
) -> None:
    # given
    deal = make_deal(rep)
    client = api_client(rep)
    person = PersonFactory(first_name="Maria", last_name="Papadopoulou")
    contact = client.post(
        f"/api/v1/deals/{deal.pk}/contacts", {"person_id": person.pk, "role": "influencer"}, content_type=JSON
    ).json()

    # when
    changed = client.patch(f"/api/v1/deal-contacts/{contact['id']}", {"role": "champion"}, content_type=JSON)
    listed = client.get(f"/api/v1/deals/{deal.pk}/contacts")
    removed = client.delete(f"/api/v1/deal-contacts/{contact['id']}")

    # then
    assert changed.json()["role"] == "champion"
    assert listed.json()["items"][0]["person"] == {"id": person.pk, "name": "Maria Papadopoulou"}
    assert removed.status_code == 204
    assert client.get(f"/api/v1/deals/{deal.pk}/contacts").json()["items"] == []


def test_losing_a_deal_without_a_reason_is_refused_with_409(
    api_client: ApiClient, rep: User, make_deal: Any
) -> None:
    # given
    deal = make_deal(rep)

    # when
    response = api_client(rep).post(f"/api/v1/deals/{deal.pk}/lose", {"lost_reason": " "}, content_type=JSON)

    # then
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "lost_reason_required"
    assert response.json()["error"]["fields"] == {"lost_reason": "required"}


def test_moving_into_the_lost_stage_without_a_reason_is_refused_with_409(
    api_client: ApiClient, rep: User, make_deal: Any, stages: dict[str, Stage]
) -> None:
    # given
    deal = make_deal(rep)

    # when
    response = api_client(rep).post(
        f"/api/v1/deals/{deal.pk}/move", {"stage_id": stages["Lost"].pk}, content_type=JSON
    )

    # then
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "lost_reason_required"


def test_losing_and_winning_a_deal_records_its_history_newest_first(
    api_client: ApiClient, rep: User, make_deal: Any
) -> None:
    # given
    deal = make_deal(rep)
    client = api_client(rep)

    # when
    lost = client.post(f"/api/v1/deals/{deal.pk}/lose", {"lost_reason": "price"}, content_type=JSON)
    won = client.post(f"/api/v1/deals/{deal.pk}/win", headers={"If-Match": lost.headers["ETag"]})
    history = client.get(f"/api/v1/deals/{deal.pk}/history")

    # then
    assert lost.json()["status"] == "lost"
    assert lost.json()["lost_reason"] == "price"
    assert won.status_code == 200
    assert won.json()["status"] == "won"
    assert won.json()["won_at"] is not None
    assert [change["to_stage"]["name"] for change in history.json()["items"]] == ["Won", "Lost", "Lead"]
    assert history.json()["items"][-1]["from_stage"] is None


def test_winning_a_won_deal_is_refused_with_409(api_client: ApiClient, rep: User, make_deal: Any) -> None:
    # given
    deal = make_deal(rep)
    client = api_client(rep)
    client.post(f"/api/v1/deals/{deal.pk}/win")

    # when
    response = client.post(f"/api/v1/deals/{deal.pk}/win")

    # then
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "already_won"


def test_deleting_a_deal_answers_204_and_then_404(api_client: ApiClient, rep: User, make_deal: Any) -> None:
    # given
    deal = make_deal(rep)
    client = api_client(rep)

    # when
    response = client.delete(f"/api/v1/deals/{deal.pk}", headers={"If-Match": deal.etag})

    # then
    assert response.status_code == 204
    assert client.get(f"/api/v1/deals/{deal.pk}").status_code == 404


def test_deleting_with_a_stale_etag_is_refused_with_412(
    api_client: ApiClient, rep: User, make_deal: Any
) -> None:
    # given
    deal = make_deal(rep)
    client = api_client(rep)
    client.patch(f"/api/v1/deals/{deal.pk}", {"version": 1, "title": "Renamed"}, content_type=JSON)

    # when
    response = client.delete(f"/api/v1/deals/{deal.pk}", headers={"If-Match": deal.etag})

    # then
    assert response.status_code == 412
    assert client.get(f"/api/v1/deals/{deal.pk}").status_code == 200


# --- who sees what --------------------------------------------------------------------------------------


def test_a_rep_gets_404_for_another_reps_deal_on_every_verb(
    api_client: ApiClient, rep: User, teammate: User, make_deal: Any, stages: dict[str, Stage]
) -> None:
    # given
    deal = make_deal(teammate)
    client = api_client(rep)
    if_match = {"If-Match": deal.etag}

    # when
    responses = {
        "get": client.get(f"/api/v1/deals/{deal.pk}"),
        "patch": client.patch(
            f"/api/v1/deals/{deal.pk}", {"title": "Mine"}, content_type=JSON, headers=if_match
        ),
        "patch without version": client.patch(
            f"/api/v1/deals/{deal.pk}", {"title": "Mine"}, content_type=JSON
        ),
        "move": client.post(
            f"/api/v1/deals/{deal.pk}/move", {"stage_id": stages["Contacted"].pk}, content_type=JSON
        ),
        "win": client.post(f"/api/v1/deals/{deal.pk}/win"),
        "lose": client.post(f"/api/v1/deals/{deal.pk}/lose", {"lost_reason": "price"}, content_type=JSON),
        "delete": client.delete(f"/api/v1/deals/{deal.pk}"),
        "history": client.get(f"/api/v1/deals/{deal.pk}/history"),
        "contacts": client.get(f"/api/v1/deals/{deal.pk}/contacts"),
    }

    # then
    assert {verb: r.status_code for verb, r in responses.items()} == dict.fromkeys(responses, 404)
    assert all(r.json()["error"]["code"] == "not_found" for r in responses.values())
    deal.refresh_from_db()
    assert (deal.title, deal.version) == ("Acme: 20 licences", 1)


def test_a_rep_gets_404_for_a_contact_on_another_reps_deal(
    api_client: ApiClient, rep: User, teammate: User, make_deal: Any, confirm_decision_maker: Any
) -> None:
    # given
    deal = make_deal(teammate)
    confirm_decision_maker(deal)
    contact = deal.contacts.get()

    # when
    response = api_client(rep).post(f"/api/v1/deal-contacts/{contact.pk}/withdraw-authority")

    # then
    assert response.status_code == 404


def test_a_rep_cannot_give_a_deal_to_a_colleague(
    api_client: ApiClient, rep: User, teammate: User, make_deal: Any
) -> None:
    # given
    deal = make_deal(rep)

    # when
    response = api_client(rep).patch(
        f"/api/v1/deals/{deal.pk}", {"version": 1, "owner_id": teammate.pk}, content_type=JSON
    )

    # then
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "forbidden"


def test_a_manager_sees_the_team_deals_but_not_the_other_teams(
    api_client: ApiClient, manager: User, rep: User, teammate: User, outsider: User, make_deal: Any
) -> None:
    # given
    mine, theirs, foreign = make_deal(rep), make_deal(teammate), make_deal(outsider)
    client = api_client(manager)

    # when
    listed = client.get("/api/v1/deals").json()["items"]

    # then
    assert {deal["id"] for deal in listed} == {mine.pk, theirs.pk}
    assert client.get(f"/api/v1/deals/{foreign.pk}").status_code == 404
    assert client.get(f"/api/v1/deals/{theirs.pk}").status_code == 200


def test_an_admin_sees_every_deal(
    api_client: ApiClient, admin_user: User, rep: User, outsider: User, make_deal: Any
) -> None:
    # given
    deals = {make_deal(rep).pk, make_deal(outsider).pk}

    # when
    listed = api_client(admin_user).get("/api/v1/deals").json()["items"]

    # then
    assert {deal["id"] for deal in listed} == deals


def test_the_deal_list_filters_by_status_owner_and_title(
    api_client: ApiClient, manager: User, rep: User, teammate: User, make_deal: Any
) -> None:
    # given
    acme = make_deal(rep, title="Acme renewal")
    make_deal(rep, title="Globex")
    make_deal(teammate, title="Acme Hellas")
    client = api_client(manager)

    # when
    found = client.get("/api/v1/deals", {"q": "acme", "owner_id": rep.pk, "status": "open"}).json()["items"]
    bad_status = client.get("/api/v1/deals", {"status": "pending"})

    # then
    assert [deal["id"] for deal in found] == [acme.pk]
    assert bad_status.status_code == 422
    assert "status" in bad_status.json()["error"]["fields"]
