"""The life of a case: accept, start, assign, escalate (上报), comment, attach, resolve, close, reopen, merge and
the requester's rating. Each locks the row, checks the actor's height against the case's level, writes the
timeline and an audit event, and tells whom it concerns."""

from __future__ import annotations

from collections.abc import Sequence

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from shequ.cases import policies
from shequ.cases import selectors as sel
from shequ.cases.models import NEXT_LEVEL, Case, CaseEvent, HandlingLevel, Whistle
from shequ.cases.services._common import (
    AnyActor,
    _audit,
    _deadline,
    _event,
    _lock,
    _notify_handlers,
    _notify_requester,
    _refresh_into,
    _require_open,
    _store_attachments,
    _user,
    validate_attachments,
)
from shequ.core.errors import DomainError
from shequ.core.jurisdiction import Actor


@transaction.atomic
def case_accept(*, actor: Actor, case: Case) -> Case:
    policies.require_act_on_case(actor, case)
    locked = _lock(case)
    if locked.status != Case.Status.NEW:
        raise DomainError(gettext("只有待受理的诉求可以受理"), field="status")
    locked.status = Case.Status.ACCEPTED
    locked.accepted_at = timezone.now()
    locked.assigned_to = locked.assigned_to or _user(actor)
    locked.save(update_fields=["status", "accepted_at", "assigned_to", "updated_at"])
    _event(locked, actor, CaseEvent.Kind.ACCEPTED)
    _audit(actor, locked, "case_accept", {"status": Case.Status.NEW}, {"status": Case.Status.ACCEPTED})
    return _refresh_into(case, locked)


@transaction.atomic
def case_start(*, actor: Actor, case: Case) -> Case:
    policies.require_act_on_case(actor, case)
    locked = _lock(case)
    if locked.status not in (Case.Status.NEW, Case.Status.ACCEPTED):
        raise DomainError(gettext("只有待受理或已受理的诉求可以开始办理"), field="status")
    before = locked.status
    locked.status = Case.Status.IN_PROGRESS
    locked.accepted_at = locked.accepted_at or timezone.now()
    locked.assigned_to = locked.assigned_to or _user(actor)
    locked.save(update_fields=["status", "accepted_at", "assigned_to", "updated_at"])
    _event(locked, actor, CaseEvent.Kind.STARTED)
    _audit(actor, locked, "case_start", {"status": before}, {"status": locked.status})
    return _refresh_into(case, locked)


@transaction.atomic
def case_assign(*, actor: Actor, case: Case, assignee) -> Case:
    policies.require_act_on_case(actor, case)
    locked = _lock(case)
    _require_open(locked)
    if assignee is None or not policies.is_case_handler(assignee, locked):
        raise DomainError(gettext("只能指派给负责该地点的工作人员"), field="assignee")
    before = locked.assigned_to.display_label if locked.assigned_to else ""
    locked.assigned_to = assignee
    locked.save(update_fields=["assigned_to", "updated_at"])
    _event(locked, actor, CaseEvent.Kind.ASSIGNED, f"指派给 {assignee.display_label}", public=False)
    _audit(actor, locked, "case_assign", {"assigned_to": before}, {"assigned_to": assignee.display_label})
    _notify_handlers(
        actor, locked, kind="case.assigned", title=f"诉求指派给您:{locked.title}", recipients=[assignee]
    )
    return _refresh_into(case, locked)


@transaction.atomic
def case_escalate(*, actor: Actor, case: Case, reason: str) -> Case:
    """上报: the holder cannot solve it here; it goes one level up with that level's deadline."""
    policies.require_act_on_case(actor, case)
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(gettext("请说明上报原因(本级为何无法解决)"), field="reason", code="required")
    locked = _lock(case)
    _require_open(locked)
    target = NEXT_LEVEL.get(locked.level)
    if target is None:
        raise DomainError(gettext("诉求已在职能部门,无法继续上报"), field="level")
    _move_level(actor, locked, target, kind=CaseEvent.Kind.ESCALATED, text=reason)
    _audit(actor, locked, "case_escalate", {"level": case.level}, {"level": target}, reason=reason)
    return _refresh_into(case, locked)


