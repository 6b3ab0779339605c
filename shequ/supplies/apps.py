from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SuppliesConfig(AppConfig):
    name = "shequ.supplies"
    label = "supplies"
    verbose_name = "物资"
    # Navigation entries: (url name, label, right needed or None, icon). Collected by core.nav.
    nav: list[tuple[str, str, str | None, str]] = [
        ("supplies:stock", _("应急物资"), "supplies.view", "box"),
        ("supplies:requests", _("物资申领"), "supplies.view", "inbox"),
    ]
