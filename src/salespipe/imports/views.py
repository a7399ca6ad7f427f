"""The import pages, for administrators (docs/web.md#import).

`/imports/` lists the imports and takes a new file. The upload is kept under SALESPIPE_HOME/imports and
confirmed on `/imports/new/<upload>/` before anything is written: how the file was read, what each column
is, its first rows, and which stage and user each of its stage and owner values means. *Check* runs a dry
run, *Import* the import, both in the worker (`salespipe worker`); `/imports/<id>/` follows it, polled by
htmx while it runs (a *Refresh* link without JavaScript).

No import job exists before the confirmation: a waiting job is always one queued for the worker, and an
upload never confirmed leaves no job behind.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseBase, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from salespipe.core.errors import InvalidInput, NotFound, RuleBroken, SalespipeError
from salespipe.core.tasks import enqueue_on_commit
from salespipe.core.web import actor_of, forbidden, is_fragment_request
from salespipe.deals.models import Pipeline
from salespipe.deals.selectors import pipeline_list
from salespipe.imports import selectors, services
from salespipe.imports.fields import FIELDS
from salespipe.imports.forms import ConfirmForm, UploadForm, dates_of, day_first_of
from salespipe.imports.mapping import Mapping, mapping_for
from salespipe.imports.models import ImportJob, ImportStatus
from salespipe.imports.reading import read_table
from salespipe.imports.tasks import import_job_run
from salespipe.people.models import User
from salespipe.people.selectors import user_list

LIST_PAGE = "imports/imports.html"
CONFIRM_PAGE = "imports/confirm.html"
JOB_PAGE = "imports/job.html"
LIST_LIMIT = 100
# The name `import_upload_keep` gives a kept upload; anything else is no upload of this page's.
UPLOAD_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,199}")
# The most stage or owner values a confirmation posts back.
MAX_VALUES = 500
ACTIVE = (ImportStatus.WAITING, ImportStatus.RUNNING)
RESUMABLE = (ImportStatus.INTERRUPTED, ImportStatus.FAILED)


def admins_only(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """Imports are for administrators; everyone else gets a 403 that says so."""

    @functools.wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not actor_of(request).is_admin:
            return forbidden(request, _("Only an administrator can import data; ask one to run the import."))
        return view(request, *args, **kwargs)

    return wrapped


# --- the list and the upload ----------------------------------------------------------------------------


@dataclass(frozen=True)
class JobLine:
    """An import in the list, with its counts added up over the entities."""

    job: ImportJob
    created: int
    updated: int
    failed: int


def job_line(job: ImportJob) -> JobLine:
    entities = (job.counts or {}).get("entities", {}).values()
    return JobLine(
        job=job,
        created=sum(tally.get("created", 0) for tally in entities),
        updated=sum(tally.get("updated", 0) for tally in entities),
        failed=job.failed_rows,
    )


def _upload_form(actor: User, data: Any = None, files: Any = None) -> UploadForm:
    pipelines = list(pipeline_list(actor=actor))
    default = next((pipeline.name for pipeline in pipelines if pipeline.is_default), "")
    owners = [(user.username, f"{user} ({user.username})") for user in user_list(actor=actor)]
    return UploadForm(
        data,
        files,
        pipelines=[(pipeline.name, pipeline.name) for pipeline in pipelines],
        owners=owners,
        initial={"pipeline": default},
    )


def _list_page(request: HttpRequest, form: UploadForm, *, status: int = 200) -> HttpResponse:
    jobs = selectors.import_list(actor=actor_of(request))[:LIST_LIMIT]
    context = {"lines": [job_line(job) for job in jobs], "form": form, "limit": LIST_LIMIT}
    return render(request, LIST_PAGE, context, status=status)


@require_http_methods(["GET", "POST"])
@admins_only
def imports_page(request: HttpRequest) -> HttpResponse:
    """GET: the imports, newest first, and the form for a new one. POST: keep the file and go on to
    confirm its mapping."""
    actor = actor_of(request)
    if request.method != "POST":
        return _list_page(request, _upload_form(actor))
    form = _upload_form(actor, request.POST, request.FILES)
    if not form.is_valid():
        return _list_page(request, form, status=422)
    upload = form.cleaned_data["file"]
    path = services.import_upload_keep(upload=upload, file_name=upload.name)
    settings = {
        "preset": form.cleaned_data["preset"],
        "pipeline": form.cleaned_data["pipeline"],
        "owner": form.cleaned_data["owner"],
        "dates": form.cleaned_data["dates"],
        "name": upload.name,
    }
    try:
        services.mapping_build(
            path=path, preset=settings["preset"], day_first=day_first_of(settings["dates"])
        )
    except InvalidInput as error:
        if "mapping" not in error.fields:
            # The file cannot be read (or is empty): nothing to confirm, and nothing kept.
            services.import_upload_discard(path)
            form.add_error("file", error.message)
            return _list_page(request, form, status=422)
        # A mapping that imports nothing yet is what the confirmation is for: it says so there.
    return redirect(confirm_url(path.name, settings))


def confirm_url(upload: str, settings: dict[str, str]) -> str:
    query = urlencode({key: value for key, value in settings.items() if value})
    return f"{reverse('imports:confirm', args=[upload])}?{query}"


# --- the confirmation -----------------------------------------------------------------------------------


def _upload_path(upload: str) -> Path:
    if not UPLOAD_NAME.fullmatch(upload):
        raise Http404(_("There is no upload %(name)s.") % {"name": upload})
    path = services.imports_folder() / "uploads" / upload
    if not path.is_file():
        raise Http404(_("There is no upload %(name)s any more; upload the file again.") % {"name": upload})
    return path


@dataclass
class Confirmation:
    """What the confirmation shows and posts: the settings of the upload, the mapping as built so far."""

    upload: str
    path: Path
    preset: str
    pipeline_name: str
    owner: str
    dates: str
    file_name: str
    mapping: Mapping
    pipelines: list[Pipeline]
    notice: str = ""

    @property
    def pipeline(self) -> Pipeline | None:
        wanted = self.pipeline_name.strip().casefold()
        found = next((p for p in self.pipelines if p.name.casefold() == wanted), None)
        return found or next((p for p in self.pipelines if p.is_default), None)

    @property
    def stage_names(self) -> list[str]:
        pipeline = self.pipeline
        return [stage.name for stage in pipeline.stages.all()] if pipeline is not None else []


def _header(path: Path) -> list[str]:
    table = read_table(path)
    table.rows.close()
    return list(table.header)


def _confirmation(actor: User, upload: str, source: QueryDict) -> Confirmation:
    """The upload's settings from the address (or the posted form) and the mapping its preset gives, or
    that of an earlier check of the same file (`?from=<import id>`)."""
    path = _upload_path(upload)
    found = Confirmation(
        upload=upload,
        path=path,
        preset=source.get("preset", "generic"),
        pipeline_name=source.get("pipeline", ""),
        owner=source.get("owner", ""),
        dates=source.get("dates", "detect"),
        file_name=source.get("name", "") or upload,
        mapping=Mapping(preset="generic", source="import", columns={}),
        pipelines=list(pipeline_list(actor=actor)),
    )
    earlier = _earlier_job(actor, source.get("from", ""), path)
    if earlier is not None:
        found.mapping = Mapping.from_dict(earlier.mapping)
        found.preset = found.mapping.preset
        found.pipeline_name = earlier.pipeline.name if earlier.pipeline else found.pipeline_name
        found.owner = earlier.default_owner.username if earlier.default_owner else ""
        found.file_name = earlier.file_name
        return found
    try:
        found.mapping = services.mapping_build(
            path=path, preset=found.preset, day_first=day_first_of(found.dates)
        )
    except InvalidInput as error:
        if "mapping" not in error.fields:
            raise
        found.mapping = mapping_for(_header(path), preset=found.preset)
        found.notice = error.message
    return found


def _earlier_job(actor: User, raw_id: str, path: Path) -> ImportJob | None:
    if not raw_id.isdigit():
        return None
    try:
        job = selectors.import_get(actor=actor, import_id=int(raw_id))
    except NotFound:
        return None
    return job if Path(job.file_path) == path.resolve() else None


def _posted_values(data: QueryDict, kind: str) -> list[str]:
    values: list[str] = []
    while len(values) < MAX_VALUES and f"{kind}_value_{len(values)}" in data:
        values.append(str(data.get(f"{kind}_value_{len(values)}", "")))
    return values


def _confirm_form(
    actor: User,
    confirmation: Confirmation,
    header: list[str],
    preview: selectors.Preview | None,
    data: QueryDict | None = None,
) -> ConfirmForm:
    """The confirmation form: bound to what was posted (its stage and owner values ride along in it), or
    filled in from the mapping and what the preview found."""
    initial: dict[str, Any] = {
        "preset": confirmation.preset,
        "pipeline": confirmation.pipeline_name,
        "owner": confirmation.owner,
        "dates": confirmation.dates,
    }
    if data is not None or preview is None:
        stage_values = _posted_values(data or QueryDict(), "stage")
        owner_values = _posted_values(data or QueryDict(), "owner")
    else:
        stage_values = [found.value for found in preview.stages]
        owner_values = [found.value for found in preview.owners]
        by_header = {name: key for key, name in confirmation.mapping.columns.items()}
        for number, name in enumerate(header):
            initial[f"column_{number}"] = by_header.get(name, "")
        for number, found in enumerate(preview.stages):
            initial[f"stage_{number}"] = found.matched
        for number, found in enumerate(preview.owners):
            initial[f"owner_{number}"] = found.matched
    return ConfirmForm(
        data,
        header=header,
        stage_values=stage_values,
        stage_names=confirmation.stage_names,
        owner_values=owner_values,
        usernames=[(user.username, f"{user} ({user.username})") for user in user_list(actor=actor)],
        initial=initial,
    )


def _confirm_page(
    request: HttpRequest,
    confirmation: Confirmation,
    *,
    data: QueryDict | None = None,
    error: str = "",
    status: int = 200,
) -> HttpResponse:
    preview = selectors.import_preview(
        path=confirmation.path, mapping=confirmation.mapping, pipeline=confirmation.pipeline
    )
    form = _confirm_form(actor_of(request), confirmation, preview.header, preview, data)
    if data is not None:
        form.is_valid()
        if error:
            form.add_error(None, error)
    counts = {
        "stage": {found.value: found for found in preview.stages},
        "owner": {found.value: found for found in preview.owners},
    }
    context = {
        "confirmation": confirmation,
        "preview": preview,
        "form": form,
        "fields": FIELDS,
        "stage_rows": [
            (value, choice, counts["stage"].get(value.value())) for value, choice in form.stage_fields()
        ],
        "owner_rows": [
            (value, choice, counts["owner"].get(value.value())) for value, choice in form.owner_fields()
        ],
        "sample": [[row.get(name, "") for name in preview.header] for row in preview.sample],
        "column_rows": [
            (field, preview.sample[0].get(name, "") if preview.sample else "")
            for field, name in zip(form.column_fields(), preview.header, strict=True)
        ],
        "delimiter": {",": _("comma"), ";": _("semicolon"), "\t": _("tab"), "|": _("vertical bar")}.get(
            preview.delimiter, preview.delimiter
        ),
    }
    return render(request, CONFIRM_PAGE, context, status=status)


@require_http_methods(["GET", "POST"])
@admins_only
def import_confirm(request: HttpRequest, upload: str) -> HttpResponse:
    """GET: how the file reads and what it would import. POST: *Update the preview*, *Check (dry run)* or
    *Import* with the mapping chosen."""
    actor = actor_of(request)
    source = request.POST if request.method == "POST" else request.GET
    try:
        confirmation = _confirmation(actor, upload, source)
    except InvalidInput as error:
        messages.error(request, error.message)
        return redirect("imports:imports")
    if request.method != "POST":
        return _confirm_page(request, confirmation)
    form = _confirm_form(actor, confirmation, _header(confirmation.path), None, request.POST)
    if not form.is_valid():
        return _confirm_page(request, confirmation, data=request.POST, status=422)
    action = request.POST.get("action", "")
    try:
        mapping = services.mapping_build(
            path=confirmation.path,
            preset=confirmation.preset,
            columns=form.columns(),
            stages=form.stages(),
            owners=form.owners(),
            day_first=day_first_of(form.cleaned_data["dates"]),
        )
        if action not in ("check", "import"):
            confirmation.mapping, confirmation.dates = mapping, form.cleaned_data["dates"]
            confirmation.notice = ""
            return _confirm_page(request, confirmation)
        job = services.import_prepare(
            actor=actor,
            path=confirmation.path,
            mapping=mapping,
            file_name=confirmation.file_name,
            pipeline=confirmation.pipeline_name or None,
            owner=confirmation.owner or None,
            dry_run=action == "check",
        )
    except SalespipeError as error:
        return _confirm_page(
            request, confirmation, data=request.POST, error=error.message, status=error.http_status
        )
    enqueue_on_commit(import_job_run, job.pk)
    if job.dry_run:
        messages.success(request, _("Checking %(file)s: nothing is written.") % {"file": job.file_name})
    else:
        messages.success(request, _("Importing %(file)s.") % {"file": job.file_name})
    return redirect("imports:import", job.pk)


# --- one import -----------------------------------------------------------------------------------------


def _job(request: HttpRequest, import_id: int) -> ImportJob:
    try:
        return selectors.import_get(actor=actor_of(request), import_id=import_id)
    except NotFound as error:
        raise Http404(error.message) from None


def _upload_of(job: ImportJob) -> str:
    """The upload name of a job's file when it is one this page kept, else ""."""
    path = Path(job.file_path)
    uploads = (services.imports_folder() / "uploads").resolve()
    return path.name if path.parent == uploads and path.is_file() else ""


