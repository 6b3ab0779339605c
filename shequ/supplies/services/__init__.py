"""Writes to emergency supplies, by topic: the catalogue, stores and norms (`catalogue`), stock movements
(`stock`), requests and allocation (`requests`). Stock is only ever taken with a conditional UPDATE (quantity >= n)
with a CHECK constraint under it, every movement is a ledger row and an audit event in the same transaction, and
bad input is refused with the field named and nothing changed.

Import the services from here (`from shequ.supplies import services`); quantities are parsed by
`supplies.parsing`, stock is read through `supplies.selectors`."""

from shequ.supplies.services.catalogue import item_create, item_set_norm, reorder_level_set, store_create
from shequ.supplies.services.requests import (
    allocation_confirm_receipt,
    allocation_round_confirm,
    allocation_round_create,
    request_cancel,
    request_submit,
)
from shequ.supplies.services.stock import (
    stock_count,
    stock_issue,
    stock_receive,
    stock_transfer,
    stock_write_off_expired,
)

__all__ = [
    "allocation_confirm_receipt",
    "allocation_round_confirm",
    "allocation_round_create",
    "item_create",
    "item_set_norm",
    "reorder_level_set",
    "request_cancel",
    "request_submit",
    "stock_count",
    "stock_issue",
    "stock_receive",
    "stock_transfer",
    "stock_write_off_expired",
    "store_create",
]
