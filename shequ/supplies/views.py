"""Supplies pages: stock by store and item with days of cover, a store's lots and movements, the ledger, requests
and allocation rounds, the catalogue. HTTP only: parse, find through a scoped selector (404 outside), call a
service, render."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext
from django.views.decorators.http import require_POST

from shequ.core.jurisdiction import covers, has_right, scope_q
from shequ.core.rights import Right
from shequ.places.models import Level, Place
from shequ.supplies import forms, selectors, services
from shequ.supplies.allocation import WEIGHT_LABELS
from shequ.supplies.models import Item, Movement


def _need(request: HttpRequest, right: Right) -> None:
    if not has_right(request.user, right):
        raise PermissionDenied


@login_required
def stock(request: HttpRequest) -> HttpResponse:
    """物资总览: every visible store, and per item the stock and days of cover for the population in scope."""
    _need(request, Right.SUPPLIES_VIEW)
    plan = request.GET.get("plan", "").strip()
    summary = selectors.stock_summary(actor=request.user, plan=plan)
    # Shortest cover first (items without a norm last); 50 rows a page, so 1,000 items stay quick to read.
    page = Paginator(selectors.rows_by_cover(summary["rows"]), 50).get_page(request.GET.get("page"))
    return render(
        request,
        "supplies/stock.html",
        {
            "summary": summary,
            "page": page,
            "plan": plan,
            "plans": selectors.plans_in_use(request.user),
            "reorder": selectors.reorder_alerts(actor=request.user),
            "expiring": selectors.expiry_warnings(actor=request.user)[:20],
        },
    )


def _store_forms(request, store, data=None):
    items = selectors.items_visible_to(request.user).filter(street_id=store.place.street_id, is_active=True)
    others = selectors.stores_visible_to(request.user).exclude(pk=store.pk)
    # Transfers may go to any store of the street (a community worker sends to the street store too).
    from shequ.supplies.models import Store

    targets = Store.objects.filter(place__street_id=store.place.street_id, is_active=True).exclude(
        pk=store.pk
    )
    del others
    action = request.POST.get("action") if data is not None else None
    choices = forms.OptionList([("", "---------"), *((i.pk, str(i)) for i in selectors.item_refs(items))])
    # One plain query for the labels (a model-choice iterator opens a server-side cursor: three round trips).
    target_choices = forms.OptionList(
        [("", "---------"), *targets.order_by("place__path", "name").values_list("pk", "name")]
    )
    kw = {"items": items, "item_choices": choices}
    return {
        "receipt_form": forms.ReceiptForm(data if action == "receipt" else None, prefix="r", **kw),
        "issue_form": forms.IssueForm(data if action == "issue" else None, prefix="i", **kw),
        "transfer_form": forms.TransferForm(
            data if action == "transfer" else None,
            stores=targets,
            store_choices=target_choices,
            prefix="t",
            **kw,
        ),
        "reorder_form": forms.ReorderForm(data if action == "reorder" else None, prefix="o", **kw),
        "count_form": forms.CountForm(data if action == "count" else None, prefix="c"),
    }


@login_required
def store_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A store: its stock per item with days of cover, lots with expiry, and the forms for every movement."""
    store = get_object_or_404(selectors.stores_visible_to(request.user), pk=pk)
    plan = request.GET.get("plan", "").strip()
    context = _store_forms(request, store, request.POST if request.method == "POST" else None)
    if request.method == "POST":
        action = request.POST.get("action")
        form = context.get(f"{action}_form")
        try:
            if action == "write_off":
                done = services.stock_write_off_expired(actor=request.user, store=store)
                messages.success(request, gettext("已报废过期批次 %(n)s 个") % {"n": len(done)})
                return redirect("supplies:store_detail", pk=store.pk)
            if form is None:
                raise PermissionDenied
            if form.is_valid():
                cd = form.cleaned_data
                if action == "receipt":
                    services.stock_receive(
                        actor=request.user,
                        store=store,
                        item=cd["item"],
                        quantity=cd["quantity"],
                        lot_number=cd["lot_number"],
                        expires_on=cd["expires_on"],
                        note=cd["note"],
                    )
                    messages.success(request, gettext("已入库"))
                elif action == "issue":
                    services.stock_issue(
                        actor=request.user,
                        store=store,
                        item=cd["item"],
                        quantity=cd["quantity"],
                        recipient=cd["recipient"],
                        note=cd["note"],
                    )
                    messages.success(request, gettext("已出库"))
                elif action == "transfer":
                    ref = services.stock_transfer(
                        actor=request.user,
                        from_store=store,
                        to_store=cd["to_store"],
                        item=cd["item"],
                        quantity=cd["quantity"],
                        note=cd["note"],
                    )
                    messages.success(request, gettext("已调拨,单据号 %(ref)s") % {"ref": ref})
                elif action == "reorder":
                    services.reorder_level_set(
                        actor=request.user, store=store, item=cd["item"], level=cd["level"]
                    )
                    messages.success(request, gettext("补货线已设置"))
                elif action == "count":
                    lot = get_object_or_404(
                        selectors.lots_visible_to(request.user).filter(store=store), pk=cd["lot"]
                    )
                    services.stock_count(actor=request.user, lot=lot, counted=cd["counted"], note=cd["note"])
                    messages.success(request, gettext("盘点已记录"))
                return redirect("supplies:store_detail", pk=store.pk)
        except ValidationError as exc:
            if form is not None:
                forms.apply_error(form, exc)
            else:
                messages.error(request, "; ".join(exc.messages))
    rows = selectors.stock_for_store(
        store=store,
        plan=plan,
        category=request.GET.get("category", ""),
        query=request.GET.get("q", "").strip(),
    )
    page = Paginator(rows, 50).get_page(request.GET.get("page"))
    lots = (
        store.lots.filter(quantity__gt=0, item_id__in=[r["item"].pk for r in page])
        .select_related("item")
        .order_by("item__code", "expires_on")
    )
    context.update(
        {
            "store": store,
            "rows": page,
            "page": page,
            "lots": lots,
            "plan": plan,
            "categories": Item.Category.choices,
            "can_manage": covers(request.user, Right.SUPPLIES_MANAGE, store.place),
            "recent": Movement.objects.filter(store=store).select_related("item", "actor")[:15],
        }
    )
    status = 400 if request.method == "POST" else 200
    return render(request, "supplies/store_detail.html", context, status=status)


