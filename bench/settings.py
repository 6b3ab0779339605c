"""Settings for the benchmarks: the project's own, plus the benchmark-only app (bench.benchapp) and its URLs.
Production never installs it, so its table and endpoints are not in the production schema.

    DJANGO_SETTINGS_MODULE=bench.settings"""

from shequ.settings import *  # noqa: F403
from shequ.settings import INSTALLED_APPS

INSTALLED_APPS = [*INSTALLED_APPS, "bench.benchapp"]
ROOT_URLCONF = "bench.urls"
