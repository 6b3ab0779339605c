"""Living-guarantee pages: group buys from the merchant's list to the last hand-over (a phone page for residents
and building leaders), printable pick lists, the volunteer's delivery list, medicine bought on behalf, and
pairing with contact gaps and coverage. Objects are reached through scoped selectors: outside is a 404."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext

from shequ.core.forms import apply_domain_error
from shequ.core.http import AuthedRequest
from shequ.core.rights import Right
from shequ.ledger.selectors import people_visible_to
from shequ.livelihood import forms, policies, selectors, services
from shequ.livelihood.models import GroupBuy, Merchant, Order
from shequ.places.levels import Level


def _need(allowed: bool) -> None:
    if not allowed:
        raise PermissionDenied


def _messages_of(exc: ValidationError) -> str:
    return ";".join(exc.messages)


@login_required
def index(request: AuthedRequest) -> HttpResponse:
    """生活保障: open group buys (a resident sees those of their building), their own orders, coverage."""
    can_deliver = policies.can_deliver(request.user)
    _need(policies.can_order(request.user) or can_deliver)
    group_buys = selectors.group_buys_with_order_counts(request.user)[:30]
    if not group_buys and can_deliver:
        group_buys = selectors.group_buys_with_order_counts(request.user, Right.LIVELIHOOD_DELIVER)[:30]
    own = selectors.own_households(request.user)
    context = {
        "group_buys": group_buys,
        "my_orders": selectors.orders_visible_to(request.user)
        .filter(household__in=own)
        .order_by("-created_at")[:20]
        if own
        else [],
        "can_manage": policies.can_manage(request.user),
    }
    if can_deliver:
        context["coverage"] = selectors.coverage(actor=request.user)
    return render(request, "livelihood/index.html", context)


# Merchants and group buys -----------------------------------------------------------------------------------------


@login_required
def merchants(request: AuthedRequest) -> HttpResponse:
    _need(policies.can_manage(request.user))
    form = forms.MerchantForm(
        request.POST or None,
        areas=selectors.places_managed_by(request.user, [Level.COMMUNITY, Level.COMPOUND]),
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.merchant_create(actor=request.user, **form.cleaned_data)
            messages.success(request, gettext("商户已登记"))
            return redirect("livelihood:merchants")
        except ValidationError as exc:
            apply_domain_error(form, exc)
    rows = selectors.merchants_visible_to(request.user)
    return render(
        request,
        "livelihood/merchants.html",
        {"rows": rows, "form": form},
        status=400 if request.method == "POST" else 200,
    )


@login_required
def group_buy_new(request: AuthedRequest) -> HttpResponse:
    _need(policies.can_manage(request.user))
    form = forms.GroupBuyForm(
        request.POST or None,
        merchants=selectors.merchants_visible_to(request.user).filter(is_active=True),
        places=selectors.places_managed_by(request.user, [Level.BUILDING, Level.COMPOUND]),
    )
    if request.method == "POST" and form.is_valid():
        try:
            gb = services.group_buy_create(actor=request.user, **form.cleaned_data)
            messages.success(request, gettext("团购已发布"))
            return redirect("livelihood:group_buy", pk=gb.pk)
        except ValidationError as exc:
            apply_domain_error(form, exc)
    return render(
        request,
        "livelihood/group_buy_new.html",
        {"form": form},
        status=400 if request.method == "POST" else 200,
    )


@login_required
def group_buy(request: AuthedRequest, pk: int) -> HttpResponse:
    """A campaign from the merchant's list to the last hand-over: progress, cut-off, delivery plan."""
    gb = get_object_or_404(
        selectors.group_buys_visible_to(request.user)
        | selectors.group_buys_visible_to(request.user, Right.LIVELIHOOD_DELIVER),
        pk=pk,
    )
    can_manage = policies.can_manage_group_buy(request.user, gb)
    plan_form = forms.DeliveryPlanForm(
        request.POST if request.POST.get("action") == "plan" else None,
        volunteers=selectors.delivery_volunteers_for(gb),
    )
    if request.method == "POST":
        if not can_manage:
            raise PermissionDenied
        try:
            if request.POST.get("action") == "close":
                services.group_buy_close(actor=request.user, group_buy=gb)
                messages.success(request, gettext("已截单"))
                return redirect("livelihood:group_buy", pk=gb.pk)
            if request.POST.get("action") == "plan" and plan_form.is_valid():
                services.delivery_plan(
                    actor=request.user, group_buy=gb, volunteers=list(plan_form.cleaned_data["volunteers"])
                )
                messages.success(request, gettext("配送分工已安排"))
                return redirect("livelihood:group_buy", pk=gb.pk)
        except ValidationError as exc:
            apply_domain_error(plan_form, exc)
            messages.error(request, _messages_of(exc))
    return render(
        request,
        "livelihood/group_buy.html",
        {
            "gb": gb,
            "items": selectors.items_of(gb),
            "progress": selectors.group_buy_progress(gb),
            "assignments": selectors.assignments_of(gb),
            "can_manage": can_manage,
            "plan_form": plan_form,
            "can_order": policies.can_order(request.user),
        },
        status=400 if request.method == "POST" else 200,
    )


