"""Background jobs for imports (django-tasks): the import run, with progress written on the batch."""

from __future__ import annotations

from django_tasks import task

from shequ.imports.services import batch_run


@task()
def run_import_batch(batch_id: int) -> dict[str, int]:
    """Validate, store and link one batch. Safe to retry: a rerun starts the batch's rows over."""
    batch = batch_run(batch_id=batch_id)
    return {"total": batch.total, "accepted": batch.accepted, "rejected": batch.rejected}
