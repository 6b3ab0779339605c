import random

from shequ.cases.demo import seed_demo
from shequ.cases.models import Case, HandedDownDuty, ServiceItem


class _Bar:
    def update(self, n=1):
        pass

    def close(self):
        pass


def test_seed_demo_builds_cases_through_the_services(world):
    seed_demo(street=world.street, rng=random.Random(1), progress=lambda **kw: _Bar(), scale=1000)
    assert ServiceItem.objects.count() >= 15
    assert Case.objects.count() >= 150
    assert Case.objects.filter(status__in=["resolved", "closed"], rating__isnull=False).exists()
    assert HandedDownDuty.objects.filter(is_on_list=False).exists()
