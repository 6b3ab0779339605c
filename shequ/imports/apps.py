from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ImportsConfig(AppConfig):
    name = "shequ.imports"
    label = "imports"
    verbose_name = "数据导入"
    # Navigation entries: (url name, label, right needed or None, icon). Collected by core.nav.
    nav: list[tuple[str, str, str | None, str]] = [
        ("imports:index", _("数据导入"), "imports.run", "upload"),
        ("imports:conflicts", _("数据冲突"), "ledger.edit", "alert"),
        ("imports:owners", _("人房不一致"), "ledger.edit", "home"),
        ("imports:stale", _("久未核实"), "ledger.view", "clock"),
        ("imports:extracts", _("数据共享"), "extract.receive", "download"),
    ]

    def ready(self) -> None:
        from shequ.imports import relations

        relations.register()
