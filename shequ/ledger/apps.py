from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LedgerConfig(AppConfig):
    name = "shequ.ledger"
    label = "ledger"
    verbose_name = "一户一档"
    # Navigation entries: (url name, label, right needed or None, icon). Collected by core.nav.
    nav: list[tuple[str, str, str | None, str]] = [
        ("ledger:search", _("查找居民"), "ledger.view", "search"),
        ("ledger:person_create", _("登记人员"), "ledger.edit", "person-add"),
        ("ledger:duties", _("职责名册"), "ledger.view", "duties"),
        ("ledger:my_household", _("我的家庭"), "self.service", "home"),
    ]

    def ready(self) -> None:
        from django.core import checks

        from shequ.ledger import relations
        from shequ.ledger.checks import check_person_relations

        relations.register()
        checks.register(check_person_relations)
