"""Writes of the living guarantee, by topic: merchants (`merchants`), group buys and their delivery plan
(`group_buys`), orders from placing to hand-over (`orders`), medicine bought on behalf (`medicine`), pairing of
helpers with vulnerable residents (`pairing`) and the contact log with its alert (`contacts`). Each write checks
the rule in livelihood.policies, validates with the field named, and leaves an audit event in the same transaction.

Import the services from here (`from shequ.livelihood import services`); prices and counts are parsed by
`livelihood.parsing`, reads are in `livelihood.selectors`."""

from shequ.livelihood.services.contacts import CONTACT_GAP_KIND, contact_gaps_alert, contact_log
from shequ.livelihood.services.group_buys import delivery_plan, group_buy_close, group_buy_create
from shequ.livelihood.services.medicine import medicine_request, medicine_reveal, medicine_update
from shequ.livelihood.services.merchants import merchant_create
from shequ.livelihood.services.orders import (
    order_cancel,
    order_confirm_receipt,
    order_mark_delivered,
    order_place,
)
from shequ.livelihood.services.pairing import (
    care_select,
    helper_set_capacity,
    pairing_apply_suggestions,
    pairing_create,
    pairing_end,
)

__all__ = [
    "CONTACT_GAP_KIND",
    "care_select",
    "contact_gaps_alert",
    "contact_log",
    "delivery_plan",
    "group_buy_close",
    "group_buy_create",
    "helper_set_capacity",
    "medicine_request",
    "medicine_reveal",
    "medicine_update",
    "merchant_create",
    "order_cancel",
    "order_confirm_receipt",
    "order_mark_delivered",
    "order_place",
    "pairing_apply_suggestions",
    "pairing_create",
    "pairing_end",
]
