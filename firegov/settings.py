"""Django settings for firegov: everything comes from FIREGOV_* environment variables.

With nothing set, firegov runs as one process on an embedded SQLite database under the data
directory (``./var`` by default), with background work in a SQLite-backed Huey queue.
"""

from __future__ import annotations

import secrets
from pathlib import Path

import dj_database_url

from firegov import config

BASE_DIR = Path(__file__).resolve().parent
DATA_DIR = Path(config.string("DATA_DIR", str(Path.cwd() / "var"))).resolve()
DATA_DIR.mkdir(parents=True, exist_ok=True)


def _secret_key() -> str:
    value = config.raw("SECRET_KEY")
    if value:
        return value
    path = DATA_DIR / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(50), encoding="utf-8")
        path.chmod(0o600)
    return path.read_text(encoding="utf-8").strip()


SECRET_KEY = _secret_key()
DEBUG = config.boolean("DEBUG", False)
ALLOWED_HOSTS = config.listing("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = config.listing("CSRF_TRUSTED_ORIGINS", [])
SECURE = config.boolean("SECURE_COOKIES", False)
SESSION_COOKIE_SECURE = SECURE
CSRF_COOKIE_SECURE = SECURE
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = config.integer("SESSION_HOURS", 12) * 3600
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if config.boolean("BEHIND_TLS_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_filters",
    "auditlog",
    "axes",
    "huey.contrib.djhuey",
    "firegov.core",
    "firegov.registry",
    "firegov.inspections",
    "firegov.hazards",
    "firegov.campaigns",
    "firegov.iot",
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
    "firegov.core.middleware.RequestIdMiddleware",
    "firegov.core.middleware.AuditMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "firegov.urls"
ASGI_APPLICATION = "firegov.asgi.application"
WSGI_APPLICATION = "firegov.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "firegov.core.context.firegov_context",
            ],
        },
    }
]

