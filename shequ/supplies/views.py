"""Supplies pages: stock by store and item with days of cover, a store's lots and movements, the ledger, requests
and allocation rounds, the catalogue. HTTP only: parse, find through a scoped selector (404 outside), call a
service, render."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext
from django.views.decorators.http import require_POST, require_safe

from shequ.core.forms import apply_domain_error
from shequ.core.http import AuthedRequest
from shequ.core.rights import Right
from shequ.supplies import forms, policies, selectors, services
from shequ.supplies.allocation import WEIGHT_LABELS
from shequ.supplies.models import Item, Movement, Store


def _need(allowed: bool) -> None:
    if not allowed:
        raise PermissionDenied


@login_required
def stock(request: AuthedRequest) -> HttpResponse:
    """物资总览: every visible store, and per item the stock and days of cover for the population in scope."""
    _need(policies.can_view_supplies(request.user))
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


# The store page and its six actions --------------------------------------------------------------------------------
# The page shows a form for every movement; each form posts to its own view, which answers with a redirect back
# to the page, or with the page itself (400) showing that form's errors.


def _store_forms(request: AuthedRequest, store: Store, *, action: str | None = None) -> dict:
    """The store page's forms; the one of `action` bound to the POST."""
    items = selectors.items_visible_to(request.user).filter(street_id=store.place.street_id, is_active=True)
    targets = selectors.transfer_targets(store)
    choices = forms.OptionList([("", "---------"), *((i.pk, str(i)) for i in selectors.item_refs(items))])
    # One plain query for the labels (a model-choice iterator opens a server-side cursor: three round trips).
    target_choices = forms.OptionList(
        [("", "---------"), *targets.order_by("place__path", "name").values_list("pk", "name")]
    )

    def data(name: str):
        return request.POST if action == name else None

    kw = {"items": items, "item_choices": choices}
    return {
        "receipt_form": forms.ReceiptForm(data("receipt"), prefix="r", **kw),
        "issue_form": forms.IssueForm(data("issue"), prefix="i", **kw),
        "transfer_form": forms.TransferForm(
            data("transfer"), stores=targets, store_choices=target_choices, prefix="t", **kw
        ),
        "reorder_form": forms.ReorderForm(data("reorder"), prefix="o", **kw),
        "count_form": forms.CountForm(data("count"), prefix="c"),
    }


def _store_page(request: AuthedRequest, store: Store, forms_: dict, *, status: int = 200) -> HttpResponse:
    """A store: its stock per item with days of cover, lots with expiry, and the forms for every movement."""
    plan = request.GET.get("plan", "").strip()
    rows = selectors.stock_for_store(
        store=store,
        plan=plan,
        category=request.GET.get("category", ""),
        query=request.GET.get("q", "").strip(),
    )
    page = Paginator(rows, 50).get_page(request.GET.get("page"))
    context = {
        **forms_,
        "store": store,
        "rows": page,
        "page": page,
        "lots": selectors.lots_in_store(store, item_ids=[r["item"].pk for r in page]),
        "plan": plan,
        "categories": Item.Category.choices,
        "can_manage": policies.can_manage_store(request.user, store),
        "recent": selectors.recent_movements(store),
    }
    return render(request, "supplies/store_detail.html", context, status=status)


def _visible_store(request: AuthedRequest, pk: int) -> Store:
    return get_object_or_404(selectors.stores_visible_to(request.user), pk=pk)


@login_required
@require_safe
def store_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    store = _visible_store(request, pk)
    return _store_page(request, store, _store_forms(request, store))


def _store_action(request: AuthedRequest, pk: int, action: str, perform: Callable[[Store, dict], str]):
    """Bind the action's form; when valid, `perform` calls the service and says what was done. A refusal is
    shown on the form, with the page."""
    store = _visible_store(request, pk)
    forms_ = _store_forms(request, store, action=action)
    form = forms_[f"{action}_form"]
    if form.is_valid():
        try:
            messages.success(request, perform(store, form.cleaned_data))
            return redirect("supplies:store_detail", pk=store.pk)
        except ValidationError as exc:
            apply_domain_error(form, exc)
    return _store_page(request, store, forms_, status=400)


@login_required
@require_POST
def store_receive(request: AuthedRequest, pk: int) -> HttpResponse:
    """入库."""

    def perform(store: Store, cd: dict) -> str:
        services.stock_receive(
            actor=request.user,
            store=store,
            item=cd["item"],
            quantity=cd["quantity"],
            lot_number=cd["lot_number"],
            expires_on=cd["expires_on"],
            note=cd["note"],
        )
        return gettext("已入库")

    return _store_action(request, pk, "receipt", perform)


@login_required
@require_POST
def store_issue(request: AuthedRequest, pk: int) -> HttpResponse:
    """出库."""

    def perform(store: Store, cd: dict) -> str:
        services.stock_issue(
            actor=request.user,
            store=store,
            item=cd["item"],
            quantity=cd["quantity"],
            recipient=cd["recipient"],
            note=cd["note"],
        )
        return gettext("已出库")

    return _store_action(request, pk, "issue", perform)


