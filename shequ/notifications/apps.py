from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    name = "shequ.notifications"
    label = "notifications"
    verbose_name = "消息"
    # Navigation entries: (url name, label, right needed or None, icon). Collected by core.nav.
    # The unread count shows as a banner (selectors.banners_for) until core.nav supports badges.
    nav: list[tuple[str, str, str | None, str]] = [("notifications:inbox", _("消息"), None, "bell")]
