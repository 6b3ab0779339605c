"""Who may do what to a case: pure functions over the actor's grants and the case's place columns.

Each rule lives here once. `can_*` answers (pages and the API use it to show or hide an action); `require_*`
enforces it in the services, with the message the person sees. The explicit SYSTEM actor (seeding, jobs) passes
every rule; `None` is never an actor (TypeError)."""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext

from shequ.cases.models import HandlingLevel
from shequ.core.jurisdiction import Actor, covers, grants_with, has_right, is_system
from shequ.core.rights import Right
from shequ.places.models import Level

# A grant's height: a building leader or grid worker acts at the compound level, a community worker up to the
# community level, the street above that (and over cases handed to a department).
_GRANT_RANK = {
    Level.UNIT: 0,
    Level.BUILDING: 0,
    "grid": 0,
    Level.COMPOUND: 0,
    Level.COMMUNITY: 1,
    Level.STREET: 3,
}
_CASE_RANK = {
    HandlingLevel.COMPOUND: 0,
    HandlingLevel.COMMUNITY: 1,
    HandlingLevel.STREET: 2,
    HandlingLevel.DEPARTMENT: 3,
}


def _enforce(actor: Actor | AnonymousUser, allowed: bool, message: str) -> None:
    if actor is None:
        raise TypeError("actor is None; pass the acting user or core.jurisdiction.SYSTEM")
    if not allowed:
        raise PermissionDenied(message)


def _is_requester(actor, case) -> bool:
    return case.requester_id is not None and case.requester_id == getattr(actor, "pk", None)


def covering_grants(actor, right, case) -> list:
    return [
        g
        for g in grants_with(actor, right)
        if g.level in _GRANT_RANK and getattr(case, f"{g.level}_id", None) == g.target_id
    ]


# ---- pages (may the actor open them at all) ------------------------------------------------------------------


def can_work_cases(actor) -> bool:
    """The work queue: handlers, and department liaisons who report to whistles."""
    return has_right(actor, Right.CASES_HANDLE) or has_right(actor, Right.CASES_REPORT)


def can_take_intake(actor) -> bool:
    """Counter, hotline, on-behalf or visit intake by a worker."""
    return has_right(actor, Right.CASES_SUBMIT) and has_right(actor, Right.CASES_HANDLE)


def can_handle_cases(actor) -> bool:
    return has_right(actor, Right.CASES_HANDLE)


def can_edit_catalogue(actor) -> bool:
    """Holds the catalogue right somewhere (the catalogue, admission-list and duty pages)."""
    return has_right(actor, Right.CATALOGUE_EDIT)


# ---- one case ------------------------------------------------------------------------------------------------


def is_case_handler(user, case) -> bool:
    """The user handles cases in the case's place (may be assigned it, may comment on it)."""
    return covers(user, Right.CASES_HANDLE, case)


def can_comment_case(actor, case) -> bool:
    return is_system(actor) or is_case_handler(actor, case)


def can_liaise_on_case(actor, case) -> bool:
    """A liaison of the department the case went up to, in the case's places."""
    return (
        case.level == HandlingLevel.DEPARTMENT
        and getattr(actor, "department", "") == case.department
        and covers(actor, Right.CASES_REPORT, case)
    )


def can_answer_summons(actor, summons, case) -> bool:
    """报到: the summoned member themself, or a liaison of the summoned department in the case's places."""
    if summons.member_id and summons.member_id == getattr(actor, "pk", None):
        return True
    department = getattr(actor, "department", "")
    return (
        bool(summons.department)
        and summons.department == department
        and covers(actor, Right.CASES_REPORT, case)
    )


def can_attach_to_case(actor, case) -> bool:
    """A handler of the case's place, or the resident who asked."""
    return can_comment_case(actor, case) or _is_requester(actor, case)