@login_required
def ledger(request: HttpRequest) -> HttpResponse:
    """库存台账: every movement in the visible stores, newest first, filtered by store, item or kind."""
    _need(request, Right.SUPPLIES_VIEW)
    rows = selectors.movements_visible_to(request.user)
    stores = selectors.stores_visible_to(request.user)
    store_id = request.GET.get("store", "")
    if store_id.isdigit():
        rows = rows.filter(store_id=int(store_id))
    kind = request.GET.get("kind", "")
    if kind in Movement.Kind.values:
        rows = rows.filter(kind=kind)
    item_q = request.GET.get("q", "").strip()
    if item_q:
        rows = rows.filter(item__name__icontains=item_q)
    page = Paginator(rows, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "supplies/ledger.html",
        {
            "page": page,
            "stores": stores,
            "kinds": Movement.Kind.choices,
            "store_id": store_id,
            "kind": kind,
            "q": item_q,
        },
    )


def _request_places(user):
    return Place.objects.filter(
        scope_q(user, Right.SUPPLIES_VIEW, target="place"), level__in=[Level.COMMUNITY, Level.COMPOUND]
    ).order_by("path")


@login_required
def requests_page(request: HttpRequest) -> HttpResponse:
    """申领与分配: the requests in scope, a form to submit one, and (for the street) the allocation form."""
    _need(request, Right.SUPPLIES_VIEW)
    items = selectors.items_visible_to(request.user).filter(is_active=True)
    request_form = forms.RequestForm(
        request.POST if request.method == "POST" else None,
        items=items,
        places=_request_places(request.user),
        prefix="q",
    )
    if request.method == "POST" and request_form.is_valid():
        cd = request_form.cleaned_data
        try:
            services.request_submit(
                actor=request.user,
                place=cd["place"],
                item=cd["item"],
                quantity=cd["quantity"],
                team=cd["team"],
                reason=cd["reason"],
            )
            messages.success(request, gettext("申领已提交"))
            return redirect("supplies:requests")
        except ValidationError as exc:
            forms.apply_error(request_form, exc)
    can_allocate = has_right(request.user, Right.SUPPLIES_ALLOCATE)
    allocate_form = None
    if can_allocate:
        allocate_form = forms.AllocateForm(
            items=items, stores=selectors.stores_visible_to(request.user, Right.SUPPLIES_ALLOCATE), prefix="a"
        )
    rows = selectors.requests_visible_to(request.user)
    status = request.GET.get("status", "")
    if status:
        rows = rows.filter(status=status)
    page = Paginator(rows, 30).get_page(request.GET.get("page"))
    return render(
        request,
        "supplies/requests.html",
        {
            "page": page,
            "request_form": request_form,
            "allocate_form": allocate_form,
            "rounds": selectors.rounds_visible_to(request.user)[:10],
            "status": status,
        },
        status=400 if request.method == "POST" else 200,
    )


