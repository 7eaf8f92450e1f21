"""Settings from environment variables with embedded defaults.

Nothing set: SQLite in the checkout and the in-memory channel layer (one process).
DATABASE_URL=postgres://... and REDIS_URL=redis://... scale out to several processes.
"""
import os
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name, default=False):
    return os.environ.get(name, str(default)).strip().lower() in ("1", "true", "yes", "on")


def env_int(name, default):
    return int(os.environ.get(name, default))


# A development key only; CXSMS_SECRET_KEY must be set wherever DEBUG is off.
DEBUG = env_bool("CXSMS_DEBUG", True)
SECRET_KEY = os.environ.get("CXSMS_SECRET_KEY") or ("dev-only-insecure-key" if DEBUG else None)
if not SECRET_KEY:
    raise RuntimeError("CXSMS_SECRET_KEY must be set when CXSMS_DEBUG is off")
ALLOWED_HOSTS = [h.strip() for h in os.environ.get("CXSMS_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver,[::1]").split(",") if h.strip()]
CSRF_TRUSTED_ORIGINS = [o.strip() for o in os.environ.get("CXSMS_CSRF_TRUSTED_ORIGINS", "").split(",") if o.strip()]

# Behind a TLS-terminating proxy the Twilio signature covers the public https URL.
if env_bool("CXSMS_BEHIND_PROXY"):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    USE_X_FORWARDED_HOST = True

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "channels",
    "routing",
    "digital",
    "campaigns",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "cxsms_site.urls"
ASGI_APPLICATION = "cxsms_site.asgi.application"
WSGI_APPLICATION = None

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
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=env_int("CXSMS_DB_CONN_MAX_AGE", 0),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Several threads of one process write; wait for the lock instead of failing.
    DATABASES["default"].setdefault("OPTIONS", {})
    DATABASES["default"]["OPTIONS"].update({"timeout": 20, "transaction_mode": "IMMEDIATE"})

REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": os.environ.get("CXSMS_CHANNEL_LAYER", "channels_redis.core.RedisChannelLayer"),
            "CONFIG": {"hosts": [REDIS_URL], "capacity": env_int("CXSMS_CHANNEL_CAPACITY", 1000), "expiry": 60},
        }
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer", "CONFIG": {"capacity": 1000}}}

AUTH_USER_MODEL = "routing.User"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / "staticfiles"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
}

SPECTACULAR_SETTINGS = {
    "TITLE": "cxsms API",
    "DESCRIPTION": "REST API v1 of cxsms, the SMS messaging channel for contact centers.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
}

# --- product settings -------------------------------------------------------------------
# SMS inactivity timeout (R7) and offer timeout (R13), seconds.
CXSMS_SMS_SESSION_TIMEOUT = env_int("CXSMS_SMS_SESSION_TIMEOUT", 7200)
CXSMS_OFFER_TIMEOUT = env_int("CXSMS_OFFER_TIMEOUT", 45)
# Twilio's REST API; tests point it at a local fake.
CXSMS_TWILIO_API_BASE = os.environ.get("CXSMS_TWILIO_API_BASE", "https://api.twilio.com")
CXSMS_TWILIO_TIMEOUT = float(os.environ.get("CXSMS_TWILIO_TIMEOUT", "10"))
# Public base URL used for Twilio StatusCallback; empty: derived from the request.
CXSMS_PUBLIC_URL = os.environ.get("CXSMS_PUBLIC_URL", "http://127.0.0.1:8000")
# The timer/outbox loop runs inside each daphne process (daphne has no lifespan support).
CXSMS_RUN_TIMERS = env_bool("CXSMS_RUN_TIMERS", True)
CXSMS_TIMER_INTERVAL = float(os.environ.get("CXSMS_TIMER_INTERVAL", "1.0"))
# The phone simulator injects texts as a contact: a development and demo tool, off in production.
CXSMS_SIMULATOR_ENABLED = env_bool("CXSMS_SIMULATOR_ENABLED", DEBUG)
CXSMS_WS_ALLOWED_ORIGINS = [o.strip() for o in os.environ.get("CXSMS_WS_ALLOWED_ORIGINS", "").split(",") if o.strip()]

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("CXSMS_LOG_LEVEL", "WARNING")},
    "loggers": {"cxsms": {"level": os.environ.get("CXSMS_LOG_LEVEL", "INFO")}},
}
