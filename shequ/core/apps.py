from __future__ import annotations

from typing import TYPE_CHECKING

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


class CoreConfig(AppConfig):
    name = "shequ.core"
    label = "core"
    verbose_name = "核心"
    # Navigation entries: (url name, label, right needed or None, icon). Collected by core.nav.
    nav: list[tuple[str, StrOrPromise, str | None, str]] = [
        ("core:home", _("首页"), None, "home"),
        ("core:audit", _("审计日志"), "audit.view", "audit"),
    ]

    def ready(self) -> None:
        from shequ.core import checks  # noqa: F401  (registers the start-up checks)
