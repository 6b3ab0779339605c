from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LivelihoodConfig(AppConfig):
    name = "shequ.livelihood"
    label = "livelihood"
    verbose_name = "生活保障"
    # Navigation entries: (url name, label, right needed or None, icon). Collected by core.nav.
    nav: list[tuple[str, str, str | None, str]] = [
        ("livelihood:index", _("团购与生活保障"), "livelihood.order", "basket"),
        ("livelihood:pairing", _("结对帮扶"), "livelihood.deliver", "heart"),
    ]

    def ready(self) -> None:
        from shequ.livelihood import relations

        relations.register()
