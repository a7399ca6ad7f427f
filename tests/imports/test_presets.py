"""Deal exports of Pipedrive, HubSpot and Salesforce, in the shape each writes them, imported by their presets."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from salespipe.core.models import ExchangeRate
from salespipe.deals.models import Deal, StageChange, StageStay
from salespipe.deals.services import stage_stays_rebuild
from salespipe.directory.models import Organization, Person
from salespipe.imports.models import ImportStatus
from salespipe.people.models import User
from tests.factories import OrganizationFactory, UserFactory

pytestmark = pytest.mark.django_db

NOON = dt.time(12, tzinfo=dt.UTC)

PIPEDRIVE = """\
Deal - ID,Deal - Title,Deal - Value,Deal - Currency,Deal - Organization,Deal - Contact person,Person - Email,Deal - Stage,Deal - Status,Deal - Owner,Deal - Expected close date,Deal - Deal created,Deal - Won time,Deal - Lost time,Deal - Lost reason
101,Acme CRM rollout,12000,EUR,Acme Ltd,Jane Roe,jane@acme.test,Proposal Made,open,Sophie Kruger,2026-12-15,2026-09-01 10:11:12,,,
102,Globex pilot,"4,500.50",EUR,Globex,John Smith,john@globex.test,Demo Scheduled,won,sophie.kruger@example.test,2026-10-30,2026-08-03 09:00:00,2026-10-28 16:40:00,,
103,Initech licences,900,USD,Acme Ltd,Jane Roe,jane@acme.test,Lead In,lost,sophie.kruger,,2026-07-07,,2026-08-01 12:00:00,Price too high
"""


@pytest.fixture
def sophie(db: None) -> User:
    return UserFactory(
        username="sophie.kruger", first_name="Sophie", last_name="Kruger", email="sophie.kruger@example.test"
    )


@pytest.fixture
def usd_rate(db: None) -> None:
    ExchangeRate.objects.create(currency="USD", rate_to_base=Decimal("0.9"))


def _deal(external_title: str) -> Deal:
    return Deal.objects.select_related("stage", "organization", "person", "owner").get(title=external_title)


def test_a_pipedrive_deal_export_brings_in_deals_with_their_organizations_people_stages_and_owners(
    run_import: Any, sophie: User, usd_rate: None
) -> None:
    # given a Pipedrive export: an open deal, a won one and a lost one, two sharing an organization
    # when it is imported with the Pipedrive preset
    job = run_import(PIPEDRIVE, preset="pipedrive")

    # then every record is there once, as the file says
    assert job.status == ImportStatus.FINISHED
    assert job.counts["entities"] == {
        "organization": {"created": 2, "updated": 0, "unchanged": 0, "failed": 0},
        "person": {"created": 2, "updated": 0, "unchanged": 0, "failed": 0},
        "deal": {"created": 3, "updated": 0, "unchanged": 0, "failed": 0},
    }
    assert sorted(Organization.objects.values_list("name", flat=True)) == ["Acme Ltd", "Globex"]
    jane = Person.objects.get(email="jane@acme.test")
    assert (jane.first_name, jane.last_name, jane.organization.name) == ("Jane", "Roe", "Acme Ltd")

    acme = _deal("Acme CRM rollout")
    assert (acme.stage.name, acme.status, acme.value, acme.currency) == (
        "Proposal",
        "open",
        Decimal("12000.00"),
        "EUR",
    )
    assert (acme.owner, acme.organization.name, acme.person) == (sophie, "Acme Ltd", jane)
    assert acme.expected_close_date == dt.date(2026, 12, 15)
    assert acme.created_at == dt.datetime.combine(dt.date(2026, 9, 1), NOON)

    globex = _deal("Globex pilot")
    assert (globex.stage.name, globex.status, globex.value) == ("Won", "won", Decimal("4500.50"))
    assert globex.won_at == dt.datetime.combine(dt.date(2026, 10, 28), NOON)
    # Pipedrive's stage of a won deal is where it was won from: the history enters it, then wins.
    history = list(
        StageChange.objects.filter(deal=globex)
        .order_by("changed_at")
        .values_list("to_stage__name", "to_status")
    )
    assert history == [("Demo/Trial", "open"), ("Won", "won")]

    initech = _deal("Initech licences")
    assert (initech.status, initech.lost_reason, initech.currency) == ("lost", "Price too high", "USD")
    assert initech.base_value == Decimal("810.00")
    assert initech.lost_at == dt.datetime.combine(dt.date(2026, 8, 1), NOON)


def test_imported_stage_stays_are_those_the_history_defines(
    run_import: Any, sophie: User, usd_rate: None
) -> None:
    # given an imported file
    run_import(PIPEDRIVE, preset="pipedrive")
    kept = sorted(StageStay.objects.values_list("entry_id", "stage_id", "entered_at", "left_at", "advanced"))

    # when the stays are written afresh from the history
    stage_stays_rebuild()

    # then they are the ones the import wrote
    assert kept and kept == sorted(
        StageStay.objects.values_list("entry_id", "stage_id", "entered_at", "left_at", "advanced")
    )


def test_importing_the_same_file_again_updates_instead_of_duplicating(
    run_import: Any, sophie: User, usd_rate: None
) -> None:
    # given a file imported once
    run_import(PIPEDRIVE, preset="pipedrive")
    before = (
        Organization.objects.count(),
        Person.objects.count(),
        Deal.objects.count(),
        StageChange.objects.count(),
    )

    # when the same file is imported again
    again = run_import(PIPEDRIVE, preset="pipedrive")

    # then nothing is added and everything is reported unchanged
    assert (
        Organization.objects.count(),
        Person.objects.count(),
        Deal.objects.count(),
        StageChange.objects.count(),
    ) == before
    assert again.counts["entities"]["deal"] == {"created": 0, "updated": 0, "unchanged": 3, "failed": 0}
    assert again.counts["entities"]["organization"] == {
        "created": 0,
        "updated": 0,
        "unchanged": 2,
        "failed": 0,
    }

    # and when the other system has moved a deal on and changed its value, that deal is updated
    moved = PIPEDRIVE.replace("12000,EUR", "13000,EUR").replace("Proposal Made,open", "Proposal Made,won")
    third = run_import(moved, preset="pipedrive")
    assert third.counts["entities"]["deal"] == {"created": 0, "updated": 1, "unchanged": 2, "failed": 0}
    acme = _deal("Acme CRM rollout")
    assert (acme.status, acme.stage.name, acme.value, acme.version) == ("won", "Won", Decimal("13000.00"), 2)
    assert acme.stage_changes.count() == 2


HUBSPOT = """\
Record ID,Deal Name,Deal Stage,Close Date,Amount,Pipeline,Deal owner,Create Date,Associated Company,Closed Lost Reason
9001,Northwind renewal,closedwon,2026-06-30,"$431,370",Sales,Sophie Kruger,2026-03-02,Northwind Traders,
9002,Contoso expansion,Qualified To Buy,2026-12-20, $-,Sales,Sophie Kruger,2026-10-01,Contoso,
9003,Fabrikam rollout,closedlost,2026-05-01,1200,Sales,Sophie Kruger,2026-01-15,Fabrikam,Went with a competitor
"""


def test_a_hubspot_export_maps_its_default_stages_and_reads_its_money(
    run_import: Any, sophie: User, usd_rate: None
) -> None:
    # when a HubSpot deal export is imported with the HubSpot preset
    job = run_import(HUBSPOT, preset="hubspot")

    # then its internal stage names map to ours and its closed stages close the deals
    assert job.counts["entities"]["deal"]["created"] == 3
    northwind = _deal("Northwind renewal")
    assert (northwind.status, northwind.value, northwind.currency) == ("won", Decimal("431370.00"), "USD")
    # a closed HubSpot deal's close date is when it closed
    assert northwind.won_at == dt.datetime.combine(dt.date(2026, 6, 30), NOON)
    contoso = _deal("Contoso expansion")
    assert (contoso.stage.name, contoso.status, contoso.value) == ("Qualified", "open", Decimal("0.00"))
    fabrikam = _deal("Fabrikam rollout")
    assert (fabrikam.status, fabrikam.lost_reason) == ("lost", "Went with a competitor")
    assert list(fabrikam.stage_changes.values_list("to_stage__name", flat=True)) == ["Lost"]


SALESFORCE = """\
Id,AccountId,Name,StageName,Amount,Probability,CloseDate,LeadSource,IsClosed,IsWon,OwnerId,CreatedDate
0065g00000AbCdE,0015g00000XyZ01,Umbrella upgrade,Negotiation/Review,25000,90,2026-12-01,Partner Referral,false,false,0055g00000Own01,2026-09-10T08:15:00.000Z
0065g00000AbCdF,0015g00000XyZ02,Wayne retrofit,Closed Won,8000,100,2026-09-15,Web,true,true,0055g00000Own01,2026-05-01T10:00:00.000Z
0065g00000AbCdG,0015g00000XyZ01,Umbrella add-on,Closed Lost,3000,0,2026-08-20,Trade Show,true,false,0055g00000Own02,2026-04-01T10:00:00.000Z
"""


def test_a_salesforce_export_needs_its_owner_ids_mapped_and_says_which_are_missing(
    run_import: Any, sophie: User
) -> None:
    # given a Salesforce opportunity export (API names), whose owners are Salesforce user ids,
    # and a mapping file that maps one of the two ids
    mapping = '[owners]\n"0055g00000Own01" = "sophie.kruger"\n'

    # when it is imported
    job = run_import(SALESFORCE, preset="salesforce", mapping=mapping)

    # then the rows of the mapped owner are in, with Salesforce's stages, flags and lead sources read
    umbrella = _deal("Umbrella upgrade")
    assert (umbrella.stage.name, umbrella.status, umbrella.owner, umbrella.source) == (
        "Proposal",
        "open",
        sophie,
        "partner",
    )
    # Salesforce's probability is its stage default, not a rep's judgement: it is not imported as an override
    assert umbrella.probability is None
    wayne = _deal("Wayne retrofit")
    assert (wayne.status, wayne.source, wayne.won_at.date()) == ("won", "website", dt.date(2026, 9, 15))
    # the organization has only the account id: it is named by it, and found by it again
    assert umbrella.organization.name == "0015g00000XyZ01"
    # and the row of the unmapped owner is reported, with what to do, and counted
    assert job.counts["entities"]["deal"] == {"created": 2, "updated": 0, "unchanged": 0, "failed": 1}
    assert job.counts["unmatched"] == {"owner": {"0055g00000Own02": 1}}
    assert not Deal.objects.filter(title="Umbrella add-on").exists()


def test_the_organization_of_an_existing_name_or_website_is_used_not_copied(
    run_import: Any, sophie: User, usd_rate: None
) -> None:
    # given organizations already in the directory
    acme = OrganizationFactory(name="ACME Ltd")
    globex = OrganizationFactory(
        name="Globex Corporation", website="https://www.globex.test/", domain="globex.test"
    )
    text = "Organization,Website,Deal,Owner\nacme ltd,,Deal one,sophie.kruger\nGlobex Inc.,globex.test,Deal two,sophie.kruger\n"

    # when a file names them differently
    job = run_import(text)

    # then the deals are theirs: by the name folded, and by the website's domain
    assert _deal("Deal one").organization == acme
    assert _deal("Deal two").organization == globex
    assert Organization.objects.count() == 2
    assert job.counts["entities"]["organization"] == {"created": 0, "updated": 0, "unchanged": 2, "failed": 0}
