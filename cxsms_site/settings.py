"""Settings from environment variables with embedded defaults.

Nothing set: SQLite in the checkout and the in-memory channel layer (one process).
DATABASE_URL=postgres://... and REDIS_URL=redis://... scale out to several processes.
"""
import datetime
import importlib.util
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

# Behind a TLS-terminating proxy the Twilio signature covers the public https URL, and the client's
# address is the last X-Forwarded-For entry (the one the proxy added; routing.ratelimits).
BEHIND_PROXY = env_bool("CXSMS_BEHIND_PROXY")
if BEHIND_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    USE_X_FORWARDED_HOST = True

# --- production security (docs/security.md, docs/deployment.md) -------------------------------
# On by default wherever DEBUG is off; each one switchable. Behind a TLS-terminating proxy the proxy
# redirects to https itself (and its health checks reach the process over plain http).
SECURE_SSL_REDIRECT = env_bool("CXSMS_SSL_REDIRECT", not DEBUG and not BEHIND_PROXY)
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
if BEHIND_PROXY and not SECURE_SSL_REDIRECT:
    SILENCED_SYSTEM_CHECKS = ["security.W008"]  # the proxy redirects to https
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = env_bool("CXSMS_SECURE_COOKIES", not DEBUG)
SECURE_HSTS_SECONDS = env_int("CXSMS_HSTS_SECONDS", 0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("CXSMS_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = env_bool("CXSMS_HSTS_PRELOAD", True)
SECURE_CONTENT_TYPE_NOSNIFF = env_bool("CXSMS_CONTENT_TYPE_NOSNIFF", True)
SECURE_REFERRER_POLICY = os.environ.get("CXSMS_REFERRER_POLICY", "same-origin") or None
X_FRAME_OPTIONS = os.environ.get("CXSMS_FRAME_OPTIONS", "DENY")
SESSION_COOKIE_HTTPONLY = True
# Content-Security-Policy (django-csp): scripts and styles only from our own files, in every
# configuration, so the tests and `make run` see what production enforces. CXSMS_CSP=0 drops it;
# CXSMS_CSP_REPORT_ONLY=1 reports violations without blocking them.
CXSMS_CSP = env_bool("CXSMS_CSP", True)
_csp = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'", "data:"],
        "connect-src": ["'self'"],  # 'self' covers ws(s):// to the same host
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}
if CXSMS_CSP and env_bool("CXSMS_CSP_REPORT_ONLY"):
    CONTENT_SECURITY_POLICY_REPORT_ONLY = _csp
elif CXSMS_CSP:
    CONTENT_SECURITY_POLICY = _csp

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
    "axes",
    "csp",
    "routing",
    "digital",
    "campaigns",
    "auditlog",
    "routing.audit",
]

MIDDLEWARE = [
    "routing.ops.logs.RequestIdMiddleware",  # the request id of every log line (set already when the request came through ASGI)
    "django.middleware.security.SecurityMiddleware",
    # Static files before everything else (no session, no database): cxsms_site/staticfiles.py.
    "cxsms_site.staticfiles.AsgiWhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "routing.audit.context.AuditContextMiddleware",  # who and from where, for the audit trail
    "routing.ops.busy.DatabaseBusyMiddleware",  # a database that does not answer in time: 503, never a 500
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    # Last, as django-axes asks: turns a locked-out login into the lockout page.
    "axes.middleware.AxesMiddleware",
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
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Several threads of one process write; wait for the lock instead of failing.
    DATABASES["default"].setdefault("OPTIONS", {})
    DATABASES["default"]["OPTIONS"].update({"timeout": float(os.environ.get("CXSMS_SQLITE_TIMEOUT", "20")),
                                            "transaction_mode": "IMMEDIATE"})
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql" and env_bool("CXSMS_DB_PREPARED", True):
    # Parameters bound by the server, and a statement run five times on a connection prepared:
    # PostgreSQL then stops parsing and planning the routing statements on every text (planning
    # was most of their cost; docs/routing.md). Needs session pooling if a pooler is in front.
    DATABASES["default"].setdefault("OPTIONS", {}).update({"server_side_binding": True, "prepare_threshold": 5})
_pool_default = 40 if importlib.util.find_spec("psycopg_pool") else 0  # psycopg[pool]; 0: no pool
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql" and env_int("CXSMS_DB_POOL_SIZE", _pool_default) > 0:
    # Django's ASGI handler runs every request in a thread of its own, each with its own
    # connection: past the knee, hundreds of requests in flight exhausted max_connections
    # ("too many clients", HTTP 500; docs/benchmarks.md). A pool (psycopg[pool]) makes them wait
    # for one of CXSMS_DB_POOL_SIZE connections instead. Persistent connections and a pool exclude each other.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": 2, "max_size": env_int("CXSMS_DB_POOL_SIZE", _pool_default),
        "timeout": float(os.environ.get("CXSMS_DB_POOL_TIMEOUT", "30")),
    }
