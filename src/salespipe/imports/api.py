"""REST endpoints for imports, for administrators (docs/api.md#imports, docs/import.md).

`POST /imports` takes the file and the same choices as the import page, refuses a file or mapping that
cannot import anything (422, nothing kept), and queues the import for the worker: 202 with the job to poll.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from django.http import HttpRequest, HttpResponseBase
from django.urls import reverse
from django.utils.translation import gettext as _
from ninja import Field, File, Form, Query, Router, Schema, UploadedFile
from ninja.responses import Status

from salespipe.core.api_support import Page, PageParams, errors, page, request_user
from salespipe.core.errors import InvalidInput, NotAllowed
from salespipe.core.tasks import enqueue_on_commit
from salespipe.imports import selectors, services
from salespipe.imports.models import ImportJob, ImportStatus
from salespipe.imports.presets import PRESET_NAMES
from salespipe.imports.tasks import import_job_run
from salespipe.imports.views import problems_download
from salespipe.people.api import UserRef
from salespipe.people.models import User

router = Router(tags=["imports"])

# --- schemas --------------------------------------------------------------------------------------------


class ImportLinks(Schema):
    self: str = Field(description="This import in the API: poll it until `status` is no longer running.")
    page: str = Field(description="The import's web page.")
    problems: str = Field(description="The error report (CSV), once a row failed.")


class ImportOut(Schema):
    id: int
    file_name: str
    status: ImportStatus = Field(description="waiting (queued), running, finished, interrupted or failed.")
    dry_run: bool = Field(description="A check: the counts are what the import would do; nothing is written.")
    progress: float = Field(description="0 to 1, by the part of the file read.")
    rows_read: int
    committed_row: int = Field(
        description="The last file row whose batch is committed; a resume goes on after it."
    )
    failed_rows: int
    counts: dict[str, Any] = Field(
        description="`entities` (per entity: created, updated, unchanged, failed), `rows`, `failed_rows`, "
        "`unmatched` (per kind: value → rows)."
    )
    message: str = Field(description="Why it stopped, for an interrupted or failed import.")
    mapping: dict[str, Any] = Field(
        description="preset, source, columns (field → header), unmapped, stages, owners, pipelines, "
        "day_first, currency."
    )
    pipeline: str | None = Field(description="The pipeline of deals whose row names none.")
    default_owner: str | None = Field(description="The username owning rows that name no owner.")
    created_by: UserRef | None
    created_at: dt.datetime
    started_at: dt.datetime | None
    finished_at: dt.datetime | None
    links: ImportLinks

    @staticmethod
    def resolve_pipeline(job: ImportJob) -> str | None:
        return job.pipeline.name if job.pipeline else None

    @staticmethod
    def resolve_default_owner(job: ImportJob) -> str | None:
        return job.default_owner.username if job.default_owner else None

    @staticmethod
    def resolve_links(job: ImportJob) -> dict[str, str]:
        return {
            "self": reverse("api-v1:import_get", args=[job.pk]),
            "page": reverse("imports:import", args=[job.pk]),
            "problems": reverse("api-v1:import_problems", args=[job.pk]),
        }


class ImportIn(Schema):
    preset: str = Field(description=f"The system the file comes from: {', '.join(PRESET_NAMES)}.")
    pipeline: str | None = Field(None, description="Pipeline name for deals whose row names none.")
    owner: str | None = Field(None, description="Username owning the rows that name no owner.")
    dry_run: bool = Field(False, description="Check only: count what the import would do, write nothing.")
    day_first: bool | None = Field(
        None, description="Dates are 27/11/2026 (true) or 11/27/2026 (false); left out: found from the file."
    )
    mapping: str | None = Field(
        None, description='A JSON object field → header replacing the columns, e.g. {"deal.title": "Name"}.'
    )
    stages: str | None = Field(
        None, description='A JSON object file value → stage name, e.g. {"Closed Won": "Won"}.'
    )
    owners: str | None = Field(
        None, description='A JSON object file value → username, e.g. {"Sophie K.": "sophie.kruger"}.'
    )


def _names(raw: str | None, name: str) -> dict[str, str] | None:
    if raw is None or not raw.strip():
        return None
    try:
        parsed = json.loads(raw)
    except json.JSONDecodeError as error:
        raise InvalidInput(
            _("%(name)s is not valid JSON: %(error)s.") % {"name": name, "error": error},
            fields={name: _("invalid")},
        ) from error
    if not isinstance(parsed, dict) or not all(
        isinstance(key, str) and isinstance(value, str) for key, value in parsed.items()
    ):
        raise InvalidInput(
            _('%(name)s must be a JSON object of names, e.g. {"Closed Won": "Won"}.') % {"name": name},
            fields={name: _("invalid")},
        )
    return parsed


def _admin(request: HttpRequest) -> User:
    actor = request_user(request)
    if not actor.is_admin:
        raise NotAllowed(_("Only an administrator can import data; ask one to run the import."))
    return actor


# --- endpoints ------------------------------------------------------------------------------------------


@router.post("/imports", response={202: ImportOut, **errors(403)}, summary="Import a file (admin)")
def import_create(
    request: HttpRequest, file: File[UploadedFile], payload: Form[ImportIn]
) -> Status[ImportJob]:
    """Upload a CSV or XLSX export (multipart) and queue its import, or its check with `dry_run`. The
    mapping comes from `preset`, adjusted by `mapping`, `stages` and `owners`; one that cannot import
    anything (no title column for deals, an unknown field or column) is a 422 and nothing is kept."""
    actor = _admin(request)
    columns = _names(payload.mapping, "mapping")
    stages = _names(payload.stages, "stages")
    owners = _names(payload.owners, "owners")
    path = services.import_upload_keep(upload=file, file_name=file.name or "upload")
    try:
        mapping = services.mapping_build(
            path=path,
            preset=payload.preset,
            columns=columns,
            stages=stages,
            owners=owners,
            day_first=payload.day_first,
        )
        job = services.import_prepare(
            actor=actor,
            path=path,
            mapping=mapping,
            file_name=file.name,
            pipeline=payload.pipeline,
            owner=payload.owner,
            dry_run=payload.dry_run,
        )
    except Exception:
        services.import_upload_discard(path)
        raise
    enqueue_on_commit(import_job_run, job.pk)
    return Status(202, job)


@router.get("/imports", response={200: Page[ImportOut], **errors(403)}, summary="List imports (admin)")
def import_list(request: HttpRequest, paging: Query[PageParams]) -> dict[str, Any]:
    """Imports and checks, newest first."""
    jobs = selectors.import_list(actor=request_user(request))
    return page(jobs, cursor=paging.cursor, limit=paging.limit)


@router.get("/imports/{import_id}", response={200: ImportOut, **errors(403, 404)}, summary="Get an import")
def import_get(request: HttpRequest, import_id: int) -> ImportJob:
    return selectors.import_get(actor=request_user(request), import_id=import_id)


@router.get(
    "/imports/{import_id}/problems",
    response=errors(403, 404),
    summary="Download an import's error report",
    openapi_extra={
        "responses": {
            200: {
                "description": "CSV with the columns row, column, value, problem.",
                "content": {"text/csv": {"schema": {"type": "string"}}},
            }
        }
    },
)
def import_problems(request: HttpRequest, import_id: int) -> HttpResponseBase:
    """One line per problem of the failed rows; 404 before any row failed."""
    job = selectors.import_get(actor=request_user(request), import_id=import_id)
    return problems_download(job)


@router.post(
    "/imports/{import_id}/resume",
    response={202: ImportOut, **errors(403, 404, 409)},
    summary="Resume an interrupted or failed import",
)
def import_resume(request: HttpRequest, import_id: int) -> Status[ImportJob]:
    """Queue it again: it goes on after its last committed row. A queued, running or finished import is
    a 409."""
    return Status(202, services.import_resume(actor=request_user(request), import_id=import_id))
