"""The places panel on the home page (registered as PlacesConfig.home_panels; core renders it)."""

from __future__ import annotations

from shequ.core.jurisdiction import has_right
from shequ.core.rights import Right
from shequ.places.selectors import three_without_compounds


def risk_panel(user) -> dict:
    """三无小区 in the user's scope: how many, and the first ten."""
    if not has_right(user, Right.LEDGER_VIEW):
        return {}
    risk = three_without_compounds(user).select_related("community").order_by("path")
    return {"risk_count": risk.count(), "risk_compounds": list(risk[:10])}
