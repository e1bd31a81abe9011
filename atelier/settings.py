"""Atelier's one settings module: what differs between machines comes from the environment.

Development is the default (DEBUG on, SQLite under var/, a generated secret key). Set
ATELIER_MODE=production for a deployment: DEBUG off, SECRET_KEY and ALLOWED_HOSTS required, secure
cookies and HSTS, so that `manage.py check --deploy` has nothing to report.
"""

import os
import secrets
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("ATELIER_VAR_DIR", BASE_DIR / "var"))
VAR_DIR.mkdir(parents=True, exist_ok=True)


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    if value.lower() in {"1", "true", "yes", "on"}:
        return True
    if value.lower() in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (1/0, true/false), not {value!r}")


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {value!r}") from None


def env_list(name: str, default: list[str]) -> list[str]:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


MODE = env_str("ATELIER_MODE", "development")
if MODE not in {"development", "production"}:
    raise ImproperlyConfigured("ATELIER_MODE must be 'development' or 'production'")
PRODUCTION = MODE == "production"


def _secret_key() -> str:
    if key := env_str("SECRET_KEY"):
        return key
    if PRODUCTION:
        raise ImproperlyConfigured("SECRET_KEY must be set when ATELIER_MODE=production")
    # Development: generate once and keep it, so sessions and signed links survive restarts.
    path = VAR_DIR / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = _secret_key()
DEBUG = env_bool("DEBUG", not PRODUCTION)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", [] if PRODUCTION else ["127.0.0.1", "localhost", "[::1]"])
if PRODUCTION and not ALLOWED_HOSTS:
    raise ImproperlyConfigured("ALLOWED_HOSTS must be set when ATELIER_MODE=production")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "atelier.core",
    "atelier.accounts",
    "atelier.catalog",
    "atelier.orders",
    "atelier.rewards",
    "atelier.notifications",
    "atelier.webhooks",
    "atelier.inbox",
    "atelier.backoffice",
    "atelier.demo",
    "atelier.worker",
    "django_tasks_db",
    "ninja",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "atelier.api.middleware.method_not_allowed_as_json",
    # Before CSRF, whose check is what first reads a form's body: a refused upload (too large,
    # too many files) becomes a clear page rather than an error.
    "atelier.documents.middleware.UploadRefusalMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "atelier.core.middleware.TimezoneMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "atelier.accounts.middleware.agents_use_a_second_factor",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
]

# Content Security Policy (Django's own): everything from this origin, nothing from elsewhere;
# htmx and our scripts are served by the app, never from a CDN.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "frame-ancestors": [CSP.NONE],
    "form-action": [CSP.SELF],
    "base-uri": [CSP.NONE],
    "object-src": [CSP.NONE],
}

ROOT_URLCONF = "atelier.urls"
WSGI_APPLICATION = "atelier.wsgi.application"
ASGI_APPLICATION = "atelier.asgi.application"

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
                "django.template.context_processors.csp",
                "atelier.inbox.context_processors.unread_count",
                "atelier.accounts.context_processors.second_factor_notice",
                "atelier.documents.context_processors.upload_limits",
            ],
        },
    },
]

# Database: DATABASE_URL, default a SQLite file under var/. Connections are kept for
# DATABASE_CONN_MAX_AGE seconds (0: one per request), checked before a request reuses them: a new
# PostgreSQL connection costs more than most of our requests.
DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'atelier.sqlite3'}"),
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # IMMEDIATE transactions take SQLite's write lock when a transaction starts, so two
    # transactions never both read and then write (the check-then-act race); WAL lets readers
    # run beside the one writer; the timeout makes a waiting writer queue rather than fail.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 30,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    # A file, not shared-cache memory: tests that use threads need real SQLite locking. One per
    # test run, so that two runs side by side never share it.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / f"test-{os.getpid()}.sqlite3")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "account_login"

