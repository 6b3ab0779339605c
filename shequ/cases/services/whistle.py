"""The whistle (吹哨报到): the community or the street summons departments and party members to a case; the
summoned report (报到) what they did; the whistle is closed."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from shequ.cases import policies
from shequ.cases import selectors as sel
from shequ.cases.models import DEPARTMENTS, Case, CaseEvent, HandlingLevel, Summons, Whistle
from shequ.cases.services._common import _audit, _case_url, _event, _require_open, _user
from shequ.core.errors import DomainError
from shequ.core.jurisdiction import Actor
from shequ.notifications.services import notify


@transaction.atomic
def whistle_blow(
    *,
    actor: Actor,
    case: Case,
    reason: str,
    report_by: datetime | None,
    departments: Sequence[str] = (),
    members: Sequence = (),
) -> Whistle:
    """吹哨: the community or the street summons departments and/or party members, who must report by a deadline."""
    policies.require_whistle_case(actor, case, message=gettext("只有社区或街道可以吹哨"))
    _require_open(case)
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(gettext("请填写吹哨事由"), field="reason", code="required")
    if report_by is None:
        raise DomainError(gettext("请填写报到期限"), field="report_by", code="required")
    if report_by <= timezone.now():
        raise DomainError(gettext("报到期限应晚于现在"), field="report_by")
    departments = list(dict.fromkeys(d.strip() for d in departments if d and d.strip()))
    unknown = [d for d in departments if d not in DEPARTMENTS]
    if unknown:
        raise DomainError(
            gettext("未知部门:%(departments)s") % {"departments": gettext("、").join(unknown)},
            field="departments",
        )
    members = list({m.pk: m for m in members if m is not None}.values())
    if not departments and not members:
        raise DomainError(gettext("请至少召集一个部门或一名党员"), field="departments", code="required")
    level = HandlingLevel.STREET if policies.whistles_as_street(actor, case) else HandlingLevel.COMMUNITY
    whistle = Whistle(
        case=case,
        blown_by=_user(actor),
        level=level,
        reason=reason,
        report_by=report_by,
        community_id=case.community_id,
        street_id=case.street_id,
    )
    whistle.full_clean(exclude=["case", "blown_by", "community", "street"])
    whistle.save()
    Summons.objects.bulk_create(
        [Summons(whistle=whistle, department=d) for d in departments]
        + [Summons(whistle=whistle, member=m) for m in members]
    )
    parties = "、".join(departments + [m.display_label for m in members])
    _event(
        case,
        actor,
        CaseEvent.Kind.WHISTLE,
        f"{reason}(召集:{parties};{timezone.localtime(report_by):%m-%d %H:%M}前报到)",
    )
    _audit(
        actor,
        case,
        "whistle_blow",
        after={"departments": departments, "members": len(members), "report_by": report_by.isoformat()},
    )
    recipients = list(members)
    for d in departments:
        recipients.extend(sel.liaisons_for(department=d, case=case))
    if recipients:
        notify(
            actor=actor,
            recipients=recipients,
            kind="case.whistle",
            title=f"吹哨报到:{case.title}",
            body=f"{reason}\n请于 {timezone.localtime(report_by):%Y-%m-%d %H:%M} 前报到",
            url=_case_url(case),
            channels=("inbox", "sms"),
        )
    return whistle


@transaction.atomic
def whistle_report(*, actor: Actor, case: Case, action_taken: str) -> list[Summons]:
    """报到: a summoned department's liaison (or the summoned member) acknowledges and records what they did."""
    action_taken = (action_taken or "").strip()
    summonses = sel.summons_for(actor, case)
    department = getattr(actor, "department", "")
    summonses = [s for s in summonses if policies.can_answer_summons(actor, s, case)]
    if not summonses:
        who = (
            gettext("您所在的部门(%(department)s)") % {"department": department}
            if department
            else gettext("您")
        )
        raise DomainError(
            gettext("%(who)s未被召集到此诉求(或已报到),不能报到") % {"who": who},
            field="case",
            code="not_summoned",
        )
    if not action_taken:
        raise DomainError(gettext("请填写处置情况(到场做了什么)"), field="action_taken", code="required")
    now = timezone.now()
    for s in summonses:
        updated = Summons.objects.filter(pk=s.pk, reported_at__isnull=True).update(
            reported_at=now, reported_by=_user(actor), action_taken=action_taken[:2000]
        )
        if updated:
            s.reported_at, s.reported_by, s.action_taken = now, _user(actor), action_taken
    late = any(now > s.whistle.report_by for s in summonses)
    _event(
        case,
        actor,
        CaseEvent.Kind.REPORTED,
        f"{'、'.join(s.party_label for s in summonses)}{'(超时)' if late else ''}报到:{action_taken}",
    )
    _audit(actor, case, "whistle_report", after={"parties": [s.party_label for s in summonses], "late": late})
    blowers = [s.whistle.blown_by for s in summonses if s.whistle.blown_by_id]
    if blowers:
        notify(
            actor=actor,
            recipients=blowers,
            kind="case.reported",
            title=f"{'、'.join(s.party_label for s in summonses)}已报到:{case.title}",
            url=_case_url(case),
        )
    return summonses


@transaction.atomic
def whistle_close(*, actor: Actor, whistle: Whistle) -> Whistle:
    policies.require_whistle_case(actor, whistle.case, message=gettext("只有社区或街道可以结束吹哨"))
    whistle.is_closed = True
    whistle.save(update_fields=["is_closed", "updated_at"])
    _event(whistle.case, actor, CaseEvent.Kind.COMMENT, "吹哨结束", public=False)
    _audit(actor, whistle.case, "whistle_close")
    return whistle
