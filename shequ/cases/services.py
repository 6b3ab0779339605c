"""Writes for requests and complaints: intake from every channel, routing to the lowest level with a deadline
per level, the lifecycle, the whistle (吹哨报到), auto-escalation (set-based), the catalogue and the admission
list. Every write checks the actor, validates, writes the timeline and an audit event in one transaction, and
queues its notifications in that same transaction."""

from __future__ import annotations

import secrets
from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.db import connection, transaction
from django.db.models import Case as DbCase
from django.db.models import CharField, DateTimeField, F, Value, When
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext

from shequ.cases import policies
from shequ.cases import selectors as sel
from shequ.cases.models import (
    DEPARTMENTS,
    LEVEL_ORDER,
    NEXT_LEVEL,
    AdmissionItem,
    Case,
    CaseAttachment,
    CaseEvent,
    HandedDownDuty,
    HandlingLevel,
    ServiceItem,
    Summons,
    Whistle,
)
from shequ.core import phones, pii
from shequ.core.audit import audit_record
from shequ.core.errors import DomainError
from shequ.core.jurisdiction import covers
from shequ.core.rights import Right
from shequ.notifications.services import Message, notify, notify_bulk
from shequ.places.models import Dwelling, Level, Place

MAX_ATTACHMENTS = 6
ANON_LIMIT_PER_HOUR = 5
ANON_LIMIT_PER_PHONE_PER_DAY = 5

# extension -> (content type, magic-byte check)
ALLOWED_ATTACHMENTS = {
    "jpg": ("image/jpeg", lambda b: b[:3] == b"\xff\xd8\xff"),
    "jpeg": ("image/jpeg", lambda b: b[:3] == b"\xff\xd8\xff"),
    "png": ("image/png", lambda b: b[:8] == b"\x89PNG\r\n\x1a\n"),
    "gif": ("image/gif", lambda b: b[:6] in (b"GIF87a", b"GIF89a")),
    "webp": ("image/webp", lambda b: b[:4] == b"RIFF" and b[8:12] == b"WEBP"),
    "pdf": ("application/pdf", lambda b: b[:5] == b"%PDF-"),
    "docx": (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        lambda b: b[:2] == b"PK",
    ),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", lambda b: b[:2] == b"PK"),
}


def attachment_max_bytes() -> int:
    return int(settings.SHEQU_CASE_ATTACHMENT_MAX_BYTES)


# ---- helpers -------------------------------------------------------------------------------------------------


def _label(actor) -> str:
    if getattr(actor, "is_authenticated", False):
        return (actor.display_label or actor.username)[:150]
    return "系统"


def _event(case: Case, actor, kind: str, text: str = "", *, public: bool = True, **levels) -> CaseEvent:
    return CaseEvent.objects.create(
        case=case,
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        actor_label=_label(actor),
        kind=kind,
        text=text,
        is_public=public,
        from_level=levels.get("from_level", ""),
        to_level=levels.get("to_level", ""),
    )


def _audit(actor, case: Case, action: str, before: dict | None = None, after: dict | None = None, **kw):
    audit_record(
        actor=actor,
        kind=kw.pop("kind", "action"),
        action=action,
        obj=case,
        object_label=f"{case.number} {case.title}"[:200],
        before=before,
        after=after,
        **kw,
    )


def _case_url(case: Case) -> str:
    return reverse("cases:detail", args=[case.pk])


def _requester_url(case: Case) -> str:
    return reverse("cases:my_detail", args=[case.pk])


def _new_number() -> str:
    today = timezone.localdate()
    for _ in range(10):
        number = f"{today:%y%m%d}{secrets.randbelow(10**6):06d}"
        if not Case.objects.filter(number=number).exists():
            return number
    return f"{today:%y%m%d}{secrets.token_hex(4)}"


def _deadline(category: ServiceItem, level: str, start: datetime) -> datetime:
    return start + timedelta(hours=category.hours_at(level))


def _require_open(case: Case) -> None:
    if not case.is_open:
        raise DomainError(
            gettext("诉求当前状态为“%(status)s”,不能进行此操作") % {"status": case.get_status_display()},
            field="status",
        )


def _require_act(actor, case: Case) -> None:
    if not policies.can_act_on_case(actor, case):
        raise PermissionDenied(gettext("您不能办理此层级的诉求"))


def _lock(case: Case) -> Case:
    """Re-read the case under a row lock so two workers cannot both move it."""
    return Case.objects.select_for_update().get(pk=case.pk)


