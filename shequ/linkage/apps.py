from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LinkageConfig(AppConfig):
    name = "shequ.linkage"
    label = "linkage"
    verbose_name = "数据比对"
    # Navigation entries: (url name, label, right needed or None, icon). Collected by core.nav.
    nav: list[tuple[str, str, str | None, str]] = [
        ("linkage:queue", _("比对核对"), "linkage.review", "linkage"),
    ]

    def ready(self) -> None:
        from shequ.imports import linkers
        from shequ.linkage import relations
        from shequ.linkage.services import link_import_batch

        relations.register()
        linkers.register(link_import_batch)
