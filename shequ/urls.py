"""Root URLs. Each domain app in settings.SHEQU_APPS is mounted if it has urls.py (pages) or api.py (API)."""

from importlib import import_module
from importlib.util import find_spec

from django.conf import settings
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.routers import DefaultRouter

from shequ.core import views as core_views

router = DefaultRouter()
api_extra: list = []
page_patterns: list = []

for app in settings.SHEQU_APPS:
    if find_spec(f"shequ.{app}.api") is not None:
        module = import_module(f"shequ.{app}.api")
        if hasattr(module, "register"):
            module.register(router)
        api_extra.extend(getattr(module, "urlpatterns", []))
    if app != "core" and find_spec(f"shequ.{app}.urls") is not None:
        page_patterns.append(path(f"{app}/", include(f"shequ.{app}.urls")))

urlpatterns = [
    path("", include("shequ.core.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("api/v1/", include([*api_extra, *router.urls])),
    *page_patterns,
]

handler404 = core_views.not_found
handler403 = core_views.forbidden
handler500 = core_views.server_error