def _refresh_into(target: Case, source: Case) -> Case:
    """Copy the locked row's values onto the caller's instance (through the descriptors, so caches clear)."""
    for field in Case._meta.concrete_fields:
        setattr(target, field.attname, getattr(source, field.attname))
    return target


def validate_attachments(files: Sequence) -> list[tuple]:
    """Check every file before anything is written: number, size, type (by extension and by content)."""
    files = [f for f in files if f]
    if len(files) > MAX_ATTACHMENTS:
        raise DomainError(gettext("附件最多%(n)s个") % {"n": MAX_ATTACHMENTS}, field="attachments")
    limit = attachment_max_bytes()
    checked = []
    for f in files:
        name = (getattr(f, "name", "") or "file")[:150]
        ext = name.rsplit(".", 1)[-1].lower() if "." in name else ""
        if ext not in ALLOWED_ATTACHMENTS:
            raise DomainError(
                gettext("附件“%(name)s”的类型不支持:只能上传照片(jpg、png、gif、webp)或 pdf、docx、xlsx 文件")
                % {"name": name},
                field="attachments",
                code="attachment_type",
            )
        if f.size > limit:
            raise DomainError(
                gettext("附件“%(name)s”太大(%(size).1fMB),单个附件不能超过%(limit)sMB")
                % {"name": name, "size": f.size / 1048576, "limit": limit // 1048576},
                field="attachments",
                code="attachment_size",
            )
        f.seek(0)
        head = f.read(16)
        f.seek(0)
        content_type, looks_right = ALLOWED_ATTACHMENTS[ext]
        if not looks_right(head):
            raise DomainError(
                gettext("附件“%(name)s”的内容与扩展名不符,请上传真实的照片或文件") % {"name": name},
                field="attachments",
                code="attachment_type",
            )
        checked.append((f, name, content_type))
    return checked


def _store_attachments(case: Case, checked: list[tuple], actor) -> None:
    for f, name, content_type in checked:
        CaseAttachment.objects.create(
            case=case,
            file=f,
            original_name=name,
            content_type=content_type,
            size=f.size,
            uploaded_by=actor if getattr(actor, "is_authenticated", False) else None,
        )


def _rate_limit(key: str, *, limit: int, seconds: int) -> None:
    cache_key = f"cases:rate:{key}"
    cache.add(cache_key, 0, timeout=seconds)
    try:
        count = cache.incr(cache_key)
    except ValueError:
        cache.set(cache_key, 1, timeout=seconds)
        count = 1
    if count > limit:
        raise DomainError(
            gettext("提交过于频繁,请稍后再试或拨打社区热线"), field="__all__", code="rate_limited"
        )


def _place_columns(place: Place | None, dwelling: Dwelling | None) -> dict:
    if dwelling is not None:
        return {
            "place": dwelling.unit,
            "dwelling": dwelling,
            "street_id": dwelling.street_id,
            "community_id": dwelling.community_id,
            "compound_id": dwelling.compound_id,
            "building_id": dwelling.building_id,
            "unit_id": dwelling.unit_id,
            "grid_id": dwelling.grid_id,
        }
    if place is None or place.level == Level.STREET:
        raise DomainError(gettext("请选择诉求发生的社区、小区或楼栋"), field="place")
    return {
        "place": place,
        "dwelling": None,
        "street_id": place.street_id,
        "community_id": place.community_id,
        "compound_id": place.compound_id,
        "building_id": place.building_id,
        "unit_id": place.unit_id,
        "grid_id": place.grid_id,
    }


def _notify_handlers(actor, case: Case, *, kind: str, title: str, recipients=None) -> None:
    people = list(recipients if recipients is not None else sel.handlers_for(case))
    if case.assigned_to_id and all(u.pk != case.assigned_to_id for u in people):
        people.append(case.assigned_to)
    people = [u for u in people if u.pk != getattr(actor, "pk", None)]
    if people:
        notify(
            actor=actor,
            recipients=people,
            kind=kind,
            title=title,
            body=f"{case.number} {case.title}",
            url=_case_url(case),
            channels=("inbox", "sms"),
        )


def _notify_requester(actor, case: Case, *, kind: str, title: str) -> None:
    if case.requester_id:
        notify(
            actor=actor,
            recipients=[case.requester],
            kind=kind,
            title=title,
            body=f"{case.number} {case.title}",
            url=_requester_url(case),
            channels=("inbox", "sms"),
        )


# ---- intake --------------------------------------------------------------------------------------------------

STAFF_CHANNELS = (Case.Channel.COUNTER, Case.Channel.HOTLINE, Case.Channel.ON_BEHALF, Case.Channel.VISIT)


@transaction.atomic
def case_submit(
    *,
    actor,
    category: ServiceItem | None,
    title: str,
    description: str = "",
    channel: str,
    place: Place | None = None,
    dwelling: Dwelling | None = None,
    requester=None,
    requester_name: str = "",
    requester_phone: str = "",
    attachments: Sequence = (),
    client_key: str = "",
) -> Case:
    """One queue for every channel. The case starts at the lowest level its category allows."""
    title = (title or "").strip()
    authenticated = getattr(actor, "is_authenticated", False)
    if channel not in Case.Channel.values:
        raise DomainError(gettext("来源渠道不正确"), field="channel")
    if channel == Case.Channel.RESIDENT:
        if not authenticated:
            raise PermissionDenied(gettext("请先登录"))
        if dwelling is None or not covers(actor, Right.CASES_SUBMIT, dwelling):
            raise DomainError(gettext("请选择您家的住址"), field="place")
        requester = actor
    elif channel == Case.Channel.ANONYMOUS:
        requester = None
    else:
        if not authenticated:
            raise PermissionDenied(gettext("请先登录"))
        target = dwelling or place
        if target is None or not covers(actor, Right.CASES_SUBMIT, target):
            raise DomainError(gettext("请选择您管辖范围内的社区、小区或楼栋"), field="place")
    if category is None:
        raise DomainError(gettext("请选择诉求类别"), field="category", code="required")
    if not title:
        raise DomainError(gettext("请填写诉求标题(一句话说明问题)"), field="title", code="required")
    if len(title) > 120:
        raise DomainError(gettext("标题不能超过120个字"), field="title")
    phone = ""
    if requester_phone:
        try:
            phone = phones.parse(requester_phone, allow_landline=True)
        except phones.PhoneError as exc:
            raise DomainError(gettext(exc.message), field="requester_phone") from exc
    if channel == Case.Channel.ANONYMOUS:
        if not requester_name.strip():
            raise DomainError(gettext("请填写联系人姓名"), field="requester_name", code="required")
        if not phone:
            raise DomainError(
                gettext("请填写联系电话,以便社区与您联系"), field="requester_phone", code="required"
            )
    columns = _place_columns(place, dwelling)
    if (
        not category.is_active
        or category.street_id != columns["street_id"]
        or (category.community_id and category.community_id != columns["community_id"])
    ):
        raise DomainError(gettext("所选诉求类别不适用于该地点,请重新选择"), field="category")
    checked = validate_attachments(attachments)
    if channel == Case.Channel.ANONYMOUS:
        _rate_limit(f"ip:{client_key or 'unknown'}", limit=ANON_LIMIT_PER_HOUR, seconds=3600)
        _rate_limit(
            f"phone:{pii.keyed_hash('phone', phone)}", limit=ANON_LIMIT_PER_PHONE_PER_DAY, seconds=86400
        )

    level = category.lowest_level
    if level == HandlingLevel.COMPOUND and not columns["compound_id"]:
        level = HandlingLevel.COMMUNITY
    now = timezone.now()
    case = Case(
        number=_new_number(),
        title=title,
        description=(description or "").strip(),
        category=category,
        channel=channel,
        level=level,
        department=category.department if level == HandlingLevel.DEPARTMENT else "",
        deadline_at=_deadline(category, level, now),
        level_entered_at=now,
        requester=requester,
        requester_name=(requester_name or (requester.display_label if requester else ""))[:50],
        requester_phone_encrypted=pii.encrypt(phone),
        requester_phone_masked=phones.mask(phone),
        submitted_by=actor if authenticated else None,
        track_token=secrets.token_urlsafe(24)[:32],
        **columns,
    )
    case.full_clean(
        exclude=["place", "dwelling", "street", "community", "category", "requester", "submitted_by"]
    )
    case.save()
    handlers = list(sel.handlers_for(case))
    if level == HandlingLevel.COMPOUND:
        case.assigned_to = sel.compound_assignee(case)
        if case.assigned_to is not None:
            case.save(update_fields=["assigned_to"])
    _store_attachments(case, checked, actor)
    _event(
        case, actor, CaseEvent.Kind.CREATED, f"{case.get_channel_display()} · {category.name}", to_level=level
    )
    _audit(
        actor,
        case,
        "case_submit",
        after={"channel": channel, "level": level, "category": category.name},
        kind="create",
    )
    _notify_handlers(actor, case, kind="case.assigned", title=f"新诉求待处理:{title}", recipients=handlers)
    return case


# ---- lifecycle -----------------------------------------------------------------------------------------------


@transaction.atomic
def case_accept(*, actor, case: Case) -> Case:
    _require_act(actor, case)
    locked = _lock(case)
    if locked.status != Case.Status.NEW:
        raise DomainError(gettext("只有待受理的诉求可以受理"), field="status")
    locked.status = Case.Status.ACCEPTED
    locked.accepted_at = timezone.now()
    locked.assigned_to = locked.assigned_to or actor
    locked.save(update_fields=["status", "accepted_at", "assigned_to", "updated_at"])
    _event(locked, actor, CaseEvent.Kind.ACCEPTED)
    _audit(actor, locked, "case_accept", {"status": "new"}, {"status": "accepted"})
    return _refresh_into(case, locked)


@transaction.atomic
def case_start(*, actor, case: Case) -> Case:
    _require_act(actor, case)
    locked = _lock(case)
    if locked.status not in (Case.Status.NEW, Case.Status.ACCEPTED):
        raise DomainError(gettext("只有待受理或已受理的诉求可以开始办理"), field="status")
    before = locked.status
    locked.status = Case.Status.IN_PROGRESS
    locked.accepted_at = locked.accepted_at or timezone.now()
    locked.assigned_to = locked.assigned_to or actor
    locked.save(update_fields=["status", "accepted_at", "assigned_to", "updated_at"])
    _event(locked, actor, CaseEvent.Kind.STARTED)
    _audit(actor, locked, "case_start", {"status": before}, {"status": locked.status})
    return _refresh_into(case, locked)


@transaction.atomic
def case_assign(*, actor, case: Case, assignee) -> Case:
    _require_act(actor, case)
    locked = _lock(case)
    _require_open(locked)
    if assignee is None or not covers(assignee, Right.CASES_HANDLE, locked):
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
def case_escalate(*, actor, case: Case, reason: str) -> Case:
    """上报: the holder cannot solve it here; it goes one level up with that level's deadline."""
    _require_act(actor, case)
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


def _move_level(actor, case: Case, target: str, *, kind: str, text: str) -> None:
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
def case_comment(*, actor, case: Case, text: str, public: bool = False) -> CaseEvent:
    text = (text or "").strip()
    liaison_ok = bool(sel.summons_for(actor, case)) or (
        case.level == HandlingLevel.DEPARTMENT
        and getattr(actor, "department", "") == case.department
        and covers(actor, Right.CASES_REPORT, case)
    )
    if not (policies.can_comment_case(actor, case) or liaison_ok):
        raise PermissionDenied(gettext("您不能在此诉求上备注"))
    if not text:
        raise DomainError(gettext("备注内容不能为空"), field="text", code="required")
    event = _event(case, actor, CaseEvent.Kind.COMMENT, text[:2000], public=public)
    _audit(actor, case, "case_comment", after={"public": public})
    return event


@transaction.atomic
def case_attach(*, actor, case: Case, files: Sequence) -> int:
    if not (policies.can_comment_case(actor, case) or case.requester_id == getattr(actor, "pk", None)):
        raise PermissionDenied(gettext("您不能为此诉求上传附件"))
    checked = validate_attachments(files)
    if not checked:
        raise DomainError(gettext("请选择要上传的文件"), field="attachments", code="required")
    _store_attachments(case, checked, actor)
    _event(case, actor, CaseEvent.Kind.ATTACHMENT, "、".join(name for _, name, _ in checked))
    _audit(actor, case, "case_attach", after={"files": len(checked)})
    return len(checked)


@transaction.atomic
def case_resolve(*, actor, case: Case, resolution: str) -> Case:
    _require_act(actor, case)
    resolution = (resolution or "").strip()
    if not resolution:
        raise DomainError(gettext("请填写办理结果"), field="resolution", code="required")
    locked = _lock(case)
    _require_open(locked)
    before = locked.status
    locked.status = Case.Status.RESOLVED
    locked.resolution = resolution
    locked.resolved_at = timezone.now()
    locked.assigned_to = locked.assigned_to or actor
    locked.save(update_fields=["status", "resolution", "resolved_at", "assigned_to", "updated_at"])
    Whistle.objects.filter(case=locked, is_closed=False).update(is_closed=True)
    _event(locked, actor, CaseEvent.Kind.RESOLVED, resolution)
    _audit(actor, locked, "case_resolve", {"status": before}, {"status": "resolved"})
    _notify_requester(actor, locked, kind="case.resolved", title=f"您的诉求已办结,请评价:{locked.title}")
    return _refresh_into(case, locked)


@transaction.atomic
def case_close(*, actor, case: Case) -> Case:
    _require_act(actor, case)
    locked = _lock(case)
    if locked.status != Case.Status.RESOLVED:
        raise DomainError(gettext("只有已办结的诉求可以关闭"), field="status")
    locked.status = Case.Status.CLOSED
    locked.closed_at = timezone.now()
    locked.save(update_fields=["status", "closed_at", "updated_at"])
    _event(locked, actor, CaseEvent.Kind.CLOSED)
    _audit(actor, locked, "case_close", {"status": "resolved"}, {"status": "closed"})
    return _refresh_into(case, locked)


@transaction.atomic
def case_reopen(*, actor, case: Case, reason: str) -> Case:
    """重新办理: by a handler, or by the requester who is not satisfied."""
    is_requester = case.requester_id is not None and case.requester_id == getattr(actor, "pk", None)
    if not (is_requester or policies.can_act_on_case(actor, case)):
        raise PermissionDenied(gettext("您不能重新打开此诉求"))
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
def case_merge(*, actor, case: Case, into: Case) -> Case:
    """合并重复诉求: the duplicate closes and points at the case that carries on."""
    _require_act(actor, case)
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
    _audit(actor, locked, "case_merge", {"status": before}, {"status": "closed", "merged_into": into.number})
    _notify_requester(actor, locked, kind="case.merged", title=f"您的诉求已与同类诉求合并办理:{locked.title}")
    return _refresh_into(case, locked)


@transaction.atomic
def case_rate(*, actor, case: Case, score, comment: str = "", token: str = "") -> Case:
    """满意度评价 1–5, by the requester, once the case is resolved."""
    if not policies.can_rate_case(actor, case, token=token):
        raise PermissionDenied(gettext("只有提出诉求的人可以评价"))
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


# ---- the whistle ---------------------------------------------------------------------------------------------


@transaction.atomic
def whistle_blow(
    *,
    actor,
    case: Case,
    reason: str,
    report_by: datetime | None,
    departments: Sequence[str] = (),
    members: Sequence = (),
) -> Whistle:
    """吹哨: the community or the street summons departments and/or party members, who must report by a deadline."""
    if not policies.can_whistle_case(actor, case):
        raise PermissionDenied(gettext("只有社区或街道可以吹哨"))
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
    # 街道吹哨 when the street blows it, 社区吹哨 otherwise.
    by_street = any(g.level == "street" for g in policies.covering_grants(actor, Right.CASES_WHISTLE, case))
    level = HandlingLevel.STREET if by_street else HandlingLevel.COMMUNITY
    whistle = Whistle(
        case=case,
        blown_by=actor,
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
def whistle_report(*, actor, case: Case, action_taken: str) -> list[Summons]:
    """报到: a summoned department's liaison (or the summoned member) acknowledges and records what they did."""
    action_taken = (action_taken or "").strip()
    summonses = sel.summons_for(actor, case)
    department = getattr(actor, "department", "")
    summonses = [
        s
        for s in summonses
        if (s.member_id and s.member_id == actor.pk)
        or (s.department and s.department == department and covers(actor, Right.CASES_REPORT, case))
    ]
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
            reported_at=now, reported_by=actor, action_taken=action_taken[:2000]
        )
        if updated:
            s.reported_at, s.reported_by, s.action_taken = now, actor, action_taken
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
def whistle_close(*, actor, whistle: Whistle) -> Whistle:
    if not policies.can_whistle_case(actor, whistle.case):
        raise PermissionDenied(gettext("只有社区或街道可以结束吹哨"))
    whistle.is_closed = True
    whistle.save(update_fields=["is_closed", "updated_at"])
    _event(whistle.case, actor, CaseEvent.Kind.COMMENT, "吹哨结束", public=False)
    _audit(actor, whistle.case, "whistle_close")
    return whistle


# ---- auto-escalation (set-based) -----------------------------------------------------------------------------


def cases_escalate_overdue(*, now: datetime | None = None) -> dict[str, int]:
    """Move every overdue open case one level up: one UPDATE … RETURNING per level (the new deadline and, for a
    department, which one, picked per category by a CASE expression), the timeline rows in bulk, and one batch
    of notifications (a summary per community and level). The query count does not depend on the number of
    cases. Idempotent: a restart re-scans and finds only what is still overdue."""
    now = now or timezone.now()
    items = list(
        ServiceItem.objects.values_list(
            "pk", "hours_compound", "hours_community", "hours_street", "hours_department", "department"
        )
    )
    hours_index = {"compound": 1, "community": 2, "street": 3, "department": 4}
    result: dict[str, int] = {}
    moved: dict[tuple[str, int, int, str], int] = defaultdict(int)
    with transaction.atomic():
        # From the top down, so a case moves at most one level per scan.
        for source in reversed(LEVEL_ORDER[:-1]):
            target = NEXT_LEVEL[source]
            by_hours: dict[int, list[int]] = defaultdict(list)
            by_department: dict[str, list[int]] = defaultdict(list)
            for row in items:
                by_hours[row[hours_index[target]]].append(row[0])
                by_department[row[5]].append(row[0])
            deadline = DbCase(
                *[
                    When(category_id__in=ids, then=Value(now + timedelta(hours=h)))
                    for h, ids in by_hours.items()
                ],
                default=Value(now + timedelta(hours=24)),
                output_field=DateTimeField(),
            )
            department = Value("")
            if target == HandlingLevel.DEPARTMENT:
                department = DbCase(
                    *[When(category_id__in=ids, then=Value(d)) for d, ids in by_department.items()],
                    default=Value(""),
                    output_field=CharField(),
                )
            counts = _move_overdue(
                Case.objects.filter(status__in=Case.OPEN, level=source, deadline_at__lt=now),
                {
                    "level": target,
                    "department": department,
                    "level_entered_at": now,
                    "deadline_at": deadline,
                    "escalation_count": F("escalation_count") + 1,
                    "assigned_to": None,
                    "updated_at": now,
                },
                now=now,
                source=source,
                target=target,
            )
            result[target] = sum(counts.values())
            for (community_id, street_id, dept), n in counts.items():
                moved[(target, community_id, street_id, dept or "")] += n
        if moved:
            _escalation_notices(moved)
            audit_record(
                actor=None,
                kind="action",
                action="cases_escalate_overdue",
                object_type="cases.case",
                object_label="超时自动升级",
                after=dict(result),
            )
    return result


def _move_overdue(queryset, values: dict, *, now, source: str, target: str) -> dict[tuple, int]:
    """Run the level's UPDATE and write a timeline line for every moved case; return the moved count per
    (community, street, department). On PostgreSQL it is one statement (UPDATE … RETURNING feeding an INSERT in
    a CTE); elsewhere UPDATE … RETURNING and a bulk insert."""
    from django.db.models import sql

    query = queryset.query.chain(sql.UpdateQuery)
    query.add_update_values(values)
    query.annotations = {}
    statement, params = query.get_compiler(queryset.db).as_sql()
    if not statement:
        return {}
    text = f"本级超过办理期限,自动升级至{HandlingLevel(target).label}"
    kind = str(CaseEvent.Kind.AUTO_ESCALATED.value)
    events = connection.ops.quote_name(CaseEvent._meta.db_table)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                f"WITH moved AS ({statement} RETURNING id, community_id, street_id, department), "  # noqa: S608
                f"ev AS (INSERT INTO {events} (case_id, at, actor_id, actor_label, kind, text, from_level, "
                "to_level, is_public) SELECT id, %s, NULL, %s, %s, %s, %s, %s, true FROM moved) "
                "SELECT community_id, street_id, department, COUNT(*) FROM moved GROUP BY 1, 2, 3",
                [*params, now, "系统", kind, text, source, target],
            )
            return {(c, st, d): n for c, st, d, n in cursor.fetchall()}
        cursor.execute(f"{statement} RETURNING id, community_id, street_id, department", params)
        rows = cursor.fetchall()
    CaseEvent.objects.bulk_create(
        [
            CaseEvent(
                case_id=r[0],
                at=now,
                actor_label="系统",
                kind=kind,
                text=text,
                from_level=source,
                to_level=target,
            )
            for r in rows
        ],
        batch_size=2000,
    )
    counts: dict[tuple, int] = defaultdict(int)
    for _pk, community_id, street_id, dept in rows:
        counts[(community_id, street_id, dept)] += 1
    return counts


