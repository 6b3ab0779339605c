"""Shared by the imports services: upload limits, chunk size and the batch progress write."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from shequ.core.jurisdiction import Actor

logger = logging.getLogger("shequ.imports.services")


CHUNK = 1000
FASTPATH_MIN_BYTES = 2 * 1024 * 1024  # below this the ORM path is as quick and simpler
ALLOWED_EXTENSIONS = (".xlsx", ".xls", ".csv", ".txt")
MAX_UPLOAD_BYTES = 200 * 1024 * 1024


def user_or_none(actor: Actor):
    """The user to record as author (created_by, decided_by …): None for the system."""
    return actor if getattr(actor, "is_authenticated", False) else None
