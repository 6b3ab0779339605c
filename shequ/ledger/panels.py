"""The ledger's parts of other apps' pages: home page panels (LedgerConfig.home_panels, rendered by core) and the
households and residencies on a dwelling page (LedgerConfig.dwelling_panels, rendered by places)."""

from __future__ import annotations

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from shequ.core.jurisdiction import has_right, street_ids
from shequ.core.rights import Right
from shequ.ledger.models import GroupTag
from shequ.ledger.selectors import (
    age_pyramid,
    community_rollup,
    households_visible_to,
    ledger_counts,
    residencies_visible_to,
    vulnerable_by_compound,
)


def ledger_panel(user) -> dict:
    """Numbers and charts for the user's scope; street officers also get one row per community."""
    if not has_right(user, Right.LEDGER_VIEW):
        return {}
    pyramid = age_pyramid(actor=user)
    counts = ledger_counts(actor=user)
    labels = dict(GroupTag.Kind.choices)
    return {
        "ledger": True,
        "pyramid": pyramid,
        "counts": counts,
        "pyramid_chart": {
            "labels": pyramid["labels"],
            "male": pyramid["male"],
            "female": pyramid["female"],
            "maleName": _("男"),
            "femaleName": _("女"),
        },
        "vulnerable_chart": vulnerable_by_compound(actor=user),
        "tag_rows": sorted(
            ((str(labels.get(k, k)), n) for k, n in counts["tags"].items()), key=lambda r: -r[1]
        ),
        "rollup": community_rollup(actor=user) if street_ids(user, Right.LEDGER_VIEW) else None,
    }


def own_households_panel(user) -> dict:
    """A resident's own households."""
    if not has_right(user, Right.SELF_SERVICE):
        return {}
    return {
        "own_households": list(households_visible_to(user, Right.SELF_SERVICE).filter(is_active=True)[:5])
    }


def dwelling_panel(user, dwelling) -> dict:
    """The households at a dwelling and its current and future residencies, as the user may see them."""
    today = timezone.localdate()
    households = list(households_visible_to(user).filter(dwelling=dwelling).order_by("-is_active", "id"))
    residencies = list(
        residencies_visible_to(user)
        .filter(dwelling=dwelling)
        .filter(Q(until__isnull=True) | Q(until__gte=today))
        .order_by("role", "id")
    )
    return {"households": households, "residencies": residencies}
