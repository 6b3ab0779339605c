"""Who may do what to a case: pure functions over the actor's grants and the case's place columns."""

from __future__ import annotations

from shequ.core.jurisdiction import covers, grants_with
from shequ.core.rights import Right
from shequ.places.models import Level

# A grant's height: a building leader or grid worker acts at the compound level, a community worker up to the
# community level, the street above that (and over cases handed to a department).
_GRANT_RANK = {"unit": 0, "building": 0, "grid": 0, "compound": 0, "community": 1, "street": 3}
_CASE_RANK = {"compound": 0, "community": 1, "street": 2, "department": 3}


def covering_grants(actor, right, case) -> list:
    return [
        g
        for g in grants_with(actor, right)
        if g.level in _GRANT_RANK and getattr(case, f"{g.level}_id", None) == g.target_id
    ]


def can_view_case(actor, case) -> bool:
    return covers(actor, Right.CASES_HANDLE, case) or case.requester_id == getattr(actor, "pk", None)


def can_comment_case(actor, case) -> bool:
    return covers(actor, Right.CASES_HANDLE, case)


def can_act_on_case(actor, case) -> bool:
    """Accept, start, assign, escalate, resolve, close, reopen, merge: a handler whose height reaches the case's
    current level (a building leader can no longer resolve a case that went up to the community)."""
    rank = _CASE_RANK.get(case.level, 3)
    return any(_GRANT_RANK[g.level] >= rank for g in covering_grants(actor, Right.CASES_HANDLE, case))


def can_whistle_case(actor, case) -> bool:
    """The community or the street blows the whistle."""
    return any(g.level in ("community", "street") for g in covering_grants(actor, Right.CASES_WHISTLE, case))


def can_edit_catalogue_item(actor, item) -> bool:
    for g in grants_with(actor, Right.CATALOGUE_EDIT):
        if g.level == Level.STREET and item.street_id == g.target_id:
            return True
        if g.level == Level.COMMUNITY and item.community_id and item.community_id == g.target_id:
            return True
    return False


def can_edit_admission_list(actor, street) -> bool:
    return any(
        g.level == Level.STREET and g.target_id == street.pk for g in grants_with(actor, Right.CATALOGUE_EDIT)
    )


def can_record_duty(actor, community) -> bool:
    return any(
        (g.level == Level.STREET and g.target_id == community.street_id)
        or (g.level == Level.COMMUNITY and g.target_id == community.pk)
        for g in grants_with(actor, Right.CATALOGUE_EDIT)
    )


def can_rate_case(actor, case, *, token: str = "") -> bool:
    if token and token == case.track_token:
        return True
    return case.requester_id is not None and case.requester_id == getattr(actor, "pk", None)
