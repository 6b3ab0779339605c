from django.apps import AppConfig


class ImportsConfig(AppConfig):
    name = "shequ.imports"
    label = "imports"
    verbose_name = "数据导入"
    # Navigation entries: (url name, label, right needed or None, icon). Collected by core.nav.
    nav: list[tuple[str, str, str | None, str]] = [
        ("imports:index", "数据导入", "imports.run", "upload"),
        ("imports:conflicts", "数据冲突", "ledger.edit", "alert"),
        ("imports:owners", "人房不一致", "ledger.edit", "home"),
        ("imports:stale", "久未核实", "ledger.view", "clock"),
        ("imports:extracts", "数据共享", "extract.receive", "download"),
    ]
