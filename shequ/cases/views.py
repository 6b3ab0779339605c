"""Pages for requests and complaints: work queue, intake, the case page and its actions, the resident's phone
pages, the whistle board, the catalogue and admission-list editors, and the dashboard."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext
from django.views.decorators.http import require_POST

from shequ.cases import policies, selectors, services
from shequ.cases.forms import (
    AdmissionItemForm,
    AnonymousSubmitForm,
    DutyForm,
    IntakeForm,
    RateForm,
    ResidentSubmitForm,
    ServiceItemForm,
    WhistleForm,
)
from shequ.cases.models import Case, HandlingLevel
from shequ.core.errors import DomainError, first_message
from shequ.core.forms import apply_domain_error
from shequ.core.http import AuthedRequest
from shequ.places.levels import Level


class CappedPaginator(Paginator):
    """Counts at most CAP rows: the street's full history is a million cases, and nobody pages that far."""

    CAP = 10000

    @cached_property
    def count(self) -> int:
        return self.object_list.order_by()[: self.CAP + 1].count()

    @property
    def is_capped(self) -> bool:
        return self.count > self.CAP

    @property
    def shown_count(self) -> int:
        return min(self.count, self.CAP)


def _int(value) -> int | None:
    return int(value) if value and str(value).isdigit() else None


def _client_key(request: AuthedRequest) -> str:
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    return forwarded.split(",")[0].strip() if forwarded else request.META.get("REMOTE_ADDR", "")


# ---- work queue ----------------------------------------------------------------------------------------------


@login_required
def queue(request: AuthedRequest) -> HttpResponse:
    if not policies.can_work_cases(request.user):
        raise PermissionDenied
    g = request.GET
    filters = {
        "status": g.get("status", ""),
        "category": _int(g.get("category")),
        "place": _int(g.get("place")),
        "level": g.get("level", "") if g.get("level") in HandlingLevel.values else "",
        "overdue": g.get("overdue") == "1",
        "mine": g.get("mine") == "1",
        "q": g.get("q", "").strip()[:40],
    }
    rows = selectors.case_queue(request.user, **filters)
    page = CappedPaginator(rows, 30).get_page(g.get("page"))
    compounds = selectors.intake_places_for(request.user).filter(level=Level.COMPOUND)
    query = g.copy()
    query.pop("page", None)
    return render(
        request,
        "cases/queue.html",
        {
            "page": page,
            "filters": filters,
            "statuses": Case.Status.choices,
            "levels": HandlingLevel.choices,
            "categories": selectors.catalogue_for(request.user).select_related(None).only("id", "name"),
            "compounds": compounds.only("id", "name"),
            "query": query.urlencode(),
            "now": timezone.now(),
        },
    )


# ---- intake by a worker --------------------------------------------------------------------------------------


@login_required
def intake(request: AuthedRequest) -> HttpResponse:
    if not policies.can_take_intake(request.user):
        raise PermissionDenied
    places = list(selectors.intake_places_for(request.user).select_related("community"))
    items = list(selectors.catalogue_for(request.user, active_only=True))
    form = IntakeForm(request.POST or None, request.FILES or None, places=places, items=items)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        place = get_object_or_404(selectors.intake_places_for(request.user), pk=data["place"])
        category = next((i for i in items if i.pk == data["category"]), None)
        try:
            case = services.case_submit(
                actor=request.user,
                category=category,
                title=data["title"],
                description=data["description"],
                channel=data["channel"],
                place=place,
                requester_name=data["requester_name"],
                requester_phone=data["requester_phone"],
                attachments=data["attachments"],
            )
        except ValidationError as exc:
            apply_domain_error(form, exc)
        else:
            messages.success(request, gettext("诉求已登记,编号 %(number)s") % {"number": case.number})
            return redirect("cases:detail", pk=case.pk)
    return render(request, "cases/intake.html", {"form": form})


# ---- the case page -------------------------------------------------------------------------------------------