@login_required
def group_buy_order(request: AuthedRequest, pk: int) -> HttpResponse:
    """下单 (phone page): a resident for their household, a building leader for a neighbour without a phone."""
    gb = get_object_or_404(selectors.group_buys_visible_to(request.user), pk=pk)
    own = list(
        selectors.own_households(request.user).filter(**{f"dwelling__{gb.place.level}_id": gb.place_id})
    )
    others = list(selectors.households_for_leader(request.user, gb).exclude(pk__in=[h.pk for h in own]))
    households = own + others
    items = list(selectors.items_of(gb))
    errors: dict[str, list[str]] = {}
    values: dict[str, str] = {}
    chosen = request.POST.get("household", "")
    if request.method == "POST":
        values = {f"item_{i.pk}": request.POST.get(f"item_{i.pk}", "") for i in items}
        household = next((h for h in households if str(h.pk) == chosen), None)
        if household is None:
            errors["household"] = [gettext("请选择下单的住户")]
        else:
            try:
                order = services.order_place(
                    actor=request.user,
                    group_buy=gb,
                    household=household,
                    quantities={i.pk: values[f"item_{i.pk}"] for i in items},
                )
                messages.success(request, gettext("下单成功,订单号 %(number)s") % {"number": order.number})
                return redirect("livelihood:order", pk=order.pk)
            except ValidationError as exc:
                errors = exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}
    for item in items:
        item.field = f"item_{item.pk}"
        item.value = values.get(item.field, "")
        item.errors = errors.get(item.field, [])
    return render(
        request,
        "livelihood/order_form.html",
        {
            "gb": gb,
            "items": items,
            "households": households,
            "own_ids": {h.pk for h in own},
            "errors": errors,
            "chosen": chosen,
            "closed": gb.status != GroupBuy.Status.OPEN,
        },
        status=400 if request.method == "POST" else 200,
    )


def _order_for(user, pk):
    qs = selectors.orders_visible_to(user) | selectors.deliverable_orders(user)
    return get_object_or_404(qs.distinct(), pk=pk)


@login_required
def order(request: AuthedRequest, pk: int) -> HttpResponse:
    """One order: its lines and status; the household confirms the hand-over with the code on the bag."""
    obj = _order_for(request.user, pk)
    form = forms.PickupCodeForm(request.POST or None)
    if request.method == "POST":
        action = request.POST.get("action", "confirm")
        try:
            if action == "cancel":
                services.order_cancel(actor=request.user, order=obj)
                messages.success(request, gettext("订单已取消"))
                return redirect("livelihood:order", pk=obj.pk)
            if form.is_valid():
                services.order_confirm_receipt(
                    actor=request.user, order=obj, code=form.cleaned_data["pickup_code"]
                )
                messages.success(request, gettext("已签收,谢谢!"))
                return redirect("livelihood:order", pk=obj.pk)
        except ValidationError as exc:
            apply_domain_error(form, exc)
    return render(
        request,
        "livelihood/order.html",
        {"order": obj, "lines": selectors.lines_of(obj), "form": form},
        status=400 if request.method == "POST" else 200,
    )


