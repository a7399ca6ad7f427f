"""Settings, all driven by environment variables (see docs/settings.md)."""

from __future__ import annotations

import datetime
import os
import secrets
import tempfile
from pathlib import Path
from typing import Any

import dj_database_url
import dj_email_url
import django
from django.core.exceptions import ImproperlyConfigured

SOURCE_ROOT = Path(__file__).resolve().parent
_CHECKOUT_ROOT = SOURCE_ROOT.parent.parent


def env_bool(name: str, default: bool = False) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    return raw.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def _default_home() -> Path:
    # In a git checkout the data lives beside the code (./var); an installed copy uses the working directory.
    if (_CHECKOUT_ROOT / "pyproject.toml").exists():
        return _CHECKOUT_ROOT / "var"
    return Path.cwd() / "var"


SALESPIPE_HOME = Path(os.environ.get("SALESPIPE_HOME") or _default_home()).resolve()
SALESPIPE_HOME.mkdir(parents=True, exist_ok=True)


def _secret_key() -> str:
    """SECRET_KEY from the environment, else generated once and kept in the data directory."""
    if key := os.environ.get("SECRET_KEY"):
        return key
    key_file = SALESPIPE_HOME / "secret_key"
    if not key_file.exists():
        fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_urlsafe(50))
    return key_file.read_text().strip()


SECRET_KEY = _secret_key()
DEBUG = env_bool("DEBUG")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "axes",
    "ninja",
    "salespipe.core",
    "salespipe.people",
    "salespipe.directory",
    "salespipe.deals",
    "salespipe.activities",
    "salespipe.notifications",
    "salespipe.quotas",
    "salespipe.numbers",
    "salespipe.webhooks",
    # No models: a rep's advice and the team dashboard.
    "salespipe.coaching",
    "salespipe.insights",
    # No models: installed for its pages' templates (reports, the deal page's suggestions panel).
    "salespipe.analytics",
    "salespipe.imports",
    # The database task backend's table; installed whatever TASKS_BACKEND says, so switching backends
    # never leaves the migrations behind.
    "django_tasks_db",
]
if django.VERSION < (6, 0):
    # Django 6 has {% partialdef %} built in; on the 5.2 line the package it came from provides it.
    INSTALLED_APPS.append("template_partials")
    # The tasks framework is built into Django 6; on the 5.2 line its backport provides it.
    INSTALLED_APPS.append("django_tasks")

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Every page needs a signed-in user unless its view says otherwise (login, the token-auth API).
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "salespipe.core.middleware.UserTimeZoneMiddleware",
    "salespipe.core.middleware.ContentSecurityPolicyMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as its docs ask: it turns a locked-out sign-in into a refusal page.
    "axes.middleware.AxesMiddleware",
]

