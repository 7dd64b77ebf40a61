"""Settings, read from the environment (and `.env` when present) through django-environ.

Every variable is listed in `.env.example` with a safe default. A malformed value, or a missing
secret outside DEBUG, stops start-up with a message that names the variable.
"""

import base64
import hashlib
import os
from pathlib import Path

import environ
from cryptography.fernet import Fernet
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()


def env_file_path():
    """The `.env` to read: ENV_FILE names it, ENV_FILE="" reads none (the test settings set that, so
    a developer's local `.env` never changes what the tests see), unset reads the project's."""
    named = os.environ.get("ENV_FILE")
    if named is None:
        return BASE_DIR / ".env"
    return Path(named) if named else None


_ENV_FILE = env_file_path()
if _ENV_FILE is not None and _ENV_FILE.is_file():
    environ.Env.read_env(_ENV_FILE, overwrite=False)


def _setting(name, parse, default):
    """Parse one variable; a malformed value names the variable instead of a bare traceback."""
    try:
        return parse(name, default=default)
    except (ValueError, TypeError) as error:
        raise ImproperlyConfigured(f"{name} is malformed: {error}") from error


DEBUG = _setting("DEBUG", env.bool, False)

SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. Set it in the environment or .env "
            "(python -c 'import secrets; print(secrets.token_urlsafe(50))'), or set DEBUG=true "
            "for a local development key."
        )
    SECRET_KEY = "django-insecure-local-development-key-not-for-production"  # noqa: S105
elif not DEBUG and len(SECRET_KEY) < 32:
    raise ImproperlyConfigured("SECRET_KEY is too short: use at least 32 random characters.")


def _field_encryption_keys():
    """Fernet keys for secrets at rest; the first encrypts, all decrypt (rotation)."""
    raw = env.str("FIELD_ENCRYPTION_KEY", default="")
    keys = [key.strip() for key in raw.split(",") if key.strip()]
    if not keys:
        if not DEBUG:
            raise ImproperlyConfigured(
                "FIELD_ENCRYPTION_KEY is not set. Generate one with "
                "python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())'"
            )
        # A development key derived from SECRET_KEY, so the web and the workers agree.
        digest = hashlib.sha256(("field-encryption:" + SECRET_KEY).encode()).digest()
        keys = [base64.urlsafe_b64encode(digest).decode()]
    for key in keys:
        try:
            Fernet(key)
        except (ValueError, TypeError) as error:
            raise ImproperlyConfigured(
                "FIELD_ENCRYPTION_KEY is malformed: each comma-separated key must be a "
                "url-safe base64 Fernet key of 32 bytes."
            ) from error
    return keys


FIELD_ENCRYPTION_KEYS = _field_encryption_keys()

