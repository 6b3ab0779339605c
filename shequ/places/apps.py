from __future__ import annotations

from typing import TYPE_CHECKING

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


class PlacesConfig(AppConfig):
    name = "shequ.places"
    label = "places"
    verbose_name = "地点"
    # Navigation entries: (url name, label, right needed or None, icon). Collected by core.nav.
    nav: list[tuple[str, StrOrPromise, str | None, str]] = [
        ("places:browse", _("地点"), "ledger.view", "places")
    ]
    # Home page panels and audited objects: collected by core.registry.
    home_panels = ["shequ.places.panels.risk_panel"]
    audit_objects = {
        "places.place": ("places:place", _("地点")),
        "places.dwelling": ("places:dwelling", _("房屋")),
    }
