"""Django settings for Manyi.

Everything an operator may change comes from the environment, so the same code runs the
embedded SQLite demo and a PostgreSQL + Redis production site.
"""

from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("MANYI_VAR_DIR", BASE_DIR / "var")).resolve()
VAR_DIR.mkdir(parents=True, exist_ok=True)


def _env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _persistent_secret_key() -> str:
    """Keep one secret per installation so sessions and signed links survive restarts."""
    key_file = VAR_DIR / "secret_key"
    if key_file.exists():
        return key_file.read_text().strip()
    key = secrets.token_urlsafe(50)
    key_file.write_text(key)
    key_file.chmod(0o600)
    return key


SECRET_KEY = os.environ.get("MANYI_SECRET_KEY") or _persistent_secret_key()
DEBUG = _env_bool("MANYI_DEBUG")
ALLOWED_HOSTS = os.environ.get("MANYI_ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]").split(",")
CSRF_TRUSTED_ORIGINS = [
    origin for origin in os.environ.get("MANYI_CSRF_TRUSTED_ORIGINS", "").split(",") if origin
]

INSTALLED_APPS = [
    "manyi.core",
    "manyi.org",
    "manyi.businesstime",
    "manyi.customers",
    "manyi.tickets",
    "manyi.notifications",
    "manyi.insight",
    "manyi.surveys",
    "manyi.queues",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "ninja",
    "django_q",
    "axes",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "manyi.core.middleware.RequestLimits",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "manyi.urls"
WSGI_APPLICATION = "manyi.wsgi.application"
ASGI_APPLICATION = "manyi.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "manyi" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "manyi.core.context_processors.shell",
            ],
        },
    },
]

# --- Database -----------------------------------------------------------------------------
# SQLite is the embedded default; DATABASE_URL=postgres://... switches to PostgreSQL.
DEFAULT_SQLITE_PATH = VAR_DIR / "manyi.sqlite3"
DATABASE_URL = os.environ.get("DATABASE_URL", f"sqlite:///{DEFAULT_SQLITE_PATH}")
_db = dj_database_url.parse(DATABASE_URL, conn_max_age=0)
if _db["ENGINE"] == "django.db.backends.sqlite3":
    _db["OPTIONS"] = {
        # IMMEDIATE transactions avoid "database is locked" upgrade deadlocks between the web
        # server and the task worker; WAL lets readers run beside the single writer.
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": (
            "PRAGMA journal_mode=WAL;"
            "PRAGMA synchronous=NORMAL;"
            "PRAGMA foreign_keys=ON;"
            "PRAGMA busy_timeout=20000;"
        ),
    }
    # Tests use a file, not memory, so a worker subprocess can share the test database.
    _db["TEST"] = {"NAME": str(VAR_DIR / "test.sqlite3")}
else:
    _db["CONN_HEALTH_CHECKS"] = True
DATABASES = {"default": _db}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache (shared between web and worker processes) --------------------------------------
REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(VAR_DIR / "cache"),
        }
    }

# --- Authentication and sessions ----------------------------------------------------------
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 8},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

HTTPS = _env_bool("MANYI_HTTPS")
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = int(timedelta(hours=10).total_seconds())
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
CSRF_COOKIE_HTTPONLY = True
CSRF_FAILURE_VIEW = "manyi.core.views.csrf_failure"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Our own scripts and styles only: no inline script, style attribute or handler runs, so a
# text that slipped past escaping could not act (django-csp sends the header on every page).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}
if HTTPS:
    SECURE_SSL_REDIRECT = _env_bool("MANYI_SSL_REDIRECT", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = 31536000

# Login rate limit (django-axes): 5 failures per user name and address, then 15 minutes off.
AXES_FAILURE_LIMIT = int(os.environ.get("MANYI_LOGIN_FAILURE_LIMIT", 5))
AXES_COOLOFF_TIME = timedelta(minutes=15)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False

# --- Internationalisation -----------------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True
LANGUAGE_COOKIE_HTTPONLY = True
LANGUAGE_COOKIE_SAMESITE = "Lax"

# --- Static files -------------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
STATICFILES_DIRS = [BASE_DIR / "manyi" / "static"]
MEDIA_ROOT = VAR_DIR / "media"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "manyi.core.storage.StaticStorage"},
}

# --- Background tasks (django-q2) ---------------------------------------------------------
# Embedded default: the ORM broker on the main database, so no extra service is needed.
# TASK_BROKER=redis uses REDIS_URL; with PostgreSQL the ORM broker already spans machines.
TASK_BROKER = os.environ.get("MANYI_TASK_BROKER", "orm")
Q_CLUSTER: dict = {
    "name": "manyi",
    "workers": int(os.environ.get("MANYI_TASK_WORKERS", 2)),
    "timeout": 600,
    "retry": 900,
    "max_attempts": 5,
    "catch_up": False,
    "save_limit": 1000,
    "label": _("Background tasks"),
    "time_zone": TIME_ZONE,
    "poll": 0.5,
}
if TASK_BROKER == "redis":
    Q_CLUSTER["redis"] = REDIS_URL or "redis://127.0.0.1:6379/0"
else:
    Q_CLUSTER["orm"] = "default"
if _env_bool("MANYI_TASKS_SYNC"):
    Q_CLUSTER["sync"] = True

# --- Logging ------------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("MANYI_LOG_LEVEL", "INFO")},
    "loggers": {"django_q": {"level": "WARNING"}, "axes": {"level": "WARNING"}},
}

# --- Manyi --------------------------------------------------------------------------------
MANYI_DEMO_PASSWORD = os.environ.get("MANYI_DEMO_PASSWORD", "manyi-demo-2026")
MANYI_API_TOKEN_PREFIX = "mny_"
# E-mail (survey invitations, notifications): printed to the console unless a real backend
# is configured.
EMAIL_BACKEND = os.environ.get(
    "MANYI_EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend"
)
EMAIL_HOST = os.environ.get("MANYI_EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("MANYI_EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("MANYI_EMAIL_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("MANYI_EMAIL_PASSWORD", "")
EMAIL_USE_TLS = os.environ.get("MANYI_EMAIL_TLS", "") in ("1", "true", "yes")
EMAIL_USE_SSL = os.environ.get("MANYI_EMAIL_SSL", "") in ("1", "true", "yes")
# With MANYI_EMAIL_BACKEND=django.core.mail.backends.filebased.EmailBackend, one file each.
EMAIL_FILE_PATH = os.environ.get("MANYI_EMAIL_DIR", str(VAR_DIR / "mail"))
DEFAULT_FROM_EMAIL = os.environ.get("MANYI_EMAIL_FROM", "manyi@localhost")
# Survey invitations by SMS: "console" (logged) or "http" (POST to MANYI_SMS_URL).
MANYI_SMS_BACKEND = os.environ.get("MANYI_SMS_BACKEND", "console")
MANYI_SMS_URL = os.environ.get("MANYI_SMS_URL", "")
MANYI_SMS_TOKEN = os.environ.get("MANYI_SMS_TOKEN", "")
# Public address used in links sent to customers (SMS, e-mail, QR codes).
MANYI_PUBLIC_URL = os.environ.get("MANYI_PUBLIC_URL", "http://127.0.0.1:8000").rstrip("/")