def _move_level(actor: Actor, case: Case, target: str, *, kind: str, text: str) -> None:
    source = case.level
    now = timezone.now()
    case.level = target
    case.level_entered_at = now
    case.deadline_at = _deadline(case.category, target, now)
    case.escalation_count += 1
    case.assigned_to = None
    if target == HandlingLevel.DEPARTMENT:
        case.department = case.category.department
    case.save(
        update_fields=[
            "level",
            "level_entered_at",
            "deadline_at",
            "escalation_count",
            "assigned_to",
            "department",
            "updated_at",
        ]
    )
    _event(case, actor, kind, text, from_level=source, to_level=target)
    _notify_handlers(
        actor, case, kind="case.escalated", title=f"诉求上报至{HandlingLevel(target).label}:{case.title}"
    )


@transaction.atomic
def case_comment(*, actor: Actor, case: Case, text: str, public: bool = False) -> CaseEvent:
    text = (text or "").strip()
    policies.require_comment_case(actor, case, summoned=bool(sel.summons_for(actor, case)))
    if not text:
        raise DomainError(gettext("备注内容不能为空"), field="text", code="required")
    event = _event(case, actor, CaseEvent.Kind.COMMENT, text[:2000], public=public)
    _audit(actor, case, "case_comment", after={"public": public})
    return event


@transaction.atomic
def case_attach(*, actor: Actor, case: Case, files: Sequence) -> int:
    policies.require_attach_to_case(actor, case)
    checked = validate_attachments(files)
    if not checked:
        raise DomainError(gettext("请选择要上传的文件"), field="attachments", code="required")
    _store_attachments(case, checked, actor)
    _event(case, actor, CaseEvent.Kind.ATTACHMENT, "、".join(name for _, name, _ in checked))
    _audit(actor, case, "case_attach", after={"files": len(checked)})
    return len(checked)


@transaction.atomic
def case_resolve(*, actor: Actor, case: Case, resolution: str) -> Case:
    policies.require_act_on_case(actor, case)
    resolution = (resolution or "").strip()
    if not resolution:
        raise DomainError(gettext("请填写办理结果"), field="resolution", code="required")
    locked = _lock(case)
    _require_open(locked)
    before = locked.status
    locked.status = Case.Status.RESOLVED
    locked.resolution = resolution
    locked.resolved_at = timezone.now()
    locked.assigned_to = locked.assigned_to or _user(actor)
    locked.save(update_fields=["status", "resolution", "resolved_at", "assigned_to", "updated_at"])
    Whistle.objects.filter(case=locked, is_closed=False).update(is_closed=True)
    _event(locked, actor, CaseEvent.Kind.RESOLVED, resolution)
    _audit(actor, locked, "case_resolve", {"status": before}, {"status": Case.Status.RESOLVED})
    _notify_requester(actor, locked, kind="case.resolved", title=f"您的诉求已办结,请评价:{locked.title}")
    return _refresh_into(case, locked)


@transaction.atomic
def case_close(*, actor: Actor, case: Case) -> Case:
    policies.require_act_on_case(actor, case)
    locked = _lock(case)
    if locked.status != Case.Status.RESOLVED:
        raise DomainError(gettext("只有已办结的诉求可以关闭"), field="status")
    locked.status = Case.Status.CLOSED
    locked.closed_at = timezone.now()
    locked.save(update_fields=["status", "closed_at", "updated_at"])
    _event(locked, actor, CaseEvent.Kind.CLOSED)
    _audit(actor, locked, "case_close", {"status": Case.Status.RESOLVED}, {"status": Case.Status.CLOSED})
    return _refresh_into(case, locked)


