"""Reading imports: the jobs (an administrator's), and a file's preview before it is imported."""

from __future__ import annotations

import itertools
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from salespipe.core.errors import NotAllowed, NotFound
from salespipe.deals.models import Pipeline
from salespipe.imports.mapping import Mapping
from salespipe.imports.models import ImportJob
from salespipe.imports.reading import read_table
from salespipe.imports.targets import Targets
from salespipe.people.models import Role, User

# How many rows a preview reads for the stage, owner and pipeline values a file uses.
PREVIEW_ROWS = 100_000
SAMPLE_ROWS = 5


@dataclass(frozen=True)
class ValueMatch:
    """A value of the file's stage, owner or pipeline column, how many rows have it, and what it maps
    to here (a stage, a username, a pipeline) or "" when nothing."""

    value: str
    rows: int
    matched: str


@dataclass
class Preview:
    encoding: str
    delimiter: str
    header: list[str]
    mapping: Mapping
    sample: list[dict[str, str]] = field(default_factory=list)
    rows_read: int = 0
    read_whole_file: bool = True
    stages: list[ValueMatch] = field(default_factory=list)
    owners: list[ValueMatch] = field(default_factory=list)
    pipelines: list[ValueMatch] = field(default_factory=list)


def _require_admin(actor: User) -> None:
    if actor.role != Role.ADMIN:
        raise NotAllowed(_("Only an administrator can see imports."))


def import_preview(
    *, path: Path, mapping: Mapping, pipeline: Pipeline | None = None, scan_rows: int = PREVIEW_ROWS
) -> Preview:
    """The file's first rows, and the distinct stage, owner and pipeline values of its first `scan_rows`
    rows with what each maps to: what the import page asks about before importing."""
    table = read_table(path)
    preview = Preview(
        encoding=table.encoding, delimiter=table.delimiter, header=table.header, mapping=mapping
    )
    targets = Targets(mapping, pipeline=pipeline)
    columns = mapping.columns
    stage_column, owner_column = columns.get("deal.stage"), columns.get("deal.owner")
    pipeline_column = columns.get("deal.pipeline")
    stages: Counter[tuple[str, str]] = Counter()
    owners: Counter[str] = Counter()
    pipelines: Counter[str] = Counter()
    try:
        for row in itertools.islice(table.rows, scan_rows):
            preview.rows_read += 1
            if len(preview.sample) < SAMPLE_ROWS:
                preview.sample.append(row.cells)
            cells = row.cells
            pipeline_value = cells.get(pipeline_column, "") if pipeline_column else ""
            if pipeline_value:
                pipelines[pipeline_value] += 1
            if stage_column and (stage := cells.get(stage_column, "")):
                stages[(pipeline_value, stage)] += 1
            if owner_column and (owner := cells.get(owner_column, "")):
                owners[owner] += 1
        preview.read_whole_file = next(table.rows, None) is None
    except UnicodeDecodeError as error:
        from salespipe.imports.services import unreadable

        raise unreadable(path, table.encoding, error) from error
    finally:
        table.rows.close()
    names = {user_id: name for name, user_id in _usernames().items()}
    preview.owners = [
        ValueMatch(value, count, names.get(targets.user(value) or 0, ""))
        for value, count in owners.most_common()
    ]
    preview.pipelines = [
        ValueMatch(value, count, found.name if (found := targets.pipeline(value)) else "")
        for value, count in pipelines.most_common()
    ]
    by_stage: Counter[str] = Counter()
    matched: dict[str, str] = {}
    for (pipeline_value, value), count in stages.items():
        shape = targets.pipeline(pipeline_value) if pipeline_value else targets.default_pipeline
        ours = targets.stage(shape, value) if shape is not None else None
        by_stage[value] += count
        matched[value] = matched.get(value) or (ours.name if ours else "")
    preview.stages = [ValueMatch(value, count, matched[value]) for value, count in by_stage.most_common()]
    return preview


def _usernames() -> dict[str, int]:
    return dict(User.objects.filter(is_active=True).values_list("username", "pk"))


def import_list(*, actor: User) -> QuerySet[ImportJob]:
    _require_admin(actor)
    jobs = ImportJob.objects.select_related("created_by", "pipeline", "default_owner")
    return jobs.order_by("-created_at", "-pk")


def import_get(*, actor: User, import_id: int) -> ImportJob:
    _require_admin(actor)
    job = import_list(actor=actor).filter(pk=import_id).first()
    if job is None:
        raise NotFound(_("There is no import %(id)s.") % {"id": import_id})
    return job
