"""accounts: users, their role assignments at places (jurisdiction), login and API tokens."""

from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "shequ.accounts"
    label = "accounts"
    verbose_name = "账号"
    # Navigation entries: (url name, label, right needed or None, icon). Collected by core.nav.
    nav: list[tuple[str, str, str | None, str]] = []

    def ready(self) -> None:
        from shequ.accounts import relations
        from shequ.accounts.grants import grants_for_user
        from shequ.core.jurisdiction import register_grant_source

        register_grant_source(grants_for_user)
        relations.register()
