"""Intake: one queue for every channel (counter, hotline, on behalf, visit, a resident's phone, anonymous). A new
case starts at the lowest level its category allows, with that level's deadline, and its handlers are told."""

from __future__ import annotations

import secrets
from collections.abc import Sequence

from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from shequ.cases import selectors as sel
from shequ.cases.models import Case, CaseEvent, HandlingLevel, ServiceItem
from shequ.cases.services._common import (
    AnyActor,
    _audit,
    _deadline,
    _event,
    _notify_handlers,
    _store_attachments,
    _user,
    validate_attachments,
)
from shequ.core import phones, pii
from shequ.core.errors import DomainError
from shequ.core.jurisdiction import covers, is_system
from shequ.core.rights import Right
from shequ.places.models import Dwelling, Level, Place

ANON_LIMIT_PER_HOUR = 5
ANON_LIMIT_PER_PHONE_PER_DAY = 5
TITLE_MAX = 120

STAFF_CHANNELS = (Case.Channel.COUNTER, Case.Channel.HOTLINE, Case.Channel.ON_BEHALF, Case.Channel.VISIT)


def _new_number() -> str:
    """诉求编号: the local date (YYMMDD) and six digits, e.g. 261207048213. People read it out on the phone and
    the queue searches it by prefix, so it keeps this all-digit format rather than core.numbers.public_number."""
    today = timezone.localdate()
    for _ in range(10):
        number = f"{today:%y%m%d}{secrets.randbelow(10**6):06d}"
        if not Case.objects.filter(number=number).exists():
            return number
    return f"{today:%y%m%d}{secrets.token_hex(4)}"


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


# ---- the steps of case_submit --------------------------------------------------------------------------------


def _authorise_channel(
    actor: AnyActor, channel: str, *, place: Place | None, dwelling: Dwelling | None, requester
):
    """Who may file through this channel, and who the requester is: a resident files for their own home, a worker
    for a place in their jurisdiction, anyone anonymously."""
    if actor is None:
        raise TypeError("case_submit(): actor is None; pass request.user (anonymous included) or SYSTEM")
    authenticated = getattr(actor, "is_authenticated", False)
    if channel not in Case.Channel.values:
        raise DomainError(gettext("来源渠道不正确"), field="channel")
    if channel == Case.Channel.RESIDENT:
        if not authenticated:
            raise PermissionDenied(gettext("请先登录"))
        if dwelling is None or not covers(actor, Right.CASES_SUBMIT, dwelling):
            raise DomainError(gettext("请选择您家的住址"), field="place")
        return actor
    if channel == Case.Channel.ANONYMOUS:
        return None
    if not (authenticated or is_system(actor)):
        raise PermissionDenied(gettext("请先登录"))
    target = dwelling or place
    if target is None or not (is_system(actor) or covers(actor, Right.CASES_SUBMIT, target)):
        raise DomainError(gettext("请选择您管辖范围内的社区、小区或楼栋"), field="place")
    return requester


def _check_content(*, channel: str, title: str, requester_name: str, requester_phone: str) -> str:
    """The title and the contact; returns the parsed phone number ("" if none was given)."""
    if not title:
        raise DomainError(gettext("请填写诉求标题(一句话说明问题)"), field="title", code="required")
    if len(title) > TITLE_MAX:
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
    return phone


def _check_category_fits(category: ServiceItem, columns: dict) -> None:
    if (
        not category.is_active
        or category.street_id != columns["street_id"]
        or (category.community_id and category.community_id != columns["community_id"])
    ):
        raise DomainError(gettext("所选诉求类别不适用于该地点,请重新选择"), field="category")


def _limit_anonymous(*, client_key: str, phone: str) -> None:
    """Anonymous intake is rate-limited per client address and per phone number."""
    _rate_limit(f"ip:{client_key or 'unknown'}", limit=ANON_LIMIT_PER_HOUR, seconds=3600)
    _rate_limit(f"phone:{pii.keyed_hash('phone', phone)}", limit=ANON_LIMIT_PER_PHONE_PER_DAY, seconds=86400)


def _starting_level(category: ServiceItem, columns: dict) -> str:
    """The lowest level the category allows; a place outside any compound starts at the community."""
    level = category.lowest_level
    if level == HandlingLevel.COMPOUND and not columns["compound_id"]:
        level = HandlingLevel.COMMUNITY
    return level


def _new_case(
    actor: AnyActor,
    *,
    category: ServiceItem,
    level: str,
    title: str,
    description: str,
    channel: str,
    requester,
    requester_name: str,
    phone: str,
    columns: dict,
) -> Case:
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
        submitted_by=_user(actor),
        track_token=secrets.token_urlsafe(24)[:32],
        **columns,
    )
    case.full_clean(
        exclude=["place", "dwelling", "street", "community", "category", "requester", "submitted_by"]
    )
    case.save()
    return case


def _assign_compound_case(case: Case) -> None:
    """A compound-level case goes straight to its building leader (else its grid worker)."""
    if case.level == HandlingLevel.COMPOUND:
        case.assigned_to = sel.compound_assignee(case)
        if case.assigned_to is not None:
            case.save(update_fields=["assigned_to"])


@transaction.atomic
def case_submit(
    *,
    actor: AnyActor,
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
    """One queue for every channel. The case starts at the lowest level its category allows.

    `actor` is the signed-in user, or the anonymous visitor (request.user) for the anonymous channel."""
    title = (title or "").strip()
    requester = _authorise_channel(actor, channel, place=place, dwelling=dwelling, requester=requester)
    if category is None:
        raise DomainError(gettext("请选择诉求类别"), field="category", code="required")
    phone = _check_content(
        channel=channel, title=title, requester_name=requester_name, requester_phone=requester_phone
    )
    columns = _place_columns(place, dwelling)
    _check_category_fits(category, columns)
    checked = validate_attachments(attachments)
    if channel == Case.Channel.ANONYMOUS:
        _limit_anonymous(client_key=client_key, phone=phone)

    level = _starting_level(category, columns)
    case = _new_case(
        actor,
        category=category,
        level=level,
        title=title,
        description=description,
        channel=channel,
        requester=requester,
        requester_name=requester_name,
        phone=phone,
        columns=columns,
    )
    handlers = list(sel.handlers_for(case))
    _assign_compound_case(case)
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