ALLOWED_HOSTS = _setting("ALLOWED_HOSTS", env.list, ["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = _setting("CSRF_TRUSTED_ORIGINS", env.list, [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI assets served locally: no CDN needed
    "django_q",
    "axes",
    "accounts",
    "strategies",
    "webhooks",
    "orders",
    "dashboard",
    "tradingsite",  # the composition root: the demo bootstrap command
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
    # Last, as django-axes asks: it turns a locked-out login into its lockout answer.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "tradingsite.urls"
WSGI_APPLICATION = "tradingsite.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
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

# --- Database -------------------------------------------------------------------------------
DATABASES = {"default": _setting("DATABASE_URL", env.db_url, f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL and IMMEDIATE transactions let the web process and the workers write at once
    # without "database is locked" errors; the timeout is how long a writer waits its turn.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    DATABASES["default"].setdefault("TEST", {})["NAME"] = str(BASE_DIR / "test_db.sqlite3")
else:
    # Persistent by default (Django's health check replaces a broken one): connections that expire
    # together make every web thread and worker open a PostgreSQL backend at once, mid-traffic.
    DATABASES["default"]["CONN_MAX_AGE"] = _setting("CONN_MAX_AGE", env.int, None)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = _setting("CONN_HEALTH_CHECKS", env.bool, True)
    if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
        # Django's backend whose health check polls the socket first (tradingsite/postgres).
        DATABASES["default"]["ENGINE"] = "tradingsite.postgres"
# The hot path's own statements are prepared on PostgreSQL (tradingsite/statements.py); false for
# a pooler in transaction mode. psycopg prepares a statement on its second run on a connection
# (a threshold of 1): a fan-out's one-off write to 73 accounts is not worth a round trip to prepare.
DB_PREPARED_STATEMENTS = _setting("DB_PREPARED_STATEMENTS", env.bool, True)
if DATABASES["default"]["ENGINE"] == "tradingsite.postgres":
    DATABASES["default"].setdefault("OPTIONS", {})["prepare_threshold"] = (
        1 if DB_PREPARED_STATEMENTS else None
    )

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis, cache and the task queue -------------------------------------------------------
REDIS_URL = env.str("REDIS_URL", default="")

if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "tradingsite.cache.PooledRedisCache",  # one client per pool (see there)
            "LOCATION": REDIS_URL,
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

Q_WORKERS = _setting("Q_WORKERS", env.int, 4)
Q_CLUSTER = {
    "name": env.str("Q_CLUSTER_NAME", default="tradingsite"),
    "workers": Q_WORKERS,
    # Our tasks talk to exchanges; a task past `timeout` is killed. `retry` must exceed it,
    # and failed tasks are never re-run by the broker: retrying an order is our decision.
    "timeout": _setting("Q_TIMEOUT", env.int, 120),
    "retry": _setting("Q_RETRY", env.int, 180),
    "max_attempts": 1,
    "ack_failures": True,
    "catch_up": False,
    # Successful task results are not stored: AccountJob rows are the record. Failures are kept.
    "save_limit": _setting("Q_SAVE_LIMIT", env.int, -1),
    # A recycled worker is a fresh fork that imports ccxt (~0.3 s of CPU) and opens its connections
    # again before its next job: recycle on memory, not every 500 tasks (django-q2's default).
    "recycle": _setting("Q_RECYCLE", env.int, 1_000_000),
    "max_rss": _setting("Q_MAX_RSS_KB", env.int, 512 * 1024),
    "label": "Task queue",
}
if REDIS_URL:
    Q_CLUSTER["redis"] = REDIS_URL
    # django-q2's Redis broker that hands a fan-out to the workers in one round trip.
    Q_CLUSTER["broker_class"] = "tradingsite.broker.BatchingRedis"
else:
    Q_CLUSTER["orm"] = "default"
    Q_CLUSTER["poll"] = _setting("Q_POLL", env.float, 0.05)

# --- Auth, i18n, static -----------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# django-axes locks the admin login after repeated failures (README "Security": how to unlock).
# It must come first: it refuses a locked-out client before any password is checked.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_ENABLED = _setting("AXES_ENABLED", env.bool, True)
AXES_FAILURE_LIMIT = _setting("AXES_FAILURE_LIMIT", env.int, 5)
AXES_COOLOFF_TIME = _setting("AXES_COOLOFF_HOURS", env.float, 1.0)  # hours; 0 locks until reset
if not AXES_COOLOFF_TIME:
    AXES_COOLOFF_TIME = None
# The pair (username, address): a guesser from one address is stopped, but nobody elsewhere can
# lock the real operator out by failing with their username.
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_CLIENT_IP_CALLABLE = "tradingsite.client_ip.client_address"
# Successful logins are not recorded (the failures are): no unbounded access-log table.
AXES_DISABLE_ACCESS_LOG = True
AXES_SENSITIVE_PARAMETERS = ["password", "token"]

LANGUAGE_CODE = env.str("LANGUAGE_CODE", default="ko")
LANGUAGES = [("ko", "한국어"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env.str("TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = DEBUG

# --- Security (the defaults `check --deploy` asks for outside DEBUG) --------------------------
SECURE_SSL_REDIRECT = _setting("SECURE_SSL_REDIRECT", env.bool, not DEBUG)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_HSTS_SECONDS = _setting("SECURE_HSTS_SECONDS", env.int, 0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = not DEBUG
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"

# --- REST framework and the webhook ---------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "tradingsite.exceptions.api_exception_handler",
    "DEFAULT_AUTHENTICATION_CLASSES": [],
    "DEFAULT_PERMISSION_CLASSES": [],
    "UNAUTHENTICATED_USER": None,
    "DEFAULT_THROTTLE_RATES": {
        "webhook_token": env.str("WEBHOOK_THROTTLE_RATE", default="600/min"),
        # Per source address, checked before the token is looked up: random tokens from one
        # address cost a cache hit, not a database query each. Each address has its own budget,
        # so TradingView's four senders never starve each other.
        "webhook_address": env.str("WEBHOOK_IP_THROTTLE_RATE", default="600/min"),
    },
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Trading webhook API",
    "DESCRIPTION": "Turns trading signals into exchange orders on Binance, Bybit and OKX.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "ENUM_NAME_OVERRIDES": {
        "OrderTypeEnum": ["MARKET", "LIMIT", "STOP_LIMIT", "STOP_MARKET"],
        "CancelOrderTypeEnum": ["CANCEL_ALL_ORDER"],
    },
}

WEBHOOK_RESPONSE_DEADLINE = _setting("WEBHOOK_RESPONSE_DEADLINE", env.float, 2.5)
WEBHOOK_MAX_BODY_BYTES = _setting("WEBHOOK_MAX_BODY_BYTES", env.int, 64 * 1024)
WEBHOOK_MAX_BATCH_ORDERS = _setting("WEBHOOK_MAX_BATCH_ORDERS", env.int, 20)
# Refused requests keep at most this many characters of their body in `webhook_logs`.
WEBHOOK_REFUSED_BODY_MAX_CHARS = _setting("WEBHOOK_REFUSED_BODY_MAX_CHARS", env.int, 2000)
# `webhook_logs` rows (and their finished jobs, and the login-failure records) older than this are
# purged daily; orders keep their rows and history. 0 keeps everything.
WEBHOOK_LOG_RETENTION_DAYS = _setting("WEBHOOK_LOG_RETENTION_DAYS", env.int, 90)
# Source addresses allowed to call the webhook; empty allows all. TradingView publishes
# 52.89.214.238, 34.212.75.30, 54.218.53.128, 52.32.178.7 as its alert senders.
WEBHOOK_ALLOWED_IPS = _setting("WEBHOOK_ALLOWED_IPS", env.list, [])
# Number of reverse proxies in front of the app whose X-Forwarded-For entries are trusted.
WEBHOOK_TRUSTED_PROXIES = _setting("WEBHOOK_TRUSTED_PROXIES", env.int, 0)

# Where accounts in `simulator` mode send their requests (the local exchange simulator).
EXCHANGE_SIMULATOR_URL = env.str("EXCHANGE_SIMULATOR_URL", default="http://127.0.0.1:8900")
EXCHANGE_TIMEOUT_MS = _setting("EXCHANGE_TIMEOUT_MS", env.int, 10000)
# Markets (symbols, ticks, steps) are reloaded when older than this, and at once after a refusal
# for an unknown symbol or a precision (seconds).
EXCHANGE_MARKETS_TTL_SECONDS = _setting("EXCHANGE_MARKETS_TTL_SECONDS", env.float, 3600)
# How long an account's position mode (one-way / hedge), as the exchange answered it, is trusted.
POSITION_MODE_TTL_SECONDS = _setting("POSITION_MODE_TTL_SECONDS", env.int, 300)
# After a create whose outcome is unknown, the order is sent again only when a look-up positively
# answered "no such order" at least this long after the create: order histories lag (seconds).
ORDER_RESEND_AFTER_SECONDS = _setting("ORDER_RESEND_AFTER_SECONDS", env.float, 5)
# MARKET buys are sized this much below the last price's quantity: the price moves before the
# fill, and the exchange refuses what the wallet cannot pay (fraction: 0.002 = 0.2 %).
ORDER_MARKET_SLIPPAGE = _setting("ORDER_MARKET_SLIPPAGE", env.float, 0.002)
# The shared rate limiter counts each exchange window longer than published, by this (seconds) or
# this fraction of the window, whichever is longer: a hit is recorded when granted, the exchange
# counts it on arrival, and a busy machine puts a hundred milliseconds between the two.
RATE_LIMIT_WINDOW_MARGIN = _setting("RATE_LIMIT_WINDOW_MARGIN", env.float, 0.05)
RATE_LIMIT_WINDOW_MARGIN_FRACTION = _setting("RATE_LIMIT_WINDOW_MARGIN_FRACTION", env.float, 0.05)
# Prefix of the limiter's Redis keys: installations (or test runs) sharing a Redis keep apart.
RATE_LIMIT_NAMESPACE = env.str("RATE_LIMIT_NAMESPACE", default="rl:")
# Orders left in PROCESSING longer than this are settled by the sweeper.
ORDER_STUCK_AFTER_SECONDS = _setting("ORDER_STUCK_AFTER_SECONDS", env.int, 180)
# A job still queued this long was lost by the broker (Redis is at-most-once): enqueue it again.
JOB_REQUEUE_AFTER_SECONDS = _setting("JOB_REQUEUE_AFTER_SECONDS", env.int, 30)
# A running job's lease (its worker renews it every third of this): once it lapses, the worker is
# taken for dead and the job is resumed, at most JOB_MAX_ATTEMPTS runs in all.
JOB_LEASE_SECONDS = _setting("JOB_LEASE_SECONDS", env.int, 15)
JOB_MAX_ATTEMPTS = _setting("JOB_MAX_ATTEMPTS", env.int, 3)
# The stale-signal guard: an order not sent this many seconds after its webhook arrived is not
# sent (EXPIRED). MARKET orders, then the other types (they carry their own price, so a short
# delay costs less, but a minutes-old signal is another market); 0 turns the guard off. A strategy's
# `signal_max_delay` and a signal's `max_delay` override both.
SIGNAL_MAX_DELAY_SECONDS = _setting("SIGNAL_MAX_DELAY_SECONDS", env.int, 30)
SIGNAL_MAX_DELAY_OTHER_SECONDS = _setting("SIGNAL_MAX_DELAY_OTHER_SECONDS", env.int, 300)
# Liveness (manage.py cluster_health): a probe task must come back through the
# broker within LIVENESS_PROBE_TIMEOUT seconds, and no job may wait queued longer than
# LIVENESS_MAX_QUEUED_SECONDS.
LIVENESS_PROBE_TIMEOUT = _setting("LIVENESS_PROBE_TIMEOUT", env.float, 10.0)
LIVENESS_MAX_QUEUED_SECONDS = _setting("LIVENESS_MAX_QUEUED_SECONDS", env.int, 60)
# Where `make run` saves the local demo's admin password and webhook token (relative to BASE_DIR).
DEMO_CREDENTIALS_FILE = BASE_DIR / (env.str("DEMO_CREDENTIALS_FILE", default="") or ".demo/credentials.txt")

# --- Logging --------------------------------------------------------------------------------
LOG_DIR = BASE_DIR / env.str("LOG_DIR", default="logs")
LOG_DIR.mkdir(parents=True, exist_ok=True)
LOG_LEVEL = env.str("LOG_LEVEL", default="INFO")
# Size-based rotation: app.log holds everything, errors.log only warnings and errors, so a flood
# of ordinary lines never rotates the errors away. Tracebacks are cut short and a traceback seen
# again within a minute is logged as one line (tradingsite/logging.py).
LOG_FILE_MAX_BYTES = _setting("LOG_FILE_MAX_BYTES", env.int, 10 * 1024 * 1024)
LOG_FILE_BACKUPS = _setting("LOG_FILE_BACKUPS", env.int, 10)
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "redact_secrets": {"()": "tradingsite.logging.RedactSecretsFilter"},
        "repeated_tracebacks": {"()": "tradingsite.logging.RepeatedTracebackFilter"},
        "task_chatter": {"()": "tradingsite.logging.TaskChatterFilter"},
    },
    "formatters": {
        "plain": {
            "()": "tradingsite.logging.BoundedFormatter",
            "format": "%(asctime)s.%(msecs)03d %(levelname)s %(process)d %(name)s: %(message)s",
            "datefmt": "%Y-%m-%d %H:%M:%S",
        },
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["repeated_tracebacks", "redact_secrets"],
        },
        "app_file": {
            "class": "logging.handlers.RotatingFileHandler",
            "filename": str(LOG_DIR / "app.log"),
            "maxBytes": LOG_FILE_MAX_BYTES,
            "backupCount": LOG_FILE_BACKUPS,
            "encoding": "utf-8",
            "formatter": "plain",
            "filters": ["repeated_tracebacks", "redact_secrets"],
        },
        "error_file": {
            "class": "logging.handlers.RotatingFileHandler",
            "filename": str(LOG_DIR / "errors.log"),
            "maxBytes": LOG_FILE_MAX_BYTES,
            "backupCount": LOG_FILE_BACKUPS,
            "encoding": "utf-8",
            "formatter": "plain",
            "level": "WARNING",
            "filters": ["repeated_tracebacks", "redact_secrets"],
        },
    },
    "root": {"handlers": ["console", "app_file", "error_file"], "level": LOG_LEVEL},
    "loggers": {
        # ccxt logs request bodies and headers at DEBUG: keep it above that whatever LOG_LEVEL says.
        "ccxt": {"level": "WARNING"},
        "urllib3": {"level": "WARNING"},
        "aiohttp": {"level": "WARNING"},  # the exchange client's HTTP transport (ccxt's asyncio flavour)
        "django.db.backends": {"level": "WARNING"},
        "django-q": {"filters": ["task_chatter"]},
    },
}
MESSAGE_STORAGE = (
    "django.contrib.messages.storage.cookie.CookieStorage"  # raw tokens shown once never reach the database
)
