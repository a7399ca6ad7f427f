"""The import pages: upload, confirm the mapping, check or import in the worker, follow the job."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from salespipe.deals.models import Deal, Pipeline
from salespipe.directory.models import Organization, Person
from salespipe.imports.models import ImportJob, ImportStatus
from salespipe.imports.services import import_prepare, mapping_build
from salespipe.imports.tasks import import_job_run
from salespipe.people.models import User
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}
# A Pipedrive deal export with a stage of a custom Pipedrive pipeline ("Negotiation Stalled") that no stage
# here is called, and a column the preset does not know ("Deal - Referral"), imported as nothing.
PIPEDRIVE = """\
Deal - ID,Deal - Title,Deal - Value,Deal - Currency,Deal - Organization,Deal - Contact person,Person - Email,Deal - Stage,Deal - Status,Deal - Owner,Deal - Expected close date,Deal - Referral
101,Acme CRM rollout,12000,EUR,Acme Ltd,Jane Roe,jane@acme.test,Proposal Made,open,Sophie Kruger,2026-12-15,referral
102,Globex pilot,4500,EUR,Globex,John Smith,john@globex.test,Negotiation Stalled,open,sophie.kruger,2026-10-30,partner
103,Initech licences,900,EUR,Acme Ltd,Jane Roe,jane@acme.test,Lead In,open,sophie.kruger,2026-11-30,
"""  # noqa: E501 - a line of the file as Pipedrive writes it
# Session, user, the imports (with who started them, their pipeline and default owner), the pipelines and
# their stages for the upload form, the users for the default owner.
LIST_QUERIES = 6
# Session, user, the import with who started it, its pipeline and default owner.
JOB_QUERIES = 3


@pytest.fixture
def sophie(db: None) -> User:
    return UserFactory(
        username="sophie.kruger", first_name="Sophie", last_name="Kruger", email="sophie.kruger@example.test"
    )


@pytest.fixture
def admin(browser_of: Any, admin_user: User, pipeline: Pipeline, sophie: User) -> Client:
    client: Client = browser_of(admin_user)
    return client


class _FormReader(HTMLParser):
    """What a browser would post from the confirmation form: its inputs and selected options."""

    def __init__(self) -> None:
        super().__init__()
        self.data: dict[str, str] = {}
        self._select: str | None = None
        self._first_option: str | None = None
        self._in_form = False
        self._done = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = {name: value or "" for name, value in attrs}
        if tag == "form" and found.get("action", "").startswith("/imports/new/") and not self._done:
            self._in_form = True
        if not self._in_form:
            return
        if tag == "input" and found.get("name") and found.get("type") != "submit":
            self.data[found["name"]] = found.get("value", "")
        elif tag == "select":
            self._select, self._first_option = found["name"], None
        elif tag == "option" and self._select:
            if self._first_option is None:
                self._first_option = found.get("value", "")
                self.data.setdefault(self._select, self._first_option)
            if "selected" in found:
                self.data[self._select] = found.get("value", "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self._select = None
        elif tag == "form" and self._in_form:
            self._in_form, self._done = False, True


def form_of(html: str) -> dict[str, str]:
    reader = _FormReader()
    reader.feed(html)
    return reader.data


def field_named(data: dict[str, str], kind: str, label: str) -> str:
    """The name of the `column_<n>`/`stage_<n>` field whose column or value is `label`."""
    if kind == "column":
        header = PIPEDRIVE.splitlines()[0].split(",")
        return f"column_{header.index(label)}"
    number = next(key for key, value in data.items() if key.startswith(f"{kind}_value_") and value == label)
    return f"{kind}_{number.rsplit('_', 1)[1]}"


def upload(client: Client, text: str = PIPEDRIVE, **choices: str) -> Any:
    data = {"preset": "pipedrive", "pipeline": "Sales", "owner": "", "dates": "detect", **choices}
    file = SimpleUploadedFile("pipedrive-deals.csv", text.encode(), content_type="text/csv")
    return client.post("/imports/", {**data, "file": file})


def confirm_page(client: Client, text: str = PIPEDRIVE) -> tuple[str, str]:
    """Upload the file; the confirmation's address and page."""
    response = upload(client, text)
    assert response.status_code == 302, response.content
    url = response["Location"]
    page = client.get(url)
    assert page.status_code == 200
    return url, page.text


# --- uploading and confirming ---------------------------------------------------------------------------


