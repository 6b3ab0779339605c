from django.apps import AppConfig


class CasesConfig(AppConfig):
    name = "shequ.cases"
    label = "cases"
    verbose_name = "诉求"
    # Navigation entries: (url name, label, right needed or None, icon). Collected by core.nav.
    nav: list[tuple[str, str, str | None, str]] = [
        ("cases:queue", "诉求工单", "cases.handle", "inbox"),
        ("cases:submit", "我要反映", "self.service", "edit"),
        ("cases:my", "我的诉求", "self.service", "list"),
        ("cases:whistles", "吹哨报到", "cases.whistle", "bell"),
        ("cases:whistles_summoned", "待我报到", "cases.report", "bell"),
        ("cases:catalogue", "服务目录", "catalogue.edit", "book"),
        ("cases:admission", "准入清单", "catalogue.edit", "list"),
        ("cases:dashboard", "诉求看板", "cases.handle", "chart"),
    ]