def _escalation_notices(counts: dict[tuple[str, int, int, str], int]) -> None:
    """One summary per community and level to the people who now hold the cases, all in one notify_bulk()."""
    communities = {k[1] for k in counts}
    streets = {k[2] for k in counts}
    names = dict(Place.objects.filter(pk__in=communities).values_list("pk", "name"))
    holders = sel.holders_by_place(
        community_ids=communities, street_ids=streets, departments={k[3] for k in counts if k[3]}
    )
    url = reverse("cases:queue")
    messages = []
    for (target, community_id, street_id, department), n in sorted(counts.items()):
        if target == HandlingLevel.COMMUNITY:
            recipients = holders["community"].get(community_id, [])
        elif target == HandlingLevel.STREET:
            recipients = holders["street"].get(street_id, [])
        else:
            recipients = (
                holders["street"].get(street_id, [])
                + holders["department"].get((department, community_id), [])
                + holders["department"].get((department, street_id), [])
            )
        label = HandlingLevel(target).label + (f"·{department}" if department else "")
        messages.append(
            Message(
                recipients=recipients,
                kind="case.escalated",
                title=f"{names.get(community_id, '')}有{n}件诉求超时,已自动升级至{label}",
                url=f"{url}?level={target}",
                channels=("inbox", "sms"),
            )
        )
    notify_bulk(actor=None, messages=messages)