@transaction.atomic
def case_reopen(*, actor: Actor, case: Case, reason: str) -> Case:
    """重新办理: by a handler, or by the requester who is not satisfied."""
    policies.require_reopen_case(actor, case)
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(gettext("请说明重新办理的原因"), field="reason", code="required")
    locked = _lock(case)
    if locked.status not in (Case.Status.RESOLVED, Case.Status.CLOSED) or locked.merged_into_id:
        raise DomainError(gettext("只有已办结或已关闭(未合并)的诉求可以重新办理"), field="status")
    before = locked.status
    now = timezone.now()
    locked.status = Case.Status.IN_PROGRESS
    locked.resolved_at = locked.closed_at = None
    locked.rating, locked.rating_comment, locked.rated_at = None, "", None
    locked.level_entered_at = now
    locked.deadline_at = _deadline(locked.category, locked.level, now)
    locked.save()
    _event(locked, actor, CaseEvent.Kind.REOPENED, reason)
    _audit(actor, locked, "case_reopen", {"status": before}, {"status": locked.status}, reason=reason)
    _notify_handlers(actor, locked, kind="case.reopened", title=f"诉求重新办理:{locked.title}")
    return _refresh_into(case, locked)


@transaction.atomic
def case_merge(*, actor: Actor, case: Case, into: Case) -> Case:
    """合并重复诉求: the duplicate closes and points at the case that carries on."""
    policies.require_act_on_case(actor, case)
    if into is None or into.pk == case.pk:
        raise DomainError(gettext("请选择要合并到的另一件诉求"), field="into")
    if not policies.can_act_on_case(actor, into) or into.community_id != case.community_id:
        raise DomainError(gettext("只能合并到本社区、您可办理的诉求"), field="into")
    locked = _lock(case)
    if locked.merged_into_id or into.merged_into_id:
        raise DomainError(gettext("诉求已被合并过"), field="into")
    _require_open(locked)
    before = locked.status
    locked.status = Case.Status.CLOSED
    locked.closed_at = timezone.now()
    locked.merged_into = into
    locked.save(update_fields=["status", "closed_at", "merged_into", "updated_at"])
    _event(locked, actor, CaseEvent.Kind.MERGED, f"与 {into.number} 重复,已合并")
    _event(into, actor, CaseEvent.Kind.MERGED, f"合并了重复诉求 {locked.number}", public=False)
    _audit(
        actor,
        locked,
        "case_merge",
        {"status": before},
        {"status": Case.Status.CLOSED, "merged_into": into.number},
    )
    _notify_requester(actor, locked, kind="case.merged", title=f"您的诉求已与同类诉求合并办理:{locked.title}")
    return _refresh_into(case, locked)


@transaction.atomic
def case_rate(*, actor: AnyActor, case: Case, score, comment: str = "", token: str = "") -> Case:
    """满意度评价 1–5, by the requester, once the case is resolved."""
    policies.require_rate_case(actor, case, token=token)
    try:
        score = int(score)
    except (TypeError, ValueError):
        score = 0
    if not 1 <= score <= 5:
        raise DomainError(gettext("请选择1到5星的评分"), field="score")
    locked = _lock(case)
    if locked.status not in (Case.Status.RESOLVED, Case.Status.CLOSED) or locked.merged_into_id:
        raise DomainError(gettext("诉求尚未办结,办结后才能评价"), field="score", code="not_resolved")
    if locked.rating is not None:
        raise DomainError(gettext("您已经评价过了"), field="score", code="already_rated")
    locked.rating = score
    locked.rating_comment = (comment or "").strip()[:1000]
    locked.rated_at = timezone.now()
    locked.full_clean(
        exclude=["place", "dwelling", "street", "community", "category", "requester", "submitted_by"]
    )
    locked.save(update_fields=["rating", "rating_comment", "rated_at", "updated_at"])
    _event(
        locked,
        actor,
        CaseEvent.Kind.RATED,
        f"{score}星" + (f" · {locked.rating_comment}" if locked.rating_comment else ""),
    )
    _audit(actor, locked, "case_rate", after={"rating": score})
    if score <= 2:
        _notify_handlers(
            actor,
            locked,
            kind="case.unsatisfied",
            title=f"居民不满意({score}星):{locked.title}",
            recipients=sel.handlers_for(locked, HandlingLevel.COMMUNITY),
        )
    return _refresh_into(case, locked)
