from django.apps import AppConfig


class LedgerConfig(AppConfig):
    name = "shequ.ledger"
    label = "ledger"
    verbose_name = "一户一档"
    # Navigation entries: (url name, label, right needed or None, icon). Collected by core.nav.
    nav: list[tuple[str, str, str | None, str]] = []
