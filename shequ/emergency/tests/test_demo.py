import random

from shequ.emergency.demo import seed_demo
from shequ.emergency.models import Incident, PlanTemplate
from shequ.emergency.selectors import incident_statistics


class _Bar:
    def update(self, n=1):
        pass


def test_seed_demo_loads_plans_and_a_finished_drill(world):
    seed_demo(street=world.street, rng=random.Random(1), progress=lambda **kw: _Bar(), scale=1)
    assert PlanTemplate.objects.filter(community=world.a.community).count() == 2
    drill = Incident.objects.get()
    assert drill.is_drill and drill.status == Incident.Status.STOOD_DOWN and drill.review_notes
    assert incident_statistics(actor=world.a.worker) == {"active": 0, "stood_down": 0, "overdue_tasks": 0}
    seed_demo(street=world.street, rng=random.Random(1), progress=lambda **kw: _Bar(), scale=1)  # idempotent
    assert Incident.objects.count() == 1


def test_release_task(world):
    from shequ.emergency.tasks import release_due_monitorings

    assert release_due_monitorings.call() == 0
