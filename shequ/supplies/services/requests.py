"""Requests and allocation: a community or compound asks (申领), the street shares a store's stock across the open
requests by need (分配), confirms it out of the store, and the requesting side signs for what arrived (签收)."""

from __future__ import annotations

from decimal import Decimal

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext

from shequ.core.audit import audit_record
from shequ.core.errors import DomainError
from shequ.core.jurisdiction import Actor
from shequ.places.models import Level, Place
from shequ.supplies import allocation as alloc
from shequ.supplies import policies, selectors
from shequ.supplies.models import Allocation, AllocationRound, Item, Movement, Store, SupplyRequest
from shequ.supplies.parsing import format_quantity, parse_quantity
from shequ.supplies.services._common import check_item_store, new_number, take, user_or_none
from shequ.supplies.services.stock import stock_receive


@transaction.atomic
def request_submit(
    *, actor: Actor, place: Place, item: Item, quantity, team: str = "", reason: str = ""
) -> SupplyRequest:
    """申领: a community, a compound or a team working there asks for an item."""
    if place.level not in (Level.COMMUNITY, Level.COMPOUND):
        raise DomainError(gettext("申领单位须为社区或小区"), field="place")
    policies.require_request_for(actor, place)
    if item.street_id != place.street_id:
        raise DomainError(gettext("该物资不在本街道目录中"), field="item")
    qty = parse_quantity(item, quantity)
    request = SupplyRequest(
        number=new_number("SL"),
        place=place,
        item=item,
        quantity=qty,
        team=(team or "").strip()[:60],
        reason=(reason or "").strip()[:200],
        requested_by=user_or_none(actor),
    )
    request.full_clean()
    request.save()
    audit_record(
        actor=actor,
        kind="create",
        action="request_submit",
        obj=request,
        street=place.street,
        after={
            "place": place.name,
            "item": item.code,
            "quantity": format_quantity(qty),
            "team": request.team,
        },
    )
    return request


@transaction.atomic
def request_cancel(*, actor: Actor, request: SupplyRequest) -> SupplyRequest:
    policies.require_request_for(actor, request.place)
    if request.status != SupplyRequest.Status.SUBMITTED:
        raise DomainError(gettext("已分配的申领不能撤回"), field="status")
    request.status = SupplyRequest.Status.CANCELLED
    request.save(update_fields=["status", "updated_at"])
    audit_record(
        actor=actor,
        kind="update",
        action="request_cancel",
        obj=request,
        street=request.place.street,
        after={"status": request.status},
    )
    return request


def _clean_weights(weights: dict | None) -> dict[str, float]:
    result = {}
    for key in alloc.DEFAULT_WEIGHTS:
        raw = (weights or {}).get(key, alloc.DEFAULT_WEIGHTS[key])
        try:
            value = float(raw)
        except (TypeError, ValueError):
            raise DomainError(
                gettext("%(label)s权重必须是数字") % {"label": alloc.WEIGHT_LABELS[key]}, field=f"w_{key}"
            ) from None
        if value < 0 or value > 100 or value != value:
            raise DomainError(
                gettext("%(label)s权重应在 0–100 之间") % {"label": alloc.WEIGHT_LABELS[key]},
                field=f"w_{key}",
            )
        result[key] = value
    if sum(result.values()) <= 0:
        raise DomainError(gettext("权重不能全为0"), field="w_population")
    return result


@transaction.atomic
def allocation_round_create(
    *, actor: Actor, store: Store, item: Item, weights: dict | None = None
) -> AllocationRound:
    """Draft a round: the store's issuable stock shared across the open requests under the store's place, by
    need. Nothing leaves the store until the round is confirmed."""
    policies.require_allocate_from(actor, store)
    check_item_store(store, item)
    clean = _clean_weights(weights)
    available = selectors.available_quantity(store, item)
    needs = selectors.request_needs(actor=actor, store=store, item=item)
    if not needs:
        raise DomainError(gettext("没有待分配的申领"), field="item", code="no_requests")
    shares = alloc.allocate(available, [n for _r, n in needs], weights=clean, countable=item.is_countable)
    round_ = AllocationRound(
        number=new_number("FP"),
        store=store,
        item=item,
        available=available,
        weights=clean,
        created_by=user_or_none(actor),
    )
    round_.full_clean()
    round_.save()
    by_key = {s.key: s for s in shares}
    for request, need in needs:
        share = by_key[need.key]
        Allocation.objects.create(
            round=round_,
            request=request,
            quantity=share.quantity,
            score=share.score,
            factors={
                **share.factors,
                "population": need.population,
                "vulnerable": need.vulnerable,
                "zone": need.zone,
                "held": format_quantity(need.held),
                "asked": format_quantity(need.asked),
                "share": share.factors,
            },
            explanation=share.explanation,
        )
    audit_record(
        actor=actor,
        kind="create",
        action="allocation_round_create",
        obj=round_,
        street=store.place.street,
        after={
            "item": item.code,
            "available": format_quantity(available),
            "weights": clean,
            "requests": len(needs),
        },
    )
    return round_


