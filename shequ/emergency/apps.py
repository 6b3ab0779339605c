from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EmergencyConfig(AppConfig):
    name = "shequ.emergency"
    label = "emergency"
    verbose_name = "应急"
    # Navigation entries: (url name, label, right needed or None, icon). Collected by core.nav.
    nav: list[tuple[str, str, str | None, str]] = [
        ("emergency:incident_list", _("应急响应"), "emergency.view", "alert"),
        ("emergency:plan_list", _("应急预案"), "emergency.view", "book"),
    ]

    def ready(self) -> None:
        from shequ.emergency import relations

        relations.register()