@login_required
def detail(request: AuthedRequest, pk: int) -> HttpResponse:
    case = get_object_or_404(selectors.cases_for_staff(request.user), pk=pk)
    user = request.user
    can_act = policies.can_act_on_case(user, case)
    can_whistle = policies.can_whistle_case(user, case) and case.is_open
    my_summonses = selectors.summons_for(user, case)
    whistles = selectors.whistles_of(case)
    now = timezone.now()
    for w in whistles:
        for s in w.summonses.all():
            s.current_state = s.state_at(now)
    merge_candidates = []
    if can_act and case.is_open:
        merge_candidates = selectors.merge_candidates(user, case)
    assignees = []
    if can_act and case.is_open:
        assignees = list(selectors.handlers_for(case, HandlingLevel.COMPOUND)) + list(
            selectors.handlers_for(case, HandlingLevel.COMMUNITY)
        )
    return render(
        request,
        "cases/detail.html",
        {
            "case": case,
            "events": selectors.case_timeline(case),
            "attachments": case.attachments.all(),
            "whistles": whistles,
            "can_act": can_act,
            "can_comment": policies.can_comment_case(user, case),
            "can_whistle": can_whistle,
            "whistle_form": WhistleForm(members=selectors.party_members_for(case)[:200])
            if can_whistle
            else None,
            "my_summonses": my_summonses,
            "merge_candidates": merge_candidates,
            "assignees": assignees,
            "next_level": case.level != HandlingLevel.DEPARTMENT,
        },
    )


ACTIONS = {
    "accept",
    "start",
    "escalate",
    "resolve",
    "close",
    "reopen",
    "comment",
    "attach",
    "assign",
    "merge",
    "whistle",
}


@login_required
@require_POST
def act(request: AuthedRequest, pk: int, action: str) -> HttpResponse:
    if action not in ACTIONS:
        raise Http404
    user = request.user
    case = get_object_or_404(selectors.cases_for_staff(user), pk=pk)
    p = request.POST
    try:
        if action == "accept":
            services.case_accept(actor=user, case=case)
        elif action == "start":
            services.case_start(actor=user, case=case)
        elif action == "escalate":
            services.case_escalate(actor=user, case=case, reason=p.get("reason", ""))
        elif action == "resolve":
            services.case_resolve(actor=user, case=case, resolution=p.get("resolution", ""))
        elif action == "close":
            services.case_close(actor=user, case=case)
        elif action == "reopen":
            services.case_reopen(actor=user, case=case, reason=p.get("reason", ""))
        elif action == "comment":
            services.case_comment(
                actor=user, case=case, text=p.get("text", ""), public=p.get("public") == "1"
            )
        elif action == "attach":
            services.case_attach(actor=user, case=case, files=request.FILES.getlist("attachments"))
        elif action == "assign":
            assignee = selectors.assignable_users(case).filter(pk=_int(p.get("assignee")) or 0).first()
            services.case_assign(actor=user, case=case, assignee=assignee)
        elif action == "merge":
            into = selectors.cases_for_staff(user).filter(pk=_int(p.get("into")) or 0).first()
            services.case_merge(actor=user, case=case, into=into)
        elif action == "whistle":
            form = WhistleForm(p, members=selectors.party_members_for(case)[:200])
            form.is_valid()
            data = form.cleaned_data
            if "report_by" in form.errors:
                raise DomainError(gettext("报到期限格式不正确"), field="report_by")
            report_by = data.get("report_by")
            if report_by is not None and timezone.is_naive(report_by):
                report_by = timezone.make_aware(report_by)
            members = list(selectors.party_members_for(case).filter(pk__in=data.get("members") or []))
            services.whistle_blow(
                actor=user,
                case=case,
                reason=data.get("reason", ""),
                report_by=report_by,
                departments=data.get("departments") or [],
                members=members,
            )
    except ValidationError as exc:
        messages.error(request, first_message(exc))
    else:
        messages.success(request, gettext("已完成"))
    return redirect("cases:detail", pk=case.pk)


@login_required
@require_POST
def report(request: AuthedRequest, pk: int) -> HttpResponse:
    """报到: a liaison (or a summoned member) acknowledges; not summoned → a clear message, nothing changed."""
    case = get_object_or_404(selectors.cases_reportable_by(request.user), pk=pk)
    try:
        services.whistle_report(
            actor=request.user, case=case, action_taken=request.POST.get("action_taken", "")
        )
    except ValidationError as exc:
        messages.error(request, first_message(exc))
        if not selectors.cases_for_staff(request.user).filter(pk=case.pk).exists():
            return redirect("cases:whistles_summoned")
    else:
        messages.success(request, gettext("已报到"))
    return redirect("cases:detail", pk=case.pk)


@login_required
def attachment(request: AuthedRequest, pk: int) -> FileResponse:
    item = get_object_or_404(selectors.attachments_visible_to(request.user), pk=pk)
    return FileResponse(item.file.open("rb"), content_type=item.content_type, filename=item.original_name)


def track_attachment(request: HttpRequest, token: str, pk: int) -> FileResponse:
    case = get_object_or_404(selectors.case_by_token(token))
    item = get_object_or_404(case.attachments, pk=pk)
    return FileResponse(item.file.open("rb"), content_type=item.content_type, filename=item.original_name)


