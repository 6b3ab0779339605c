"""Pages of imports and the calibrated ledger: upload → map columns → preview → import with a progress bar →
results with rejected rows and the Excel error report; who says what about a person; conflicts to settle; the
owner-vs-occupant report; stale households; extracts for departments. Objects are reached through scoped
selectors (another community's → 404); writes go through services."""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.middleware import HtmxDetails

from shequ.core.errors import DomainError, first_message
from shequ.core.forms import apply_domain_error
from shequ.core.http import AuthedRequest
from shequ.core.rights import Right
from shequ.imports import policies, selectors, services
from shequ.imports.downloads import xlsx_download, xlsx_response
from shequ.imports.forms import ExtractForm, SettleForm, SourceForm, StaleForm, UploadForm
from shequ.imports.models import ImportBatch
from shequ.imports.parsing import FIELD_LABELS, write_error_report
from shequ.imports.selectors import OwnerOccupantKind
from shequ.ledger.selectors import people_visible_to

ROWS_PER_PAGE = 50


class HtmxHttpRequest(HttpRequest):
    """A request as django-htmx's middleware leaves it (for the type checker)."""

    htmx: HtmxDetails


def _allow(request: AuthedRequest, policy: Callable[..., bool] = policies.can_import) -> None:
    """The page exists only for those the policy lets in (404 for everyone else, as for objects out of scope)."""
    if not policy(request.user):
        raise Http404


def _batch(request: AuthedRequest, pk: int) -> ImportBatch:
    _allow(request)
    return get_object_or_404(selectors.batches_visible_to(request.user), pk=pk)


# Batches ------------------------------------------------------------------------------------------------------


def _upload_form(request, data=None, files=None) -> UploadForm:
    places = selectors.import_places_for(request.user)
    for street in selectors.streets_without_default_sources(places):
        services.sources_ensure_defaults(street=street)
    return UploadForm(data, files, sources=selectors.sources_visible_to(request.user), places=places)


@login_required
@require_http_methods(["GET", "POST"])
def index(request: AuthedRequest) -> HttpResponse:
    """数据导入 — the batches and the upload form."""
    _allow(request)
    duplicate = None
    if request.method == "POST":
        form = _upload_form(request, request.POST, request.FILES)
        if form.is_valid():
            try:
                batch = services.batch_upload(
                    actor=request.user,
                    source=form.cleaned_data["source"],
                    place=form.cleaned_data["place"],
                    uploaded=form.cleaned_data["file"],
                    observed_on=form.cleaned_data["observed_on"],
                )
                return redirect("imports:batch", pk=batch.pk)
            except DomainError as exc:
                apply_domain_error(form, exc)
                earlier = exc.extra.get("batch")
                if earlier is not None and policies.can_view_batch(request.user, earlier):
                    duplicate = earlier
    else:
        form = _upload_form(request)
    page = Paginator(selectors.batches_visible_to(request.user), 20).get_page(request.GET.get("page"))
    return render(
        request,
        "imports/index.html",
        {"form": form, "page": page, "duplicate": duplicate, "Status": ImportBatch.Status},
    )


@login_required
@require_http_methods(["GET", "POST"])
def sources(request: AuthedRequest) -> HttpResponse:
    _allow(request)
    places = selectors.import_places_for(request.user)
    form = SourceForm(request.POST or None, places=places)
    if request.method == "POST" and form.is_valid():
        try:
            services.source_create(
                actor=request.user,
                owner=form.cleaned_data["owner"],
                name=form.cleaned_data["name"],
                kind=form.cleaned_data["kind"],
                trust_rank=form.cleaned_data["trust_rank"],
            )
            messages.success(request, _("已添加数据来源"))
            return redirect("imports:sources")
        except DomainError as exc:
            apply_domain_error(form, exc)
    return render(
        request, "imports/sources.html", {"form": form, "sources": selectors.sources_visible_to(request.user)}
    )


@login_required
@require_GET
def batch_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    batch = _batch(request, pk)
    context: dict = {"batch": batch, "fields": list(FIELD_LABELS.items()), "Status": ImportBatch.Status}
    context["columns"] = [(i, h, batch.mapping.get(h)) for i, h in enumerate(batch.headers)]
    if batch.status == ImportBatch.Status.MAPPED:
        try:
            context["preview"] = selectors.batch_preview(batch)
        except Exception:
            context["preview_error"] = _("文件无法读取,请重新上传")
    if batch.status in (ImportBatch.Status.DONE, ImportBatch.Status.FAILED):
        rows = selectors.rows_not_imported(batch)
        context["rejected_page"] = Paginator(rows, ROWS_PER_PAGE).get_page(request.GET.get("page"))
        context["review_count"] = batch.review
    return render(request, "imports/batch.html", context)


@login_required
@require_POST
def batch_mapping(request: AuthedRequest, pk: int) -> HttpResponse:
    batch = _batch(request, pk)
    mapping = {h: (request.POST.get(f"col_{i}") or None) for i, h in enumerate(batch.headers)}
    try:
        services.batch_set_mapping(actor=request.user, batch=batch, mapping=mapping)
    except DomainError as exc:
        messages.error(request, first_message(exc))
    return redirect("imports:batch", pk=batch.pk)


@login_required
@require_POST
def batch_run(request: AuthedRequest, pk: int) -> HttpResponse:
    batch = _batch(request, pk)
    try:
        services.batch_start(actor=request.user, batch=batch)
    except DomainError as exc:
        messages.error(request, first_message(exc))
    return redirect("imports:batch", pk=batch.pk)


