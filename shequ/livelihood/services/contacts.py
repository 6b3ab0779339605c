"""The contact log of a pairing (联系记录) and the periodic alert when a paired resident went uncontacted too long."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext

from shequ.core.audit import audit_record
from shequ.core.errors import DomainError
from shequ.core.jurisdiction import Actor
from shequ.livelihood import policies, selectors
from shequ.livelihood.models import Contact, Pairing
from shequ.livelihood.services._common import user_or_none
from shequ.notifications.services import Message, notify_bulk

CONTACT_GAP_KIND = "livelihood.contact_gap"


@transaction.atomic
def contact_log(
    *, actor: Actor, pairing: Pairing, kind: str, note: str = "", at: datetime | None = None
) -> Contact:
    """联系记录: a call, visit or delivery. The helper themself, or anyone delivering in the place, may log it."""
    policies.require_log_contact(actor, pairing)
    if not pairing.is_active:
        raise DomainError(gettext("结对已结束"), field="pairing")
    if kind not in Contact.Kind.values:
        raise DomainError(gettext("请选择联系方式"), field="kind")
    now = timezone.now()
    at = at or now
    if at > now + timedelta(minutes=5):
        raise DomainError(gettext("联系时间不能晚于现在"), field="at")
    contact = Contact(
        pairing=pairing, kind=kind, at=at, note=(note or "").strip()[:200], recorded_by=user_or_none(actor)
    )
    contact.full_clean()
    contact.save()
    if pairing.last_contact_at is None or at > pairing.last_contact_at:
        Pairing.objects.filter(pk=pairing.pk).update(last_contact_at=at)
        pairing.last_contact_at = at
    audit_record(
        actor=actor,
        kind="create",
        action="contact_log",
        obj=pairing,
        object_label=f"{pairing.resident.name} ← {pairing.helper.name}",
        after={"kind": kind, "at": at},
    )
    return contact


def _gap_text(gap: timedelta) -> str:
    hours = int(gap.total_seconds() // 3600)
    return f"{hours // 24}天{hours % 24}小时" if hours >= 24 else f"{hours}小时"


@transaction.atomic
def contact_gaps_alert(*, actor: Actor, now: datetime | None = None) -> dict[str, int]:
    """The periodic scan (`shequ scheduler` → livelihood.tasks.alert_contact_gaps, as SYSTEM): every paired
    vulnerable resident not contacted within the limit (24 h during an active incident in their community,
    7 days otherwise) is reported to the helper and to the community's workers, in their inbox and by SMS.

    A gap is one pairing left without contact since one moment (the last contact, or the pairing itself); its
    dedupe key is built from both, so a gap is alerted once however often the scan runs, and a new gap after a
    later contact is alerted again. Idempotent: a retry after a crash sends nothing twice."""
    gaps = selectors.contact_gaps_everywhere(now=now)
    if not gaps:
        return {"gaps": 0, "notified": 0}
    recipients = selectors.gap_alert_recipients(gaps)
    messages = [
        Message(
            recipients=recipients[p.pk],
            kind=CONTACT_GAP_KIND,
            title=f"结对联系超时:{p.resident.name}已{_gap_text(p.gap)}未联系",
            body=(
                f"帮扶人 {p.helper.name};联系时限 {_gap_text(p.limit)}"
                f"{'(应急事件期间)' if p.limit < selectors.CONTACT_LIMIT_NORMAL else ''}。请尽快电话或上门联系并登记。"
            ),
            url=reverse("livelihood:pairing_detail", args=[p.pk]),
            channels=("inbox", "sms"),
            dedupe_key=f"contact-gap:{p.pk}:{int(p.since.timestamp())}",
        )
        for p in gaps
        if recipients[p.pk]
    ]
    created = notify_bulk(actor=actor, messages=messages) if messages else []
    return {"gaps": len(gaps), "notified": len(created)}