# ---- resident phone pages ------------------------------------------------------------------------------------


def submit(request: HttpRequest) -> HttpResponse:
    """居民反映: logged in (their home is the place) or anonymous (name + phone, rate-limited)."""
    user = request.user
    home = selectors.home_of(user) if user.is_authenticated else None
    if user.is_authenticated and home is None:
        return (
            redirect("cases:intake")
            if policies.can_handle_cases(user)
            else render(request, "cases/submit.html", {"no_home": True})
        )
    if home is not None:
        items = list(selectors.catalogue_for_place(home.unit))
        form = ResidentSubmitForm(request.POST or None, request.FILES or None, items=items)
    else:
        places = list(selectors.public_places().select_related("community"))
        chosen = (
            _int(request.POST.get("place")) if request.method == "POST" else _int(request.GET.get("place"))
        )
        chosen_place = next((p for p in places if p.pk == chosen), None)
        items = list(selectors.catalogue_for_place(chosen_place or places[0])) if places else []
        form = AnonymousSubmitForm(request.POST or None, request.FILES or None, items=items, places=places)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        category = next((i for i in items if i.pk == data["category"]), None)
        try:
            if home is not None:
                case = services.case_submit(
                    actor=user,
                    category=category,
                    title=data["title"],
                    description=data["description"],
                    channel=Case.Channel.RESIDENT,
                    dwelling=home,
                    attachments=data["photo"],
                )
            else:
                case = services.case_submit(
                    actor=user,
                    category=category,
                    title=data["title"],
                    description=data["description"],
                    channel=Case.Channel.ANONYMOUS,
                    place=chosen_place,
                    attachments=data["photo"],
                    requester_name=data["requester_name"],
                    requester_phone=data["requester_phone"],
                    client_key=_client_key(request),
                )
        except ValidationError as exc:
            apply_domain_error(form, exc)
        else:
            if home is not None:
                messages.success(
                    request,
                    gettext("已提交,编号 %(number)s,可在“我的诉求”查看进度") % {"number": case.number},
                )
                return redirect("cases:my_detail", pk=case.pk)
            return redirect("cases:track", token=case.track_token)
    return render(request, "cases/submit.html", {"form": form, "home": home})


@login_required
def my_list(request: AuthedRequest) -> HttpResponse:
    page = Paginator(selectors.my_cases(request.user), 20).get_page(request.GET.get("page"))
    return render(request, "cases/my_list.html", {"page": page})


def _requester_page(request, case: Case, *, token: str = "") -> HttpResponse:
    rate_form = RateForm(request.POST or None) if case.can_be_rated else None
    if request.method == "POST":
        what = request.POST.get("what")
        try:
            if what == "rate":
                services.case_rate(
                    actor=request.user,
                    case=case,
                    score=request.POST.get("score"),
                    comment=request.POST.get("comment", ""),
                    token=token,
                )
                messages.success(request, gettext("感谢您的评价"))
            elif what == "reopen" and request.user.is_authenticated:
                services.case_reopen(actor=request.user, case=case, reason=request.POST.get("reason", ""))
                messages.success(request, gettext("已重新提交办理"))
            else:
                raise Http404
        except ValidationError as exc:
            messages.error(request, first_message(exc))
        return redirect(request.path)
    return render(
        request,
        "cases/my_detail.html",
        {
            "case": case,
            "events": selectors.case_timeline(case, public_only=True),
            "attachments": case.attachments.all(),
            "rate_form": rate_form,
            "token": token,
        },
    )


@login_required
def my_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    case = get_object_or_404(selectors.my_cases(request.user), pk=pk)
    return _requester_page(request, case)


def track(request: HttpRequest, token: str) -> HttpResponse:
    case = get_object_or_404(selectors.case_by_token(token))
    return _requester_page(request, case, token=token)


# ---- whistle board -------------------------------------------------------------------------------------------


@login_required
def whistles(request: AuthedRequest, summoned: bool = False) -> HttpResponse:
    rows = list(selectors.whistles_visible_to(request.user, open_only=request.GET.get("all") != "1")[:200])
    now = timezone.now()
    for w in rows:
        w.parties = list(w.summonses.all())
        for s in w.parties:
            s.current_state = s.state_at(now)
    mine = {s.pk for w in rows for s in selectors.summons_for(request.user, w.case)} if summoned else set()
    return render(
        request, "cases/whistles.html", {"whistles": rows, "summoned": summoned, "mine": mine, "now": now}
    )


# ---- catalogue -----------------------------------------------------------------------------------------------


