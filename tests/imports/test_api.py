"""The imports API: upload and queue, follow, download the error report, resume; administrators only."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from salespipe.deals.models import Deal, Pipeline
from salespipe.imports.models import ImportJob, ImportStatus
from salespipe.people.models import User
from salespipe.people.tokens import token_create
from tests.factories import UserFactory
from tests.imports.test_web import PIPEDRIVE

pytestmark = pytest.mark.django_db

IMPORTS = "/api/v1/imports"


@pytest.fixture
def api_of(db: None) -> Any:
    """`api_of(user)`: a client sending a new personal access token of that user."""

    def make(user: User) -> Client:
        _, raw = token_create(user=user, name="tests")
        return Client(headers={"Authorization": f"Bearer {raw}"})

    return make


@pytest.fixture
def admin(api_of: Any, admin_user: User, pipeline: Pipeline) -> Client:
    UserFactory(username="sophie.kruger", first_name="Sophie", last_name="Kruger")
    client: Client = api_of(admin_user)
    return client


def post_file(client: Client, text: str = PIPEDRIVE, **fields: Any) -> Any:
    file = SimpleUploadedFile("pipedrive-deals.csv", text.encode(), content_type="text/csv")
    return client.post(IMPORTS, {"preset": "pipedrive", **fields, "file": file})


def test_a_posted_file_is_imported_in_the_worker_with_the_stages_and_columns_given(
    admin: Client, worker: Any
) -> None:
    # when a Pipedrive export is posted with its custom stage mapped and its extra column imported
    with worker():
        response = post_file(
            admin,
            stages=json.dumps({"Negotiation Stalled": "Qualified"}),
            mapping=json.dumps(
                {
                    "deal.external_id": "Deal - ID",
                    "deal.title": "Deal - Title",
                    "deal.value": "Deal - Value",
                    "deal.stage": "Deal - Stage",
                    "deal.owner": "Deal - Owner",
                    "organization.name": "Deal - Organization",
                    "deal.source": "Deal - Referral",
                }
            ),
        )

    # then it answers 202 with the queued job and its links
    assert response.status_code == 202, response.content
    body = response.json()
    job = ImportJob.objects.get()
    assert (body["id"], body["status"], body["dry_run"]) == (job.pk, "waiting", False)
    assert body["links"] == {
        "self": f"/api/v1/imports/{job.pk}",
        "page": f"/imports/{job.pk}/",
        "problems": f"/api/v1/imports/{job.pk}/problems",
    }

    # and the import ran: the deals are those of the file, with the columns and stage chosen
    detail = admin.get(body["links"]["self"]).json()
    assert (detail["status"], detail["progress"], detail["failed_rows"]) == ("finished", 1.0, 0)
    assert detail["counts"]["entities"]["deal"] == {"created": 3, "updated": 0, "unchanged": 0, "failed": 0}
    assert detail["mapping"]["columns"]["deal.source"] == "Deal - Referral"
    assert "person.name" not in detail["mapping"]["columns"]
    stalled = Deal.objects.select_related("stage").get(title="Globex pilot")
    assert (stalled.stage.name, stalled.source) == ("Qualified", "partner")
    assert Deal.objects.count() == 3

    # and the list has it
    listed = admin.get(IMPORTS).json()
    assert [item["id"] for item in listed["items"]] == [job.pk]
    assert listed["next_cursor"] is None


def test_a_dry_run_writes_nothing_and_its_error_report_has_the_failing_row(
    admin: Client, worker: Any
) -> None:
    # when the file is checked with its custom stage unmapped
    with worker():
        body = post_file(admin, dry_run="true").json()

    # then nothing is written, the counts say what would be, and the report names the row
    detail = admin.get(f"{IMPORTS}/{body['id']}").json()
    assert (detail["dry_run"], detail["status"], detail["failed_rows"]) == (True, "finished", 1)
    assert detail["counts"]["unmatched"] == {"stage": {"Negotiation Stalled": 1}}
    assert Deal.objects.count() == 0
    report = admin.get(f"{IMPORTS}/{body['id']}/problems")
    assert report.status_code == 200
    lines = b"".join(report.streaming_content).decode("utf-8-sig").splitlines()
    assert lines[0] == "row,column,value,problem"
    assert lines[1].startswith("3,Deal - Stage,Negotiation Stalled,")


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"mapping": json.dumps({"deal.stage": "Deal - Stage"})}, "need one of deal.title"),
        ({"mapping": json.dumps({"deal.title": "No such column"})}, "No such column"),
        ({"mapping": "{not json"}, "mapping is not valid JSON"),
        ({"preset": "zoho"}, "There is no import preset 'zoho'"),
        ({"pipeline": "Nope"}, "There is no active pipeline 'Nope'"),
    ],
)
def test_bad_input_is_a_422_with_the_reason_and_creates_nothing(
    admin: Client, worker: Any, home: Path, fields: dict[str, str], message: str
) -> None:
    # when a file is posted with a mapping or setting that cannot work
    with worker():
        response = post_file(admin, **fields)

    # then it is refused with the reason, and no job, record or kept file is left
    assert response.status_code == 422
    assert message in response.json()["error"]["message"]
    assert ImportJob.objects.count() == 0
    assert Deal.objects.count() == 0
    uploads = home / "imports" / "uploads"
    assert not uploads.exists() or list(uploads.iterdir()) == []


def test_an_interrupted_import_resumes_and_a_finished_one_is_a_409(admin: Client, worker: Any) -> None:
    # given an import that was interrupted before it ran
    body = post_file(admin, stages=json.dumps({"Negotiation Stalled": "Qualified"})).json()
    ImportJob.objects.filter(pk=body["id"]).update(status=ImportStatus.INTERRUPTED)

    # when it is resumed
    with worker():
        response = admin.post(f"{IMPORTS}/{body['id']}/resume")

    # then it is queued again and runs to the end
    assert response.status_code == 202
    assert admin.get(f"{IMPORTS}/{body['id']}").json()["status"] == "finished"
    assert Deal.objects.count() == 3

    # and resuming a finished import is refused
    again = admin.post(f"{IMPORTS}/{body['id']}/resume")
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "import_not_resumable"


def test_an_import_without_failed_rows_has_no_error_report(admin: Client, worker: Any) -> None:
    with worker():
        body = post_file(admin, stages=json.dumps({"Negotiation Stalled": "Qualified"})).json()
    response = admin.get(f"{IMPORTS}/{body['id']}/problems")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_an_unknown_import_is_a_404(admin: Client) -> None:
    response = admin.get(f"{IMPORTS}/999")
    assert response.status_code == 404
    assert response.json()["error"]["message"] == "There is no import 999."


@pytest.mark.parametrize("who", ["rep", "manager"])
def test_reps_and_managers_are_refused_every_import_endpoint(
    request: pytest.FixtureRequest, admin: Client, api_of: Any, worker: Any, home: Path, who: str
) -> None:
    # given an import by an administrator
    with worker():
        job_id = post_file(admin).json()["id"]
    client = api_of(request.getfixturevalue(who))

    # when someone else calls any import endpoint, then it is a 403 with the reason
    answers = [
        post_file(client),
        client.get(IMPORTS),
        client.get(f"{IMPORTS}/{job_id}"),
        client.get(f"{IMPORTS}/{job_id}/problems"),
        client.post(f"{IMPORTS}/{job_id}/resume"),
    ]
    assert [answer.status_code for answer in answers] == [403] * len(answers)
    assert {answer.json()["error"]["code"] for answer in answers} == {"forbidden"}
    assert ImportJob.objects.count() == 1
    assert len(list((home / "imports" / "uploads").iterdir())) == 1
