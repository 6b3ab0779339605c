"""Two phones (or one phone and its retry) sending the same submission at the same moment: one row, one answer."""

import threading
import uuid

import pytest
from django.conf import settings
from django.db import connection

from shequ.emergency.testing import activate, add_roster
from shequ.epidemic import services
from shequ.epidemic.models import CheckIn, VisitItem, VisitRecord

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def _race(fn, n=4):
    barrier = threading.Barrier(n)
    results, errors = [], []

    def run():
        try:
            barrier.wait()
            results.append(fn())
        except Exception as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results, errors


@pytest.mark.skipif(not settings.IS_POSTGRES, reason="needs PostgreSQL")
def test_same_checkin_sent_at_once_is_stored_once(world):
    add_roster(world.a)
    incident = activate(world, world.a)
    key = uuid.uuid4()
    results, errors = _race(
        lambda: services.checkin_submit(
            actor=world.a.worker, incident=incident, person=world.a.head, client_uuid=key, temperature="36.6"
        )
    )
    assert not errors
    assert CheckIn.objects.filter(client_uuid=key).count() == 1
    assert len({r[0].pk for r in results}) == 1 and sum(1 for r in results if r[1]) == 1


@pytest.mark.skipif(not settings.IS_POSTGRES, reason="needs PostgreSQL")
def test_same_visit_sent_at_once_is_stored_once(world):
    add_roster(world.a)
    incident = activate(world, world.a)
    item = VisitItem.objects.get(campaign__incident=incident, household=world.a.household)
    key = uuid.uuid4()
    results, errors = _race(
        lambda: services.visit_record(actor=world.a.worker, item=item, client_uuid=key, status="all_present")
    )
    assert not errors
    assert VisitRecord.objects.filter(client_uuid=key).count() == 1
    item.refresh_from_db()
    assert item.visits == 1