@login_required
def catalogue(request: AuthedRequest) -> HttpResponse:
    items = selectors.catalogue_for(request.user).order_by("kind", "name")
    editable = set(selectors.catalogue_editable_by(request.user).values_list("pk", flat=True))
    return render(
        request,
        "cases/catalogue.html",
        {"items": items, "editable": editable, "can_add": policies.can_edit_catalogue(request.user)},
    )


@login_required
def catalogue_edit(request: AuthedRequest, pk: int | None = None) -> HttpResponse:
    if not policies.can_edit_catalogue(request.user):
        raise PermissionDenied
    item = get_object_or_404(selectors.catalogue_editable_by(request.user), pk=pk) if pk else None
    scopes = selectors.catalogue_scopes_for(request.user)
    form = ServiceItemForm(request.POST or None, instance=item, scopes=scopes)
    if request.method == "POST" and form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if k != "scope"}
        try:
            if item is None:
                scope = form.cleaned_data.get("scope") or (scopes[0][0] if scopes else "")
                place = selectors.catalogue_scope_place(request.user, scope)
                if place is None:
                    raise PermissionDenied
                street = place if place.level == Level.STREET else place.street
                community = place if place.level == Level.COMMUNITY else None
                item = services.service_item_create(
                    actor=request.user, street=street, community=community, **data
                )
            else:
                item = selectors.catalogue_editable_by(request.user).get(pk=item.pk)
                services.service_item_update(actor=request.user, item=item, **data)
        except ValidationError as exc:
            apply_domain_error(form, exc)
        else:
            messages.success(request, gettext("服务目录已保存"))
            return redirect("cases:catalogue")
    return render(request, "cases/catalogue_form.html", {"form": form, "item": item})


# ---- admission list, handed-down duties, burden --------------------------------------------------------------


@login_required
def admission(request: AuthedRequest) -> HttpResponse:
    if not policies.can_edit_catalogue(request.user):
        raise PermissionDenied
    return render(
        request,
        "cases/admission.html",
        {
            "items": selectors.admission_items_for(request.user),
            "duties": selectors.duties_visible_to(request.user)[:100],
            "burden": selectors.duty_burden(request.user),
            "can_edit": bool(selectors.streets_editable_by(request.user)),
        },
    )


@login_required
def admission_edit(request: AuthedRequest, pk: int | None = None) -> HttpResponse:
    streets = selectors.streets_editable_by(request.user)
    if not streets:
        raise PermissionDenied
    item = (
        get_object_or_404(selectors.admission_items_for(request.user).filter(street__in=streets), pk=pk)
        if pk
        else None
    )
    form = AdmissionItemForm(request.POST or None, instance=item)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            if item is None:
                services.admission_item_create(actor=request.user, street=streets[0], **data)
            else:
                fresh = selectors.admission_items_for(request.user).get(pk=item.pk)
                data.pop("department", None)
                services.admission_item_update(actor=request.user, item=fresh, **data)
        except ValidationError as exc:
            apply_domain_error(form, exc)
        else:
            messages.success(request, gettext("准入清单已保存"))
            return redirect("cases:admission")
    return render(request, "cases/admission_form.html", {"form": form, "item": item})


@login_required
def duty_new(request: AuthedRequest) -> HttpResponse:
    if not policies.can_edit_catalogue(request.user):
        raise PermissionDenied
    communities = list(selectors.communities_editable_by(request.user))
    admission_items = list(selectors.admission_items_for(request.user).filter(is_active=True))
    form = DutyForm(request.POST or None, communities=communities, admission_items=admission_items)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        community = next((c for c in communities if c.pk == data["community"]), None)
        chosen = next((i for i in admission_items if i.pk == data["admission_item"]), None)
        try:
            duty = services.duty_record(
                actor=request.user,
                community=community,
                department=data["department"],
                title=data["title"],
                description=data["description"],
                admission_item=chosen,
                handed_on=data["handed_on"],
                estimated_hours=data["estimated_hours"] or 0,
            )
        except ValidationError as exc:
            apply_domain_error(form, exc)
        else:
            if duty.is_on_list:
                messages.success(request, gettext("已登记(在准入清单内)"))
            else:
                messages.warning(request, gettext("已登记。该事项不在准入清单内,已提示街道核查"))
            return redirect("cases:admission")
    return render(request, "cases/duty_form.html", {"form": form})


# ---- dashboard -----------------------------------------------------------------------------------------------


@login_required
def dashboard(request: AuthedRequest) -> HttpResponse:
    if not policies.can_handle_cases(request.user):
        raise PermissionDenied
    return render(
        request,
        "cases/dashboard.html",
        {"data": selectors.dashboard(request.user)},
    )
