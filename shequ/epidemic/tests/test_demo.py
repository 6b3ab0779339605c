import random

from shequ.emergency import demo as emergency_demo
from shequ.emergency.models import Incident
from shequ.emergency.selectors import incident_statistics
from shequ.epidemic import demo
from shequ.epidemic.tasks import PERIODIC, release_due_monitorings


class _Bar:
    def update(self, n=1):
        pass


def _seed(world):
    for seed_demo in (
        emergency_demo.seed_demo,
        demo.seed_demo,
    ):  # in SHEQU_APPS order, as the seed calls them
        seed_demo(street=world.street, rng=random.Random(1), progress=lambda **kw: _Bar(), scale=1)


def test_seed_demo_leaves_a_finished_drill(world):
    _seed(world)
    drill = Incident.objects.get()
    assert drill.is_drill and drill.status == Incident.Status.STOOD_DOWN and drill.review_notes
    assert drill.campaigns.exists()
    assert incident_statistics(actor=world.a.worker) == {"active": 0, "stood_down": 0, "overdue_tasks": 0}
    _seed(world)  # idempotent
    assert Incident.objects.count() == 1


def test_release_task_is_periodic(world):
    assert release_due_monitorings.call() == 0
    assert (release_due_monitorings, 3600) in PERIODIC