def test_an_uploaded_pipedrive_file_shows_how_it_was_read_its_columns_and_the_stage_that_matches_nothing(
    admin: Client,
) -> None:
    # when an administrator uploads a Pipedrive export
    url, html = confirm_page(admin)

    # then the confirmation says how the file reads, with the preset's columns chosen and a row of samples
    assert urlsplit(url).path.startswith("/imports/new/")
    assert "Read as utf-8" in html and "comma" in html
    data = form_of(html)
    assert data[field_named(data, "column", "Deal - Title")] == "deal.title"
    assert data[field_named(data, "column", "Deal - Stage")] == "deal.stage"
    assert data[field_named(data, "column", "Deal - Referral")] == ""
    assert "Acme CRM rollout" in html
    # the preset's own stage names match; the custom one matches nothing and says so
    assert data[field_named(data, "stage", "Proposal Made")] == "Proposal"
    assert data[field_named(data, "stage", "Negotiation Stalled")] == ""
    stalled = re.search(r"Negotiation Stalled</label></th>.*?</tr>", html, re.S)
    assert stalled and "no match" in stalled.group(0)
    # and nothing is imported, nor queued, yet
    assert ImportJob.objects.count() == 0
    assert Deal.objects.count() == 0


def test_importing_with_a_chosen_stage_and_a_changed_column_brings_in_exactly_the_file(
    admin: Client, worker: Any, sophie: User
) -> None:
    # given the confirmation of an uploaded file
    url, html = confirm_page(admin)
    data = form_of(html)

    # when the unmatched stage is mapped to Qualified, the extra column to the deal's source, and imported
    data[field_named(data, "stage", "Negotiation Stalled")] = "Qualified"
    data[field_named(data, "column", "Deal - Referral")] = "deal.source"
    with worker():
        response = admin.post(url, {**data, "action": "import"})

    # then the import ran and the records are those of the file, once each
    job = ImportJob.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/imports/{job.pk}/"
    assert (job.status, job.dry_run, job.failed_rows) == (ImportStatus.FINISHED, False, 0)
    assert job.mapping["columns"]["deal.source"] == "Deal - Referral"
    deals = {deal.title: deal for deal in Deal.objects.select_related("stage", "organization", "owner")}
    assert sorted(deals) == ["Acme CRM rollout", "Globex pilot", "Initech licences"]
    assert deals["Globex pilot"].stage.name == "Qualified"
    assert (deals["Globex pilot"].source, deals["Acme CRM rollout"].source) == ("partner", "referral")
    assert {deal.owner for deal in deals.values()} == {sophie}
    assert sorted(Organization.objects.values_list("name", flat=True)) == ["Acme Ltd", "Globex"]
    assert Person.objects.count() == 2

    # and its page shows what it did
    page = admin.get(response["Location"]).text
    assert "Finished" in page
    assert re.search(r"<th scope=\"row\">deal</th>\s*<td class=\"number\">3</td>", page)
    assert "every 1s" not in page


def test_a_check_writes_nothing_and_shows_what_the_import_would_do(admin: Client, worker: Any) -> None:
    # given the confirmation of an uploaded file, its custom stage left unmatched
    url, html = confirm_page(admin)

    # when it is checked
    with worker():
        response = admin.post(url, {**form_of(html), "action": "check"})

    # then nothing is in the database but the check's report
    job = ImportJob.objects.get()
    assert (job.dry_run, job.status) == (True, ImportStatus.FINISHED)
    assert Deal.objects.count() == Organization.objects.count() == Person.objects.count() == 0
    assert job.counts["entities"]["deal"]["created"] == 2
    assert job.failed_rows == 1
    assert job.counts["unmatched"] == {"stage": {"Negotiation Stalled": 1}}
    page = admin.get(response["Location"]).text
    assert "nothing was written" in page
    assert "Negotiation Stalled" in page
    assert "Import it as checked" in page and "Change the mapping" in page


def test_a_finished_check_can_be_imported_as_it_was_checked(admin: Client, worker: Any) -> None:
    # given a finished check
    url, html = confirm_page(admin)
    with worker():
        admin.post(url, {**form_of(html), "action": "check"})
    checked = ImportJob.objects.get()

    # when it is imported as checked
    with worker():
        response = admin.post(f"/imports/{checked.pk}/import/")

    # then the same file comes in with the same mapping
    job = ImportJob.objects.exclude(pk=checked.pk).get()
    assert response["Location"] == f"/imports/{job.pk}/"
    assert (job.dry_run, job.status, job.mapping) == (False, ImportStatus.FINISHED, checked.mapping)
    assert Deal.objects.count() == 2


