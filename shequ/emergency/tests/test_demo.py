import random

from shequ.emergency.demo import seed_demo
from shequ.emergency.models import Incident, PlanTemplate


class _Bar:
    def update(self, n=1):
        pass


def test_seed_demo_loads_the_library_and_each_communitys_plans(world):
    seed_demo(street=world.street, rng=random.Random(1), progress=lambda **kw: _Bar(), scale=1)
    assert PlanTemplate.objects.filter(community=world.a.community).count() == 2
    assert not Incident.objects.exists()
    seed_demo(street=world.street, rng=random.Random(1), progress=lambda **kw: _Bar(), scale=1)  # idempotent
    assert PlanTemplate.objects.filter(community=world.a.community).count() == 2
