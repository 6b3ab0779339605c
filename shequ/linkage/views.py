"""Pages of record linkage: the review queue (two records side by side, differences highlighted, each
comparison's contribution, keyboard decisions), duplicate scans with progress, merges with undo, and splitting a
person. Every object is reached through a scoped selector (another community's → 404); every write goes through
one service."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from shequ.core.errors import first_message
from shequ.core.jurisdiction import grants_with
from shequ.core.rights import Right
from shequ.ledger.models import Household, HouseholdMember
from shequ.ledger.selectors import person_search
from shequ.linkage import selectors, services
from shequ.linkage.forms import DecisionForm, ScanForm, SplitForm
from shequ.linkage.models import ReviewItem
from shequ.linkage.policies import can_review, can_undo_merge
from shequ.places.models import Level, Place

QUEUE_SIZE = 50


def _require(request: HttpRequest) -> None:
    """No review right anywhere: the pages do not exist for this user."""
    if not can_review(request.user):
        raise Http404


def _communities(user) -> list[Place]:
    ids = set()
    streets = set()
    for g in grants_with(user, Right.LINKAGE_REVIEW):
        if g.level == "community":
            ids.add(g.target_id)
        elif g.level == "street":
            streets.add(g.target_id)
    qs = Place.objects.filter(level=Level.COMMUNITY)
    return list(qs.filter(pk__in=ids) | qs.filter(street_id__in=streets))


@login_required
def queue(request: HttpRequest) -> HttpResponse:
    _require(request)
    items = selectors.review_items_visible_to(request.user)
    open_items = list(items.filter(status=ReviewItem.Status.OPEN).order_by("-probability", "id")[:QUEUE_SIZE])
    context = {
        "open_items": open_items,
        "open_count": items.filter(status=ReviewItem.Status.OPEN).count(),
        "skipped": list(items.filter(status=ReviewItem.Status.SKIPPED).order_by("-probability", "id")[:20]),
        "runs": list(selectors.runs_visible_to(request.user)[:10]),
        "merges": list(selectors.merges_visible_to(request.user)[:10]),
        "scan_form": ScanForm(communities=_communities(request.user)),
    }
    return render(request, "linkage/queue.html", context)


@login_required
def next_item(request: HttpRequest) -> HttpResponse:
    _require(request)
    item = selectors.open_items(request.user).first()
    if item is None:
        messages.success(request, _("待核对的记录已全部处理完毕。"))
        return redirect("linkage:queue")
    return redirect("linkage:review", number=item.number)


@login_required
def review(request: HttpRequest, number: str) -> HttpResponse:
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
def decide(request: HttpRequest, number: str) -> HttpResponse:
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
def scan_start(request: HttpRequest) -> HttpResponse:
    _require(request)
    communities = _communities(request.user)
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
def run_detail(request: HttpRequest, number: str) -> HttpResponse:
    _require(request)
    run = get_object_or_404(selectors.runs_visible_to(request.user), number=number)
    template = "linkage/_run_progress.html" if request.headers.get("HX-Request") else "linkage/run.html"
    # the questions the run left open: row↔person items and, from a batch's own duplicates, person↔person ones
    # (run.review counts rows only)
    open_items = selectors.open_items(request.user).filter(run=run).count() if run.status == "done" else 0
    return render(request, template, {"run": run, "open_items": open_items})


@login_required
def merges(request: HttpRequest) -> HttpResponse:
    _require(request)
    return render(
        request, "linkage/merges.html", {"merges": list(selectors.merges_visible_to(request.user)[:100])}
    )


def _households_of(person_ids) -> list[Household]:
    ids = HouseholdMember.objects.filter(person_id__in=person_ids, left_on__isnull=True).values_list(
        "household_id", flat=True
    )
    return list(Household.objects.filter(pk__in=ids).select_related("dwelling"))


@login_required
def merge_detail(request: HttpRequest, number: str) -> HttpResponse:
    _require(request)
    merge = get_object_or_404(selectors.merges_visible_to(request.user), number=number)
    people = [merge.keep_id] + ([merge.drop_id] if merge.drop_id else [])
    context = {
        "merge": merge,
        "households": _households_of(people),
        "can_undo": can_undo_merge(request.user, merge),
        "summary": sorted(merge.summary.items()),
    }
    return render(request, "linkage/merge.html", context)


@login_required
@require_POST
def merge_undo(request: HttpRequest, number: str) -> HttpResponse:
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


SPLIT_GROUPS = (
    ("residencies", gettext_lazy("居住关系")),
    ("memberships", gettext_lazy("户成员")),
    ("tags", gettext_lazy("人群标签")),
    ("duties", gettext_lazy("职责")),
    ("needs", gettext_lazy("服务需求")),
    ("import_rows", gettext_lazy("导入记录")),
)


def _split_choices(person) -> list[dict]:
    from shequ.imports.models import ImportRow
    from shequ.ledger.models import Duty, GroupTag, Need, Residency

    rows = {
        "residencies": [
            (r.pk, f"{r.dwelling.masked_address()} · {r.get_role_display()}")
            for r in Residency.objects.filter(person=person).select_related(
                "dwelling__compound", "dwelling__building", "dwelling__unit"
            )
        ],
        "memberships": [
            (m.pk, f"{m.household.dwelling.masked_address()} · {m.get_relation_display()}")
            for m in HouseholdMember.objects.filter(person=person).select_related(
                "household__dwelling__compound", "household__dwelling__building", "household__dwelling__unit"
            )
        ],
        "tags": [(t.pk, t.get_kind_display()) for t in GroupTag.objects.filter(person=person)],
        "duties": [
            (d.pk, f"{d.get_kind_display()} · {d.place}")
            for d in Duty.objects.filter(person=person).select_related("place")
        ],
        "needs": [(n.pk, n.get_kind_display()) for n in Need.objects.filter(person=person)],
        "import_rows": [
            (r.pk, f"{r.batch.source.name} · {r.batch.number} " + _("第%(n)s行") % {"n": r.row_number})
            for r in ImportRow.objects.filter(person=person).select_related("batch__source")
        ],
    }
    return [{"key": key, "label": label, "options": rows[key]} for key, label in SPLIT_GROUPS if rows[key]]


@login_required
def person_split(request: HttpRequest, pk: int) -> HttpResponse:
    _require(request)
    person = get_object_or_404(selectors.people_for_linkage(request.user), pk=pk)
    groups = _split_choices(person)
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
def person_merge(request: HttpRequest, pk: int) -> HttpResponse:
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
