"""Contact-gap alerts: a paired vulnerable resident left without contact beyond the limit is reported once to
the helper and the community's workers, by the periodic job the scheduler runs."""

from datetime import timedelta

import pytest
from django.utils import timezone

from shequ.accounts.models import User
from shequ.core.jurisdiction import SYSTEM
from shequ.core.management.commands.scheduler import periodic_jobs
from shequ.ledger import services as ledger
from shequ.livelihood import services
from shequ.livelihood.models import Pairing
from shequ.notifications.models import Notification

KIND = services.CONTACT_GAP_KIND


@pytest.fixture
def pairings(world):
    out = {}
    for key, side in (("a", world.a), ("b", world.b)):
        ledger.duty_assign(actor=side.worker, person=side.spouse, kind="volunteer", place=side.building)
        out[key] = services.pairing_create(actor=side.worker, resident=side.elder, helper=side.spouse)
    helper_user = User.objects.create_user(username="helper_a", password="x-123456789", person=world.a.spouse)
    return {**out, "helper_user": helper_user}


def _last_contact(pairing, ago: timedelta, now):
    Pairing.objects.filter(pk=pairing.pk).update(last_contact_at=now - ago)


def _alerts(user=None):
    qs = Notification.objects.filter(kind=KIND)
    return qs.filter(recipient=user) if user is not None else qs


def test_gap_beyond_seven_days_alerts_helper_and_workers_once(world, pairings):
    now = timezone.now()
    _last_contact(pairings["a"], timedelta(days=8), now)
    _last_contact(pairings["b"], timedelta(days=6), now)  # within the limit: nothing
    result = services.contact_gaps_alert(actor=SYSTEM, now=now)
    assert result == {"gaps": 1, "notified": 2}
    assert set(_alerts().values_list("recipient_id", flat=True)) == {
        pairings["helper_user"].pk,
        world.a.worker.pk,
    }
    alert = _alerts(world.a.worker).get()
    assert world.a.elder.name in alert.title and "8天" in alert.title
    assert alert.url.endswith(f"/{pairings['a'].pk}/")
    assert not _alerts(world.b.worker).exists()
    assert alert.deliveries.filter(channel="sms").exists()
    # the next scans (hourly) do not repeat the same gap
    assert services.contact_gaps_alert(actor=SYSTEM, now=now + timedelta(hours=1)) == {
        "gaps": 1,
        "notified": 0,
    }
    assert _alerts().count() == 2
    # a contact closes the gap; a new gap after it is a new alert
    services.contact_log(actor=world.a.worker, pairing=pairings["a"], kind="call", at=now)
    assert services.contact_gaps_alert(actor=SYSTEM, now=now + timedelta(days=1)) == {
        "gaps": 0,
        "notified": 0,
    }
    # a week on: A's new gap (helper + worker) and B's, now 13 days old (B's worker; B's helper has no account)
    assert services.contact_gaps_alert(actor=SYSTEM, now=now + timedelta(days=7, hours=1)) == {
        "gaps": 2,
        "notified": 3,
    }
    assert _alerts(world.a.worker).count() == 2 and _alerts(pairings["helper_user"]).count() == 2
    assert _alerts(world.b.worker).count() == 1


def test_active_incident_tightens_the_limit_to_24_hours(world, pairings):
    from shequ.emergency.testing import activate

    now = timezone.now()
    _last_contact(pairings["a"], timedelta(hours=30), now)
    _last_contact(pairings["b"], timedelta(hours=30), now)
    assert services.contact_gaps_alert(actor=SYSTEM, now=now)["gaps"] == 0
    activate(world, world.a)  # an incident in community A only
    result = services.contact_gaps_alert(actor=SYSTEM, now=now)
    assert result["gaps"] == 1
    assert _alerts(world.a.worker).count() == 1 and "应急事件期间" in _alerts(world.a.worker).get().body
    assert not _alerts(world.b.worker).exists()


def test_ended_pairing_is_not_alerted(world, pairings):
    now = timezone.now()
    _last_contact(pairings["a"], timedelta(days=30), now)
    services.pairing_end(actor=world.a.worker, pairing=pairings["a"])
    assert services.contact_gaps_alert(actor=SYSTEM, now=now) == {"gaps": 0, "notified": 0}


def test_scheduler_runs_the_alert_job():
    keys = [key for key, _job, _seconds in periodic_jobs()]
    assert "shequ.livelihood.tasks.alert_contact_gaps" in keys
    seconds = {key: s for key, _job, s in periodic_jobs()}["shequ.livelihood.tasks.alert_contact_gaps"]
    assert seconds <= 3600