def test_changing_the_mapping_of_a_check_starts_from_its_choices(admin: Client, worker: Any) -> None:
    # given a check with the extra column mapped
    url, html = confirm_page(admin)
    data = form_of(html)
    data[field_named(data, "column", "Deal - Referral")] = "deal.source"
    with worker():
        admin.post(url, {**data, "action": "check"})
    job = ImportJob.objects.get()

    # when its "Change the mapping" link is followed
    page = admin.get(f"/imports/{job.pk}/").text
    change = re.search(r'<a href="([^"]+)" role="button"[^>]*>Change the mapping', page)
    assert change
    again = admin.get(change.group(1).replace("&amp;", "&"))

    # then the confirmation shows the check's mapping
    assert again.status_code == 200
    assert form_of(again.text)[field_named(data, "column", "Deal - Referral")] == "deal.source"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"Deal - Title": ""}, "need one of deal.title"),
        ({"Deal - Referral": "deal.title"}, "deal.title is chosen for more than one column"),
    ],
)
def test_a_mapping_that_cannot_import_shows_the_form_again_with_why_and_creates_nothing(
    admin: Client, worker: Any, change: dict[str, str], message: str
) -> None:
    # given the confirmation of an uploaded file
    url, html = confirm_page(admin)
    data = form_of(html)

    # when a mapping that cannot import is submitted
    for column, key in change.items():
        data[field_named(data, "column", column)] = key
    with worker():
        response = admin.post(url, {**data, "action": "import"})

    # then the form comes back with the reason and the choices made, and nothing is queued or written
    assert response.status_code == 422
    assert message in response.text
    again = form_of(response.text)
    for column, key in change.items():
        assert again[field_named(again, "column", column)] == key
    assert ImportJob.objects.count() == 0
    assert Deal.objects.count() == 0


def test_a_file_that_cannot_be_read_is_refused_on_the_upload_form_and_not_kept(
    admin: Client, home: Path
) -> None:
    # when a file without a header row is uploaded
    response = upload(admin, "\n\n")

    # then the upload form says why and keeps nothing
    assert response.status_code == 422
    assert "it has no header row" in response.text
    assert list((home / "imports" / "uploads").iterdir()) == []
    assert ImportJob.objects.count() == 0


# --- following an import --------------------------------------------------------------------------------


def _prepared(
    admin_user: User, home: Path, text: str = PIPEDRIVE, *, run: bool = False, **options: Any
) -> ImportJob:
    """An import queued for the worker; with `run`, as the worker leaves it once it ran."""
    path = home / "pipedrive-deals.csv"
    path.write_text(text, encoding="utf-8")
    job = import_prepare(
        actor=admin_user, path=path, mapping=mapping_build(path=path, preset="pipedrive"), **options
    )
    if run:
        import_job_run.call(job.pk)
        job.refresh_from_db()
    return job


def test_a_queued_import_is_polled_until_it_ends_and_works_without_javascript(
    admin: Client, admin_user: User, home: Path, worker: Any
) -> None:
    # given a queued import
    job = _prepared(admin_user, home)

    # when its page is shown, and asked for by htmx
    page = admin.get(f"/imports/{job.pk}/").text
    fragment = admin.get(f"/imports/{job.pk}/", headers=HTMX)

    # then it polls its progress every second, with a link to refresh without JavaScript
    assert 'hx-trigger="every 1s"' in page and f'<a href="/imports/{job.pk}/">Refresh</a>' in page
    assert "<progress" in page
    assert fragment.text.lstrip().startswith('<section id="import-progress"')
    assert "<html" not in fragment.text and 'hx-trigger="every 1s"' in fragment.text

    # and once it is finished the fragment stops the polling
    import_job_run.call(job.pk)
    ended = admin.get(f"/imports/{job.pk}/", headers=HTMX).text
    assert "Finished" in ended and "hx-trigger" not in ended


def test_the_error_report_has_the_failing_row(
    admin: Client, admin_user: User, home: Path, worker: Any
) -> None:
    # given an import whose custom stage matched nothing
    job = _prepared(admin_user, home, run=True)
    assert job.failed_rows == 1

    # when its error report is downloaded from its page
    page = admin.get(f"/imports/{job.pk}/").text
    assert f'href="/imports/{job.pk}/problems.csv"' in page
    response = admin.get(f"/imports/{job.pk}/problems.csv")

    # then it names the row, the column, the value and the problem
    assert response.status_code == 200
    assert response["Content-Disposition"] == f'attachment; filename="import-{job.pk}-problems.csv"'
    lines = b"".join(response.streaming_content).decode("utf-8-sig").splitlines()
    assert lines[0] == "row,column,value,problem"
    assert len(lines) == 2
    assert lines[1].startswith('3,Deal - Stage,Negotiation Stalled,"no stage of this name')