def can_act_on_case(actor, case) -> bool:
    """Accept, start, assign, escalate, resolve, close, reopen, merge: a handler whose height reaches the case's
    current level (a building leader can no longer resolve a case that went up to the community)."""
    if is_system(actor):
        return True
    rank = _CASE_RANK.get(case.level, 3)
    return any(_GRANT_RANK[g.level] >= rank for g in covering_grants(actor, Right.CASES_HANDLE, case))


def can_reopen_case(actor, case) -> bool:
    """重新办理: by a handler, or by the requester who is not satisfied."""
    return _is_requester(actor, case) or can_act_on_case(actor, case)


def can_whistle_case(actor, case) -> bool:
    """The community or the street blows the whistle."""
    if is_system(actor):
        return True
    return any(
        g.level in (Level.COMMUNITY, Level.STREET) for g in covering_grants(actor, Right.CASES_WHISTLE, case)
    )


def whistles_as_street(actor, case) -> bool:
    """街道吹哨 when the street blows it, 社区吹哨 otherwise."""
    return any(g.level == Level.STREET for g in covering_grants(actor, Right.CASES_WHISTLE, case))


def can_rate_case(actor, case, *, token: str = "") -> bool:
    if token and token == case.track_token:
        return True
    return is_system(actor) or _is_requester(actor, case)


def require_act_on_case(actor: Actor, case) -> None:
    _enforce(actor, can_act_on_case(actor, case), gettext("您不能办理此层级的诉求"))


def require_comment_case(actor: Actor, case, *, summoned: bool) -> None:
    """Handlers comment; so do the summoned and the liaisons of the department the case went up to."""
    allowed = summoned or can_comment_case(actor, case) or can_liaise_on_case(actor, case)
    _enforce(actor, allowed, gettext("您不能在此诉求上备注"))


def require_attach_to_case(actor: Actor, case) -> None:
    _enforce(actor, can_attach_to_case(actor, case), gettext("您不能为此诉求上传附件"))


def require_reopen_case(actor: Actor, case) -> None:
    _enforce(actor, can_reopen_case(actor, case), gettext("您不能重新打开此诉求"))


def require_rate_case(actor: Actor | AnonymousUser, case, *, token: str = "") -> None:
    _enforce(actor, can_rate_case(actor, case, token=token), gettext("只有提出诉求的人可以评价"))


def require_whistle_case(actor: Actor, case, *, message: str) -> None:
    _enforce(actor, can_whistle_case(actor, case), message)


# ---- catalogue, admission list, handed-down duties -----------------------------------------------------------


def can_edit_catalogue_item(actor, item) -> bool:
    if is_system(actor):
        return True
    for g in grants_with(actor, Right.CATALOGUE_EDIT):
        if g.level == Level.STREET and item.street_id == g.target_id:
            return True
        if g.level == Level.COMMUNITY and item.community_id and item.community_id == g.target_id:
            return True
    return False


def can_edit_admission_list(actor, street) -> bool:
    return is_system(actor) or any(
        g.level == Level.STREET and g.target_id == street.pk for g in grants_with(actor, Right.CATALOGUE_EDIT)
    )


def can_record_duty(actor, community) -> bool:
    if community is None or community.level != Level.COMMUNITY:
        return False
    return is_system(actor) or any(
        (g.level == Level.STREET and g.target_id == community.street_id)
        or (g.level == Level.COMMUNITY and g.target_id == community.pk)
        for g in grants_with(actor, Right.CATALOGUE_EDIT)
    )


def require_edit_catalogue_item(actor: Actor, item) -> None:
    _enforce(actor, can_edit_catalogue_item(actor, item), gettext("您不能编辑该服务目录"))


def require_edit_admission_list(actor: Actor, street) -> None:
    _enforce(actor, can_edit_admission_list(actor, street), gettext("只有街道可以编辑准入清单"))


def require_record_duty(actor: Actor, community) -> None:
    _enforce(actor, can_record_duty(actor, community), gettext("您不能为该社区登记下派事项"))