AUTHENTICATION_BACKENDS = [
    # Counts failed sign-ins and locks out a username from an address after too many.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = int(os.environ.get("LOGIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = datetime.timedelta(minutes=int(os.environ.get("LOGIN_LOCKOUT_MINUTES", "15")))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_VERBOSE = False

ROOT_URLCONF = "salespipe.urls"
WSGI_APPLICATION = "salespipe.wsgi.application"

TEMPLATES: list[dict[str, Any]] = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        # An admin overrides any template, the emails' included, by placing a file of the same path under
        # $SALESPIPE_HOME/templates (e.g. notifications/email/appointment_reminder.txt).
        "DIRS": [SALESPIPE_HOME / "templates", SOURCE_ROOT / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]


if django.VERSION < (6, 0):
    TEMPLATES[0]["OPTIONS"]["builtins"] = ["template_partials.templatetags.partials"]


def _database() -> dict[str, Any]:
    url = os.environ.get("DATABASE_URL") or f"sqlite:///{SALESPIPE_HOME / 'salespipe.sqlite3'}"
    config: dict[str, Any] = dict(dj_database_url.parse(url))
    if config["ENGINE"] == "django.db.backends.sqlite3":
        config["OPTIONS"] = {
            # WAL lets readers work while one writer writes; IMMEDIATE makes writers queue on the
            # busy timeout instead of failing with "database is locked" halfway through a transaction.
            "init_command": (
                "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
                "PRAGMA temp_store=MEMORY; PRAGMA cache_size=-64000;"
            ),
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
        }
        # Tests run on a file too, as the app does, not Django's shared in-memory database: there, two
        # connections writing at once fail with "table is locked" instead of waiting their turn, so the
        # tests of two workers racing could not run. One file per test run, in the system's temp dir.
        config["TEST"] = {"NAME": str(Path(tempfile.gettempdir()) / f"salespipe-test-{os.getpid()}.sqlite3")}
    else:
        config["CONN_MAX_AGE"] = int(os.environ.get("CONN_MAX_AGE", "60"))
        config["CONN_HEALTH_CHECKS"] = True
    return config


DATABASES = {"default": _database()}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "people.User"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("el", "Ελληνικά")]
LOCALE_PATHS = [SOURCE_ROOT / "locale"]
TIME_ZONE = os.environ.get("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True
# Numbers are grouped the way the page's language does it (12.345,50 in Greek), and typed numbers are
# read that way too. Ids in templates go through `unlocalize`.
USE_THOUSAND_SEPARATOR = True
FORMAT_MODULE_PATH = ["salespipe.formats"]

# An information request is answered within this many working hours of its owner (PRODUCT.md, practice 7).
try:
    INFO_REQUEST_RESPONSE_HOURS = float(os.environ.get("INFO_REQUEST_RESPONSE_HOURS", "4"))
except ValueError as _error:
    raise ImproperlyConfigured(
        "INFO_REQUEST_RESPONSE_HOURS must be a number of working hours, e.g. 4."
    ) from _error
if not 0 < INFO_REQUEST_RESPONSE_HOURS <= 720:
    raise ImproperlyConfigured("INFO_REQUEST_RESPONSE_HOURS must be more than 0 and at most 720.")

# Reports add up money in one currency; deals keep their own currency and a converted base value.
BASE_CURRENCY = os.environ.get("BASE_CURRENCY", "EUR").strip().upper()


def env_int(name: str, default: int, *, low: int, high: int, example: str) -> int:
    raw = os.environ.get(name, str(default)).strip()
    try:
        value = int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, e.g. {example}; got {raw!r}.") from None
    if not low <= value <= high:
        raise ImproperlyConfigured(f"{name} must be from {low} to {high}, e.g. {example}; got {value}.")
    return value


# My numbers: the fiscal year's first month (1 = January) names quarters and years ("2026-Q1" starts in
# that month of 2026); closed deals a stage needs before its empirical win rate replaces the stage's
# default probability; and the share of a month's quota below which its expected sales flag a famine.
FISCAL_YEAR_START_MONTH = env_int("FISCAL_YEAR_START_MONTH", 1, low=1, high=12, example="4 for April")
WIN_RATE_MIN_CLOSED_DEALS = env_int("WIN_RATE_MIN_CLOSED_DEALS", 30, low=1, high=100_000, example="30")
FAMINE_THRESHOLD_PERCENT = env_int("FAMINE_THRESHOLD_PERCENT", 60, low=1, high=100, example="60")

# Advice (docs/advice.md): when each rule speaks up. Late stages are the last two open stages of a
# pipeline, the top of the funnel its first two; appointments are meetings and demos planned ahead.
ADVICE_LATE_STAGE_DEALS = env_int("ADVICE_LATE_STAGE_DEALS", 5, low=1, high=10_000, example="5")
ADVICE_FEW_APPOINTMENTS = env_int("ADVICE_FEW_APPOINTMENTS", 2, low=0, high=10_000, example="2")
ADVICE_APPOINTMENT_DAYS = env_int("ADVICE_APPOINTMENT_DAYS", 14, low=1, high=365, example="14")
ADVICE_CROWDED_TOP_PERCENT = env_int("ADVICE_CROWDED_TOP_PERCENT", 70, low=1, high=100, example="70")
ADVICE_CROWDED_TOP_DEALS = env_int("ADVICE_CROWDED_TOP_DEALS", 10, low=1, high=10_000, example="10")
ADVICE_NEAR_CLOSING_DEALS = env_int("ADVICE_NEAR_CLOSING_DEALS", 1, low=0, high=10_000, example="1")
ADVICE_MIN_TRIALS = env_int("ADVICE_MIN_TRIALS", 10, low=1, high=100_000, example="10")
ADVICE_CERTAINTY_PERCENT = env_int("ADVICE_CERTAINTY_PERCENT", 95, low=50, high=99, example="95")
ADVICE_STALLED_PERCENT = env_int("ADVICE_STALLED_PERCENT", 200, low=100, high=10_000, example="200")
ADVICE_BIG_DEAL_PERCENT = env_int("ADVICE_BIG_DEAL_PERCENT", 200, low=100, high=10_000, example="200")
ADVICE_FAMINE_MONTHS = env_int("ADVICE_FAMINE_MONTHS", 3, low=1, high=6, example="3")

# Webhooks go to public addresses only: a URL that resolves inside the network (private, loopback,
# link-local, reserved) is refused, so nobody can use them to reach internal services (SSRF). On for
# receivers on the same machine or network, which only an administrator can decide to trust.
WEBHOOKS_ALLOW_PRIVATE_ADDRESSES = env_bool("WEBHOOKS_ALLOW_PRIVATE_ADDRESSES")

# Where people reach the app: links in emails and the calendar feed, which have no request to ask.
BASE_URL = os.environ.get("SALESPIPE_BASE_URL", "").strip().rstrip("/") or "http://127.0.0.1:8000"

STATIC_URL = "static/"
STATIC_ROOT = SALESPIPE_HOME / "static"
STATIC_ROOT.mkdir(exist_ok=True)
# Front-end libraries come from the npm registry (`make setup` runs `npm ci`); only their built files
# are served.
_NODE_MODULES = Path(os.environ.get("SALESPIPE_NODE_MODULES") or _CHECKOUT_ROOT / "node_modules")
STATICFILES_DIRS = [
    SOURCE_ROOT / "static",
    ("vendor/htmx", _NODE_MODULES / "htmx.org" / "dist"),
    ("vendor/sortablejs", _NODE_MODULES / "sortablejs"),
    ("vendor/chartjs", _NODE_MODULES / "chart.js" / "dist"),
    ("vendor/pico", _NODE_MODULES / "@picocss" / "pico" / "css"),
]
# Serving straight from the app folders keeps `salespipe serve` free of a collectstatic step.
WHITENOISE_USE_FINDERS = True
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
SESSION_COOKIE_AGE = 60 * 60 * 24 * 14
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES")
CSRF_COOKIE_SECURE = env_bool("SECURE_COOKIES")
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
# Everything the pages load comes from this site; no inline scripts, so none can be injected. Inline
# styles are allowed: htmx and the API docs set them, and a style cannot run code.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'self'; "
    "object-src 'none'"
)