# Accounts: django-allauth (login by e-mail and password or by a code sent to the address,
# password reset, TOTP second factor with recovery codes). Nobody signs up: customers are created
# by their first order, the others by an agent (atelier/accounts/adapter.py).
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
ACCOUNT_ADAPTER = "atelier.accounts.adapter.AccountAdapter"
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*"]
ACCOUNT_UNIQUE_EMAIL = True
# Addresses are the service's own (set by the order or the agent who created the account); signing
# in by code or resetting the password proves one and marks it verified.
ACCOUNT_EMAIL_VERIFICATION = "optional"
ACCOUNT_LOGIN_BY_CODE_ENABLED = True
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_SESSION_REMEMBER = None
ACCOUNT_EMAIL_SUBJECT_PREFIX = "Atelier: "
# Failed logins are limited by atelier/accounts/throttle.py (pages and API alike, with a
# Retry-After); allauth keeps its limits on codes and resets.
ACCOUNT_RATE_LIMITS = {"login_failed": None}
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "Atelier"
# A code from the previous or next 30 s also works (slow typing, clock drift).
MFA_TOTP_TOLERANCE = 1
# Agents hold every permission and the admin: they must set up a second factor before anything
# else. The demo turns this off for its agent (with a notice); production always has it.
ATELIER_AGENT_MFA_REQUIRED = env_bool("ATELIER_AGENT_MFA_REQUIRED", PRODUCTION)
# Failed login attempts allowed per account and per client address within the window (seconds),
# counted in the shared cache; then 429 with Retry-After until the oldest counted failure ages out.
ATELIER_LOGIN_FAILURES_PER_ACCOUNT = env_int("ATELIER_LOGIN_FAILURES_PER_ACCOUNT", 5)
ATELIER_LOGIN_FAILURES_PER_ADDRESS = env_int("ATELIER_LOGIN_FAILURES_PER_ADDRESS", 20)
ATELIER_LOGIN_FAILURE_WINDOW = env_int("ATELIER_LOGIN_FAILURE_WINDOW", 15 * 60)

# The cache every web process shares (login throttling, allauth's limits): the database by
# default, Redis when REDIS_URL is set.
REDIS_URL = env_str("REDIS_URL")
CACHES = {
    "default": (
        {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
        if REDIS_URL
        else {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "atelier_cache"}
    )
}

LANGUAGE_CODE = "en-us"
TIME_ZONE = env_str("ATELIER_TIME_ZONE", "America/New_York")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)  # whitenoise warns about a missing one
STATICFILES_DIRS = [BASE_DIR / "static"]
# Development serves static files straight from the apps (no collectstatic), DEBUG on or off: the
# demo runs with DEBUG off to show the site's own error pages (rundemo). Production serves the
# collected, hashed files.
WHITENOISE_USE_FINDERS = not PRODUCTION
MEDIA_ROOT = Path(env_str("ATELIER_MEDIA_ROOT", str(VAR_DIR / "media")))
MEDIA_URL = "media/"  # never served directly: downloads go through a permission check
# Uploads stream to temporary files here (atelier/documents/uploads.py), never into memory. On
# the same filesystem as MEDIA_ROOT, storing one locally is a hard link rather than a copy.
FILE_UPLOAD_HANDLERS = ["atelier.documents.uploads.StreamingUploadHandler"]
FILE_UPLOAD_TEMP_DIR = Path(env_str("ATELIER_UPLOAD_TEMP_DIR", str(VAR_DIR / "uploads")))
FILE_UPLOAD_TEMP_DIR.mkdir(parents=True, exist_ok=True)


# Where order files live: "local" (MEDIA_ROOT) or "s3" (any S3-compatible object storage).
def _file_storage(kind: str) -> dict:
    if kind == "local":
        return {"BACKEND": "atelier.documents.storage.LocalStorage"}
    if kind != "s3":
        raise ImproperlyConfigured(f"ATELIER_STORAGE must be 'local' or 's3', not {kind!r}")
    bucket = env_str("AWS_STORAGE_BUCKET_NAME")
    if not bucket:
        raise ImproperlyConfigured("AWS_STORAGE_BUCKET_NAME must be set when ATELIER_STORAGE=s3")
    # Credentials: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or whatever else boto3 finds
    # (a profile, an instance role). Objects stay private: downloads are presigned redirects.
    options = {
        "bucket_name": bucket,
        "endpoint_url": env_str("AWS_S3_ENDPOINT_URL") or None,
        "region_name": env_str("AWS_S3_REGION_NAME") or None,
        "addressing_style": env_str("AWS_S3_ADDRESSING_STYLE") or None,
        "signature_version": "s3v4",
        "location": env_str("AWS_LOCATION"),
        "default_acl": None,
        "file_overwrite": False,
        "querystring_auth": True,
    }
    return {"BACKEND": "atelier.documents.s3.S3BlobStorage", "OPTIONS": options}


ATELIER_STORAGE = env_str("ATELIER_STORAGE", "local")
STORAGES = {
    "default": _file_storage(ATELIER_STORAGE),
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}


