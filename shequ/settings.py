"""Django settings for shequ, read from the environment."""

from pathlib import Path

import dj_database_url

from shequ.env import DEV_DATA_KEY, DEV_HASH_KEY, DEV_SECRET_KEY, env_bool, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent
PROJECT_DIR = BASE_DIR.parent
VAR_DIR = Path(env_str("SHEQU_VAR_DIR", str(PROJECT_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)

# A test run: the test suite's settings module (shequ.settings_test) sets SHEQU_TESTING=1. Tests run with DEBUG off
# and the development keys; this is what lets the start-up check (core.checks) tell a test run from a server.
TESTING = env_bool("SHEQU_TESTING", default=False)

DEBUG = env_bool("SHEQU_DEBUG", default=False)
# Development defaults only; production sets all three keys (see docs/adr/0004-personal-data-encryption.md).
# With DEBUG off (and not a test run) the system check core.checks refuses to start on any of these defaults.
SECRET_KEY = env_str("SHEQU_SECRET_KEY", DEV_SECRET_KEY)
# Fernet keys (urlsafe base64 of 32 bytes), comma separated: the first encrypts, all decrypt (rotation).
SHEQU_DATA_KEYS = env_list("SHEQU_DATA_KEYS", DEV_DATA_KEY)
SHEQU_HASH_KEY = env_str("SHEQU_HASH_KEY", DEV_HASH_KEY)

ALLOWED_HOSTS = env_list("SHEQU_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver")
CSRF_TRUSTED_ORIGINS = env_list("SHEQU_CSRF_TRUSTED_ORIGINS", "http://127.0.0.1:8000,http://localhost:8000")

# The domain apps, in dependency order. urls.py, api routing and the navigation are discovered from this list.
SHEQU_APPS = [
    "core",
    "accounts",
    "places",
    "ledger",
    "notifications",
    "imports",
    "linkage",
    "cases",
    "emergency",
    "epidemic",
    "supplies",
    "livelihood",
]

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "csp",
    "django_tasks",
    "django_tasks_db",
    *[f"shequ.{app}" for app in SHEQU_APPS],
    "shequ.demo",  # the composition root of `shequ seed` (no models, no urls)
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "csp.middleware.CSPMiddleware",
    "shequ.core.middleware.RequestContextMiddleware",
]

ROOT_URLCONF = "shequ.urls"
WSGI_APPLICATION = "shequ.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "shequ.core.context_processors.shequ",
            ],
            "builtins": ["django.templatetags.i18n", "shequ.core.templatetags.shequ_tags"],
        },
    }
]

# SQLite is the embedded default for `make run`; PostgreSQL in production and CI (DATABASE_URL).
_default_db = f"sqlite:///{VAR_DIR / 'shequ.sqlite3'}"
DATABASES = {"default": dj_database_url.parse(env_str("DATABASE_URL", _default_db), conn_max_age=60)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
IS_POSTGRES = DATABASES["default"]["ENGINE"].endswith("postgresql")
if IS_POSTGRES:
    # JIT compilation costs more than it saves on our short roll-up queries (measured +0.34 s at 1M residents).
    DATABASES["default"].setdefault("OPTIONS", {})["options"] = "-c jit=off"

AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "core:home"
LOGOUT_REDIRECT_URL = "accounts:login"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
]
if TESTING:
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [PROJECT_DIR / "locale"]
TIME_ZONE = env_str("SHEQU_TIME_ZONE", "Asia/Shanghai")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "media/"
MEDIA_ROOT = VAR_DIR / "media"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if (DEBUG or TESTING)
        else "whitenoise.storage.CompressedStaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = True
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 20 * 1024 * 1024

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = 12 * 3600
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True

# Everything is served from the project itself (intranet, no CDN).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "img-src": ["'self'", "data:", "blob:"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "script-src": ["'self'"],
        "connect-src": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "rest_framework.authentication.TokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "shequ.core.api.StandardPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "shequ.core.api.exception_handler",
    "DEFAULT_THROTTLE_RATES": {"anon": "30/minute", "resident_intake": "20/hour"},
}
SPECTACULAR_SETTINGS = {
    "TITLE": "shequ API",
    "DESCRIPTION": "社区治理与平战结合平台的开放接口 — the open API of shequ. Session auth for the browser, "
    "token auth (`Authorization: Token <key>`) for machines. Every resource is scoped to the caller's "
    "jurisdiction; another community's object answers 404.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "ENUM_NAME_OVERRIDES": {
        "PlaceLevelEnum": "shequ.places.models.Level",
        "GroupTagKindEnum": "shequ.ledger.models.GroupTag.Kind",
        "NeedKindEnum": "shequ.ledger.models.Need.Kind",
        "DutyKindEnum": "shequ.ledger.models.Duty.Kind",
        "HouseholdKindEnum": "shequ.ledger.models.Household.Kind",
    },
}

# Background jobs: django-tasks with its database backend (docs/adr/0003-job-runner.md).
TASKS = {
    "default": {
        "BACKEND": "django_tasks.backends.immediate.ImmediateBackend"
        if env_bool("SHEQU_TASKS_IMMEDIATE", default=False)
        else "django_tasks_db.DatabaseBackend",
    }
}

CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
if env_str("REDIS_URL"):
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": env_str("REDIS_URL"),
        }
    }

# No personal data in logs: the filter masks ID numbers and phones in any message.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"pii": {"()": "shequ.core.pii.PiiLogFilter"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "filters": ["pii"]}},
    "root": {"handlers": ["console"], "level": env_str("SHEQU_LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

SHEQU_PAGE_SIZE = env_int("SHEQU_PAGE_SIZE", 30)

# Outbound notifications: the recording backend records instead of sending (intranets, tests, demos).
SHEQU_NOTIFICATION_BACKEND = env_str(
    "SHEQU_NOTIFICATION_BACKEND", "shequ.notifications.channels.RecordingBackend"
)
SHEQU_SMS_GATEWAY_URL = env_str("SHEQU_SMS_GATEWAY_URL", "")
SHEQU_CHAT_WEBHOOK_URL = env_str("SHEQU_CHAT_WEBHOOK_URL", "")
SHEQU_CASE_ATTACHMENT_MAX_BYTES = env_int("SHEQU_CASE_ATTACHMENT_MAX_BYTES", 5 * 1024 * 1024)
SHEQU_SMS_SIGNATURE = env_str("SHEQU_SMS_SIGNATURE", "社区")

# Street-wide roll-ups on the home page are shared this long (seconds; 0 computes them on every visit).
SHEQU_STREET_ROLLUP_SECONDS = env_int("SHEQU_STREET_ROLLUP_SECONDS", 0 if TESTING else 60)
# Hot-path statements prepared per connection on PostgreSQL (core/sql.py); 0 behind a pooler in transaction mode.
SHEQU_PREPARED_STATEMENTS = env_bool("SHEQU_PREPARED_STATEMENTS", default=True)
