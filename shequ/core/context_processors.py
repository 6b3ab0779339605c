"""Template context every page needs: navigation, the user's role labels, and the active-incident banner."""

from __future__ import annotations

from importlib import import_module
from importlib.util import find_spec

from django.conf import settings

from shequ.core.jurisdiction import grants
from shequ.core.nav import nav_for
from shequ.core.rights import ROLE_LABELS, Role


def _banners(user) -> list[dict]:
    """Apps may offer `banners(user) -> list[dict]` in their selectors (e.g. an active incident)."""
    found: list[dict] = []
    for app in settings.SHEQU_APPS:
        if find_spec(f"shequ.{app}.selectors") is None:
            continue
        module = import_module(f"shequ.{app}.selectors")
        provider = getattr(module, "banners_for", None)
        if provider is not None:
            found.extend(provider(user))
    return found


def shequ(request) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_items": [], "role_labels": [], "banners": [], "drill_active": False}
    labels = sorted({str(ROLE_LABELS[Role(g.role)]) for g in grants(user)})
    banners = _banners(user)
    # A banner with "drill": True (an incident run as a drill) watermarks every page (演练).
    return {
        "nav_items": nav_for(user),
        "role_labels": labels,
        "banners": banners,
        "drill_active": any(b.get("drill") for b in banners),
    }