@require_GET
@admins_only
def import_page(request: HttpRequest, import_id: int) -> HttpResponse:
    """Where an import stands and what it did; htmx polls the `progress` fragment while it runs."""
    job = _job(request, import_id)
    counts = job.counts or {}
    upload = _upload_of(job)
    context = {
        "job": job,
        "line": job_line(job),
        "entities": sorted(counts.get("entities", {}).items()),
        "unmatched": sorted(counts.get("unmatched", {}).items()),
        "active": job.status in ACTIVE,
        "resumable": job.status in RESUMABLE,
        "has_problems": job.failed_rows > 0,
        "upload": upload,
        "change_url": (
            confirm_url(upload, {**_job_settings(job), "from": str(job.pk)}) if upload and job.dry_run else ""
        ),
        "percent": round(job.progress * 100),
    }
    if is_fragment_request(request):
        response = render(request, f"{JOB_PAGE}#progress", context)
    else:
        response = render(request, JOB_PAGE, context)
    patch_vary_headers(response, ("HX-Request",))
    return response


def _job_settings(job: ImportJob) -> dict[str, str]:
    return {
        "preset": str(job.mapping.get("preset", "generic")),
        "pipeline": job.pipeline.name if job.pipeline else "",
        "owner": job.default_owner.username if job.default_owner else "",
        "dates": dates_of(job.mapping.get("day_first")),
        "name": job.file_name,
    }


