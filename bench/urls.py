"""The project's URLs, with the benchmark-only endpoints under /api/v1/bench/."""

from django.urls import include, path

from shequ.urls import handler403, handler404, handler500  # noqa: F401 - the error views of the root URLconf
from shequ.urls import urlpatterns as shequ_urlpatterns

urlpatterns = [path("api/v1/bench/", include("bench.benchapp.urls")), *shequ_urlpatterns]