# --- background work (docs/followups.md) ------------------------------------------------------------------
# `database` keeps the queue in the app's own database (nothing else to run); `rq` puts it in Redis for
# many workers; `immediate` runs each task at once in the process that enqueues it (debugging).
TASKS_BACKEND = os.environ.get("TASKS_BACKEND", "database").strip().lower() or "database"
TASK_QUEUES = ["default"]
_IMMEDIATE_BACKEND = (
    "django.tasks.backends.immediate.ImmediateBackend"
    if django.VERSION >= (6, 0)
    else "django_tasks.backends.immediate.ImmediateBackend"
)
if TASKS_BACKEND == "database":
    TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": TASK_QUEUES}}
elif TASKS_BACKEND == "rq":
    REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
    TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": TASK_QUEUES}}
    RQ_QUEUES = {name: {"URL": REDIS_URL, "DEFAULT_TIMEOUT": 600} for name in TASK_QUEUES}
    INSTALLED_APPS += ["django_rq", "django_tasks_rq"]
elif TASKS_BACKEND == "immediate":
    TASKS = {"default": {"BACKEND": _IMMEDIATE_BACKEND}}
else:
    raise ImproperlyConfigured(f"TASKS_BACKEND must be database, rq or immediate, not {TASKS_BACKEND!r}.")