@login_required
def group_buy_sheets(request: AuthedRequest, pk: int) -> HttpResponse:
    """The merchant's order and per-building pick lists (printable; the labels carry the pickup codes)."""
    gb = get_object_or_404(
        selectors.group_buys_visible_to(request.user, Right.LIVELIHOOD_MANAGE)
        | selectors.group_buys_visible_to(request.user, Right.LIVELIHOOD_DELIVER),
        pk=pk,
    )
    return render(request, "livelihood/sheets.html", {"gb": gb, **selectors.group_buy_sheets(gb)})


@login_required
def group_buy_deliver(request: AuthedRequest, pk: int) -> HttpResponse:
    """The volunteer's list: the orders of their buildings, each marked delivered at the door."""
    gb = get_object_or_404(selectors.group_buys_visible_to(request.user, Right.LIVELIHOOD_DELIVER), pk=pk)
    orders = (
        selectors.deliverable_orders(request.user).filter(group_buy=gb).exclude(status=Order.Status.CANCELLED)
    )
    mine = selectors.buildings_assigned_to(request.user, gb)
    if mine:
        orders = orders.filter(building_id__in=mine)
    if request.method == "POST":
        target = get_object_or_404(orders, pk=request.POST.get("order", "0") or 0)
        try:
            services.order_mark_delivered(actor=request.user, order=target)
            messages.success(
                request, gettext("%(address)s 已送达") % {"address": target.dwelling.masked_address()}
            )
        except ValidationError as exc:
            messages.error(request, _messages_of(exc))
        return redirect("livelihood:deliver", pk=gb.pk)
    return render(
        request, "livelihood/deliver.html", {"gb": gb, "orders": orders.order_by("dwelling__address")}
    )


# Medicine ---------------------------------------------------------------------------------------------------------


@login_required
def medicine(request: AuthedRequest) -> HttpResponse:
    _need(policies.can_order(request.user))
    people = people_visible_to(request.user, Right.LIVELIHOOD_ORDER).filter(home__isnull=False)
    pharmacies = selectors.merchants_visible_to(request.user, Right.LIVELIHOOD_ORDER).filter(
        kind=Merchant.Kind.PHARMACY
    )
    form = forms.MedicineForm(request.POST or None, people=people, pharmacies=pharmacies)
    if request.method == "POST" and form.is_valid():
        try:
            services.medicine_request(actor=request.user, **form.cleaned_data)
            messages.success(request, gettext("代购登记成功"))
            return redirect("livelihood:medicine")
        except ValidationError as exc:
            apply_domain_error(form, exc)
    rows = selectors.medicine_visible_to(request.user)
    page = Paginator(rows, 30).get_page(request.GET.get("page"))
    return render(
        request,
        "livelihood/medicine.html",
        {"page": page, "form": form},
        status=400 if request.method == "POST" else 200,
    )


@login_required
def medicine_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    purchase = get_object_or_404(selectors.medicine_visible_to(request.user), pk=pk)
    form = forms.RevealForm(request.POST if request.POST.get("action") == "reveal" else None)
    revealed = None
    if request.method == "POST":
        try:
            if request.POST.get("action") == "reveal":
                if form.is_valid():
                    revealed = services.medicine_reveal(
                        actor=request.user, purchase=purchase, reason=form.cleaned_data["reason"]
                    )
            else:
                services.medicine_update(
                    actor=request.user,
                    purchase=purchase,
                    status=request.POST.get("status", ""),
                    cost=request.POST.get("cost"),
                )
                messages.success(request, gettext("已更新"))
                return redirect("livelihood:medicine_detail", pk=purchase.pk)
        except ValidationError as exc:
            apply_domain_error(form, exc)
            messages.error(request, _messages_of(exc))
    return render(
        request,
        "livelihood/medicine_detail.html",
        {"p": purchase, "form": form, "revealed": revealed, "statuses": purchase.Status.choices},
    )


