"""Notifications: inbox, outbox, exactly-once sending across a runner restart, own-only access."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.db import transaction
from django.utils import timezone

from shequ.core.errors import DomainError
from shequ.core.jurisdiction import SYSTEM
from shequ.notifications import services
from shequ.notifications.channels import ChannelError, RecordingBackend, get_backend
from shequ.notifications.models import DRILL_MARK, Delivery, Notification, RecordedMessage


@pytest.fixture
def recipients(world):
    world.a.worker.person = world.a.head
    world.a.worker.save()
    world.b.worker.person = world.b.head
    world.b.worker.save()
    return [world.a.worker, world.b.worker, world.street_officer]


def test_default_backend_records(settings):
    assert isinstance(get_backend(), RecordingBackend)


def test_notify_creates_inbox_and_outbox_in_callers_transaction(
    world, recipients, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        made = services.notify(
            actor=world.street_officer,
            recipients=recipients,
            kind="case.assigned",
            title="新诉求",
            channels=("inbox", "sms", "chat"),
        )
    assert len(made) == 3
    assert Delivery.objects.count() == 6
    assert set(Delivery.objects.values_list("status", flat=True)) == {"pending"}
    assert len(callbacks) == 1  # one enqueue after commit


def test_notify_rolls_back_with_the_caller(world, recipients):
    with pytest.raises(RuntimeError), transaction.atomic():
        services.notify(actor=SYSTEM, recipients=recipients, kind="x", title="t", channels=("sms",))
        raise RuntimeError("the causing change failed")
    assert Notification.objects.count() == 0
    assert Delivery.objects.count() == 0


def test_bad_input_changes_nothing(world, recipients):
    with pytest.raises(DomainError):
        services.notify(actor=SYSTEM, recipients=recipients, kind="x", title="  ")
    with pytest.raises(DomainError):
        services.notify(actor=SYSTEM, recipients=recipients, kind="x", title="t", channels=("pigeon",))
    assert Notification.objects.count() == 0


def test_dedupe_key_sends_once(world, recipients):
    services.notify(actor=SYSTEM, recipients=recipients, kind="x", title="t", dedupe_key="k1")
    again = services.notify(actor=SYSTEM, recipients=recipients, kind="x", title="t", dedupe_key="k1")
    assert again == []
    assert Notification.objects.count() == 3


def test_drill_is_marked_in_title_and_channel_text(world, recipients):
    services.notify(
        actor=SYSTEM, recipients=recipients[:1], kind="x", title="集合", channels=("sms",), is_drill=True
    )
    assert Notification.objects.get().title.startswith(DRILL_MARK)
    services.deliveries_drain()
    assert RecordedMessage.objects.get().text.startswith(DRILL_MARK)


def test_phone_is_masked_in_the_record(world, recipients):
    services.notify(actor=SYSTEM, recipients=recipients[:1], kind="x", title="t", channels=("sms",))
    services.deliveries_drain()
    record = RecordedMessage.objects.get()
    assert "****" in record.phone_masked
    assert record.text == "t"


def test_no_phone_fails_permanently_without_retry(world):
    services.notify(actor=SYSTEM, recipients=[world.street_officer], kind="x", title="t", channels=("sms",))
    Delivery.objects.update()  # nothing special
    # The recording backend records even without a phone (masked empty); a live SMS channel refuses.
    from shequ.notifications.channels import SmsChannel

    class NoGateway:
        def send(self, message):
            return SmsChannel(gateway_url="http://127.0.0.1:9/").send(message)

    services.deliveries_drain(backend=NoGateway())
    delivery = Delivery.objects.get()
    assert delivery.status == "failed"
    assert delivery.last_error == "no mobile on file"


class CrashAfter:
    """A backend that records, then 'crashes' the runner after n sends (the process dies mid-batch)."""

    def __init__(self, n):
        self.n = n
        self.inner = RecordingBackend()

    def send(self, message):
        if self.n == 0:
            raise KeyboardInterrupt("runner killed")
        self.n -= 1
        return self.inner.send(message)


def test_runner_restart_mid_way_sends_each_exactly_once(world, recipients):
    services.notify(actor=SYSTEM, recipients=recipients, kind="x", title="停水通知", channels=("sms", "chat"))
    assert Delivery.objects.count() == 6
    # Runner 1 sends two, claims the third and dies before sending it.
    with pytest.raises(KeyboardInterrupt):
        services.deliveries_drain(backend=CrashAfter(2))
    assert Delivery.objects.filter(status="sent").count() == 2
    assert Delivery.objects.filter(status="sending").count() == 1
    # Runner 1 also died *after* the provider accepted a message but before marking it sent:
    half = Delivery.objects.filter(status="pending").order_by("id").first()
    assert services.delivery_send(delivery_id=half.pk) is True
    Delivery.objects.filter(pk=half.pk).update(status="sending", sent_at=None, claimed_at=timezone.now())
    # A second runner started right away leaves the fresh claims alone (their owner may be alive).
    services.deliveries_drain()
    assert Delivery.objects.filter(status="sending").count() == 2
    # After the lease, the restarted runner finishes them; the idempotency key prevents a second message.
    with time_machine.travel(timezone.now() + services.CLAIM_LEASE + timedelta(seconds=1)):
        services.deliveries_drain()
        services.deliveries_drain()
    assert set(Delivery.objects.values_list("status", flat=True)) == {"sent"}
    keys = list(RecordedMessage.objects.values_list("idempotency_key", flat=True))
    assert sorted(keys) == sorted(Delivery.objects.values_list("idempotency_key", flat=True))
    assert len(keys) == len(set(keys)) == 6


def test_two_runners_never_both_claim(world, recipients):
    services.notify(actor=SYSTEM, recipients=recipients[:1], kind="x", title="t", channels=("sms",))
    delivery = Delivery.objects.get()
    assert services.delivery_send(delivery_id=delivery.pk) is True
    assert services.delivery_send(delivery_id=delivery.pk) is False
    assert RecordedMessage.objects.count() == 1


def test_transient_failure_is_retried_then_sent(world, recipients):
    services.notify(actor=SYSTEM, recipients=recipients[:1], kind="x", title="t", channels=("sms",))

    class Flaky:
        calls = 0

        def send(self, message):
            Flaky.calls += 1
            if Flaky.calls == 1:
                raise ChannelError("timeout")
            return RecordingBackend().send(message)

    services.deliveries_drain(backend=Flaky())
    assert Delivery.objects.get().status == "pending"
    services.deliveries_drain(backend=Flaky())
    assert Delivery.objects.get().status == "sent"
    assert Delivery.objects.get().attempts == 2


def test_task_sends_enqueued_deliveries(world, recipients):
    from shequ.notifications.tasks import deliver_notifications

    services.notify(actor=SYSTEM, recipients=recipients, kind="x", title="t", channels=("sms",))
    ids = list(Delivery.objects.values_list("id", flat=True))
    assert deliver_notifications.call(delivery_ids=ids) == 3
    assert deliver_notifications.call(delivery_ids=ids) == 0
    assert RecordedMessage.objects.count() == 3


def test_drain_command(world, recipients):
    from django.core.management import call_command

    services.notify(actor=SYSTEM, recipients=recipients, kind="x", title="t", channels=("chat",))
    call_command("notifications_drain")
    assert RecordedMessage.objects.filter(channel="chat").count() == 3


# ---- pages and API: own messages only -------------------------------------------------------------------


def _one_for_b(world):
    return services.notify(actor=SYSTEM, recipients=[world.b.worker], kind="x", title="只给B的消息")[0]


def test_inbox_shows_only_own(world, client_a, client_b):
    _one_for_b(world)
    assert "只给B的消息" not in client_a.get("/notifications/").content.decode()
    page = client_b.get("/notifications/").content.decode()
    assert "只给B的消息" in page


def test_unread_banner(world, client_b):
    _one_for_b(world)
    assert "1 条未读消息" in client_b.get("/notifications/").content.decode()


def test_open_marks_read_and_follows_local_link_only(world, client_b):
    n = services.notify(
        actor=SYSTEM, recipients=[world.b.worker], kind="x", title="t", url="https://evil.example/"
    )[0]
    response = client_b.post(f"/notifications/{n.pk}/open/")
    assert response.status_code == 302
    assert response["Location"] == "/notifications/"
    n.refresh_from_db()
    assert n.read_at is not None


def test_other_users_notification_is_404_and_unchanged(world, client_a):
    n = _one_for_b(world)
    assert client_a.post(f"/notifications/{n.pk}/open/").status_code == 404
    assert client_a.get(f"/api/v1/notifications/{n.pk}/").status_code == 404
    assert client_a.post(f"/api/v1/notifications/{n.pk}/read/").status_code == 404
    client_a.post("/notifications/read-all/")
    client_a.post("/api/v1/notifications/read-all/")
    n.refresh_from_db()
    assert n.read_at is None


def test_api_lists_own_and_marks_read(world, client_b):
    n = _one_for_b(world)
    data = client_b.get("/api/v1/notifications/").json()
    assert [row["id"] for row in data["results"]] == [n.pk]
    assert client_b.get("/api/v1/notifications/unread/").json() == {"unread": 1}
    assert client_b.post(f"/api/v1/notifications/{n.pk}/read/").json()["is_read"] is True
    assert client_b.get("/api/v1/notifications/unread/").json() == {"unread": 0}


def test_anonymous_is_refused(world, anon_client):
    _one_for_b(world)
    assert anon_client.get("/notifications/").status_code == 302
    assert anon_client.get("/api/v1/notifications/").status_code in (401, 403)


def test_populate_returns_b_only_strings(world):
    from shequ.notifications.testing import populate

    strings = populate(world)
    assert Notification.objects.filter(title__in=strings, recipient=world.b.worker).exists()


def test_marking_someone_elses_message_read_is_refused_in_the_service(world):
    from django.core.exceptions import PermissionDenied

    n = _one_for_b(world)
    with pytest.raises(PermissionDenied):
        services.notification_mark_read(actor=world.a.worker, notification=n)
    with pytest.raises(TypeError):
        services.notification_mark_read(actor=None, notification=n)
    assert services.notifications_mark_all_read(actor=SYSTEM) == 0
    n.refresh_from_db()
    assert n.read_at is None