# ---- catalogue -----------------------------------------------------------------------------------------------

ITEM_FIELDS = (
    "kind",
    "code",
    "name",
    "description",
    "documents_needed",
    "lowest_level",
    "department",
    "hours_compound",
    "hours_community",
    "hours_street",
    "hours_department",
    "is_active",
)


def _item_snapshot(item: ServiceItem) -> dict:
    return {f: getattr(item, f) for f in ITEM_FIELDS}


def _check_item(item: ServiceItem) -> None:
    if not (item.name or "").strip():
        raise DomainError(gettext("请填写事项名称"), field="name", code="required")
    if item.lowest_level == HandlingLevel.DEPARTMENT and not item.department:
        raise DomainError(gettext("最低层级为职能部门时,须指定责任部门"), field="department")
    if item.department and item.department not in DEPARTMENTS:
        raise DomainError(
            gettext("未知部门:%(departments)s") % {"departments": item.department}, field="department"
        )
    clash = ServiceItem.objects.filter(street_id=item.street_id, code=item.code).exclude(pk=item.pk)
    if clash.exists():
        raise DomainError(gettext("编码已被使用"), field="code")
    item.full_clean(exclude=["street", "community"])


@transaction.atomic
def service_item_create(*, actor, street: Place, community: Place | None = None, **fields) -> ServiceItem:
    item = ServiceItem(
        street=street, community=community, **{k: v for k, v in fields.items() if k in ITEM_FIELDS}
    )
    if community is not None and community.street_id != street.pk:
        raise DomainError(gettext("社区不属于该街道"), field="community")
    if not item.code:
        item.code = f"item-{secrets.token_hex(3)}"
    if not policies.can_edit_catalogue_item(actor, item):
        raise PermissionDenied(gettext("您不能编辑该服务目录"))
    _check_item(item)
    item.save()
    audit_record(
        actor=actor,
        kind="create",
        action="service_item_create",
        obj=item,
        street=street,
        after=_item_snapshot(item),
    )
    return item


