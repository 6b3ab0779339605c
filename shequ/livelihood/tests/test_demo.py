import random

from shequ.core.jurisdiction import SYSTEM


class Bar:
    def update(self, n=1):
        pass

    def close(self):
        pass


def test_demo_seeds(world):
    from shequ.ledger import services as ledger
    from shequ.livelihood.demo import seed_demo as l
    from shequ.supplies.demo import seed_demo as s

    ledger.duty_assign(actor=SYSTEM, person=world.a.spouse, kind="volunteer", place=world.a.building)
    s(street=world.street, rng=random.Random(1), progress=lambda **k: Bar(), scale=1000)
    l(street=world.street, rng=random.Random(1), progress=lambda **k: Bar(), scale=1000)
    from shequ.livelihood.models import Order, Pairing

    assert Pairing.objects.filter(is_active=True).count() == 1
    assert Order.objects.count() >= 1