# --- email -------------------------------------------------------------------------------------------------
_SMTP_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
_FILE_BACKEND = "django.core.mail.backends.filebased.EmailBackend"


def _mailer() -> tuple[str, dict[str, Any]]:
    """The mail backend and its options: EMAIL_URL (smtp://user:pass@host:587/?tls=True), else the usual
    EMAIL_HOST & co., else files in $SALESPIPE_HOME/mail, so that with nothing configured no mail is
    lost: it waits there to be read."""
    if url := os.environ.get("EMAIL_URL", "").strip():
        parsed: dict[str, Any] = dj_email_url.parse(url)
        backend = parsed.get("EMAIL_BACKEND")
        if backend is None:
            raise ImproperlyConfigured(
                "EMAIL_URL must start with smtp://, submission:// (STARTTLS on 587), file://, console:// "
                f"or memory://, e.g. smtp://user:password@mail.example.com:587/?tls=True; got {url[:12]}…"
            )
        if backend == _FILE_BACKEND:
            return backend, {"file_path": "/" + parsed["EMAIL_FILE_PATH"].lstrip("/")}
        if backend != _SMTP_BACKEND:
            return backend, {}
        return backend, {
            "host": parsed["EMAIL_HOST"] or "localhost",
            "port": parsed["EMAIL_PORT"] or 25,
            "username": parsed["EMAIL_HOST_USER"] or "",
            "password": parsed["EMAIL_HOST_PASSWORD"] or "",
            "use_tls": parsed["EMAIL_USE_TLS"],
            "use_ssl": parsed["EMAIL_USE_SSL"],
            "timeout": parsed["EMAIL_TIMEOUT"] or 30,
        }
    if host := os.environ.get("EMAIL_HOST", "").strip():
        return _SMTP_BACKEND, {
            "host": host,
            "port": int(os.environ.get("EMAIL_PORT", "25")),
            "username": os.environ.get("EMAIL_HOST_USER", ""),
            "password": os.environ.get("EMAIL_HOST_PASSWORD", ""),
            "use_tls": env_bool("EMAIL_USE_TLS"),
            "use_ssl": env_bool("EMAIL_USE_SSL"),
            "timeout": 30,
        }
    return _FILE_BACKEND, {"file_path": str(SALESPIPE_HOME / "mail")}


_MAIL_BACKEND, _MAIL_OPTIONS = _mailer()
if django.VERSION >= (6, 1):
    # Django 6.1 configures mail with MAILERS and deprecates the EMAIL_* settings (an error beside it).
    MAILERS = {"default": {"BACKEND": _MAIL_BACKEND, "OPTIONS": _MAIL_OPTIONS}}
else:
    EMAIL_BACKEND = _MAIL_BACKEND
    EMAIL_FILE_PATH = _MAIL_OPTIONS.get("file_path", str(SALESPIPE_HOME / "mail"))
    EMAIL_HOST = _MAIL_OPTIONS.get("host", "localhost")
    EMAIL_PORT = _MAIL_OPTIONS.get("port", 25)
    EMAIL_HOST_USER = _MAIL_OPTIONS.get("username", "")
    EMAIL_HOST_PASSWORD = _MAIL_OPTIONS.get("password", "")
    EMAIL_USE_TLS = _MAIL_OPTIONS.get("use_tls", False)
    EMAIL_USE_SSL = _MAIL_OPTIONS.get("use_ssl", False)
    EMAIL_TIMEOUT = _MAIL_OPTIONS.get("timeout", 30)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "").strip() or "Salespipe <salespipe@localhost>"
SERVER_EMAIL = DEFAULT_FROM_EMAIL

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "INFO"}, "axes": {"level": "WARNING"}},
}
