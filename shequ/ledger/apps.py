from __future__ import annotations

from typing import TYPE_CHECKING

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


class LedgerConfig(AppConfig):
    name = "shequ.ledger"
    label = "ledger"
    verbose_name = "一户一档"
    # Navigation entries: (url name, label, right needed or None, icon). Collected by core.nav.
    nav: list[tuple[str, StrOrPromise, str | None, str]] = [
        ("ledger:search", _("查找居民"), "ledger.view", "search"),
        ("ledger:person_create", _("登记人员"), "ledger.edit", "person-add"),
        ("ledger:duties", _("职责名册"), "ledger.view", "duties"),
        ("ledger:my_household", _("我的家庭"), "self.service", "home"),
    ]
    # Page panels, the resident counter, audited objects and value labels: collected by core.registry.
    home_panels = ["shequ.ledger.panels.ledger_panel", "shequ.ledger.panels.own_households_panel"]
    dwelling_panels = ["shequ.ledger.panels.dwelling_panel"]
    resident_counters = ["shequ.ledger.selectors.resident_counts_by_place"]
    audit_objects = {
        "ledger.person": ("ledger:person", _("人员")),
        "ledger.household": ("ledger:household", _("户")),
    }
    audit_value_labels = [
        "shequ.ledger.models.Residency.Role",
        "shequ.ledger.models.Relation",
        "shequ.ledger.models.Need.Status",
        "shequ.ledger.models.Need.Kind",
        "shequ.ledger.models.GroupTag.Kind",
        "shequ.ledger.models.Duty.Kind",
        "shequ.ledger.models.Sex",
        "shequ.ledger.models.IdType",
    ]

    def ready(self) -> None:
        from django.core import checks

        from shequ.ledger import relations
        from shequ.ledger.checks import check_person_relations

        relations.register()
        checks.register(check_person_relations)
