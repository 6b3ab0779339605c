from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "shequ.notifications"
    label = "notifications"
    verbose_name = "消息"
    # Navigation entries: (url name, label, right needed or None, icon). Collected by core.nav.
    # The unread count shows as a banner (selectors.banners_for) until core.nav supports badges.
    nav: list[tuple[str, str, str | None, str]] = [("notifications:inbox", "消息", None, "bell")]
