"""200 people issue the last 100 masks at once: exactly 100 succeed, stock ends at 0, the ledger agrees."""

import threading
from decimal import Decimal

import pytest
from django.conf import settings
from django.db import connection, connections

from shequ.core.errors import DomainError
from shequ.supplies import selectors, services
from shequ.supplies.models import Movement, StockLot, Store
from shequ.supplies.testing import catalogue

pytestmark = [
    pytest.mark.postgres_only,
    pytest.mark.skipif(not settings.IS_POSTGRES, reason="needs PostgreSQL row locking"),
]


@pytest.mark.django_db(transaction=True)
def test_200_concurrent_issues_of_100_units(world):
    item = catalogue(world)["MASK-N95"]
    store = services.store_create(actor=world.a.worker, place=world.a.community, code="A1", name="A社区仓库")
    services.stock_receive(actor=world.a.worker, store=store, item=item, quantity=100, lot_number="L1")
    worker_id = world.a.worker.pk
    results: list[str] = []
    lock = threading.Lock()
    # The server's max_connections is shared with other test runs: at most 40 connections at once, started
    # together so they really contend for the same row.
    slots = threading.BoundedSemaphore(40)
    barrier = threading.Barrier(40)

    def issue(n: int) -> None:
        from shequ.accounts.models import User

        with slots:
            try:
                actor = User.objects.get(pk=worker_id)
                s = Store.objects.select_related("place").get(pk=store.pk)
                if n < 40:
                    barrier.wait(timeout=60)
                services.stock_issue(actor=actor, store=s, item=item, quantity=1, recipient=f"卡口{n}")
                outcome = "ok"
            except DomainError as exc:
                outcome = "refused" if exc.code == "insufficient_stock" else f"error:{exc}"
            except Exception as exc:  # anything else is a failure of the guarantee
                outcome = f"error:{type(exc).__name__}:{exc}"
            finally:
                connections.close_all()
        with lock:
            results.append(outcome)

    threads = [threading.Thread(target=issue, args=(n,)) for n in range(200)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(results) == 200
    assert results.count("ok") == 100, [r for r in results if r.startswith("error")][:5]
    assert results.count("refused") == 100
    assert StockLot.objects.get(store=store, item=item).quantity == Decimal(0)
    assert Movement.objects.filter(store=store, item=item, kind=Movement.Kind.ISSUE).count() == 100
    totals = selectors.ledger_totals(store=store, item=item)
    assert totals["stock"] == totals["ledger"] == Decimal(0)
    connection.close()


@pytest.mark.django_db(transaction=True)
def test_check_constraint_stands_under_the_update(world):
    from django.db import IntegrityError
    from django.db.models import F

    item = catalogue(world)["MASK-N95"]
    store = services.store_create(actor=world.a.worker, place=world.a.community, code="A1", name="A社区仓库")
    services.stock_receive(actor=world.a.worker, store=store, item=item, quantity=5)
    with pytest.raises(IntegrityError):
        StockLot.objects.filter(store=store).update(quantity=F("quantity") - 6)