# Several test runs may share one PostgreSQL server (scripts/test.sh names its own test database).
if os.environ.get("CXSMS_TEST_DATABASE_NAME"):
    DATABASES["default"]["TEST"] = {"NAME": os.environ["CXSMS_TEST_DATABASE_NAME"]}

# Channel layer: in-memory (one process) unless REDIS_URL is set. CXSMS_CHANNEL_LAYER picks the
# Redis backend; the default and the numbers below come from bench/ (see docs/benchmarks.md).
REDIS_URL = os.environ.get("REDIS_URL", "")
# Pub/sub: lower latency and CPU than RedisChannelLayer in bench/, no loss once the Redis pool may
# grow (below); a push it drops (no subscriber at that instant) is recovered by agent_seq + snapshot.
CHANNEL_LAYER_BACKEND = os.environ.get("CXSMS_CHANNEL_LAYER", "channels_redis.pubsub.RedisPubSubChannelLayer")
if REDIS_URL:
    _layer_config = {
        # redis-py 8 reads with a 5 s socket timeout by default, and RedisChannelLayer's receive
        # blocks in BZPOPMIN for 5 s: every idle websocket died with "Timeout reading from ..."
        # (django/channels_redis#422). Reads may now wait longer than the blocking pop; a dead
        # Redis is still noticed after this many seconds.
        "hosts": [{"address": REDIS_URL, "socket_timeout": float(os.environ.get("CXSMS_REDIS_SOCKET_TIMEOUT", "15")),
                   # redis-py's asyncio pool refuses the 101st concurrent command (MaxConnectionsError):
                   # past the knee group_send failed and a consumer's receive died (docs/benchmarks.md).
                   "max_connections": env_int("CXSMS_REDIS_MAX_CONNECTIONS", 1000)}],
        # Keys of several checkouts or test runs sharing one Redis never meet.
        "prefix": os.environ.get("CXSMS_CHANNEL_PREFIX", "cxsms"),
    }
    if CHANNEL_LAYER_BACKEND.endswith(".RedisChannelLayer"):
        _layer_config.update({
            # Per-channel queue length; a group_send to a full channel is dropped silently.
            "capacity": env_int("CXSMS_CHANNEL_CAPACITY", 1000),
            # Seconds a message waits in Redis for its consumer before it is dropped.
            "expiry": env_int("CXSMS_CHANNEL_EXPIRY", 60),
            # Seconds a group membership lives; a socket stays connected longer than a shift.
            "group_expiry": env_int("CXSMS_CHANNEL_GROUP_EXPIRY", 86400),
        })
    CHANNEL_LAYERS = {"default": {"BACKEND": CHANNEL_LAYER_BACKEND, "CONFIG": _layer_config}}
else:
    # One process, no Redis: the in-memory layer, swept once a second (cxsms_site/layers.py says why).
    CHANNEL_LAYERS = {"default": {"BACKEND": "cxsms_site.layers.SweepingInMemoryChannelLayer", "CONFIG": {"capacity": 1000}}}

AUTH_USER_MODEL = "routing.User"
AUDITLOG_LOGENTRY_MODEL = "audit.AuditEntry"  # django-auditlog's entry plus tenant and source (routing/audit/models.py)
# auditlog's own migrations create its default entry table even though ours replaces it; that orphan
# table references django_content_type and keeps PostgreSQL from flushing it. Our entry has its migration.
MIGRATION_MODULES = {"auditlog": None}
# django-axes first: it refuses a locked-out login before any password is checked.
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "django.contrib.auth.backends.ModelBackend"]
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
STATIC_ROOT = Path(os.environ.get("CXSMS_STATIC_ROOT") or BASE_DIR / "staticfiles")
# Production (DEBUG off): `manage.py collectstatic` writes every file under a name with its content
# hash (agent.3f9c….js), pages link those names and whitenoise serves them with a year's caching,
# so a new deployment never leaves an agent on a stale agent.js. With DEBUG on (`make run`, the
# tests' settings module) files are served from the source folders as they are edited.
CXSMS_STATIC_MANIFEST = env_bool("CXSMS_STATIC_MANIFEST", not DEBUG)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage" if CXSMS_STATIC_MANIFEST
                    else "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = not CXSMS_STATIC_MANIFEST
