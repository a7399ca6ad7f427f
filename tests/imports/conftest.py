"""Running imports in tests: files written by the tests in the shapes real exports have."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Protocol

import django
import pytest

from salespipe.imports.models import ImportJob
from salespipe.imports.services import import_prepare, import_run, mapping_build
from salespipe.people.models import User

IMMEDIATE = (
    "django.tasks.backends.immediate.ImmediateBackend"
    if django.VERSION >= (6, 0)
    else "django_tasks.backends.immediate.ImmediateBackend"
)


@pytest.fixture(autouse=True)
def home(settings: Any, tmp_path: Path) -> Path:
    """Uploads and error reports under a home of the test's own."""
    settings.SALESPIPE_HOME = tmp_path
    return tmp_path


@pytest.fixture
def worker(settings: Any, django_capture_on_commit_callbacks: Any) -> Any:
    """`with worker():` runs the tasks queued inside, as `salespipe worker` would once they commit."""
    settings.TASKS = {"default": {"BACKEND": IMMEDIATE}}

    def run() -> Any:
        return django_capture_on_commit_callbacks(execute=True)

    return run


class RunImport(Protocol):
    def __call__(
        self,
        text: str | bytes,
        *,
        preset: str = ...,
        actor: User | None = ...,
        name: str = ...,
        encoding: str = ...,
        mapping: str | None = ...,
        **options: Any,
    ) -> ImportJob: ...


@pytest.fixture
def write_file(tmp_path: Path) -> Any:
    def write(text: str | bytes, *, name: str = "export.csv", encoding: str = "utf-8") -> Path:
        path = tmp_path / name
        path.write_bytes(text if isinstance(text, bytes) else text.encode(encoding))
        return path

    return write


@pytest.fixture
def run_import(write_file: Any, tmp_path: Path, admin_user: User, pipeline: Any) -> RunImport:
    """Write the file, build its mapping from the preset (and a mapping file's text), and import it."""

    def run(
        text: str | bytes,
        *,
        preset: str = "generic",
        actor: User | None = None,
        name: str = "export.csv",
        encoding: str = "utf-8",
        mapping: str | None = None,
        **options: Any,
    ) -> ImportJob:
        path = write_file(text, name=name, encoding=encoding)
        mapping_file = None
        if mapping is not None:
            mapping_file = tmp_path / "mapping.toml"
            mapping_file.write_text(mapping, encoding="utf-8")
        built = mapping_build(
            path=path, preset=preset, mapping_file=mapping_file, day_first=options.pop("day_first", None)
        )
        progress = options.pop("progress", None)
        job = import_prepare(actor=actor or admin_user, path=path, mapping=built, **options)
        return import_run(job_id=job.pk, progress=progress)

    return run
