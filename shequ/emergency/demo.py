"""Demo emergency data: the plan library and each community's own copy of the public-health and flood plans.
(The finished epidemic drill in the first community is epidemic's demo, which runs after this one.)"""

from __future__ import annotations

from django.apps import apps as django_apps

from shequ.core.jurisdiction import SYSTEM
from shequ.emergency import library, services
from shequ.emergency.models import PlanTemplate
from shequ.places.models import Level, Place


def seed_demo(*, street: Place, rng, progress, scale: int) -> None:
    library.load(django_apps)
    communities = list(Place.objects.filter(level=Level.COMMUNITY, street=street).order_by("path"))
    bar = progress(total=len(communities), desc="emergency")
    public_health = PlanTemplate.objects.get(code="public-health", community__isnull=True)
    flood = PlanTemplate.objects.get(code="flood-typhoon", community__isnull=True)
    for community in communities:
        if not PlanTemplate.objects.filter(community=community).exists():
            services.plan_copy(actor=SYSTEM, plan=public_health, community=community)
            services.plan_copy(actor=SYSTEM, plan=flood, community=community)
        bar.update(1)