@transaction.atomic
def service_item_update(*, actor, item: ServiceItem, **changes) -> ServiceItem:
    if not policies.can_edit_catalogue_item(actor, item):
        raise PermissionDenied(gettext("您不能编辑该服务目录"))
    before = _item_snapshot(item)
    for key, value in changes.items():
        if key in ITEM_FIELDS:
            setattr(item, key, value)
    _check_item(item)
    item.save()
    after = _item_snapshot(item)
    audit_record(
        actor=actor,
        kind="update",
        action="service_item_update",
        obj=item,
        street=item.street,
        before=before,
        after=after,
    )
    return item


# ---- admission list and handed-down duties -------------------------------------------------------------------


def _money(value) -> Decimal:
    try:
        return Decimal(str(value or 0))
    except InvalidOperation as exc:
        raise DomainError(gettext("金额格式不正确"), field="funding_yuan") from exc


@transaction.atomic
def admission_item_create(
    *,
    actor,
    street: Place,
    department: str,
    name: str,
    basis: str = "",
    resources: str = "",
    funding_yuan=0,
    is_active: bool = True,
) -> AdmissionItem:
    if not policies.can_edit_admission_list(actor, street):
        raise PermissionDenied(gettext("只有街道可以编辑准入清单"))
    if department not in DEPARTMENTS:
        raise DomainError(gettext("请选择部门"), field="department", code="required")
    if not (name or "").strip():
        raise DomainError(gettext("请填写事项名称"), field="name", code="required")
    if AdmissionItem.objects.filter(street=street, department=department, name=name.strip()).exists():
        raise DomainError(gettext("该部门已有同名事项"), field="name")
    item = AdmissionItem(
        street=street,
        department=department,
        name=name.strip(),
        basis=basis,
        resources=resources,
        funding_yuan=_money(funding_yuan),
        is_active=is_active,
    )
    item.full_clean(exclude=["street"])
    item.save()
    audit_record(
        actor=actor,
        kind="create",
        action="admission_item_create",
        obj=item,
        street=street,
        after={"department": department, "name": item.name, "funding_yuan": str(item.funding_yuan)},
    )
    return item


