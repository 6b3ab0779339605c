from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PlacesConfig(AppConfig):
    name = "shequ.places"
    label = "places"
    verbose_name = "地点"
    # Navigation entries: (url name, label, right needed or None, icon). Collected by core.nav.
    nav: list[tuple[str, str, str | None, str]] = [("places:browse", _("地点"), "ledger.view", "places")]
