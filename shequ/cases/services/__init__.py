"""Writes for requests and complaints: intake from every channel, routing to the lowest level with a deadline
per level, the lifecycle, the whistle (吹哨报到), auto-escalation (set-based), the catalogue and the admission
list. Every write checks the actor (cases.policies), validates, writes the timeline and an audit event in one
transaction, and queues its notifications in that same transaction.

One module per topic; this package re-exports the public names, so `from shequ.cases import services` and
`services.case_submit(...)` keep working."""

from shequ.cases.services._common import (
    ALLOWED_ATTACHMENTS,
    MAX_ATTACHMENTS,
    attachment_max_bytes,
    validate_attachments,
)
from shequ.cases.services.admission import admission_item_create, admission_item_update, duty_record
from shequ.cases.services.catalogue import service_item_create, service_item_update
from shequ.cases.services.escalation import cases_escalate_overdue
from shequ.cases.services.intake import (
    ANON_LIMIT_PER_HOUR,
    ANON_LIMIT_PER_PHONE_PER_DAY,
    STAFF_CHANNELS,
    case_submit,
)
from shequ.cases.services.lifecycle import (
    case_accept,
    case_assign,
    case_attach,
    case_close,
    case_comment,
    case_escalate,
    case_merge,
    case_rate,
    case_reopen,
    case_resolve,
    case_start,
)
from shequ.cases.services.whistle import whistle_blow, whistle_close, whistle_report

__all__ = [
    "ALLOWED_ATTACHMENTS",
    "ANON_LIMIT_PER_HOUR",
    "ANON_LIMIT_PER_PHONE_PER_DAY",
    "MAX_ATTACHMENTS",
    "STAFF_CHANNELS",
    "admission_item_create",
    "admission_item_update",
    "attachment_max_bytes",
    "case_accept",
    "case_assign",
    "case_attach",
    "case_close",
    "case_comment",
    "case_escalate",
    "case_merge",
    "case_rate",
    "case_reopen",
    "case_resolve",
    "case_start",
    "case_submit",
    "cases_escalate_overdue",
    "duty_record",
    "service_item_create",
    "service_item_update",
    "validate_attachments",
    "whistle_blow",
    "whistle_close",
    "whistle_report",
]
