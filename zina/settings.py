"""Zina settings: one module, every deployment knob read from the environment.

Profiles: ``ZINA_PROFILE=dev`` (the default: DEBUG on, SQLite under ./var) and
``ZINA_PROFILE=production`` (secure cookies, HSTS, SSL redirect; SECRET_KEY required).
"""

import json
import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP  # type: ignore[import-not-found,unused-ignore]
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


PROFILE = os.environ.get("ZINA_PROFILE", "dev")
if PROFILE not in {"dev", "production"}:
    raise ImproperlyConfigured("ZINA_PROFILE must be 'dev' or 'production'")
PRODUCTION = PROFILE == "production"

DATA_DIR = Path(os.environ.get("ZINA_DATA_DIR", Path.cwd() / "var")).resolve()

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if PRODUCTION:
        raise ImproperlyConfigured("SECRET_KEY must be set in the production profile")
    SECRET_KEY = "dev-only-insecure-key-do-not-use-in-production-0123456789abcdef"  # noqa: S105

DEBUG = env_bool("DEBUG", not PRODUCTION)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "" if PRODUCTION else "127.0.0.1,localhost,testserver")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_tasks_db",
    "ninja",
    "zina.core",
    "zina.accounts",
    "zina.catalog",
    "zina.knowledge",
    "zina.search",
    "zina.tickets",
    "zina.portal",
    "zina.reports",
]

MIDDLEWARE = [
    "zina.core.middleware.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "zina.core.middleware.LanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "zina.urls"
WSGI_APPLICATION = "zina.wsgi.application"
ASGI_APPLICATION = "zina.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "zina.core.context_processors.navigation",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
DATA_DIR.mkdir(parents=True, exist_ok=True)
DATABASE_URL = os.environ.get("DATABASE_URL") or f"sqlite:///{DATA_DIR / 'zina.sqlite3'}"
# Connections are kept between requests (a PostgreSQL connection costs milliseconds to open;
# a SQLite one loses its page cache when closed). 0 closes them after every request.
DATABASES = {
    "default": dj_database_url.parse(
        DATABASE_URL, conn_max_age=int(os.environ.get("ZINA_DB_CONN_MAX_AGE", "60"))
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers run beside a writer; IMMEDIATE takes the write lock when a transaction
    # starts, so concurrent writers queue on busy_timeout instead of failing with
    # "database is locked" when they upgrade a read lock mid-transaction.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": (
            "PRAGMA journal_mode=WAL;"
            "PRAGMA synchronous=NORMAL;"
            "PRAGMA foreign_keys=ON;"
            "PRAGMA busy_timeout=20000;"
            # Reads through a memory map (no read() call and copy per page) and a larger page
            # cache: measured on search's hydration of 21 hits from a 1.3 GB database, 6.3 ->
            # 4.6 ms the first time, 2.0 -> 1.1 ms once cached.
            "PRAGMA mmap_size=1073741824;"
            "PRAGMA cache_size=-65536;"
        ),
    }
    # A file (not :memory:) so live-server threads share it; one per process so that
    # concurrent test runs on one machine do not trample each other.
    DATABASES["default"].setdefault("TEST", {})["NAME"] = str(
        DATA_DIR / f"test-{os.getpid()}.sqlite3"
    )
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Tasks (django.tasks with the database backend) ---------------------------------------
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

# --- Auth ---------------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "core:home"
LOGOUT_REDIRECT_URL = "accounts:login"
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Failed logins per (username, address) and per address within the window before refusal.
LOGIN_RATE_LIMIT = {
    "window_seconds": int(os.environ.get("ZINA_LOGIN_WINDOW", "900")),
    "per_account": int(os.environ.get("ZINA_LOGIN_MAX_PER_ACCOUNT", "5")),
    "per_address": int(os.environ.get("ZINA_LOGIN_MAX_PER_ADDRESS", "30")),
}
SESSION_COOKIE_AGE = 60 * 60 * 10

# --- Internationalisation -----------------------------------------------------------------
LANGUAGE_CODE = "lv"
LANGUAGES = [("lv", _("Latvian")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Europe/Riga"
USE_I18N = True
USE_TZ = True
LANGUAGE_COOKIE_NAME = "zina_language"
LANGUAGE_COOKIE_SECURE = PRODUCTION
LANGUAGE_COOKIE_HTTPONLY = True
LANGUAGE_COOKIE_SAMESITE = "Lax"

# --- Uploaded files (attachments): never served directly, only through permission-checked views.
MEDIA_ROOT = DATA_DIR / "media"
ATTACHMENT_MAX_BYTES = int(os.environ.get("ZINA_ATTACHMENT_MAX_BYTES", str(10 * 1024 * 1024)))

# --- Static files -------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)  # whitenoise expects it, even when serving from the finders
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = not PRODUCTION

# --- E-mail (Django 6.1 mailers) ----------------------------------------------------------
EMAIL_BACKEND_PATH = os.environ.get(
    "EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend"
    if PRODUCTION
    else "django.core.mail.backends.console.EmailBackend",
)
_smtp_options = {
    "host": os.environ.get("EMAIL_HOST", "localhost"),
    "port": int(os.environ.get("EMAIL_PORT", "25")),
    "username": os.environ.get("EMAIL_HOST_USER", ""),
    "password": os.environ.get("EMAIL_HOST_PASSWORD", ""),
    "use_tls": env_bool("EMAIL_USE_TLS", False),
    "use_ssl": env_bool("EMAIL_USE_SSL", False),
    "timeout": int(os.environ.get("EMAIL_TIMEOUT", "30")),
}
MAILERS = {
    "default": {
        "BACKEND": EMAIL_BACKEND_PATH,
        "OPTIONS": _smtp_options if EMAIL_BACKEND_PATH.endswith("smtp.EmailBackend") else {},
    }
}
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "Zina <zina@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Security -----------------------------------------------------------------------------
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "object-src": [CSP.NONE],
}
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False  # htmx reads nothing from it; the token travels in a header
if PRODUCTION:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "31536000"))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# --- Search: the node's index beside the data; the outbox keeps it in step --------------------
ZINA_INDEX_DIR = Path(os.environ.get("ZINA_INDEX_DIR", DATA_DIR / "index"))
# Apply index changes right after each commit in this process (one-process set-ups). With
# several processes, the worker and every search catch up from the outbox anyway.
ZINA_SEARCH_IMMEDIATE = env_bool("ZINA_SEARCH_IMMEDIATE", True)
# Below this many indexable rows a missing index is rebuilt during the request that finds it.
ZINA_SEARCH_SYNC_REBUILD = int(os.environ.get("ZINA_SEARCH_SYNC_REBUILD", "20000"))
# Processes that build and analyse documents during `zina reindex` (default: one per core).
ZINA_INDEX_WORKERS = int(os.environ.get("ZINA_INDEX_WORKERS", str(os.cpu_count() or 1)))
# The most memory `zina reindex` lets each shard's index writer hold (MB). It writes one
# segment while this lasts (about 1.4 million documents in 2,000 MB); a search reads every
# segment, so fewer is faster (at 220,000 documents, one segment instead of four: -32% at
# p50). Memory is taken as the documents come, so a small index uses little of it. At most
# 4,000 (Tantivy's limit per writer thread).
ZINA_INDEX_REBUILD_MB = min(4000, int(os.environ.get("ZINA_INDEX_REBUILD_MB", "2000")))
ZINA_OUTBOX_KEEP_DAYS = int(os.environ.get("ZINA_OUTBOX_KEEP_DAYS", "7"))
# Each pass re-reads this much of the outbox before the node's watermark: a transaction stamps
# its rows before it commits, so a row can appear "in the past" (up to its transaction's length).
ZINA_OUTBOX_OVERLAP_SECONDS = int(os.environ.get("ZINA_OUTBOX_OVERLAP_SECONDS", "300"))