def _request_status_after(request: SupplyRequest, allocated_now: Decimal) -> str:
    """A request's status once `allocated_now` more is confirmed for it: everything asked, a part, or (nothing
    yet) unchanged, open for the next round."""
    given = (
        Allocation.objects.filter(request=request, round__status=AllocationRound.Status.CONFIRMED).aggregate(
            n=Sum("quantity")
        )["n"]
        or Decimal(0)
    ) + allocated_now
    if given >= request.quantity:
        return SupplyRequest.Status.ALLOCATED
    if given > 0:
        return SupplyRequest.Status.PARTIAL
    return request.status


@transaction.atomic
def allocation_round_confirm(*, actor: Actor, round_: AllocationRound) -> AllocationRound:
    """Confirm a draft: each share is issued from the store (refused as a whole if stock ran short since)."""
    policies.require_allocate_from(actor, round_.store)
    locked = AllocationRound.objects.select_for_update().get(pk=round_.pk)
    if locked.status != AllocationRound.Status.DRAFT:
        raise DomainError(gettext("该分配批次已确认"), field="status")
    for allocation in round_.allocations.select_related("request__place", "request__item"):
        request = allocation.request
        if allocation.quantity > 0:
            take(
                actor=actor,
                store=round_.store,
                item=round_.item,
                qty=allocation.quantity,
                kind=Movement.Kind.ISSUE,
                reference=round_.number,
                recipient=f"{request.place.name}{request.team} {request.number}",
                note="按需分配",
            )
        request.status = _request_status_after(request, allocation.quantity)
        request.save(update_fields=["status", "updated_at"])
    locked.status = AllocationRound.Status.CONFIRMED
    locked.save(update_fields=["status", "updated_at"])
    audit_record(
        actor=actor,
        kind="action",
        action="allocation_round_confirm",
        obj=locked,
        street=round_.store.place.street,
        after={"status": locked.status},
    )
    return locked


@transaction.atomic
def allocation_confirm_receipt(
    *, actor: Actor, allocation: Allocation, quantity=None, into_store: Store | None = None
) -> Allocation:
    """签收: the requesting side confirms what arrived; optionally it goes into their own store's stock."""
    request = allocation.request
    policies.require_request_for(actor, request.place)
    allocation = (
        Allocation.objects.select_for_update().select_related("round", "request").get(pk=allocation.pk)
    )
    if allocation.round.status != AllocationRound.Status.CONFIRMED:
        raise DomainError(gettext("该分配尚未出库"), field="status")
    if allocation.received_at:
        raise DomainError(gettext("已签收"), field="status", code="already_received")
    qty = allocation.quantity if quantity in (None, "") else parse_quantity(request.item, quantity)
    if qty > allocation.quantity:
        raise DomainError(
            gettext("签收数量不能超过分配数量 %(n)s") % {"n": format_quantity(allocation.quantity)},
            field="quantity",
            code="over_allocation",
        )
    if into_store is not None:
        if into_store.place_id not in (request.place_id, request.place.community_id):
            raise DomainError(gettext("只能签收入本单位的仓库"), field="into_store")
        stock_receive(
            actor=actor,
            store=into_store,
            item=request.item,
            quantity=qty,
            reference=allocation.round.number,
            note=f"签收 {request.number}",
        )
    allocation.received_quantity = qty
    allocation.received_at = timezone.now()
    allocation.received_by = user_or_none(actor)
    allocation.received_into = into_store
    allocation.save()
    open_ = request.allocations.filter(
        round__status=AllocationRound.Status.CONFIRMED, quantity__gt=0, received_at__isnull=True
    ).exists()
    if not open_ and request.status == SupplyRequest.Status.ALLOCATED:
        request.status = SupplyRequest.Status.RECEIVED
        request.save(update_fields=["status", "updated_at"])
    audit_record(
        actor=actor,
        kind="action",
        action="allocation_confirm_receipt",
        obj=request,
        street=request.place.street,
        after={
            "round": allocation.round.number,
            "received": format_quantity(qty),
            "into_store": into_store.code if into_store else "",
        },
    )
    return allocation