@require_POST
@admins_only
def import_resume(request: HttpRequest, import_id: int) -> HttpResponse:
    """Run an interrupted or failed import again: it goes on after its last committed row."""
    job = _job(request, import_id)
    try:
        services.import_resume(actor=actor_of(request), import_id=job.pk)
    except RuleBroken as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Resuming the import of %(file)s.") % {"file": job.file_name})
    return redirect("imports:import", job.pk)


@require_POST
@admins_only
def import_checked(request: HttpRequest, import_id: int) -> HttpResponse:
    """Import for real what a finished dry run checked: the same file, the same mapping."""
    actor = actor_of(request)
    checked = _job(request, import_id)
    if not checked.dry_run or checked.status != ImportStatus.FINISHED:
        messages.error(request, _("Only a finished check can be imported as it is."))
        return redirect("imports:import", checked.pk)
    if not Path(checked.file_path).is_file():
        messages.error(request, _("The file of this check is gone; upload it again."))
        return redirect("imports:import", checked.pk)
    try:
        job = services.import_prepare(
            actor=actor,
            path=Path(checked.file_path),
            mapping=Mapping.from_dict(checked.mapping),
            file_name=checked.file_name,
            pipeline=checked.pipeline.name if checked.pipeline else None,
            owner=checked.default_owner.username if checked.default_owner else None,
        )
    except SalespipeError as error:
        messages.error(request, error.message)
        return redirect("imports:import", checked.pk)
    enqueue_on_commit(import_job_run, job.pk)
    messages.success(request, _("Importing %(file)s.") % {"file": job.file_name})
    return redirect("imports:import", job.pk)


def problems_download(job: ImportJob) -> FileResponse:
    """The import's error report, one line per problem (row, column, value, problem)."""
    path = services.problems_path(job)
    if not job.failed_rows or not path.is_file():
        raise NotFound(_("Import %(id)s has no error report: no row failed.") % {"id": job.pk})
    return FileResponse(
        path.open("rb"),
        as_attachment=True,
        filename=f"import-{job.pk}-problems.csv",
        content_type="text/csv; charset=utf-8",
    )


@require_GET
@admins_only
def import_problems(request: HttpRequest, import_id: int) -> HttpResponseBase:
    job = _job(request, import_id)
    try:
        return problems_download(job)
    except NotFound as error:
        raise Http404(error.message) from None