# Pairing ----------------------------------------------------------------------------------------------------------


@login_required
def pairing(request: AuthedRequest) -> HttpResponse:
    """结对帮扶: coverage, contact gaps, pairings; the optimiser's suggestions applied, and pairing by hand."""
    _need(policies.can_deliver(request.user))
    communities = selectors.communities_managed_by(request.user)
    community_ids = set(communities.values_list("pk", flat=True))
    form = None
    if community_ids:
        form = forms.PairingForm(
            request.POST if request.POST.get("action") == "pair" else None,
            residents=selectors.vulnerable_people(community_ids=community_ids).order_by("name"),
            helpers=selectors.helpers_in(community_ids),
        )
    if request.method == "POST":
        if not community_ids:
            raise PermissionDenied
        try:
            if request.POST.get("action") == "suggest":
                community = get_object_or_404(communities, pk=request.POST.get("community", "0") or 0)
                n = services.pairing_apply_suggestions(actor=request.user, community=community)
                messages.success(request, gettext("已按建议结对 %(n)s 人") % {"n": n})
                return redirect("livelihood:pairing")
            if form is not None and form.is_valid():
                services.pairing_create(actor=request.user, **form.cleaned_data)
                messages.success(request, gettext("已结对"))
                return redirect("livelihood:pairing")
        except ValidationError as exc:
            if form is not None:
                apply_domain_error(form, exc)
    q = request.GET.get("q", "").strip()
    rows = selectors.active_pairings_visible_to(request.user, search=q)
    page = Paginator(rows, 30).get_page(request.GET.get("page"))
    return render(
        request,
        "livelihood/pairing.html",
        {
            "coverage": selectors.coverage(actor=request.user),
            "gaps": selectors.contact_gaps(actor=request.user)[:50],
            "page": page,
            "form": form,
            "communities": communities,
            "q": q,
        },
        status=400 if request.method == "POST" else 200,
    )


@login_required
def pairing_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    obj = get_object_or_404(selectors.pairings_visible_to(request.user), pk=pk)
    contact_form = forms.ContactForm(request.POST if request.POST.get("action") == "contact" else None)
    can_manage = policies.can_manage_pairing(request.user, obj)
    reassign_form = forms.ReassignForm(
        request.POST if request.POST.get("action") == "reassign" else None,
        helpers=selectors.helpers_in({obj.dwelling.community_id}).exclude(pk=obj.helper_id),
    )
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "contact" and contact_form.is_valid():
                services.contact_log(actor=request.user, pairing=obj, **contact_form.cleaned_data)
                messages.success(request, gettext("联系已记录"))
                return redirect("livelihood:pairing_detail", pk=obj.pk)
            if action == "reassign" and reassign_form.is_valid():
                new = services.pairing_create(
                    actor=request.user, resident=obj.resident, helper=reassign_form.cleaned_data["helper"]
                )
                messages.success(request, gettext("已调整帮扶人"))
                return redirect("livelihood:pairing_detail", pk=new.pk)
            if action == "end":
                services.pairing_end(actor=request.user, pairing=obj)
                messages.success(request, gettext("结对已结束"))
                return redirect("livelihood:pairing")
        except ValidationError as exc:
            apply_domain_error(reassign_form if action == "reassign" else contact_form, exc)
    return render(
        request,
        "livelihood/pairing_detail.html",
        {
            "p": obj,
            "contacts": selectors.contacts_of(obj)[:50],
            "contact_form": contact_form,
            "reassign_form": reassign_form,
            "can_manage": can_manage,
        },
        status=400 if request.method == "POST" else 200,
    )
