"""Pages for epidemic operations: the board, the offline capture page, progress, check-ins, zones, monitoring,
contacts and testing rounds. Every object is reached through a scoped selector (another community → 404)."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext
from django.views.decorators.http import require_POST

from shequ.core.errors import DomainError
from shequ.core.forms import apply_domain_error
from shequ.core.http import AuthedRequest
from shequ.core.rights import Right
from shequ.emergency import policies as emergency_policies
from shequ.emergency.selectors import incidents_visible_to
from shequ.epidemic import policies, selectors, services
from shequ.epidemic.forms import (
    ContactForm,
    EntryForm,
    ImportForm,
    MonitoringForm,
    RefusalForm,
    RoundForm,
    TransferForm,
    ZoneForm,
)
from shequ.epidemic.models import HouseholdStatus

if TYPE_CHECKING:
    from shequ.emergency.models import Incident
    from shequ.ledger.models import Person


def _incident(user, pk, right=Right.EMERGENCY_VIEW) -> Incident:
    return get_object_or_404(incidents_visible_to(user, right), pk=pk)


def _manage(user, incident) -> bool:
    return policies.can_manage_incident(user, incident)


def _person(user, id_number: str) -> Person:
    person = selectors.person_by_id_number_visible_to(user, id_number)
    if person is None:
        raise DomainError(gettext("找不到该证件号码对应的人员,或不在您的管辖范围内"), field="id_number")
    return person


@login_required
def board(request: AuthedRequest, pk: int) -> HttpResponse:
    incident = _incident(request.user, pk)
    data = selectors.board(incident=incident, actor=request.user)
    return render(
        request,
        "epidemic/board.html",
        {"incident": incident, **data, "can_manage": _manage(request.user, incident)},
    )


@login_required
def progress(request: AuthedRequest, pk: int) -> HttpResponse:
    campaign = get_object_or_404(selectors.campaigns_visible_to(request.user), pk=pk)
    building = request.GET.get("building")
    building_id = int(building) if building and building.isdigit() else None
    revisit = request.GET.get("revisit") == "1"
    rows = selectors.screening_progress(campaign=campaign, actor=request.user)
    pending = None
    if building_id:
        pending = list(
            selectors.not_reached(
                campaign=campaign, actor=request.user, building_id=building_id, revisit=revisit
            )[:500]
        )
    return render(
        request,
        "epidemic/progress.html",
        {
            "campaign": campaign,
            "incident": campaign.incident,
            "rows": rows,
            "pending": pending,
            "building_id": building_id,
            "revisit": revisit,
            "total": sum(r["total"] for r in rows),
            "reached": sum(r["reached"] for r in rows),
        },
    )


@login_required
def capture(request: AuthedRequest, pk: int) -> HttpResponse:
    """The phone page for door-to-door screening. Works offline: static/epidemic/capture.js queues each
    submission (with an id made on the phone) in localStorage and sends it when the connection returns."""
    campaign = get_object_or_404(selectors.campaigns_visible_to(request.user, Right.EMERGENCY_CAPTURE), pk=pk)
    items = selectors.visit_items_visible_to(request.user).filter(campaign=campaign)
    buildings = list(
        items.values_list("building_id", "compound__name", "building__name")
        .distinct()
        .order_by("building_id")
    )
    building = request.GET.get("building")
    building_id = (
        int(building)
        if building and building.isdigit()
        else (buildings[0][0] if len(buildings) == 1 else None)
    )
    households = []
    if building_id:
        rows = list(items.filter(building_id=building_id).order_by("unit__sort_key", "dwelling__room")[:400])
        members = selectors.household_people([r.household_id for r in rows])
        households = [{"item": r, "people": members.get(r.household_id, [])} for r in rows]
    return render(
        request,
        "epidemic/capture.html",
        {
            "campaign": campaign,
            "incident": campaign.incident,
            "buildings": buildings,
            "building_id": building_id,
            "households": households,
            "statuses": HouseholdStatus.choices,
        },
    )


@login_required
def checkins(request: AuthedRequest, pk: int) -> HttpResponse:
    """Who has not checked in today, by building; and the check-in form for a building or the resident's home."""
    incident = (
        _incident(request.user, pk, Right.EMERGENCY_VIEW)
        if emergency_policies.can_view_emergency(request.user)
        else _resident_incident(request.user, pk)
    )
    building = request.GET.get("building")
    building_id = int(building) if building and building.isdigit() else None
    if request.method == "POST":
        person = get_object_or_404(
            _checkin_people(request.user, incident), pk=request.POST.get("person") or 0
        )
        try:
            services.checkin_submit(
                actor=request.user,
                incident=incident,
                person=person,
                client_uuid=request.POST.get("client_uuid"),
                temperature=request.POST.get("temperature"),
                has_symptoms=bool(request.POST.get("has_symptoms")),
                symptoms=request.POST.get("symptoms", ""),
            )
            messages.success(request, gettext("%(name)s 已打卡") % {"name": person.name})
        except PermissionDenied:
            raise Http404 from None
        except ValidationError as exc:
            messages.error(request, f"{person.name}:" + ";".join(exc.messages))
        return redirect(request.get_full_path())
    by_building = (
        selectors.not_checked_in_by_building(incident=incident, actor=request.user)
        if emergency_policies.can_view_emergency(request.user)
        else []
    )
    people = []
    if building_id:
        people = list(
            selectors.not_checked_in_people(incident=incident, actor=request.user, building_id=building_id)[
                :300
            ]
        )
    elif not by_building:
        people = list(_checkin_people(request.user, incident))
    return render(
        request,
        "epidemic/checkins.html",
        {
            "incident": incident,
            "by_building": by_building,
            "people": [(p, uuid.uuid4()) for p in people],
            "building_id": building_id,
            "threshold": incident.param("fever_threshold"),
        },
    )


