"""A file's rows in parsed batches; a file that stops being text past its start."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from salespipe.core.errors import InvalidInput
from salespipe.imports.batches import parsed_batches
from salespipe.imports.mapping import mapping_for
from salespipe.imports.models import ImportJob, ImportStatus
from salespipe.imports.services import import_prepare, import_run, mapping_build

HEADER = "Deal ID,Deal,Value,Close date,Owner\n"


def _file(tmp_path: Path, rows: int, tail: bytes = b"") -> Path:
    path = tmp_path / "deals.csv"
    body = "".join(f"D-{n},Deal {n},{n * 10},2026-12-{n % 28 + 1:02d},sophie\n" for n in range(1, rows + 1))
    path.write_bytes((HEADER + body).encode() + tail)
    return path


def test_batches_hold_the_rows_after_the_last_committed_one(tmp_path: Path) -> None:
    # given a file and its mapping
    path = _file(tmp_path, 250)
    mapping = mapping_for(HEADER.strip().split(","), preset="generic")

    # when its rows after row 11 are read in batches of 40
    batches = list(parsed_batches(path, mapping=mapping, after=11, size=40))

    # then the batches start at row 12 and end at the file's end, parsed
    assert [batch.last_row for batch in batches] == [51, 91, 131, 171, 211, 251]
    assert batches[0].rows[0].deal is not None
    assert (batches[0].rows[0].number, batches[0].rows[0].deal.title) == (12, "Deal 11")
    assert batches[-1].progress == 1.0


@pytest.mark.django_db
def test_a_file_unreadable_past_its_start_fails_the_import_with_the_reason_from_the_reader(
    tmp_path: Path, admin_user: Any, pipeline: Any
) -> None:
    # given a file whose bytes stop being UTF-8 after the parts read to detect the encoding and the dates
    from tests.factories import UserFactory

    UserFactory(username="sophie")
    path = _file(tmp_path, 8000, tail=b"D-x,Caf\xe9,1,2026-12-01,sophie\n")
    job = import_prepare(actor=admin_user, path=path, mapping=mapping_build(path=path, preset="generic"))

    # when it is imported
    with pytest.raises(InvalidInput, match="is not valid utf-8 text"):
        import_run(job_id=job.pk)

    # then the job failed, saying so
    failed = ImportJob.objects.get()
    assert failed.status == ImportStatus.FAILED
    assert "save it as UTF-8 and import it again" in failed.message


@pytest.mark.django_db
def test_a_file_unreadable_within_its_first_rows_is_refused_before_an_import_is_prepared(
    tmp_path: Path, pipeline: Any
) -> None:
    path = _file(tmp_path, 3000, tail=b"D-x,Caf\xe9,1,2026-12-01,sophie\n")
    with pytest.raises(InvalidInput, match="is not valid utf-8 text further on"):
        mapping_build(path=path, preset="generic")
    assert not ImportJob.objects.exists()