# --- Logging: one line per record, carrying the request id -----------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "zina.core.middleware.RequestIdLogFilter"}},
    "formatters": {
        "line": {
            "format": "%(asctime)s %(levelname)s [%(request_id)s] %(name)s: %(message)s",
        },
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "filters": ["request_id"],
            "formatter": "line",
        },
    },
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        "django": {"handlers": [], "propagate": True, "level": "INFO"},
        "django.db.backends": {"level": "WARNING"},
    },
}

NINJA_PAGINATION_PER_PAGE = 50
CSRF_FAILURE_VIEW = "zina.core.views.csrf_failure"

# Tickets: the address mail about tickets comes from and threads on, the public address of
# this installation (links in mail), auto-closing and SLA warnings.
ZINA_MAIL_DOMAIN = os.environ.get("ZINA_MAIL_DOMAIN", "zina.localhost")
ZINA_BASE_URL = os.environ.get("ZINA_BASE_URL", "http://localhost:8000")
ZINA_TICKET_AUTOCLOSE_DAYS = int(os.environ.get("ZINA_TICKET_AUTOCLOSE_DAYS", "5"))
ZINA_SLA_WARNING_PERCENT = int(os.environ.get("ZINA_SLA_WARNING_PERCENT", "20"))

# Incoming mail: IMAP mailboxes polled by `zina fetchmail` and the worker (docs/mail.md).
# ZINA_MAILBOXES is a JSON list: [{"institution": "vra", "host": "imap.example.lv",
# "user": "pieteikumi@vra.lv", "password_env": "VRA_IMAP_PASSWORD", "security": "ssl"}].
try:
    ZINA_MAILBOXES = json.loads(os.environ.get("ZINA_MAILBOXES", "") or "[]")
except ValueError as exc:
    raise ImproperlyConfigured(f"ZINA_MAILBOXES is not valid JSON: {exc}") from None
if not isinstance(ZINA_MAILBOXES, list):
    raise ImproperlyConfigured("ZINA_MAILBOXES must be a JSON list of mailboxes")
ZINA_MAIL_POLL_SECONDS = int(os.environ.get("ZINA_MAIL_POLL_SECONDS", "60"))
# Larger messages are quarantined unread; attachments above ATTACHMENT_MAX_BYTES are left out.
ZINA_MAIL_MAX_BYTES = int(os.environ.get("ZINA_MAIL_MAX_BYTES", str(25 * 1024 * 1024)))
ZINA_MAIL_MAX_ATTACHMENTS = int(os.environ.get("ZINA_MAIL_MAX_ATTACHMENTS", "20"))
ZINA_MAIL_BATCH = int(os.environ.get("ZINA_MAIL_BATCH", "200"))  # messages per mailbox per run
ZINA_MAIL_TIMEOUT = int(os.environ.get("ZINA_MAIL_TIMEOUT", "60"))
