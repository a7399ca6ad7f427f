"""Background tasks of imports: the import page's imports run in the worker (`salespipe worker`)."""

from __future__ import annotations

from salespipe.core.tasks import task
from salespipe.imports import services


@task()
def import_job_run(job_id: int) -> dict[str, object]:
    """Run (or resume) an import; its job row holds the progress and, at the end, the counts."""
    job = services.import_run(job_id=job_id)
    return {"status": job.status, "rows": job.counts.get("rows", 0), "failed_rows": job.failed_rows}