@login_required
@require_GET
def batch_progress(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """The progress bar (HTMX polls it); when the run ends the page reloads to show the results."""
    batch = _batch(request, pk)
    response = render(request, "imports/_progress.html", {"batch": batch})
    if not batch.is_running and request.htmx:
        response["HX-Refresh"] = "true"
    return response


@login_required
@require_GET
def batch_error_report(request: AuthedRequest, pk: int) -> HttpResponse:
    """未导入的行.xlsx — the original columns plus row number and reasons."""
    batch = _batch(request, pk)
    out = io.BytesIO()
    write_error_report(batch.headers, selectors.rejected_for_report(batch), out)
    return xlsx_download(out.getvalue(), _("%(number)s-未导入的行.xlsx") % {"number": batch.number})


# Provenance and conflicts -------------------------------------------------------------------------------------


@login_required
@require_GET
def provenance(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """谁说了什么 — a partial for the person page (HTMX), or a page of its own."""
    _allow(request, policies.can_view_provenance)
    person = get_object_or_404(people_visible_to(request.user), pk=pk)
    context = {"person": person, "stories": selectors.person_provenance(person)}
    if request.htmx:
        return render(request, "imports/_provenance.html", context)
    return render(request, "imports/provenance.html", context)


@login_required
@require_GET
def conflicts(request: AuthedRequest) -> HttpResponse:
    _allow(request, policies.can_settle_conflicts)
    items = selectors.conflicts_for(request.user)
    page = Paginator(items, 30).get_page(request.GET.get("page"))
    return render(request, "imports/conflicts.html", {"page": page})


@login_required
@require_POST
def conflict_settle(request: AuthedRequest, pk: int) -> HttpResponse:
    _allow(request, policies.can_settle_conflicts)
    person = get_object_or_404(people_visible_to(request.user, Right.LEDGER_EDIT), pk=pk)
    form = SettleForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("请选择一个来源的值"))
        return redirect("imports:conflicts")
    observation = selectors.observation_of(
        person, pk=form.cleaned_data["observation"], field=form.cleaned_data["field"]
    )
    if observation is None:
        messages.error(request, _("请选择一个来源的值"))
        return redirect("imports:conflicts")
    try:
        services.conflict_settle(
            actor=request.user,
            person=person,
            field=form.cleaned_data["field"],
            observation=observation,
            note=form.cleaned_data["note"],
        )
        messages.success(request, _("已采用该值"))
    except (DomainError, ValidationError) as exc:
        messages.error(request, first_message(exc))
    except PermissionDenied:
        raise Http404 from None
    return redirect("imports:conflicts")


# Reports ------------------------------------------------------------------------------------------------------


@login_required
@require_GET
def owners(request: AuthedRequest) -> HttpResponse:
    """人房不一致 — owners not living in their dwelling, occupants on no owner list."""
    _allow(request, policies.can_view_owner_report)
    lines = selectors.owner_occupant_report(request.user)
    kind = request.GET.get("kind")
    if kind in OwnerOccupantKind.values:
        lines = [line for line in lines if line.kind == kind]
    if request.GET.get("format") == "xlsx":

        def rows():
            yield ["房屋", "情况", "业主", "实际居住人"]
            for line in lines:
                yield [
                    line.dwelling.address,
                    line.kind_label,
                    "、".join(r.person.name for r in line.owners),
                    "、".join(f"{r.person.name}({r.get_role_display()})" for r in line.occupants),
                ]

        return xlsx_response("人房不一致.xlsx", rows(), title="人房不一致")
    page = Paginator(lines, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "imports/owners.html",
        {"page": page, "kind": kind, "count": len(lines), "kinds": OwnerOccupantKind},
    )


@login_required
@require_GET
def stale(request: AuthedRequest) -> HttpResponse:
    """久未核实的户 — households not confirmed within a chosen period."""
    _allow(request, policies.can_view_stale_households)
    form = StaleForm(request.GET or None)
    today = timezone.localdate()
    before = today - timedelta(days=90)
    if form.is_valid():
        if form.cleaned_data["before"]:
            before = form.cleaned_data["before"]
        elif form.cleaned_data["days"]:
            before = today - timedelta(days=int(form.cleaned_data["days"]))
    households = selectors.stale_households(request.user, before=before)
    page = Paginator(households, 50).get_page(request.GET.get("page"))
    return render(request, "imports/stale.html", {"form": form, "page": page, "before": before})


@login_required
@require_http_methods(["GET", "POST"])
def extracts(request: AuthedRequest) -> HttpResponse:
    """数据共享 — a department liaison's extract of chosen columns for their jurisdiction (logged)."""
    _allow(request, policies.can_request_extract)
    places = selectors.extract_places_for(request.user)
    form = ExtractForm(request.POST or None, places=places)
    if request.method == "POST" and form.is_valid():
        try:
            extract = services.extract_create(
                actor=request.user,
                place=form.cleaned_data["place"],
                columns=form.cleaned_data["columns"],
                purpose=form.cleaned_data["purpose"],
            )
            return xlsx_response(
                f"{extract.number}.xlsx",
                selectors.extract_rows(actor=request.user, extract=extract),
                title="提取",
            )
        except DomainError as exc:
            apply_domain_error(form, exc)
        except PermissionDenied:
            form.add_error("place", _("不在您的管辖范围内"))
    history = selectors.extracts_requested_by(request.user)[:20]
    return render(request, "imports/extracts.html", {"form": form, "history": history})