def _resident_incident(user, pk) -> Incident:
    """A resident (no emergency right) reaches an active incident they may check in for."""
    return get_object_or_404(selectors.checkin_incidents_for(user, active_only=True), pk=pk)


def _checkin_people(user, incident):
    return selectors.checkin_people_for(user, incident=incident).order_by("name")


@login_required
def zones(request: AuthedRequest, pk: int) -> HttpResponse:
    incident = _incident(request.user, pk)
    places = selectors.incident_places(incident)
    form = ZoneForm(places=places, zone_types=incident.param("zone_types") or [])
    if request.method == "POST":
        if not _manage(request.user, incident):
            raise Http404
        if request.POST.get("end"):
            zone = get_object_or_404(
                selectors.zones_visible_to(request.user, Right.EMERGENCY_MANAGE),
                pk=request.POST.get("end"),
                incident=incident,
            )
            try:
                services.zone_end(actor=request.user, zone=zone)
                messages.success(request, gettext("已解除"))
            except ValidationError as exc:
                messages.error(request, ";".join(exc.messages))
            return redirect("epidemic:zones", pk=incident.pk)
        form = ZoneForm(request.POST, places=places, zone_types=incident.param("zone_types") or [])
        if form.is_valid():
            try:
                services.zone_set(actor=request.user, incident=incident, **form.cleaned_data)
                messages.success(request, gettext("已设置管控区域"))
                return redirect("epidemic:zones", pk=incident.pk)
            except ValidationError as exc:
                apply_domain_error(form, exc)
    return render(
        request,
        "epidemic/zones.html",
        {
            "incident": incident,
            "form": form,
            "can_manage": _manage(request.user, incident),
            "zones": selectors.zones_visible_to(request.user)
            .filter(incident=incident)
            .order_by("-starts_at"),
            "active_ids": set(selectors.active_zones(incident=incident).values_list("pk", flat=True)),
            "rules": incident.param("zone_rules") or {},
        },
    )


