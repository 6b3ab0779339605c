from django.apps import AppConfig


class ImportsConfig(AppConfig):
    name = "shequ.imports"
    label = "imports"
    verbose_name = "数据导入"
    # Navigation entries: (url name, label, right needed or None, icon). Collected by core.nav.
    nav: list[tuple[str, str, str | None, str]] = []
