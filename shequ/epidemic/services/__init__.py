"""Writes for epidemic operations, one module per topic. Every rule that varies by plan (fever threshold, quarantine
days, follow-up period and frequency, zone types) is read from the incident's frozen plan parameters, never from
constants. `from shequ.epidemic import services` keeps working: the public names are re-exported here."""

from shequ.epidemic.services.checkins import checkin_submit
from shequ.epidemic.services.contacts import contact_add, followup_dates, followup_record, followups_generate
from shequ.epidemic.services.incident_hooks import (
    incident_figures,
    on_incident_activated,
    on_incident_stood_down,
)
from shequ.epidemic.services.monitoring import (
    monitoring_entry_add,
    monitoring_refusal,
    monitoring_release,
    monitoring_release_due,
    monitoring_start,
    monitoring_transfer,
    planned_end,
)
from shequ.epidemic.services.screening import (
    REVISIT_STATUSES,
    campaign_close,
    campaign_populate,
    campaign_start,
    visit_record,
)
from shequ.epidemic.services.testing_rounds import (
    RESULT_WORDS,
    testing_import,
    testing_mark_missed,
    testing_round_create,
)
from shequ.epidemic.services.zones import zone_end, zone_set

__all__ = [
    "RESULT_WORDS",
    "REVISIT_STATUSES",
    "campaign_close",
    "campaign_populate",
    "campaign_start",
    "checkin_submit",
    "contact_add",
    "followup_dates",
    "followup_record",
    "followups_generate",
    "incident_figures",
    "monitoring_entry_add",
    "monitoring_refusal",
    "monitoring_release",
    "monitoring_release_due",
    "monitoring_start",
    "monitoring_transfer",
    "on_incident_activated",
    "on_incident_stood_down",
    "planned_end",
    "testing_import",
    "testing_mark_missed",
    "testing_round_create",
    "visit_record",
    "zone_end",
    "zone_set",
]
