from django.apps import AppConfig


class CasesConfig(AppConfig):
    name = "shequ.cases"
    label = "cases"
    verbose_name = "诉求"
    # Navigation entries: (url name, label, right needed or None, icon). Collected by core.nav.
    nav: list[tuple[str, str, str | None, str]] = []
