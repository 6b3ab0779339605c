"""Hooks emergency calls on an incident's activation and stand-down, and the figures of its review."""

from __future__ import annotations

from django.db.models import Q
from django.utils import timezone

from shequ.core.jurisdiction import Actor
from shequ.emergency import services as emergency
from shequ.emergency.models import Incident
from shequ.epidemic import selectors
from shequ.epidemic.models import (
    ControlZone,
    ScreeningCampaign,
)
from shequ.epidemic.services.screening import campaign_populate


def on_incident_activated(*, actor: Actor, incident: Incident, buildings) -> None:
    if incident.param("screening_on_activation") is True:
        campaign = ScreeningCampaign.objects.create(incident=incident, name="第1轮拉网排查")
        total = campaign_populate(campaign, [b.pk for b in buildings])
        emergency.timeline_add(incident, f"启动{campaign.name},共{total}户", actor=actor)


def on_incident_stood_down(*, actor: Actor, incident: Incident) -> None:
    now = timezone.now()
    incident.campaigns.filter(status=ScreeningCampaign.Status.OPEN).update(
        status=ScreeningCampaign.Status.CLOSED, closed_at=now
    )
    ControlZone.objects.filter(incident=incident).filter(Q(ends_at__isnull=True) | Q(ends_at__gt=now)).update(
        ends_at=now
    )


def incident_figures(*, incident: Incident) -> dict:
    """The incident's epidemic figures for its after-action review (a read, kept with the other hooks)."""
    return selectors.incident_figures(incident=incident)