@login_required
def monitoring_list(request: AuthedRequest, pk: int) -> HttpResponse:
    incident = _incident(request.user, pk)
    form = MonitoringForm()
    if request.method == "POST":
        if not _manage(request.user, incident):
            raise Http404
        form = MonitoringForm(request.POST)
        if form.is_valid():
            try:
                person = _person(request.user, form.cleaned_data["id_number"])
                m = services.monitoring_start(
                    actor=request.user,
                    incident=incident,
                    person=person,
                    reason=form.cleaned_data["reason"],
                    kind=form.cleaned_data["kind"],
                    starts_on=form.cleaned_data["starts_on"],
                )
                messages.success(
                    request,
                    gettext("已登记,计划于%(date)s结束")
                    % {"date": m.planned_end_on.strftime(gettext("%m月%d日"))},
                )
                return redirect("epidemic:monitoring_list", pk=incident.pk)
            except ValidationError as exc:
                apply_domain_error(form, exc)
    rows = selectors.monitorings_visible_to(request.user).filter(incident=incident)[:500]
    return render(
        request,
        "epidemic/monitoring_list.html",
        {
            "incident": incident,
            "rows": rows,
            "form": form,
            "can_manage": _manage(request.user, incident),
            "days": incident.param("quarantine_days"),
        },
    )


@login_required
def monitoring_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    m = get_object_or_404(selectors.monitorings_visible_to(request.user), pk=pk)
    forms = {
        "entry": EntryForm(prefix="e"),
        "transfer": TransferForm(prefix="t"),
        "refusal": RefusalForm(prefix="r"),
    }
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "entry":
                forms["entry"] = f = EntryForm(request.POST, prefix="e")
                if f.is_valid():
                    services.monitoring_entry_add(actor=request.user, monitoring=m, **f.cleaned_data)
            elif action == "transfer":
                forms["transfer"] = f = TransferForm(request.POST, prefix="t")
                if f.is_valid():
                    services.monitoring_transfer(actor=request.user, monitoring=m, **f.cleaned_data)
            elif action == "refusal":
                forms["refusal"] = f = RefusalForm(request.POST, prefix="r")
                if f.is_valid():
                    services.monitoring_refusal(actor=request.user, monitoring=m, **f.cleaned_data)
            elif action == "release":
                f = None
                services.monitoring_release(actor=request.user, monitoring=m)
            else:
                raise Http404
            if f is None or not f.errors:
                messages.success(request, gettext("已保存"))
                return redirect("epidemic:monitoring_detail", pk=m.pk)
        except PermissionDenied:
            raise Http404 from None
        except ValidationError as exc:
            if f is not None:
                apply_domain_error(f, exc)
            else:
                messages.error(request, ";".join(exc.messages))
    return render(
        request,
        "epidemic/monitoring_detail.html",
        {
            "m": m,
            "incident": m.incident,
            "forms": forms,
            "entries": m.entries.all()[:100],
            "transfers": m.transfers.all(),
            "can_manage": _manage(request.user, m.incident),
        },
    )


@login_required
def contacts(request: AuthedRequest, pk: int) -> HttpResponse:
    incident = _incident(request.user, pk)
    form = ContactForm()
    if request.method == "POST":
        if not _manage(request.user, incident):
            raise Http404
        form = ContactForm(request.POST)
        if form.is_valid():
            data = dict(form.cleaned_data)
            try:
                person = _person(request.user, data.pop("id_number"))
                services.contact_add(actor=request.user, incident=incident, person=person, **data)
                messages.success(request, gettext("已登记并生成随访计划"))
                return redirect("epidemic:contacts", pk=incident.pk)
            except ValidationError as exc:
                apply_domain_error(form, exc)
    followups = (
        selectors.followups_visible_to(request.user)
        .filter(contact__incident=incident)
        .order_by("status", "due_on")[:500]
    )
    return render(
        request,
        "epidemic/contacts.html",
        {
            "incident": incident,
            "form": form,
            "can_manage": _manage(request.user, incident),
            "contacts": selectors.contacts_visible_to(request.user).filter(incident=incident)[:500],
            "followups": followups,
        },
    )


