"""Who may do what in the living guarantee: the rules over the actor's grants and an object's place, each once.
`can_*` answers a page's question; `require_*` is the services' check (PermissionDenied; nothing for the system
actor, a TypeError for no actor at all)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext

from shequ.core.jurisdiction import Actor, covers, grants_with, has_right, is_system, require
from shequ.core.rights import Right
from shequ.livelihood import selectors
from shequ.livelihood.models import GroupBuy, MedicinePurchase, Order, Pairing
from shequ.places.models import Dwelling, Level, Place

# Grants at these levels make a deliverer of a place's orders without an assignment (a building leader, a grid
# worker, a volunteer of a compound); a community-wide deliverer needs an assignment or the manage right.
_NEAR_LEVELS = (Level.BUILDING, Level.UNIT, "grid", Level.COMPOUND)


def is_under(place_like, ancestor: Place) -> bool:
    """`place_like` (a Place or a Dwelling) lies under `ancestor` (by the level columns)."""
    return getattr(place_like, f"{ancestor.level}_id", None) == ancestor.pk


def _demand(actor: Actor, allowed, message: str) -> None:
    """PermissionDenied unless `allowed(actor)`; the system actor passes, no actor at all is a TypeError."""
    if is_system(actor):
        return
    if actor is None:
        raise TypeError("actor is None; pass the acting user or core.jurisdiction.SYSTEM")
    if not allowed(actor):
        raise PermissionDenied(message)


# Pages -------------------------------------------------------------------------------------------------------------


def can_manage(actor: Actor) -> bool:
    """Merchants, group buys and pairing are kept by someone holding the manage right somewhere."""
    return has_right(actor, Right.LIVELIHOOD_MANAGE)


def can_order(actor: Actor) -> bool:
    return has_right(actor, Right.LIVELIHOOD_ORDER)


def can_deliver(actor: Actor) -> bool:
    return has_right(actor, Right.LIVELIHOOD_DELIVER)


# Merchants, group buys, orders -----------------------------------------------------------------------------------


def can_manage_at(actor: Actor, place_like) -> bool:
    """Manage the living guarantee at a place or dwelling (a group buy's place, a pairing's home)."""
    return covers(actor, Right.LIVELIHOOD_MANAGE, place_like)


def require_manage_at(actor: Actor, place_like) -> None:
    require(actor, Right.LIVELIHOOD_MANAGE, place_like)


def can_manage_group_buy(actor: Actor, group_buy: GroupBuy) -> bool:
    return can_manage_at(actor, group_buy.place)


def require_manage_group_buy(actor: Actor, group_buy: GroupBuy) -> None:
    require_manage_at(actor, group_buy.place)


def require_order_for(actor: Actor, dwelling: Dwelling, *, message: str | None = None) -> None:
    """Order (or ask for medicine) for a household: its own resident, its building leader, a worker."""
    require(actor, Right.LIVELIHOOD_ORDER, dwelling, message=message)


def order_channel(actor: Actor, dwelling: Dwelling) -> str:
    """How an order came in: the resident's own phone, the building leader, or a worker (also the system)."""
    for g in grants_with(actor, Right.LIVELIHOOD_ORDER):
        if g.level == "dwelling" and g.target_id == dwelling.pk:
            return Order.Channel.PHONE
    for g in grants_with(actor, Right.LIVELIHOOD_ORDER):
        if (
            g.level in (Level.BUILDING, Level.UNIT)
            and getattr(dwelling, f"{g.level}_id", None) == g.target_id
        ):
            return Order.Channel.LEADER
    return Order.Channel.WORKER


def can_deliver_at(user, place: Place) -> bool:
    """A user a delivery plan may name for a group buy's place."""
    return covers(user, Right.LIVELIHOOD_DELIVER, place)


def can_deliver_order(actor: Actor, order: Order) -> bool:
    """Mark an order delivered: the volunteer assigned its building, a manager of its place, or a deliverer with
    a grant near the homes. (Who may *see* an order to deliver is selectors.deliverable_orders: wider, since a
    community-wide volunteer sees the orders but delivers only the buildings assigned to them.)"""
    if selectors.is_assigned_deliverer(actor, order):
        return True
    return covers(actor, Right.LIVELIHOOD_MANAGE, order.dwelling) or (
        covers(actor, Right.LIVELIHOOD_DELIVER, order.dwelling)
        and any(g.level in _NEAR_LEVELS for g in grants_with(actor, Right.LIVELIHOOD_DELIVER))
    )


def require_deliver_order(actor: Actor, order: Order) -> None:
    _demand(actor, lambda a: can_deliver_order(a, order), gettext("您不负责该楼栋的配送"))


def require_confirm_receipt(actor: Actor, order: Order) -> None:
    """签收: the household (or whoever orders for it), or the deliverer at the door."""
    _demand(
        actor,
        lambda a: covers(a, Right.LIVELIHOOD_ORDER, order.dwelling) or can_deliver_order(a, order),
        gettext("只能签收本户的订单"),
    )


# Medicine ------------------------------------------------------------------------------------------------------------


def can_reveal_medicine(actor: Actor, purchase: MedicinePurchase) -> bool:
    """The helper buying it, or a role with the reveal right over the home."""
    return bool(purchase.helper_id and purchase.helper_id == getattr(actor, "pk", None)) or covers(
        actor, Right.PII_REVEAL, purchase.dwelling
    )


def require_reveal_medicine(actor: Actor, purchase: MedicinePurchase) -> None:
    _demand(actor, lambda a: can_reveal_medicine(a, purchase), gettext("您没有查看药品明细的权限"))


def require_deliver_at(actor: Actor, place_like) -> None:
    """Buy medicine, log a contact: anyone delivering in the place."""
    require(actor, Right.LIVELIHOOD_DELIVER, place_like)


# Pairing -------------------------------------------------------------------------------------------------------------


def can_manage_pairing(actor: Actor, pairing: Pairing) -> bool:
    return can_manage_at(actor, pairing.dwelling)


def is_helper_of(actor: Actor, pairing: Pairing) -> bool:
    return getattr(actor, "person_id", None) == pairing.helper_id


def require_log_contact(actor: Actor, pairing: Pairing) -> None:
    """联系记录: the helper themself, or anyone delivering in the place."""
    if not is_helper_of(actor, pairing):
        require_deliver_at(actor, pairing.dwelling)
