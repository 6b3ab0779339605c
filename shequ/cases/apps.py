from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CasesConfig(AppConfig):
    name = "shequ.cases"
    label = "cases"
    verbose_name = "诉求"
    # Navigation entries: (url name, label, right needed or None, icon). Collected by core.nav.
    nav: list[tuple[str, str, str | None, str]] = [
        ("cases:queue", _("诉求工单"), "cases.handle", "inbox"),
        ("cases:submit", _("我要反映"), "self.service", "edit"),
        ("cases:my", _("我的诉求"), "self.service", "list"),
        ("cases:whistles", _("吹哨报到"), "cases.whistle", "bell"),
        ("cases:whistles_summoned", _("待我报到"), "cases.report", "bell"),
        ("cases:catalogue", _("服务目录"), "catalogue.edit", "book"),
        ("cases:admission", _("准入清单"), "catalogue.edit", "list"),
        ("cases:dashboard", _("诉求看板"), "cases.handle", "chart"),
    ]
