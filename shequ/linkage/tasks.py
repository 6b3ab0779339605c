"""Background jobs of record linkage (django-tasks): re-linking an import batch and the ledger's duplicate scan,
each with progress written on its LinkRun (and, for a batch, on the batch)."""

from __future__ import annotations

from django_tasks import task


@task()
def run_link_batch(batch_id: int, actor_id: int | None = None) -> dict[str, int]:
    """Link a validated batch's pending rows (the imports pipeline calls the service directly inside its own job;
    this is for linking again after the ledger changed)."""
    from shequ.accounts.models import User
    from shequ.core.jurisdiction import SYSTEM
    from shequ.imports.models import ImportBatch
    from shequ.linkage.services import link_import_batch

    batch = ImportBatch.objects.select_related("place", "source").get(pk=batch_id)
    actor = (User.objects.filter(pk=actor_id).first() if actor_id else batch.created_by) or SYSTEM
    run = link_import_batch(actor=actor, batch=batch)
    return {"linked": run.linked, "new": run.created, "review": run.review}


@task()
def run_dedupe_scan(run_id: int) -> dict[str, int]:
    """The duplicate scan of one community's ledger queued by dedupe_scan_start."""
    from shequ.core.jurisdiction import SYSTEM
    from shequ.linkage.models import LinkRun
    from shequ.linkage.services import ledger_dedupe_scan

    run = LinkRun.objects.select_related("place", "started_by").get(pk=run_id)
    run = ledger_dedupe_scan(actor=run.started_by or SYSTEM, community=run.place, run=run)
    return {"people": run.records, "review": run.review}
