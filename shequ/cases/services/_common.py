"""Helpers every cases service shares: the timeline line, the audit row, the row lock, attachments, the
deadline of a level and the notifications to handlers and the requester."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import TypeAlias

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.urls import reverse
from django.utils.translation import gettext

from shequ.accounts.models import User
from shequ.cases import selectors as sel
from shequ.cases.models import Case, CaseAttachment, CaseEvent, ServiceItem
from shequ.core.audit import audit_record
from shequ.core.errors import DomainError
from shequ.core.jurisdiction import Actor
from shequ.notifications.services import notify

# Who may stand behind a write in cases: a user, SYSTEM, or (for anonymous intake and rating by link) the
# anonymous visitor, whose request.user is passed as is.
AnyActor: TypeAlias = "Actor | AnonymousUser"

MAX_ATTACHMENTS = 6

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


def _user(actor: AnyActor) -> User | None:
    """The signed-in user behind an actor, for the "by whom" columns; None for SYSTEM and the anonymous."""
    return actor if isinstance(actor, User) and actor.is_authenticated else None


def _label(actor: AnyActor) -> str:
    user = _user(actor)
    if user is not None:
        return (user.display_label or user.username)[:150]
    return "系统"


def _event(
    case: Case, actor: AnyActor, kind: str, text: str = "", *, public: bool = True, **levels
) -> CaseEvent:
    return CaseEvent.objects.create(
        case=case,
        actor=_user(actor),
        actor_label=_label(actor),
        kind=kind,
        text=text,
        is_public=public,
        from_level=levels.get("from_level", ""),
        to_level=levels.get("to_level", ""),
    )


def _audit(
    actor: AnyActor, case: Case, action: str, before: dict | None = None, after: dict | None = None, **kw
):
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


def _deadline(category: ServiceItem, level: str, start: datetime) -> datetime:
    return start + timedelta(hours=category.hours_at(level))


def _require_open(case: Case) -> None:
    if not case.is_open:
        raise DomainError(
            gettext("诉求当前状态为“%(status)s”,不能进行此操作") % {"status": case.get_status_display()},
            field="status",
        )


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


def _store_attachments(case: Case, checked: list[tuple], actor: AnyActor) -> None:
    for f, name, content_type in checked:
        CaseAttachment.objects.create(
            case=case,
            file=f,
            original_name=name,
            content_type=content_type,
            size=f.size,
            uploaded_by=_user(actor),
        )


def _notify_handlers(actor: AnyActor, case: Case, *, kind: str, title: str, recipients=None) -> None:
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


def _notify_requester(actor: AnyActor, case: Case, *, kind: str, title: str) -> None:
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
