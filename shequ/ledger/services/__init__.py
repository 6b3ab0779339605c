"""Writes to the household ledger. Every write checks the actor's jurisdiction, validates, and leaves an audit
event with before/after (personal data masked) in the same transaction.

One module per topic; this package re-exports the public names, so `from shequ.ledger import services` and
`from shequ.ledger.services import person_create` keep working."""

from shequ.ledger.names import name_pinyin, name_syllables
from shequ.ledger.selectors import find_by_id_number
from shequ.ledger.services._common import PERSON_FIELDS
from shequ.ledger.services.households import (
    household_add_member,
    household_confirm,
    household_create,
    household_remove_member,
)
from shequ.ledger.services.merging import (
    person_discard_split,
    person_fill_columns,
    person_mark_merged,
    person_state_restore,
)
from shequ.ledger.services.people import REVEALABLE, person_create, person_reveal, person_update
from shequ.ledger.services.registers import (
    duty_assign,
    duty_end,
    need_create,
    need_set_status,
    tag_add,
    tag_end,
)
from shequ.ledger.services.residency import person_move, person_refresh_home, residency_create, residency_end

__all__ = [
    "PERSON_FIELDS",
    "REVEALABLE",
    "duty_assign",
    "duty_end",
    "find_by_id_number",
    "household_add_member",
    "household_confirm",
    "household_create",
    "household_remove_member",
    "name_pinyin",
    "name_syllables",
    "need_create",
    "need_set_status",
    "person_create",
    "person_discard_split",
    "person_fill_columns",
    "person_mark_merged",
    "person_move",
    "person_refresh_home",
    "person_reveal",
    "person_state_restore",
    "person_update",
    "residency_create",
    "residency_end",
    "tag_add",
    "tag_end",
]
