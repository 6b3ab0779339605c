"""Writes of imports, by topic (sources, upload, run, rows, conflicts, extracts) and the calibrated ledger: sources, uploads, mappings, the import run, linking rows to people,
provenance, settling conflicts, and extracts for departments.

The linking interface (for shequ.linkage)
-----------------------------------------
After a batch is validated, its accepted rows (``ImportRow.status == "accepted"``, ``link_status == "pending"``)
go to linking. ``batch_link`` calls the linker registered in ``imports.linkers`` (linkage registers its model's
``link_import_batch(actor=..., batch=...)`` in LinkageConfig.ready(); imports never imports linkage), then runs its
own exact-ID linker for the rows left pending: exact match by the ID number's keyed hash → attach; no match → a new
person when the row has a valid ID number, else ``link_status = "review"``.

The linkage side decides who each row is and then calls, per row, one of:

* ``import_row_attach(actor=, row=, person=, method=, probability=None)`` — the row is this person. Sets
  ``row.person`` / ``row.link_status`` ("linked", or "new" when method == "new"), records each field the row
  states as a FieldObservation (provenance), brings the person's fields to the most trusted source's value
  (unless a worker settled that field), creates the residency for the row's dwelling with its role, the household
  membership when the row gives relation_to_head / household_key, confirms the household with the source's name
  and the batch's date, and adds the row's group tags.
* ``import_row_create_person(actor=, row=)`` — a new person from the row's clean values, then attach(method="new").
* ``import_row_skip(actor=, row=)`` — the row is not linked to anyone (link_status "skipped").
* ``import_row_mark_review(row=, probability=, reasons=None)`` — the row waits for review (candidates queued).

``batch_progress_set(batch=, progress=, phase=)`` moves the batch's progress bar while the linker works.

``batch_refresh_counts(batch=)`` recounts linked/new/review after the linkage side has worked through a batch.
Row values: ``row.clean`` (masked forms and keyed hashes: id_hash, phone_hash, name, sex, birth_date ISO, address
label, dwelling id, role, relation_to_head, household_key, tags); the plain ID number and phone come from
``core.pii.unseal(row.sealed)`` and must never be logged or shown."""

from shequ.imports.fields import EXTRACT_COLUMNS, person_value_key, value_key
from shequ.imports.policies import source_usable_at
from shequ.imports.services._common import ALLOWED_EXTENSIONS, CHUNK, FASTPATH_MIN_BYTES, MAX_UPLOAD_BYTES
from shequ.imports.services.conflicts import conflict_settle
from shequ.imports.services.extracts import extract_create
from shequ.imports.services.rows import (
    APPLIED_FIELDS,
    import_row_attach,
    import_row_create_person,
    import_row_skip,
    observation_value,
)
from shequ.imports.services.run import (
    batch_link,
    batch_progress_set,
    batch_refresh_counts,
    batch_run,
    batch_validate,
    import_row_mark_review,
)
from shequ.imports.services.sources import source_create, sources_ensure_defaults
from shequ.imports.services.upload import batch_set_mapping, batch_start, batch_upload, remembered_mapping

__all__ = [
    "ALLOWED_EXTENSIONS",
    "APPLIED_FIELDS",
    "CHUNK",
    "EXTRACT_COLUMNS",
    "FASTPATH_MIN_BYTES",
    "MAX_UPLOAD_BYTES",
    "batch_link",
    "batch_progress_set",
    "batch_refresh_counts",
    "batch_run",
    "batch_set_mapping",
    "batch_start",
    "batch_upload",
    "batch_validate",
    "conflict_settle",
    "extract_create",
    "import_row_attach",
    "import_row_create_person",
    "import_row_mark_review",
    "import_row_skip",
    "observation_value",
    "person_value_key",
    "remembered_mapping",
    "source_create",
    "source_usable_at",
    "sources_ensure_defaults",
    "value_key",
]