def test_an_interrupted_import_can_be_resumed_and_a_finished_one_cannot(
    admin: Client, admin_user: User, home: Path, worker: Any
) -> None:
    # given an interrupted import
    job = _prepared(admin_user, home)
    ImportJob.objects.filter(pk=job.pk).update(status=ImportStatus.INTERRUPTED, message="Stopped.")
    page = admin.get(f"/imports/{job.pk}/").text
    assert "Resume" in page and "Stopped." in page

    # when it is resumed
    with worker():
        response = admin.post(f"/imports/{job.pk}/resume/", follow=True)

    # then it runs to the end, and resuming it again is refused with the reason
    job.refresh_from_db()
    assert job.status == ImportStatus.FINISHED
    assert "Resuming the import" in response.text
    assert Deal.objects.count() == 2
    again = admin.post(f"/imports/{job.pk}/resume/", follow=True)
    assert "is finished already" in again.text
    assert ">Resume</button>" not in again.text


def test_the_list_shows_each_import_with_its_counts(
    admin: Client, admin_user: User, home: Path, worker: Any
) -> None:
    # given a finished import and a queued one
    finished = _prepared(admin_user, home, run=True)
    _prepared(admin_user, home, dry_run=True)

    # when the list is shown
    html = admin.get("/imports/").text

    # then each has its file, who started it, its status and counts, and a link
    row = re.search(rf'<a href="/imports/{finished.pk}/">pipedrive-deals.csv</a>.*?</tr>', html, re.S)
    assert row
    assert "Finished" in row.group(0) and str(admin_user) in row.group(0)
    numbers = re.findall(r'<td class="number">(\d+)</td>', row.group(0))
    # rows read (the header is row 1); created: Acme, Jane and two deals (the failed row brings in none)
    assert numbers == ["4", "4", "0", "1"]
    assert "Waiting" in html and ">check</span>" in html
    assert 'name="file"' in html and '<option value="Sales" selected>' in html


# --- speed ----------------------------------------------------------------------------------------------


def test_the_list_runs_a_fixed_number_of_queries(
    admin: Client, admin_user: User, home: Path, django_assert_num_queries: Any
) -> None:
    # given several imports
    for _ in range(3):
        _prepared(admin_user, home)

    # then the list reads them at once
    with django_assert_num_queries(LIST_QUERIES):
        assert admin.get("/imports/").status_code == 200


def test_the_job_page_runs_a_fixed_number_of_queries(
    admin: Client, admin_user: User, home: Path, django_assert_num_queries: Any
) -> None:
    job = _prepared(admin_user, home, owner="sophie.kruger")
    with django_assert_num_queries(JOB_QUERIES):
        assert admin.get(f"/imports/{job.pk}/").status_code == 200
    with django_assert_num_queries(JOB_QUERIES):
        assert admin.get(f"/imports/{job.pk}/", headers=HTMX).status_code == 200


# --- who may --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["rep", "manager"])
def test_reps_and_managers_are_refused_every_import_page(
    request: pytest.FixtureRequest, browser_of: Any, admin_user: User, home: Path, who: str
) -> None:
    # given an import and someone who is not an administrator
    job = _prepared(admin_user, home)
    client = browser_of(request.getfixturevalue(who))
    (home / "imports" / "uploads").mkdir(parents=True, exist_ok=True)
    (home / "imports" / "uploads" / "upload.csv").write_text(PIPEDRIVE, encoding="utf-8")

    # when they open or post to any import page, then they are refused with the reason
    answers = [
        client.get("/imports/"),
        upload(client),
        client.get("/imports/new/upload.csv/?preset=pipedrive"),
        client.post("/imports/new/upload.csv/", {"preset": "pipedrive", "action": "import"}),
        client.get(f"/imports/{job.pk}/"),
        client.get(f"/imports/{job.pk}/problems.csv"),
        client.post(f"/imports/{job.pk}/resume/"),
        client.post(f"/imports/{job.pk}/import/"),
    ]
    assert [answer.status_code for answer in answers] == [403] * len(answers)
    assert "Only an administrator can import data" in answers[0].text
    assert ImportJob.objects.count() == 1
    assert Deal.objects.count() == 0


def test_the_navigation_links_the_import_page_for_administrators_only(
    browser_of: Any, admin_user: User, manager: User
) -> None:
    assert 'href="/imports/"' in browser_of(admin_user).get("/numbers/").text
    assert 'href="/imports/"' not in browser_of(manager).get("/numbers/").text
