"""The place browser: street → community → compound → building → unit → dwelling, counts at every level."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render

from shequ.core.http import AuthedRequest
from shequ.places.models import Level
from shequ.places.policies import can_edit_ledger_at, can_view_place, can_view_places
from shequ.places.selectors import (
    dwelling_panels,
    dwellings_visible_to,
    grids_of_community,
    place_ancestors,
    place_children_with_counts,
    places_visible_to,
    places_with_counts,
    root_places_for,
)

DWELLINGS_PER_PAGE = 60


def _require_view(request: AuthedRequest) -> None:
    if not can_view_places(request.user):
        raise Http404


def _breadcrumbs(user, place) -> list[dict]:
    crumbs = []
    for ancestor in place_ancestors(place):
        crumbs.append({"place": ancestor, "link": can_view_place(user, ancestor)})
    return crumbs


@login_required
def browse(request: AuthedRequest) -> HttpResponse:
    """Where browsing starts: the user's street or community (straight in when there is only one)."""
    _require_view(request)
    roots = root_places_for(request.user)
    if len(roots) == 1:
        return redirect("places:place", pk=roots[0].pk)
    return render(request, "places/browse.html", {"roots": places_with_counts(roots)})


@login_required
def place_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    _require_view(request)
    place = get_object_or_404(places_visible_to(request.user), pk=pk)
    context: dict = {
        "place": place,
        "crumbs": _breadcrumbs(request.user, place),
        "can_edit": can_edit_ledger_at(request.user, place),
    }
    places_with_counts([place])
    if place.level == Level.UNIT:
        dwellings = (
            dwellings_visible_to(request.user)
            .filter(unit=place)
            .annotate(
                household_count=Count("households", filter=Q(households__is_active=True), distinct=True),
                resident_count=Count(
                    "residencies__person",
                    filter=Q(residencies__until__isnull=True, residencies__lives_here=True),
                    distinct=True,
                ),
            )
            .order_by("floor", "room")
        )
        context["page"] = Paginator(dwellings, DWELLINGS_PER_PAGE).get_page(request.GET.get("page"))
    else:
        context["children"] = place_children_with_counts(actor=request.user, place=place)
        context["child_level"] = Level(context["children"][0].level).label if context["children"] else ""
    if place.level == Level.COMMUNITY:
        context["grids"] = grids_of_community(actor=request.user, community=place)
    return render(request, "places/place_detail.html", context)


@login_required
def dwelling_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    _require_view(request)
    dwelling = get_object_or_404(dwellings_visible_to(request.user).select_related("street", "grid"), pk=pk)
    return render(
        request,
        "places/dwelling_detail.html",
        {
            "dwelling": dwelling,
            "crumbs": _breadcrumbs(request.user, dwelling.unit) + [{"place": dwelling.unit, "link": True}],
            **dwelling_panels(request.user, dwelling),
            "can_edit": can_edit_ledger_at(request.user, dwelling),
        },
    )