WHITENOISE_AUTOREFRESH = not CXSMS_STATIC_MANIFEST
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "routing.ratelimits.LimitedTokenAuthentication",  # DRF's, wrong tokens counted per address
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
    # Rates are read from CXSMS_API_RATE_* below on every request (routing/ratelimits.py).
    "DEFAULT_THROTTLE_CLASSES": ["routing.ratelimits.ApiUserThrottle", "routing.ratelimits.ApiAnonThrottle"],
    "NUM_PROXIES": 1 if BEHIND_PROXY else None,
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
# A room nobody else can take is offered again to agents who declined it, this many seconds later.
CXSMS_REOFFER_AFTER = env_int("CXSMS_REOFFER_AFTER", 120)
# Reports bring the tenant's rollup up to date before reading, at most once per this many seconds (docs/reporting.md).
CXSMS_REPORTS_FRESH_SECONDS = env_int("CXSMS_REPORTS_FRESH_SECONDS", 10)
# The supervisor's "Today so far" strip: its catch-up at most this often per tenant. Keep it under the page's 1.5 s
# delay after a room event, so the read an event causes always catches up.
CXSMS_REPORTS_LIVE_SECONDS = env_int("CXSMS_REPORTS_LIVE_SECONDS", 1)
# Twilio's REST API; tests point it at a local fake.
CXSMS_TWILIO_API_BASE = os.environ.get("CXSMS_TWILIO_API_BASE", "https://api.twilio.com")
CXSMS_TWILIO_TIMEOUT = float(os.environ.get("CXSMS_TWILIO_TIMEOUT", "10"))
# Public base URL used for Twilio StatusCallback; empty: derived from the request.
CXSMS_PUBLIC_URL = os.environ.get("CXSMS_PUBLIC_URL", "http://127.0.0.1:8000")
# Background work (routing/jobs.py, docs/deployment.md) runs on Huey. On the embedded defaults the
# web process runs the workers too (its in-memory channel layer reaches only its own sockets); with
# REDIS_URL the queues live in Redis and `manage.py run_worker` processes do the work, not the web.
CXSMS_WORKER_IN_WEB = env_bool("CXSMS_WORKER_IN_WEB", not REDIS_URL)
# Worker threads per queue (a carrier outage fills the outbox's threads, never the timers').
CXSMS_WORKER_THREADS = {"timers": int(os.environ.get("CXSMS_WORKER_THREADS_TIMERS", "2")),
                        "outbox": int(os.environ.get("CXSMS_WORKER_THREADS_OUTBOX", "4")),
                        "campaigns": int(os.environ.get("CXSMS_WORKER_THREADS_CAMPAIGNS", "2")),
                        "maintenance": int(os.environ.get("CXSMS_WORKER_THREADS_MAINTENANCE", "1"))}
# How long a sender may hold a text before another worker takes it over (a sender that died, say).
CXSMS_SEND_LEASE = float(os.environ.get("CXSMS_SEND_LEASE", "60"))
# Tests: jobs run in the caller's thread when enqueued (Huey's immediate mode); timed ones wait for a sweep.
CXSMS_JOBS_IMMEDIATE = env_bool("CXSMS_JOBS_IMMEDIATE", False)
CXSMS_JOBS_PREFIX = os.environ.get("CXSMS_CHANNEL_PREFIX", "cxsms")
# The phone simulator injects texts as a contact: a development and demo tool, off in production.
CXSMS_SIMULATOR_ENABLED = env_bool("CXSMS_SIMULATOR_ENABLED", DEBUG)
# Websocket feeds: how often an agent socket compares its agent_seq with the database (a lost last
# push is recovered within this), and how often a supervisor view gets a fresh snapshot at most / at least.
CXSMS_WS_AGENT_CHECK_INTERVAL = float(os.environ.get("CXSMS_WS_AGENT_CHECK_INTERVAL", "5"))
# How long an agent's socket holds an event that overtook the one before it (several processes).
CXSMS_WS_GAP_WAIT = float(os.environ.get("CXSMS_WS_GAP_WAIT", "0.5"))
CXSMS_WS_SUPERVISOR_MAX_RATE = float(os.environ.get("CXSMS_WS_SUPERVISOR_MAX_RATE", "2"))
CXSMS_WS_SUPERVISOR_REFRESH = float(os.environ.get("CXSMS_WS_SUPERVISOR_REFRESH", "10"))
CXSMS_WS_ALLOWED_ORIGINS = [o.strip() for o in os.environ.get("CXSMS_WS_ALLOWED_ORIGINS", "").split(",") if o.strip()]

