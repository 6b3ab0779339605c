"""Writes of record linkage, by topic: linking an import batch to the ledger through the model (batch_link), the
ledger's duplicate scan (dedupe_scan), reviewers' decisions, kept and reused (review), and merging and splitting
people with a snapshot that makes each undoable (merge). Record keys, frames and kept decisions are reads and live
in linkage/frames.py.

Personal data: ID numbers and phones are decrypted only in memory to build the model's frames; nothing here logs
them, and the audit rows carry masked values and counts only."""

from shequ.core.errors import DomainError
from shequ.linkage.frames import pair_key, person_key, row_key
from shequ.linkage.services._common import AUTO_LINK_THRESHOLD, MAX_CANDIDATES_PER_ROW, REVIEW_THRESHOLD
from shequ.linkage.services.batch_link import link_import_batch
from shequ.linkage.services.dedupe_scan import dedupe_scan_start, ledger_dedupe_scan
from shequ.linkage.services.merge import (
    merge_undo,
    person_merge,
    person_split,
    relation_labels,
    split_relations,
)
from shequ.linkage.services.review import DECISIONS, review_decide

__all__ = [
    "AUTO_LINK_THRESHOLD",
    "DECISIONS",
    "MAX_CANDIDATES_PER_ROW",
    "REVIEW_THRESHOLD",
    "DomainError",
    "dedupe_scan_start",
    "ledger_dedupe_scan",
    "link_import_batch",
    "merge_undo",
    "pair_key",
    "person_key",
    "person_merge",
    "person_split",
    "relation_labels",
    "review_decide",
    "row_key",
    "split_relations",
]
