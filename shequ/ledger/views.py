"""Pages of the household ledger: search, the household page (一户一档), the person page with edit and reveal,
and the duty roster. Every object is reached through a scoped selector (another community's → 404); every
write goes through one service; a service's DomainError is shown next to the field it names."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from shequ.core import idnumbers, phones
from shequ.core.forms import apply_domain_error
from shequ.core.http import AuthedRequest
from shequ.core.jurisdiction import has_right
from shequ.core.rights import Right
from shequ.ledger import services
from shequ.ledger.forms import (
    ConfirmForm,
    DutyForm,
    MemberAddForm,
    MoveForm,
    NeedForm,
    NeedStatusForm,
    PersonCreateForm,
    PersonEditForm,
    PersonJoinForm,
    ResidencyForm,
    RevealForm,
    TagForm,
)
from shequ.ledger.models import Duty, Need, Person, Residency
from shequ.ledger.policies import can_create_person, can_edit_household, can_edit_person, can_reveal_person
from shequ.ledger.selectors import (
    classify_query,
    duties_visible_to,
    household_current_members,
    household_current_residencies,
    household_current_tags,
    household_needs,
    households_visible_to,
    people_visible_to,
    person_history,
    person_memberships,
    person_records,
    person_search,
)
from shequ.ledger.selectors import (
    household_detail as household_detail_data,
)
from shequ.places.selectors import (
    communities_visible_to,
    duty_places_visible_to,
    dwellings_visible_to,
    normalize_address,
    places_visible_to,
)

DUTIES_PER_PAGE = 50


def _require(request: AuthedRequest, right: Right = Right.LEDGER_VIEW) -> None:
    """No right anywhere: the page does not exist for this user."""
    if not has_right(request.user, right):
        raise Http404


def _visible_person(request: AuthedRequest, pk) -> Person | None:
    try:
        return people_visible_to(request.user).filter(pk=int(pk)).first()
    except (TypeError, ValueError):
        return None


# Search -------------------------------------------------------------------------------------------------------


def _query(request: AuthedRequest) -> str:
    """The search text. Forms POST it, so a full ID or phone number never lands in a URL or an access log."""
    return (request.POST.get("q") or request.GET.get("q") or "").strip()[:60]


@login_required
def search(request: AuthedRequest) -> HttpResponse:
    _require(request)
    query = _query(request)
    kind, value = classify_query(query) if query else ("", "")
    results = person_search(actor=request.user, query=query) if query else []
    # A full ID or phone number is not echoed back in clear: the page says what was searched, masked.
    shown = query
    if kind in ("id", "invalid_id"):
        shown = idnumbers.mask(value)
    elif kind == "phone":
        shown = phones.mask(value)
    context = {"query": shown, "echo": "" if shown != query else query, "kind": kind, "results": results}
    template = "ledger/_search_results.html" if request.htmx else "ledger/search.html"
    return render(request, template, context)


@login_required
def person_pick(request: AuthedRequest) -> HttpResponse:
    """HTMX: people matching a query, as radio buttons named `person` (for member and duty forms)."""
    _require(request)
    query = _query(request)
    results = person_search(actor=request.user, query=query, limit=10) if query else []
    return render(request, "ledger/_pick_person.html", {"query": query, "results": results})


@login_required
def dwelling_pick(request: AuthedRequest) -> HttpResponse:
    """HTMX: dwellings the user may register people in, matching a typed address, as radio buttons."""
    _require(request, Right.LEDGER_EDIT)
    query = _query(request)
    results = []
    if query:
        results = list(
            dwellings_visible_to(request.user, Right.LEDGER_EDIT)
            .filter(address__startswith=normalize_address(query))
            .order_by("address")[:10]
        )
    return render(request, "ledger/_pick_dwelling.html", {"query": query, "results": results})


# People -------------------------------------------------------------------------------------------------------


def _duplicate_of(request: AuthedRequest, error: ValidationError) -> Person | None:
    existing = getattr(error, "extra", {}).get("existing_person")
    if existing is None:
        return None
    return people_visible_to(request.user).filter(pk=existing.pk).first()


@login_required
def person_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    _require(request)
    person = get_object_or_404(people_visible_to(request.user), pk=pk)
    return render(request, "ledger/person_detail.html", _person_context(request, person))


def _person_context(request: AuthedRequest, person: Person, **extra) -> dict:
    visible_households = set(
        households_visible_to(request.user).filter(members__person=person).values_list("pk", flat=True)
    )
    memberships = person_memberships(person)
    for m in memberships:
        m.visible = m.household_id in visible_households
    records = person_records(person)
    context = {
        "person": person,
        "residencies": records["residencies"],
        "memberships": memberships,
        "tags": records["tags"],
        "duties": records["duties"],
        "history": person_history(person=person, limit=50),
        "can_edit": can_edit_person(request.user, person),
        "can_reveal": can_reveal_person(request.user, person),
        "reveal_form": RevealForm(),
    }
    context.update(extra)
    return context


@login_required
def person_edit(request: AuthedRequest, pk: int) -> HttpResponse:
    _require(request)
    person = get_object_or_404(people_visible_to(request.user), pk=pk)
    if not can_edit_person(request.user, person):
        raise PermissionDenied
    form = PersonEditForm(request.POST or None, person=person)
    existing = None
    if request.method == "POST" and form.is_valid():
        changes = form.changes(person)
        try:
            services.person_update(actor=request.user, person=person, **changes)
        except ValidationError as exc:
            apply_domain_error(form, exc)
            existing = _duplicate_of(request, exc)
        else:
            messages.success(request, _("已保存 %(name)s 的信息") % {"name": person.name})
            return _after_edit(request, person)
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "ledger/person_form.html",
        {"form": form, "person": person, "existing": existing, "next": _safe_next(request)},
        status=status,
    )


def _safe_next(request: AuthedRequest) -> str:
    from django.utils.http import url_has_allowed_host_and_scheme

    value = request.POST.get("next") or request.GET.get("next") or ""
    if value and url_has_allowed_host_and_scheme(value, allowed_hosts={request.get_host()}):
        return value
    return ""


def _after_edit(request: AuthedRequest, person: Person) -> HttpResponse:
    target = _safe_next(request)
    return redirect(target) if target else redirect("ledger:person", pk=person.pk)


@login_required
@require_POST
def person_reveal(request: AuthedRequest, pk: int) -> HttpResponse:
    """Show an ID number or phone in clear, once, after the user gives a reason (audit-logged)."""
    _require(request)
    person = get_object_or_404(people_visible_to(request.user), pk=pk)
    if not can_reveal_person(request.user, person):
        raise PermissionDenied
    form = RevealForm(request.POST)
    revealed = None
    if form.is_valid():
        try:
            value = services.person_reveal(
                actor=request.user,
                person=person,
                field=form.cleaned_data["field"],
                reason=form.cleaned_data["reason"],
            )
        except ValidationError as exc:
            apply_domain_error(form, exc)
        else:
            revealed = {
                "field": dict(form.fields["field"].choices)[form.cleaned_data["field"]],  # type: ignore[attr-defined]
                "value": value,
            }
            form = RevealForm()
    context = {"person": person, "reveal_form": form, "revealed": revealed, "can_reveal": True}
    if request.htmx:
        response = render(
            request, "ledger/_reveal.html", context, status=200 if form.is_valid() or revealed else 400
        )
    else:
        response = render(
            request,
            "ledger/person_detail.html",
            _person_context(request, person, reveal_form=form, revealed=revealed),
            status=200 if revealed else 400,
        )
    response["Cache-Control"] = "no-store"
    return response


@login_required
def person_create(request: AuthedRequest) -> HttpResponse:
    """Register a new person (community worker); from a household page, also add them to that household."""
    _require(request)
    if not can_create_person(request.user):
        raise PermissionDenied
    communities = communities_visible_to(request.user, Right.LEDGER_EDIT)
    household = None
    household_pk = request.GET.get("household") or request.POST.get("household")
    if household_pk:
        household = get_object_or_404(
            households_visible_to(request.user, Right.LEDGER_EDIT), pk=_int_or_404(household_pk)
        )
    initial = {"community": household.dwelling.community_id} if household else {}
    form = PersonCreateForm(request.POST or None, communities=communities, initial=initial)
    join_form = PersonJoinForm(request.POST or None, prefix="join") if household else None
    existing = None
    if request.method == "POST" and form.is_valid() and (join_form is None or join_form.is_valid()):
        data = dict(form.cleaned_data)
        community = data.pop("community")
        try:
            with transaction.atomic():
                person = services.person_create(actor=request.user, community=community, **data)
                if household is not None and join_form is not None:
                    services.household_add_member(
                        actor=request.user,
                        household=household,
                        person=person,
                        relation=join_form.cleaned_data["relation"],
                    )
                    if join_form.cleaned_data["role"]:
                        services.residency_create(
                            actor=request.user,
                            person=person,
                            dwelling=household.dwelling,
                            role=join_form.cleaned_data["role"],
                        )
        except ValidationError as exc:
            apply_domain_error(form, exc)
            existing = _duplicate_of(request, exc)
        else:
            messages.success(request, _("已登记 %(name)s") % {"name": person.name})
            if household is not None:
                return redirect("ledger:household", pk=household.pk)
            return redirect("ledger:person", pk=person.pk)
    return render(
        request,
        "ledger/person_create.html",
        {"form": form, "join_form": join_form, "household": household, "existing": existing},
        status=400 if request.method == "POST" else 200,
    )


def _int_or_404(value) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise Http404 from None


@login_required
def person_move(request: AuthedRequest, pk: int) -> HttpResponse:
    """Move a person into a dwelling (迁入): the dwelling is picked from those the user keeps the ledger of."""
    _require(request)
    person = get_object_or_404(people_visible_to(request.user), pk=pk)
    if not can_edit_person(request.user, person):
        raise PermissionDenied
    form = MoveForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        dwelling = (
            dwellings_visible_to(request.user, Right.LEDGER_EDIT)
            .filter(pk=form.cleaned_data["dwelling"])
            .first()
        )
        if dwelling is None:
            form.add_error("dwelling", _("未找到该房屋,或该房屋不在您的管辖范围内"))
        else:
            try:
                services.person_move(
                    actor=request.user,
                    person=person,
                    dwelling=dwelling,
                    role=form.cleaned_data["role"],
                    on=form.cleaned_data["on"],
                )
            except ValidationError as exc:
                apply_domain_error(form, exc)
            else:
                messages.success(request, _("已登记迁入 %(address)s") % {"address": dwelling.address})
                return redirect("ledger:person", pk=person.pk)
    return render(
        request,
        "ledger/person_move.html",
        {"form": form, "person": person},
        status=400 if request.method == "POST" else 200,
    )


# Households ---------------------------------------------------------------------------------------------------


def _get_household(request: AuthedRequest, pk: int, *, allow_self: bool = False):
    """The household if the user keeps the ledger there (or, for a resident, if it is their own)."""
    household = households_visible_to(request.user).filter(pk=pk).first()
    if household is not None:
        return household, False
    if allow_self:
        household = households_visible_to(request.user, Right.SELF_SERVICE).filter(pk=pk).first()
        if household is not None:
            return household, True
    raise Http404


def _household_context(request: AuthedRequest, household, *, is_self: bool = False, **forms) -> dict:
    detail = household_detail_data(actor=request.user, household=household)
    people, seen = [], set()
    for p in [m.person for m in detail["current_members"]] + [
        r.person for r in detail["current_residencies"]
    ]:
        if p.pk not in seen:
            seen.add(p.pk)
            people.append(p)
    context = {
        "household": household,
        "dwelling": household.dwelling,
        "d": detail,
        "is_self": is_self,
        "can_edit": not is_self and can_edit_household(request.user, household),
        # Roles that may see the record but do not keep the ledger there see the address without the room.
        "full_address": is_self or can_edit_household(request.user, household),
        "people": people,
        "need_statuses": Need.Status.choices,
        "has_tags": any(m.current_tags or m.past_tags for m in detail["members"]),
        # "The occupant did not buy it" matters when no owner lives here (an owner's family is not news).
        "flag_occupants": not any(
            r.role == Residency.Role.OWNER and r.lives_here and r.until is None for r in detail["residencies"]
        ),
        "residency_form": ResidencyForm(people=people),
        "tag_form": TagForm(people=people),
        "need_form": NeedForm(people=people),
        "confirm_form": ConfirmForm(),
    }
    if is_self:
        context["d"] = {**detail, "history": []}
    context.update(forms)
    return context


@login_required
def my_household(request: AuthedRequest) -> HttpResponse:
    household = households_visible_to(request.user, Right.SELF_SERVICE).filter(is_active=True).first()
    if household is None:
        raise Http404
    return redirect("ledger:household", pk=household.pk)


@login_required
def household_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    household, is_self = _get_household(request, pk, allow_self=True)
    return render(
        request, "ledger/household_detail.html", _household_context(request, household, is_self=is_self)
    )


def _editable_household(request: AuthedRequest, pk: int):
    household, _is_self = _get_household(request, pk)
    if not can_edit_household(request.user, household):
        raise PermissionDenied
    return household


def _household_form_error(request, household, **forms) -> HttpResponse:
    messages.error(request, _("未保存:请按提示修改后重新提交"))
    return render(
        request, "ledger/household_detail.html", _household_context(request, household, **forms), status=400
    )


@login_required
@require_POST
def household_create(request: AuthedRequest) -> HttpResponse:
    _require(request, Right.LEDGER_EDIT)
    dwelling = get_object_or_404(
        dwellings_visible_to(request.user, Right.LEDGER_EDIT), pk=_int_or_404(request.POST.get("dwelling"))
    )
    household = services.household_create(actor=request.user, dwelling=dwelling)
    messages.success(request, _("已新建户,请添加成员"))
    return redirect("ledger:household", pk=household.pk)


@login_required
def household_member_add(request: AuthedRequest, pk: int) -> HttpResponse:
    household = _editable_household(request, pk)
    form = MemberAddForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        person = _visible_person(request, form.cleaned_data["person"])
        if person is None:
            form.add_error("person", _("未找到该人员,或该人员不在您的管辖范围内"))
        else:
            try:
                services.household_add_member(
                    actor=request.user,
                    household=household,
                    person=person,
                    relation=form.cleaned_data["relation"],
                    joined_on=form.cleaned_data["joined_on"],
                )
            except ValidationError as exc:
                apply_domain_error(form, exc)
            else:
                messages.success(request, _("已将 %(name)s 加入本户") % {"name": person.name})
                return redirect("ledger:household", pk=household.pk)
    return render(
        request,
        "ledger/member_add.html",
        {"form": form, "household": household},
        status=400 if request.method == "POST" else 200,
    )


@login_required
@require_POST
def member_remove(request: AuthedRequest, pk: int, member_pk: int) -> HttpResponse:
    household = _editable_household(request, pk)
    member = get_object_or_404(household_current_members(household), pk=member_pk)
    services.household_remove_member(actor=request.user, member=member)
    messages.success(request, _("%(name)s 已离户") % {"name": member.person.name})
    return redirect("ledger:household", pk=household.pk)


@login_required
@require_POST
def household_residency_add(request: AuthedRequest, pk: int) -> HttpResponse:
    household = _editable_household(request, pk)
    context = _household_context(request, household)
    form = ResidencyForm(request.POST, people=context["people"])
    if form.is_valid():
        person = _visible_person(request, form.cleaned_data["person"])
        try:
            services.residency_create(
                actor=request.user,
                person=person,  # type: ignore[arg-type]  # None (not visible): the service refuses it, naming the field
                dwelling=household.dwelling,
                role=form.cleaned_data["role"],
                lives_here=form.cleaned_data["lives_here"],
                since=form.cleaned_data["since"],
                source="一户一档页面",
            )
        except ValidationError as exc:
            apply_domain_error(form, exc)
        else:
            messages.success(request, _("已登记居住关系"))
            return redirect("ledger:household", pk=household.pk)
    return _household_form_error(request, household, residency_form=form)


@login_required
@require_POST
def residency_end(request: AuthedRequest, pk: int, residency_pk: int) -> HttpResponse:
    household = _editable_household(request, pk)
    residency = get_object_or_404(household_current_residencies(household), pk=residency_pk)
    try:
        services.residency_end(actor=request.user, residency=residency)
    except ValidationError as exc:
        messages.error(request, exc.messages[0])
    else:
        messages.success(request, _("已结束居住关系"))
    return redirect("ledger:household", pk=household.pk)


@login_required
@require_POST
def household_tag_add(request: AuthedRequest, pk: int) -> HttpResponse:
    household = _editable_household(request, pk)
    context = _household_context(request, household)
    form = TagForm(request.POST, people=context["people"])
    if form.is_valid():
        data = dict(form.cleaned_data)
        person = _visible_person(request, data.pop("person"))
        try:
            services.tag_add(actor=request.user, person=person, **data)  # type: ignore[arg-type]  # as above
        except ValidationError as exc:
            apply_domain_error(form, exc)
        else:
            messages.success(request, _("已添加人群标签"))
            return redirect("ledger:household", pk=household.pk)
    return _household_form_error(request, household, tag_form=form)


@login_required
@require_POST
def tag_end(request: AuthedRequest, pk: int, tag_pk: int) -> HttpResponse:
    household = _editable_household(request, pk)
    tag = get_object_or_404(household_current_tags(household), pk=tag_pk)
    services.tag_end(actor=request.user, tag=tag)
    messages.success(request, _("已结束人群标签"))
    return redirect("ledger:household", pk=household.pk)


@login_required
@require_POST
def household_need_add(request: AuthedRequest, pk: int) -> HttpResponse:
    household = _editable_household(request, pk)
    context = _household_context(request, household)
    form = NeedForm(request.POST, people=context["people"])
    if form.is_valid():
        person = (
            _visible_person(request, form.cleaned_data["person"]) if form.cleaned_data["person"] else None
        )
        try:
            services.need_create(
                actor=request.user,
                household=household,
                kind=form.cleaned_data["kind"],
                detail=form.cleaned_data["detail"],
                person=person,
            )
        except ValidationError as exc:
            apply_domain_error(form, exc)
        else:
            messages.success(request, _("已登记服务需求"))
            return redirect("ledger:household", pk=household.pk)
    return _household_form_error(request, household, need_form=form)


@login_required
@require_POST
def need_status(request: AuthedRequest, pk: int, need_pk: int) -> HttpResponse:
    household = _editable_household(request, pk)
    need = get_object_or_404(household_needs(household), pk=need_pk)
    form = NeedStatusForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("状态无效"))
        return redirect("ledger:household", pk=household.pk)
    services.need_set_status(actor=request.user, need=need, status=form.cleaned_data["status"])
    messages.success(request, _("已更新需求状态"))
    return redirect("ledger:household", pk=household.pk)


@login_required
@require_POST
def household_confirm(request: AuthedRequest, pk: int) -> HttpResponse:
    household = _editable_household(request, pk)
    form = ConfirmForm(request.POST)
    if form.is_valid():
        services.household_confirm(
            actor=request.user,
            household=household,
            source=form.cleaned_data["source"],
            on=form.cleaned_data["on"],
        )
        messages.success(request, _("已记录核实"))
        return redirect("ledger:household", pk=household.pk)
    return _household_form_error(request, household, confirm_form=form)


# Duty roster --------------------------------------------------------------------------------------------------


@login_required
def duties(request: AuthedRequest) -> HttpResponse:
    _require(request)
    qs = duties_visible_to(request.user).select_related("person", "place", "community", "grid")
    kind = request.GET.get("kind", "")
    if kind in Duty.Kind.values:
        qs = qs.filter(kind=kind)
    communities = list(communities_visible_to(request.user).order_by("sort_key", "name"))
    community = request.GET.get("community", "")
    if community.isdigit():
        qs = qs.filter(community_id=int(community))
    show_ended = request.GET.get("ended") == "1"
    if not show_ended:
        qs = qs.filter(is_active=True)
    page = Paginator(qs.order_by("kind", "community_id", "place__path", "id"), DUTIES_PER_PAGE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "ledger/duties.html",
        {
            "page": page,
            "kinds": Duty.Kind.choices,
            "kind": kind,
            "communities": communities,
            "community": community,
            "show_ended": show_ended,
            "can_assign": has_right(request.user, Right.LEDGER_EDIT),
        },
    )


@login_required
def duty_assign(request: AuthedRequest) -> HttpResponse:
    _require(request, Right.LEDGER_EDIT)
    place_pk = request.POST.get("place") or request.GET.get("place")
    if not place_pk:
        # Choose where first: communities and compounds (buildings are reached from the place browser).
        choices = list(
            places_visible_to(request.user, Right.LEDGER_EDIT, levels=["community", "compound"]).order_by(
                "path"
            )[:500]
        )
        return render(request, "ledger/duty_place.html", {"choices": choices})
    place = get_object_or_404(duty_places_visible_to(request.user), pk=_int_or_404(place_pk))
    form = DutyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        person = _visible_person(request, data.pop("person"))
        if person is None:
            form.add_error("person", _("未找到该人员,或该人员不在您的管辖范围内"))
        else:
            try:
                services.duty_assign(actor=request.user, person=person, place=place, **data)
            except ValidationError as exc:
                apply_domain_error(form, exc)
            else:
                messages.success(request, _("已安排 %(name)s 的职责") % {"name": person.name})
                return redirect("ledger:duties")
    return render(
        request,
        "ledger/duty_assign.html",
        {"form": form, "place": place},
        status=400 if request.method == "POST" else 200,
    )


@login_required
@require_POST
def duty_end(request: AuthedRequest, pk: int) -> HttpResponse:
    _require(request)
    duty = get_object_or_404(duties_visible_to(request.user).filter(is_active=True), pk=pk)
    services.duty_end(actor=request.user, duty=duty)
    messages.success(request, _("已结束 %(name)s 的职责") % {"name": duty.person.name})
    return redirect("ledger:duties")