DATABASES = {
    "default": dj_database_url.parse(
        config.string("DATABASE_URL", f"sqlite:///{DATA_DIR / 'firegov.sqlite3'}"),
        conn_max_age=config.integer("DB_CONN_MAX_AGE", 60),
    )
}
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=20000;",
        }
    )
    # Tests run on a file too, not Django's shared in-memory database: its table locks fail at once
    # instead of waiting, where a file in WAL mode lets the ingestion's reader and writer threads work
    # side by side as they do in production.
    DATABASES["default"]["TEST"] = {"NAME": str(DATA_DIR / "test_firegov.sqlite3")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "core.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Login throttling (django-axes): lock a username+address pair after repeated failures.
AXES_FAILURE_LIMIT = config.integer("LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = config.integer("LOGIN_COOLOFF_MINUTES", 15) / 60
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked.html"
AXES_VERBOSE = False

LANGUAGE_CODE = config.string("LANGUAGE", "zh-hans")
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = config.string("TIME_ZONE", "Asia/Shanghai")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG
MEDIA_ROOT = DATA_DIR / "media"
EVIDENCE_ROOT = DATA_DIR / "evidence"
UPLOAD_MAX_BYTES = config.integer("UPLOAD_MAX_MB", 20) * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = UPLOAD_MAX_BYTES + 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "firegov.core.pagination.Pagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_THROTTLE_RATES": {
        "login": config.string("API_LOGIN_RATE", "10/min"),
        "public_report": config.string("PUBLIC_REPORT_RATE", "10/hour"),
        "public_track": config.string("PUBLIC_TRACK_RATE", "60/min"),
    },
}
SPECTACULAR_SETTINGS = {
    "TITLE": "firegov API",
    "DESCRIPTION": "Fire-safety governance: regions, agencies, premises and their classification.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

# Background and periodic work (Huey): SQLite file by default, Redis when FIREGOV_REDIS_URL is set.
REDIS_URL = config.string("REDIS_URL", "")
HUEY_IMMEDIATE = config.boolean("HUEY_IMMEDIATE", False)
if REDIS_URL:
    HUEY = {
        "huey_class": "huey.RedisHuey",
        "name": "firegov",
        "url": REDIS_URL,
        "immediate": HUEY_IMMEDIATE,
        "consumer": {"workers": config.integer("WORKERS", 2), "worker_type": "thread"},
    }
else:
    HUEY = {
        "huey_class": "huey.SqliteHuey",
        "name": "firegov",
        "filename": str(DATA_DIR / "huey.sqlite3"),
        "immediate": HUEY_IMMEDIATE,
        "consumer": {"workers": config.integer("WORKERS", 2), "worker_type": "thread"},
    }

EMAIL_HOST = config.string("EMAIL_HOST", "")
EMAIL_PORT = config.integer("EMAIL_PORT", 25)
EMAIL_HOST_USER = config.string("EMAIL_USER", "")
EMAIL_HOST_PASSWORD = config.string("EMAIL_PASSWORD", "")
EMAIL_USE_TLS = config.boolean("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = config.string("EMAIL_FROM", "firegov@localhost")
EMAIL_BACKEND = (
    "django.core.mail.backends.smtp.EmailBackend"
    if EMAIL_HOST
    else "django.core.mail.backends.filebased.EmailBackend"
)
EMAIL_FILE_PATH = DATA_DIR / "outbox"

FIREGOV = {
    "SITE_URL": config.string("SITE_URL", "http://127.0.0.1:8000").rstrip("/"),
    "NOTIFY_WEBHOOK_URL": config.string("NOTIFY_WEBHOOK_URL", ""),
    "NOTIFY_WEBHOOK_SECRET": config.string("NOTIFY_WEBHOOK_SECRET", ""),
    "NOTIFY_WEBHOOK_TIMEOUT": config.integer("NOTIFY_WEBHOOK_TIMEOUT", 10),
    "MAP_TILE_URL": config.string("MAP_TILE_URL", "https://tile.openstreetmap.org/{z}/{x}/{y}.png"),
    "MAP_ATTRIBUTION": config.string("MAP_ATTRIBUTION", "© OpenStreetMap contributors"),
    "KEY_UNIT_TABLE": config.string("KEY_UNIT_TABLE", "key-units/national-2001"),
    "HIGH_RISK_TABLE": config.string("HIGH_RISK_TABLE", "high-risk/shandong-2013"),
    "RULES_DIR": config.string("RULES_DIR", ""),
    "IMPORT_MAX_ROWS": config.integer("IMPORT_MAX_ROWS", 20000),
    "EXPORT_MAX_ROWS": config.integer("EXPORT_MAX_ROWS", 100000),
    "PUBLISH_WORKDAYS": config.integer("PUBLISH_WORKDAYS", 20),
    "REPORTS_PER_HOUR": config.integer("REPORTS_PER_HOUR", 5),
    "REPORT_DUPLICATE_HOURS": config.integer("REPORT_DUPLICATE_HOURS", 72),
    # Fire monitoring: alarm handling times, forwarding to 119, faults that become hazards.
    "ALARM_VERIFY_S": config.integer("ALARM_VERIFY_S", 180),
    "ALARM_ACK_S": config.integer("ALARM_ACK_S", 900),
    "FIRE_FORWARDER": config.string("FIRE_FORWARDER", "firegov.iot.forwarding.WebhookForwarder"),
    "FIRE_WEBHOOK_URL": config.string("FIRE_WEBHOOK_URL", ""),
    "FIRE_WEBHOOK_SECRET": config.string("FIRE_WEBHOOK_SECRET", ""),
    "FIRE_WEBHOOK_TIMEOUT": config.integer("FIRE_WEBHOOK_TIMEOUT", 2),
    "HAZARD_AFTER_H": config.integer("HAZARD_AFTER_H", 24),
    "FALSE_ALARMS_HAZARD": config.integer("FALSE_ALARMS_HAZARD", 3),
    "FALSE_ALARMS_DAYS": config.integer("FALSE_ALARMS_DAYS", 30),
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": config.string("LOG_LEVEL", "INFO")},
    "loggers": {"axes": {"level": "WARNING"}},
}

AUDITLOG_CID_HEADER = "x-request-id"
AUDITLOG_DISABLE_REMOTE_ADDR = False

# GB/T 26875.3 gateway (firegov gateway; started by firegov serve/demo unless --no-gateway).
GATEWAY_HOST = config.string("GATEWAY_HOST", "127.0.0.1")
GATEWAY_PORT = config.integer("GATEWAY_PORT", 30119)
GATEWAY_CENTRE_ADDRESS = config.integer("GATEWAY_CENTRE_ADDRESS", 0)
GATEWAY_TIMEOUT_S = config.integer("GATEWAY_TIMEOUT_S", 10)
GATEWAY_RETRIES = config.integer("GATEWAY_RETRIES", 3)
# The ingestion processes' garbage collector (firegov.iot.runtime.HeapKeeper): freeze the long-lived
# heap every GC_FREEZE_S seconds (0: off), collect all of it every GC_COLLECT_S seconds.
GC_FREEZE_S = config.integer("GC_FREEZE_S", 60)
GC_COLLECT_S = config.integer("GC_COLLECT_S", 3600)
# MQTT ingestion (firegov mqtt; inside firegov serve/demo when set), e.g. mqtt://127.0.0.1:1883.
MQTT_URL = config.string("MQTT_URL", "")
MQTT_TOPIC = config.string("MQTT_TOPIC", "firegov/up/+")
MQTT_CLIENT_ID = config.string("MQTT_CLIENT_ID", "")  # default firegov-ingest-<hostname>
