"""`salespipe import`: what it shows, what it writes, its exit codes, and resuming (docs/import.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from salespipe.cli import main
from salespipe.deals.models import Deal
from salespipe.imports import commands, presets, services
from salespipe.imports.models import ImportJob, ImportStatus
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PIPEDRIVE = (
    "Deal - ID,Deal - Title,Deal - Value,Deal - Stage,Deal - Status,Deal - Owner,Deal - Organization\n"
    "1,Alpha,1000,Proposal Made,open,ann,Alpha Org\n"
    "2,Beta,2000,Lead In,open,,Beta Org\n"
)


@pytest.fixture
def ann(db: None) -> Any:
    return UserFactory(username="ann", first_name="Ann", last_name="Lee")


def _import(*args: str) -> Any:
    return CliRunner().invoke(main, ["import", *args])


def test_a_preset_import_shows_how_it_reads_the_file_then_what_it_did(
    tmp_path: Path, pipeline: Any, ann: Any
) -> None:
    # given a Pipedrive export whose second deal names no owner
    export = tmp_path / "deals.csv"
    export.write_text(PIPEDRIVE, encoding="utf-8")

    # when it is imported with a default owner for such rows
    result = _import(str(export), "--preset", "pipedrive", "--owner", "ann")

    # then it said how it read the file, imported both, and says so
    assert result.exit_code == 0, result.output
    assert "Reading the file as encoding utf-8, delimiter ','; preset pipedrive." in result.stderr
    assert "  'Deal - Stage' → deal.stage" in result.stderr
    assert "2 rows read." in result.stdout
    assert "  deal: 2 were created, 0 updated, 0 unchanged, 0 failed" in result.stdout
    assert sorted(Deal.objects.values_list("title", "owner__username", "stage__name")) == [
        ("Alpha", "ann", "Proposal"),
        ("Beta", "ann", "Lead"),
    ]


def test_rows_that_cannot_be_imported_end_with_exit_code_1_the_report_and_what_to_map(
    tmp_path: Path, pipeline: Any, ann: Any
) -> None:
    export = tmp_path / "deals.csv"
    export.write_text(PIPEDRIVE.replace(",open,,", ",open,bob,"), encoding="utf-8")

    result = _import(str(export), "--preset", "pipedrive")

    assert result.exit_code == commands.EXIT_ROWS_FAILED
    job = ImportJob.objects.get()
    assert f"Not imported: 1 row; why, row by row: {services.problems_path(job)}" in result.stdout
    assert "  no owner here for: 'bob' (1 row)" in result.stdout
    assert list(Deal.objects.values_list("title", flat=True)) == ["Alpha"]


def test_a_dry_run_writes_nothing(tmp_path: Path, pipeline: Any, ann: Any) -> None:
    export = tmp_path / "deals.csv"
    export.write_text(PIPEDRIVE, encoding="utf-8")

    result = _import(str(export), "--preset", "pipedrive", "--owner", "ann", "--dry-run")

    assert result.exit_code == 0, result.output
    assert "Dry run: 2 rows read." in result.stdout
    assert "  deal: 2 would be created, 0 updated, 0 unchanged, 0 failed" in result.stdout
    assert not Deal.objects.exists()


def test_the_generic_presets_guesses_need_confirming_when_no_one_can_be_asked(
    tmp_path: Path, pipeline: Any, ann: Any
) -> None:
    export = tmp_path / "deals.csv"
    export.write_text("Deal,Amount,Owner\nAlpha,100,ann\n", encoding="utf-8")

    refused = _import(str(export))
    assert refused.exit_code == 2
    assert "confirm with --yes, or give a --mapping file" in refused.output
    assert "  'Amount' → deal.value" in refused.stderr
    assert not ImportJob.objects.exists()

    confirmed = _import(str(export), "--yes")
    assert confirmed.exit_code == 0, confirmed.output
    assert Deal.objects.get().value == 100


def test_a_file_that_maps_to_nothing_is_refused_with_exit_code_2(tmp_path: Path, pipeline: Any) -> None:
    export = tmp_path / "notes.csv"
    export.write_text("Colour,Shape\nred,round\n", encoding="utf-8")

    result = _import(str(export), "--yes")

    assert result.exit_code == 2
    assert "No column of the file maps to a field" in result.stderr
    assert not ImportJob.objects.exists()


def test_an_interrupted_import_is_resumed_by_its_id(
    tmp_path: Path, pipeline: Any, ann: Any, admin_user: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given an import interrupted after its first batch of one row
    export = tmp_path / "deals.csv"
    export.write_text(PIPEDRIVE, encoding="utf-8")
    monkeypatch.setattr(services, "BATCH_ROWS", 1)
    mapping = services.mapping_build(path=export, preset="pipedrive")
    job = services.import_prepare(actor=admin_user, path=export, mapping=mapping, owner="ann")

    def interrupt(_job: ImportJob, _fraction: float) -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        services.import_run(job_id=job.pk, progress=interrupt)
    assert Deal.objects.count() == 1

    # when the command resumes it
    result = _import("--resume", str(job.pk))

    # then the rest is imported
    assert result.exit_code == 0, result.output
    assert ImportJob.objects.get().status == ImportStatus.FINISHED
    assert sorted(Deal.objects.values_list("title", flat=True)) == ["Alpha", "Beta"]


def test_fields_lists_what_a_column_can_be() -> None:
    result = CliRunner().invoke(main, ["import", "--fields"])
    assert result.exit_code == 0
    assert "deal.lost_reason" in result.output
    assert "person.email" in result.output


def test_the_command_line_names_the_same_presets_as_the_importer() -> None:
    assert commands.PRESET_NAMES == presets.PRESET_NAMES