@login_required
@require_POST
def followup_record(request: AuthedRequest, pk: int) -> HttpResponse:
    followup = get_object_or_404(selectors.followups_visible_to(request.user), pk=pk)
    try:
        services.followup_record(
            actor=request.user,
            followup=followup,
            status=request.POST.get("status", ""),
            result=request.POST.get("result", ""),
        )
        messages.success(request, gettext("随访已记录"))
    except PermissionDenied:
        raise Http404 from None
    except ValidationError as exc:
        messages.error(request, ";".join(exc.messages))
    return redirect("epidemic:contacts", pk=followup.contact.incident_id)


@login_required
def testing(request: AuthedRequest, pk: int) -> HttpResponse:
    incident = _incident(request.user, pk)
    form = RoundForm()
    if request.method == "POST":
        if not _manage(request.user, incident):
            raise Http404
        form = RoundForm(request.POST)
        if form.is_valid():
            try:
                rnd = services.testing_round_create(
                    actor=request.user, incident=incident, **form.cleaned_data
                )
                return redirect("epidemic:testing_round", pk=rnd.pk)
            except ValidationError as exc:
                apply_domain_error(form, exc)
    from django.db.models import Count, Q

    rounds = (
        selectors.testing_rounds_visible_to(request.user)
        .filter(incident=incident)
        .annotate(
            total=Count("entries"),
            tested=Count("entries", filter=Q(entries__status="tested")),
            missed=Count("entries", filter=Q(entries__status="missed")),
            positive=Count("entries", filter=Q(entries__result="positive")),
        )
    )
    return render(
        request,
        "epidemic/testing.html",
        {"incident": incident, "rounds": rounds, "form": form, "can_manage": _manage(request.user, incident)},
    )


@login_required
def testing_round(request: AuthedRequest, pk: int) -> HttpResponse:
    rnd = get_object_or_404(selectors.testing_rounds_visible_to(request.user), pk=pk)
    form = ImportForm()
    errors: list[str] = []
    if request.method == "POST":
        if not _manage(request.user, rnd.incident):
            raise Http404
        try:
            if request.POST.get("action") == "missed":
                n = services.testing_mark_missed(actor=request.user, testing_round=rnd)
                messages.success(request, gettext("已将%(n)s人标记为漏检") % {"n": n})
                return redirect("epidemic:testing_round", pk=rnd.pk)
            form = ImportForm(request.POST, request.FILES)
            if form.is_valid():
                result = services.testing_import(
                    actor=request.user, testing_round=rnd, content=form.cleaned_data["file"].read()
                )
                messages.success(request, gettext("已导入%(n)s条结果") % {"n": result["rows"]})
                return redirect("epidemic:testing_round", pk=rnd.pk)
        except ValidationError as exc:
            errors = getattr(exc, "extra", {}).get("errors", [])
            apply_domain_error(form, exc)
    entries = (
        selectors.testing_entries_visible_to(request.user).filter(round=rnd).exclude(status="tested")[:300]
    )
    return render(
        request,
        "epidemic/testing_round.html",
        {
            "rnd": rnd,
            "incident": rnd.incident,
            "form": form,
            "errors": errors,
            "entries": entries,
            "can_manage": _manage(request.user, rnd.incident),
        },
    )


@login_required
@require_POST
def campaign_start(request: AuthedRequest, pk: int) -> HttpResponse:
    incident = _incident(request.user, pk, Right.EMERGENCY_MANAGE)
    try:
        campaign = services.campaign_start(
            actor=request.user, incident=incident, name=request.POST.get("name", "")
        )
        messages.success(request, gettext("已启动%(name)s") % {"name": campaign.name})
    except ValidationError as exc:
        messages.error(request, ";".join(exc.messages))
    return redirect("epidemic:board", pk=incident.pk)


def service_worker(request: HttpRequest) -> HttpResponse:
    """The capture page's service worker, served under /epidemic/ so its scope covers the capture pages."""
    from django.contrib.staticfiles import finders

    path = finders.find("epidemic/sw.js")
    with open(path, encoding="utf-8") as handle:
        response = HttpResponse(handle.read(), content_type="application/javascript; charset=utf-8")
    response["Cache-Control"] = "no-cache"
    return response