@transaction.atomic
def admission_item_update(*, actor, item: AdmissionItem, **changes) -> AdmissionItem:
    if not policies.can_edit_admission_list(actor, item.street):
        raise PermissionDenied(gettext("只有街道可以编辑准入清单"))
    before = {
        "name": item.name,
        "resources": item.resources,
        "funding_yuan": str(item.funding_yuan),
        "is_active": item.is_active,
    }
    for key in ("name", "basis", "resources", "is_active"):
        if key in changes:
            setattr(item, key, changes[key])
    if "funding_yuan" in changes:
        item.funding_yuan = _money(changes["funding_yuan"])
    if not item.name.strip():
        raise DomainError(gettext("请填写事项名称"), field="name", code="required")
    item.full_clean(exclude=["street"])
    item.save()
    audit_record(
        actor=actor,
        kind="update",
        action="admission_item_update",
        obj=item,
        street=item.street,
        before=before,
        after={
            "name": item.name,
            "resources": item.resources,
            "funding_yuan": str(item.funding_yuan),
            "is_active": item.is_active,
        },
    )
    return item


@transaction.atomic
def duty_record(
    *,
    actor,
    community: Place,
    department: str,
    title: str,
    description: str = "",
    admission_item: AdmissionItem | None = None,
    handed_on=None,
    estimated_hours=0,
) -> HandedDownDuty:
    """Record a duty a department handed to a community. Not on the admission list → flagged to the street."""
    if (
        community is None
        or community.level != Level.COMMUNITY
        or not policies.can_record_duty(actor, community)
    ):
        raise PermissionDenied(gettext("您不能为该社区登记下派事项"))
    if department not in DEPARTMENTS:
        raise DomainError(gettext("请选择下派部门"), field="department", code="required")
    title = (title or "").strip()
    if not title:
        raise DomainError(gettext("请填写下派事项"), field="title", code="required")
    if admission_item is not None and (
        admission_item.street_id != community.street_id
        or admission_item.department != department
        or not admission_item.is_active
    ):
        raise DomainError(gettext("所选清单事项不属于该部门或已失效"), field="admission_item")
    if admission_item is None:
        admission_item = AdmissionItem.objects.filter(
            street_id=community.street_id, department=department, name=title, is_active=True
        ).first()
    try:
        hours = Decimal(str(estimated_hours or 0))
    except InvalidOperation as exc:
        raise DomainError(gettext("工时格式不正确"), field="estimated_hours") from exc
    duty = HandedDownDuty(
        community=community,
        street_id=community.street_id,
        department=department,
        title=title,
        description=description,
        admission_item=admission_item,
        is_on_list=admission_item is not None,
        handed_on=handed_on or timezone.localdate(),
        estimated_hours=hours,
        recorded_by=actor,
    )
    duty.full_clean(exclude=["community", "street", "admission_item", "recorded_by"])
    duty.save()
    audit_record(
        actor=actor,
        kind="create",
        action="duty_record",
        obj=duty,
        after={"department": department, "title": title, "on_list": duty.is_on_list},
    )
    if not duty.is_on_list:
        notify(
            actor=actor,
            recipients=sel.street_officers(community.street_id),
            kind="cases.duty_off_list",
            title=f"清单外下派事项:{department}向{community.name}下派“{title}”",
            body="该事项不在准入清单内,请街道核查(权随责走、费随事转)",
            url=reverse("cases:admission"),
        )
    return duty
