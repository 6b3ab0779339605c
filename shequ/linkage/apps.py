from django.apps import AppConfig


class LinkageConfig(AppConfig):
    name = "shequ.linkage"
    label = "linkage"
    verbose_name = "数据比对"
    # Navigation entries: (url name, label, right needed or None, icon). Collected by core.nav.
    nav: list[tuple[str, str, str | None, str]] = []
