"""Pages of record linkage: the review queue (two records side by side, differences highlighted, each
comparison's contribution, keyboard decisions), duplicate scans with progress, merges with undo, and splitting a
person. Every object is reached through a scoped selector (another community's → 404); every write goes through
one service."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from shequ.core.errors import first_message
from shequ.core.http import AuthedRequest
from shequ.core.rights import Right
from shequ.ledger.selectors import person_search
from shequ.linkage import selectors, services
from shequ.linkage.forms import DecisionForm, ScanForm, SplitForm
from shequ.linkage.models import ReviewItem
from shequ.linkage.policies import can_review, can_undo_merge

QUEUE_SIZE = 50


def _require(request: AuthedRequest) -> None:
    """No review right anywhere: the pages do not exist for this user."""
    if not can_review(request.user):
        raise Http404


@login_required
def queue(request: AuthedRequest) -> HttpResponse:
    _require(request)
    items = selectors.review_items_visible_to(request.user)
    open_items = list(items.filter(status=ReviewItem.Status.OPEN).order_by("-probability", "id")[:QUEUE_SIZE])
    context = {
        "open_items": open_items,
        "open_count": items.filter(status=ReviewItem.Status.OPEN).count(),
        "skipped": list(items.filter(status=ReviewItem.Status.SKIPPED).order_by("-probability", "id")[:20]),
        "runs": list(selectors.runs_visible_to(request.user)[:10]),
        "merges": list(selectors.merges_visible_to(request.user)[:10]),
        "scan_form": ScanForm(communities=selectors.scan_communities_for(request.user)),
    }
    return render(request, "linkage/queue.html", context)


@login_required
def next_item(request: AuthedRequest) -> HttpResponse:
    _require(request)
    item = selectors.open_items(request.user).first()
    if item is None:
        messages.success(request, _("待核对的记录已全部处理完毕。"))
        return redirect("linkage:queue")
    return redirect("linkage:review", number=item.number)


@login_required
def review(request: AuthedRequest, number: str) -> HttpResponse:
    _require(request)
    item = get_object_or_404(selectors.review_items_visible_to(request.user), number=number)
    return _review_page(request, item, DecisionForm())


def _review_page(request, item, form, status=200):
    open_qs = selectors.open_items(request.user)
    ahead = open_qs.exclude(pk=item.pk)
    context = {
        "item": item,
        "pair": selectors.pair_view(item),
        "form": form,
        "remaining": ahead.count(),
        "next_item": ahead.first(),
        "is_open": item.status in (ReviewItem.Status.OPEN, ReviewItem.Status.SKIPPED),
    }
    return render(request, "linkage/review.html", context, status=status)


@login_required
@require_POST
def decide(request: AuthedRequest, number: str) -> HttpResponse:
    _require(request)
    item = get_object_or_404(selectors.review_items_visible_to(request.user), number=number)
    form = DecisionForm(request.POST)
    if not form.is_valid():
        return _review_page(request, item, form, status=400)
    try:
        item = services.review_decide(actor=request.user, item=item, decision=form.cleaned_data["decision"])
    except ValidationError as exc:
        form.add_error(None, first_message(exc))
        return _review_page(request, item, form, status=400)
    except PermissionDenied as exc:
        raise Http404 from exc
    if getattr(item, "merge", None) is not None:
        messages.success(request, _("已合并为同一人,可在此撤销。"))
        return redirect("linkage:merge", number=item.merge.number)
    messages.success(request, _("已记录:%(status)s") % {"status": item.get_status_display()})
    following = selectors.open_items(request.user).first()
    if following is None:
        return redirect("linkage:queue")
    return redirect("linkage:review", number=following.number)


@login_required
@require_POST
def scan_start(request: AuthedRequest) -> HttpResponse:
    _require(request)
    communities = selectors.scan_communities_for(request.user)
    form = ScanForm(request.POST, communities=communities)
    if not form.is_valid():
        messages.error(request, _("请选择要查重的社区"))
        return redirect("linkage:queue")
    community = next(c for c in communities if str(c.pk) == form.cleaned_data["community"])
    try:
        run = services.dedupe_scan_start(actor=request.user, community=community)
    except ValidationError as exc:
        messages.error(request, first_message(exc))
        return redirect("linkage:queue")
    return redirect("linkage:run", number=run.number)


@login_required
def run_detail(request: AuthedRequest, number: str) -> HttpResponse:
    _require(request)
    run = get_object_or_404(selectors.runs_visible_to(request.user), number=number)
    template = "linkage/_run_progress.html" if request.htmx else "linkage/run.html"
    # the questions the run left open: row↔person items and, from a batch's own duplicates, person↔person ones
    # (run.review counts rows only)
    open_items = selectors.open_items(request.user).filter(run=run).count() if run.status == "done" else 0
    return render(request, template, {"run": run, "open_items": open_items})


@login_required
def merges(request: AuthedRequest) -> HttpResponse:
    _require(request)
    return render(
        request, "linkage/merges.html", {"merges": list(selectors.merges_visible_to(request.user)[:100])}
    )


@login_required
def merge_detail(request: AuthedRequest, number: str) -> HttpResponse:
    _require(request)
    merge = get_object_or_404(selectors.merges_visible_to(request.user), number=number)
    people = [merge.keep_id] + ([merge.drop_id] if merge.drop_id else [])
    context = {
        "merge": merge,
        "households": selectors.households_of(people),
        "can_undo": can_undo_merge(request.user, merge),
        "summary": sorted(merge.summary.items()),
    }
    return render(request, "linkage/merge.html", context)


@login_required
@require_POST
def merge_undo(request: AuthedRequest, number: str) -> HttpResponse:
    _require(request)
    merge = get_object_or_404(selectors.merges_visible_to(request.user), number=number)
    try:
        services.merge_undo(actor=request.user, merge=merge)
    except ValidationError as exc:
        messages.error(request, first_message(exc))
    except PermissionDenied as exc:
        raise Http404 from exc
    else:
        messages.success(request, _("已撤销,两人的记录已恢复原状。"))
    return redirect("linkage:merge", number=merge.number)


@login_required
def person_split(request: AuthedRequest, pk: int) -> HttpResponse:
    _require(request)
    person = get_object_or_404(selectors.people_for_linkage(request.user), pk=pk)
    groups = selectors.split_groups(person)
    form = SplitForm(request.POST or None)
    status = 200
    if request.method == "POST":
        moves = {g["key"]: [int(v) for v in request.POST.getlist(g["key"]) if v.isdigit()] for g in groups}
        if form.is_valid():
            try:
                merge = services.person_split(
                    actor=request.user, person=person, moves=moves, **form.cleaned_data
                )
            except ValidationError as exc:
                field = getattr(exc, "field", None)
                form.add_error(field if field in form.fields else None, first_message(exc))
            except PermissionDenied as exc:
                raise Http404 from exc
            else:
                messages.success(request, _("已拆分为两人,可在此撤销。"))
                return redirect(reverse("linkage:merge", kwargs={"number": merge.number}))
        status = 400
    return render(
        request, "linkage/split.html", {"person": person, "groups": groups, "form": form}, status=status
    )


@login_required
def person_merge(request: AuthedRequest, pk: int) -> HttpResponse:
    """Find a duplicate record of this person and merge it into this one. The search text is POSTed, so a full ID
    or phone number never lands in a URL."""
    _require(request)
    people = selectors.people_for_linkage(request.user)
    keep = get_object_or_404(people, pk=pk)
    query = (request.POST.get("q") or "").strip()[:60]
    status = 200
    if request.method == "POST" and request.POST.get("drop"):
        drop = people.filter(pk=request.POST["drop"]).first() if request.POST["drop"].isdigit() else None
        if drop is None:
            messages.error(request, _("被合并的人员不存在或不在您的管辖范围内"))
            status = 400
        else:
            try:
                merge = services.person_merge(actor=request.user, keep=keep, drop=drop)
            except ValidationError as exc:
                messages.error(request, first_message(exc))
                status = 400
            except PermissionDenied as exc:
                raise Http404 from exc
            else:
                messages.success(request, _("已合并,可在此撤销。"))
                return redirect("linkage:merge", number=merge.number)
    found = []
    if query:
        found = [
            p
            for p in person_search(actor=request.user, query=query, right=Right.LINKAGE_REVIEW)
            if p.pk != keep.pk
        ]
    context = {"keep": keep, "query": query, "found": found, "searched": bool(query)}
    return render(request, "linkage/person_merge.html", context, status=status)