# --- rate limits (routing/ratelimits.py, docs/security.md) ---------------------------------------
# Counted in the default cache: Redis when REDIS_URL is set (shared by every process), else the
# process's memory (the single-process configuration). A rate is "N/s", "N/m", "N/h" or "N/d";
# empty: no limit.
if REDIS_URL:
    CACHES = {"default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL,
        "KEY_PREFIX": os.environ.get("CXSMS_CACHE_PREFIX") or os.environ.get("CXSMS_CHANNEL_PREFIX", "cxsms"),
        "OPTIONS": {"socket_timeout": float(os.environ.get("CXSMS_REDIS_SOCKET_TIMEOUT", "15"))},
    }}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "cxsms"}}
CXSMS_API_RATE_USER = os.environ.get("CXSMS_API_RATE_USER", "1200/m")  # per user or token
CXSMS_API_RATE_ANON = os.environ.get("CXSMS_API_RATE_ANON", "60/m")  # per address, no valid credentials
CXSMS_CHAT_START_RATE = os.environ.get("CXSMS_CHAT_START_RATE", "5/m")  # web chats started per address
CXSMS_CHAT_MESSAGE_RATE = os.environ.get("CXSMS_CHAT_MESSAGE_RATE", "30/m")  # chat messages per address
# Login lockout (django-axes): after CXSMS_LOGIN_FAILURES_ALLOWED failed logins for one username, or from one address,
# the next attempts are refused for CXSMS_LOGIN_LOCKOUT_MINUTES, or until an administrator resets
# it (Django admin > Axes > Access attempts, or `manage.py axes_reset`). Counted in the database,
# which every process shares.
AXES_ENABLED = env_bool("CXSMS_LOGIN_LOCKOUT", True)
# axes locks at its limit-th failure; ours counts the failures allowed (5: the 6th wrong password locks).
AXES_FAILURE_LIMIT = env_int("CXSMS_LOGIN_FAILURES_ALLOWED", 5) + 1
AXES_COOLOFF_TIME = datetime.timedelta(minutes=env_int("CXSMS_LOGIN_LOCKOUT_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = True
AXES_CLIENT_IP_CALLABLE = "routing.ratelimits.client_address"
AXES_LOCKOUT_CALLABLE = "routing.ratelimits.login_locked_out"
AXES_HANDLER = "axes.handlers.database.AxesDatabaseHandler"

# --- operations (docs/operations.md) ------------------------------------------------------------
# Logs: plain lines for a person (the default, `make run`) or CXSMS_LOG_FORMAT=json, one JSON object per
# line; each carries the request id (routing/ops/logs.py). CXSMS_LOG_LEVEL: the product's own loggers.
CXSMS_LOG_FORMAT = os.environ.get("CXSMS_LOG_FORMAT", "plain").strip().lower()
if CXSMS_LOG_FORMAT not in ("plain", "json"):
    raise RuntimeError("CXSMS_LOG_FORMAT must be plain or json")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"context": {"()": "routing.ops.logs.ContextFilter"}},
    "formatters": {"cxsms": {"()": "routing.ops.logs.json_formatter"} if CXSMS_LOG_FORMAT == "json" else
                   {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "cxsms", "filters": ["context"]}},
    "root": {"handlers": ["console"], "level": os.environ.get("CXSMS_LOG_LEVEL", "WARNING")},
    "loggers": {"cxsms": {"level": os.environ.get("CXSMS_LOG_LEVEL", "INFO")}},
}
# GET /metrics answers only with `Authorization: Bearer <this>`; unset, /metrics does not exist (404).
CXSMS_METRICS_TOKEN = os.environ.get("CXSMS_METRICS_TOKEN", "")
# The key of the hash that keeps an erased contact's opt-out (routing/ops/erasure.py). Set it once and never
# change it: a new key forgets every erased contact's opt-out. Default: the secret key.
CXSMS_ERASURE_KEY = os.environ.get("CXSMS_ERASURE_KEY") or SECRET_KEY