@login_required
@require_POST
def store_transfer(request: AuthedRequest, pk: int) -> HttpResponse:
    """调拨 to another store of the street."""

    def perform(store: Store, cd: dict) -> str:
        ref = services.stock_transfer(
            actor=request.user,
            from_store=store,
            to_store=cd["to_store"],
            item=cd["item"],
            quantity=cd["quantity"],
            note=cd["note"],
        )
        return gettext("已调拨,单据号 %(ref)s") % {"ref": ref}

    return _store_action(request, pk, "transfer", perform)


@login_required
@require_POST
def store_reorder(request: AuthedRequest, pk: int) -> HttpResponse:
    """补货线 of an item in the store."""

    def perform(store: Store, cd: dict) -> str:
        services.reorder_level_set(actor=request.user, store=store, item=cd["item"], level=cd["level"])
        return gettext("补货线已设置")

    return _store_action(request, pk, "reorder", perform)


@login_required
@require_POST
def store_count(request: AuthedRequest, pk: int) -> HttpResponse:
    """盘点 of one lot of the store."""

    def perform(store: Store, cd: dict) -> str:
        lot = get_object_or_404(selectors.lots_visible_to(request.user).filter(store=store), pk=cd["lot"])
        services.stock_count(actor=request.user, lot=lot, counted=cd["counted"], note=cd["note"])
        return gettext("盘点已记录")

    return _store_action(request, pk, "count", perform)


@login_required
@require_POST
def store_write_off(request: AuthedRequest, pk: int) -> HttpResponse:
    """过期报废: every expired lot of the store (no form: a refusal is shown as a message on the page)."""
    store = _visible_store(request, pk)
    try:
        done = services.stock_write_off_expired(actor=request.user, store=store)
    except ValidationError as exc:
        messages.error(request, "; ".join(exc.messages))
        return _store_page(request, store, _store_forms(request, store), status=400)
    messages.success(request, gettext("已报废过期批次 %(n)s 个") % {"n": len(done)})
    return redirect("supplies:store_detail", pk=store.pk)


# The ledger, requests and allocation --------------------------------------------------------------------------------


@login_required
def ledger(request: AuthedRequest) -> HttpResponse:
    """库存台账: every movement in the visible stores, newest first, filtered by store, item or kind."""
    _need(policies.can_view_supplies(request.user))
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


@login_required
def requests_page(request: AuthedRequest) -> HttpResponse:
    """申领与分配: the requests in scope, a form to submit one, and (for the street) the allocation form."""
    _need(policies.can_view_supplies(request.user))
    items = selectors.items_visible_to(request.user).filter(is_active=True)
    request_form = forms.RequestForm(
        request.POST if request.method == "POST" else None,
        items=items,
        places=selectors.request_places_for(request.user),
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
            apply_domain_error(request_form, exc)
    can_allocate = policies.can_allocate(request.user)
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
def request_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    supply_request = get_object_or_404(selectors.requests_visible_to(request.user), pk=pk)
    allocations = selectors.allocations_of_request(supply_request)
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
                apply_domain_error(receive_form, exc)
    return render(
        request,
        "supplies/request_detail.html",
        {"req": supply_request, "allocations": allocations, "receive_form": receive_form},
        status=400 if request.method == "POST" else 200,
    )


@login_required
@require_POST
def request_cancel(request: AuthedRequest, pk: int) -> HttpResponse:
    supply_request = get_object_or_404(selectors.requests_visible_to(request.user), pk=pk)
    try:
        services.request_cancel(actor=request.user, request=supply_request)
        messages.success(request, gettext("申领已撤回"))
    except ValidationError as exc:
        messages.error(request, "; ".join(exc.messages))
    return redirect("supplies:request_detail", pk=supply_request.pk)


@login_required
@require_POST
def allocate(request: AuthedRequest) -> HttpResponse:
    """Draft an allocation round for an item from a store (the weights are the user's)."""
    _need(policies.can_allocate(request.user))
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
            apply_domain_error(form, exc)
    for field, errors in form.errors.items():
        label = form.fields[field].label if field in form.fields else ""
        messages.error(request, f"{label}:{' '.join(errors)}" if label else " ".join(errors))
    return redirect("supplies:requests")


@login_required
def round_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    round_ = get_object_or_404(selectors.rounds_visible_to(request.user), pk=pk)
    if request.method == "POST":
        try:
            services.allocation_round_confirm(actor=request.user, round_=round_)
            messages.success(request, gettext("已确认,物资已出库"))
            return redirect("supplies:round_detail", pk=round_.pk)
        except ValidationError as exc:
            messages.error(request, "; ".join(exc.messages))
    allocations = selectors.allocations_of_round(round_)
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
def catalogue(request: AuthedRequest) -> HttpResponse:
    """物资目录 and consumption norms (the street sets them; an emergency plan may set its own)."""
    _need(policies.can_view_supplies(request.user))
    items = selectors.items_visible_to(request.user)
    can_edit = policies.can_allocate(request.user)
    item_form = forms.ItemForm(request.POST if request.POST.get("action") == "item" else None, prefix="n")
    norm_form = forms.NormForm(
        request.POST if request.POST.get("action") == "norm" else None, items=items, prefix="m"
    )
    if request.method == "POST":
        if not can_edit:
            raise PermissionDenied
        streets = list(selectors.catalogue_streets_for(request.user))
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
                apply_domain_error(form, exc)
    norms = selectors.norms_of(items)
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
