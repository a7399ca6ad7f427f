"""The column headers of other CRMs' deal exports, and their default stage names (docs/import.md#presets).

A preset maps a header (compared loosely, `fields.header_key`) to a field. Headers a file has and its preset
does not know are left out of the import and listed in the report, so nothing is imported by guesswork;
the generic preset guesses from the headers instead and shows its guesses to be confirmed.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from salespipe.imports.fields import header_key


@dataclass(frozen=True)
class Preset:
    name: str
    # Ids from this system are stored as `<source>:<id>`, so two systems' ids never meet.
    source: str
    # header_key → field key; when a file has two headers for one field, the one listed first wins.
    columns: dict[str, str] = field(default_factory=dict)
    # The other system's default stage names (header_key of the name) → a stage name of Salespipe's default
    # pipeline; used when the target pipeline has a stage of that name.
    stages: dict[str, str] = field(default_factory=dict)
    guesses: bool = False  # the generic preset: columns guessed from the headers


def _keyed(mapping: dict[str, str]) -> dict[str, str]:
    return {header_key(header): target for header, target in mapping.items()}


PIPEDRIVE = Preset(
    name="pipedrive",
    source="pipedrive",
    columns=_keyed(
        {
            "Deal - ID": "deal.external_id",
            "Deal - Title": "deal.title",
            "Deal - Value": "deal.value",
            "Deal - Currency": "deal.currency",
            "Deal - Pipeline": "deal.pipeline",
            "Deal - Stage": "deal.stage",
            "Deal - Status": "deal.status",
            "Deal - Owner": "deal.owner",
            "Deal - Expected close date": "deal.expected_close_date",
            "Deal - Deal created": "deal.created_at",
            "Deal - Won time": "deal.won_at",
            "Deal - Lost time": "deal.lost_at",
            "Deal - Deal closed on": "deal.closed_at",
            "Deal - Lost reason": "deal.lost_reason",
            "Deal - Source channel": "deal.source",
            "Deal - Organization": "organization.name",
            "Deal - Contact person": "person.name",
            "Organization - ID": "organization.external_id",
            "Organization - Name": "organization.name",
            "Organization - Address": "organization.address",
            "Organization - Website": "organization.website",
            "Organization - Industry": "organization.industry",
            "Person - ID": "person.external_id",
            "Person - Name": "person.name",
            "Person - First name": "person.first_name",
            "Person - Last name": "person.last_name",
            "Person - Email": "person.email",
            "Person - Email - Work": "person.email",
            "Person - Phone": "person.phone",
            "Person - Phone - Work": "person.phone",
            "Person - Job title": "person.job_title",
        }
    ),
    stages=_keyed(
        {
            "Lead In": "Lead",
            "Contact Made": "Contacted",
            "Needs Defined": "Qualified",
            "Qualified": "Qualified",
            "Demo Scheduled": "Demo/Trial",
            "Proposal Made": "Proposal",
            "Negotiations Started": "Proposal",
        }
    ),
)

HUBSPOT = Preset(
    name="hubspot",
    source="hubspot",
    columns=_keyed(
        {
            "Record ID": "deal.external_id",
            "Deal Name": "deal.title",
            "Amount": "deal.value",
            "Deal currency code": "deal.currency",
            "Pipeline": "deal.pipeline",
            "Deal Stage": "deal.stage",
            "Deal owner": "deal.owner",
            "Close Date": "deal.expected_close_date",
            "Create Date": "deal.created_at",
            "Closed Lost Reason": "deal.lost_reason",
            "Original Source Type": "deal.source",
            "Associated Company": "organization.name",
            "Associated Company IDs": "organization.external_id",
            "Associated Contact": "person.name",
            "Associated Contact IDs": "person.external_id",
        }
    ),
    # HubSpot's default sales pipeline, by label and by internal value.
    stages=_keyed(
        {
            "Appointment Scheduled": "Appointment",
            "appointmentscheduled": "Appointment",
            "Qualified To Buy": "Qualified",
            "qualifiedtobuy": "Qualified",
            "Presentation Scheduled": "Demo/Trial",
            "presentationscheduled": "Demo/Trial",
            "Decision Maker Bought-In": "Proposal",
            "decisionmakerboughtin": "Proposal",
            "Contract Sent": "Proposal",
            "contractsent": "Proposal",
            "Closed Won": "Won",
            "closedwon": "Won",
            "Closed Lost": "Lost",
            "closedlost": "Lost",
        }
    ),
)

SALESFORCE = Preset(
    name="salesforce",
    source="salesforce",
    columns=_keyed(
        {
            # The API-name export (Data Loader, `sf data export`) ...
            "Id": "deal.external_id",
            "AccountId": "organization.external_id",
            "Name": "deal.title",
            "StageName": "deal.stage",
            "Amount": "deal.value",
            "CurrencyIsoCode": "deal.currency",
            "CloseDate": "deal.expected_close_date",
            "LeadSource": "deal.source",
            "IsClosed": "deal.closed",
            "IsWon": "deal.won",
            "CreatedDate": "deal.created_at",
            "Account.Name": "organization.name",
            "Owner.Name": "deal.owner",
            "OwnerId": "deal.owner",  # a name, when the file has both, over an id that matches no one here
            "Loss_Reason__c": "deal.lost_reason",
            # ... and the report export's labels.
            "Opportunity ID": "deal.external_id",
            "Opportunity Name": "deal.title",
            "Account ID": "organization.external_id",
            "Account Name": "organization.name",
            "Stage": "deal.stage",
            "Close Date": "deal.expected_close_date",
            "Lead Source": "deal.source",
            "Closed": "deal.closed",
            "Won": "deal.won",
            "Opportunity Owner": "deal.owner",
            "Created Date": "deal.created_at",
            "Opportunity Currency": "deal.currency",
        }
    ),
    stages=_keyed(
        {
            "Prospecting": "Lead",
            "Qualification": "Qualified",
            "Needs Analysis": "Qualified",
            "Value Proposition": "Demo/Trial",
            "Id. Decision Makers": "Appointment",
            "Perception Analysis": "Demo/Trial",
            "Proposal/Price Quote": "Proposal",
            "Negotiation/Review": "Proposal",
            "Closed Won": "Won",
            "Closed Lost": "Lost",
        }
    ),
)

GENERIC = Preset(name="generic", source="import", guesses=True)

PRESETS: dict[str, Preset] = {preset.name: preset for preset in (PIPEDRIVE, HUBSPOT, SALESFORCE, GENERIC)}
PRESET_NAMES = tuple(PRESETS)