# E-mail: one variable picks the transport (Django 6.1's MAILERS). EMAIL_URL is an SMTP URL in
# production (smtp://user:password@host:587?tls=1, or smtps:// for implicit TLS); "console" prints
# messages, "memory" keeps them for tests. Development defaults to the console.
def _mailer(url: str) -> dict:
    parsed = urlsplit(url)
    scheme = parsed.scheme or parsed.path
    simple = {
        "console": "django.core.mail.backends.console.EmailBackend",
        "memory": "django.core.mail.backends.locmem.EmailBackend",
        "dummy": "django.core.mail.backends.dummy.EmailBackend",
    }
    if scheme in simple:
        return {"BACKEND": simple[scheme]}
    if scheme not in {"smtp", "smtps"}:
        raise ImproperlyConfigured(
            f"EMAIL_URL must be smtp://, smtps://, console or memory: {url!r}"
        )
    query = parse_qs(parsed.query)
    options: dict = {
        "host": parsed.hostname or "localhost",
        "port": parsed.port or (465 if scheme == "smtps" else 25),
        "use_ssl": scheme == "smtps",
        "use_tls": query.get("tls", ["0"])[0] in {"1", "true", "yes"},
        "timeout": int(query.get("timeout", ["30"])[0]),
    }
    if parsed.username:
        options["username"] = unquote(parsed.username)
        options["password"] = unquote(parsed.password or "")
    return {"BACKEND": "django.core.mail.backends.smtp.EmailBackend", "OPTIONS": options}


EMAIL_URL = env_str("EMAIL_URL", "" if PRODUCTION else "console")
if PRODUCTION and not EMAIL_URL:
    raise ImproperlyConfigured("EMAIL_URL must be set when ATELIER_MODE=production")
MAILERS = {"default": _mailer(EMAIL_URL)}
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Atelier <no-reply@atelier.example>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# Product settings (DESIGN.md names each one).
ATELIER_BASE_URL = env_str("ATELIER_BASE_URL", "http://127.0.0.1:8000").rstrip("/")
ATELIER_MAX_UPLOAD_BYTES = env_int("ATELIER_MAX_UPLOAD_BYTES", 2 * 1024**3)  # per file
ATELIER_MAX_UPLOAD_FILES = env_int("ATELIER_MAX_UPLOAD_FILES", 20)  # per request
ATELIER_SWEEP_SECONDS = env_int("ATELIER_SWEEP_SECONDS", 60)  # how often each worker sweeps
# Rewards and fees released per transaction by the sweep (each batch is a few statements).
ATELIER_RELEASE_BATCH_SIZE = env_int("ATELIER_RELEASE_BATCH_SIZE", 1000)
# E-mail delivery: attempts before giving up, the first retry's delay (doubling each time), and
# how long a worker holds a notification it is sending before another may take it over.
ATELIER_EMAIL_MAX_ATTEMPTS = env_int("ATELIER_EMAIL_MAX_ATTEMPTS", 6)
ATELIER_EMAIL_RETRY_SECONDS = env_int("ATELIER_EMAIL_RETRY_SECONDS", 30)
ATELIER_EMAIL_LEASE_SECONDS = env_int("ATELIER_EMAIL_LEASE_SECONDS", 120)
# Webhook delivery, the same three knobs (a request times out after 10 s, well within the lease).
ATELIER_WEBHOOK_MAX_ATTEMPTS = env_int("ATELIER_WEBHOOK_MAX_ATTEMPTS", 8)
ATELIER_WEBHOOK_RETRY_SECONDS = env_int("ATELIER_WEBHOOK_RETRY_SECONDS", 30)
ATELIER_WEBHOOK_LEASE_SECONDS = env_int("ATELIER_WEBHOOK_LEASE_SECONDS", 60)
# Webhooks go to public addresses only (atelier/webhooks/targets.py); these hosts (names or IP
# literals, e.g. "127.0.0.1,localhost" for a local receiver) may be internal. Empty by default.
ATELIER_WEBHOOK_ALLOWED_HOSTS = env_list("ATELIER_WEBHOOK_ALLOWED_HOSTS", [])
# How long a signed download link (as sent in webhooks) works without logging in.
ATELIER_DOWNLOAD_LINK_DAYS = env_int("ATELIER_DOWNLOAD_LINK_DAYS", 7)
# How long a reviewer holds a submission they claimed from the QC queue before others may take it
# (a send-back's rework is held for its reviewer for the QC turnaround instead).
ATELIER_QC_CLAIM_MINUTES = env_int("ATELIER_QC_CLAIM_MINUTES", 60)
# Previews and revision diffs read files up to this size; larger ones are offered as downloads.
ATELIER_PREVIEW_MAX_BYTES = env_int("ATELIER_PREVIEW_MAX_BYTES", 20 * 1024**2)

# Background work: Django's tasks API on a database queue (django-tasks-db); `manage.py
# run_worker` runs it, sweeping every ATELIER_SWEEP_SECONDS. The outbox rows, not the tasks,
# are the durable record: a task is only a nudge (see atelier/notifications/delivery.py).
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}

if PRODUCTION:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    if env_bool("SECURE_PROXY_SSL_HEADER", False):
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "{asctime} {levelname} {name}: {message}", "style": "{"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    # Django's own loggers print through the root handler only: its default console handler
    # (and mail_admins) would print each of their lines a second time.
    "loggers": {"django": {"handlers": [], "level": "INFO", "propagate": True}},
}
