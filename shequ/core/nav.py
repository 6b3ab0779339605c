"""Navigation assembled from each app's AppConfig.nav, filtered by the user's rights."""

from __future__ import annotations

from django.apps import apps
from django.conf import settings
from django.urls import NoReverseMatch, reverse

from shequ.core.jurisdiction import has_right


def nav_for(user) -> list[dict]:
    items: list[dict] = []
    if not getattr(user, "is_authenticated", False):
        return items
    for app in settings.SHEQU_APPS:
        config = apps.get_app_config(app)
        for url_name, label, right, icon in getattr(config, "nav", []):
            if right and not has_right(user, right):
                continue
            try:
                url = reverse(url_name)
            except NoReverseMatch:
                continue
            items.append({"url": url, "label": label, "icon": icon, "name": url_name})
    return items