@login_required
def request_detail(request: HttpRequest, pk: int) -> HttpResponse:
    supply_request = get_object_or_404(selectors.requests_visible_to(request.user), pk=pk)
    allocations = supply_request.allocations.select_related("round", "received_into", "received_by")
    stores = selectors.stores_visible_to(request.user, Right.SUPPLIES_MANAGE).filter(
        place_id__in=[supply_request.place_id, supply_request.place.community_id]
    )
    receive_form = forms.ReceiveForm(request.POST if request.method == "POST" else None, stores=stores)
    if request.method == "POST":
        allocation = get_object_or_404(allocations, pk=request.POST.get("allocation", "0") or 0)
        if receive_form.is_valid():
            try:
                services.allocation_confirm_receipt(
                    actor=request.user,
                    allocation=allocation,
                    quantity=receive_form.cleaned_data["quantity"],
                    into_store=receive_form.cleaned_data["into_store"],
                )
                messages.success(request, gettext("已签收"))
                return redirect("supplies:request_detail", pk=supply_request.pk)
            except ValidationError as exc:
                forms.apply_error(receive_form, exc)
    return render(
        request,
        "supplies/request_detail.html",
        {"req": supply_request, "allocations": allocations, "receive_form": receive_form},
        status=400 if request.method == "POST" else 200,
    )


@login_required
@require_POST
def request_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    supply_request = get_object_or_404(selectors.requests_visible_to(request.user), pk=pk)
    try:
        services.request_cancel(actor=request.user, request=supply_request)
        messages.success(request, gettext("申领已撤回"))
    except ValidationError as exc:
        messages.error(request, "; ".join(exc.messages))
    return redirect("supplies:request_detail", pk=supply_request.pk)


@login_required
@require_POST
def allocate(request: HttpRequest) -> HttpResponse:
    """Draft an allocation round for an item from a store (the weights are the user's)."""
    _need(request, Right.SUPPLIES_ALLOCATE)
    items = selectors.items_visible_to(request.user)
    form = forms.AllocateForm(
        request.POST,
        items=items,
        stores=selectors.stores_visible_to(request.user, Right.SUPPLIES_ALLOCATE),
        prefix="a",
    )
    if form.is_valid():
        try:
            round_ = services.allocation_round_create(
                actor=request.user,
                store=form.cleaned_data["store"],
                item=form.cleaned_data["item"],
                weights=form.weights(),
            )
            return redirect("supplies:round_detail", pk=round_.pk)
        except ValidationError as exc:
            forms.apply_error(form, exc)
    for field, errors in form.errors.items():
        label = form.fields[field].label if field in form.fields else ""
        messages.error(request, f"{label}:{' '.join(errors)}" if label else " ".join(errors))
    return redirect("supplies:requests")


@login_required
def round_detail(request: HttpRequest, pk: int) -> HttpResponse:
    round_ = get_object_or_404(selectors.rounds_visible_to(request.user), pk=pk)
    if request.method == "POST":
        try:
            services.allocation_round_confirm(actor=request.user, round_=round_)
            messages.success(request, gettext("已确认,物资已出库"))
            return redirect("supplies:round_detail", pk=round_.pk)
        except ValidationError as exc:
            messages.error(request, "; ".join(exc.messages))
    allocations = round_.allocations.select_related("request", "request__place").order_by("-score")
    total = sum(a.quantity for a in allocations)
    return render(
        request,
        "supplies/round_detail.html",
        {
            "round": round_,
            "allocations": allocations,
            "total": total,
            "weights": [(WEIGHT_LABELS[k], v) for k, v in round_.weights.items() if k in WEIGHT_LABELS],
        },
    )


@login_required
def catalogue(request: HttpRequest) -> HttpResponse:
    """物资目录 and consumption norms (the street sets them; an emergency plan may set its own)."""
    _need(request, Right.SUPPLIES_VIEW)
    items = selectors.items_visible_to(request.user)
    can_edit = has_right(request.user, Right.SUPPLIES_ALLOCATE)
    item_form = forms.ItemForm(request.POST if request.POST.get("action") == "item" else None, prefix="n")
    norm_form = forms.NormForm(
        request.POST if request.POST.get("action") == "norm" else None, items=items, prefix="m"
    )
    if request.method == "POST":
        if not can_edit:
            raise PermissionDenied
        streets = list(
            Place.objects.filter(scope_q(request.user, Right.SUPPLIES_ALLOCATE), level=Level.STREET)
        )
        form = item_form if request.POST.get("action") == "item" else norm_form
        if form.is_valid():
            cd = form.cleaned_data
            try:
                if form is item_form:
                    if not streets:
                        raise PermissionDenied
                    services.item_create(actor=request.user, street=streets[0], **cd)
                else:
                    services.item_set_norm(
                        actor=request.user, item=cd["item"], norm=cd["norm"], plan=cd["plan"]
                    )
                messages.success(request, gettext("已保存"))
                return redirect("supplies:catalogue")
            except ValidationError as exc:
                forms.apply_error(form, exc)
    from shequ.supplies.models import ConsumptionNorm

    norms = ConsumptionNorm.objects.filter(item__in=items).select_related("item")
    return render(
        request,
        "supplies/catalogue.html",
        {
            "items": items,
            "norms": norms,
            "item_form": item_form,
            "norm_form": norm_form,
            "can_edit": can_edit,
        },
        status=400 if request.method == "POST" else 200,
    )
