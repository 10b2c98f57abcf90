"""Default configuration. Every key can be overridden by an ``INVENIO_<KEY>``
environment variable, read with the type of its default here (``settings.from_text``:
durations as seconds, flags as True/False, text as text)."""

from datetime import timedelta

from celery.schedules import crontab

# --- service -----------------------------------------------------------------
SERVICE_NAME = "rero-ils-users"
SECRET_KEY = "change-me-in-production"
TIME_ZONE = "Europe/Zurich"  # "today" for expiry dates and history ages
SERVER_BASE_URL = None  # e.g. "https://bib.example.org"; unset: the request's host, among TRUSTED_HOSTS
# (Flask's) Host headers answered while SERVER_BASE_URL is unset, any port; others get a 400
TRUSTED_HOSTS = ["localhost", "127.0.0.1"]
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = None  # None: True when SERVER_BASE_URL is https (factory.py)
SESSION_REDIS_URL = "redis://127.0.0.1:6379/0"  # server-side sessions; empty: signed cookie (not revocable)
# every response (headers.py); the UI runs without inline script or style
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; "
    "base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)
REFERRER_POLICY = "same-origin"
# languages of the pages and the API's messages (catalogues in rero_ils_users/translations/)
I18N_LANGUAGES = ["en", "fr", "de", "it"]
I18N_DEFAULT = "en"  # when neither the person's choice nor Accept-Language names one

# --- database ----------------------------------------------------------------
SQLALCHEMY_DATABASE_URI = "postgresql+psycopg2://rero:rero@127.0.0.1:5432/rero_ils_users"
DB_VERSIONING_USER_MODEL = None
# (PostgreSQL also gets invenio-db's "-c timezone=UTC", factory.py)
SQLALCHEMY_ENGINE_OPTIONS = {}
# a pooled connection idle for longer is pinged before use, so one that died with a
# database restart is replaced, not used (records/ping.py)
DB_PING_IDLE_SECONDS = timedelta(seconds=1)
# the caller's query of every request planned once per connection (accounts/caller.py);
# False behind a pooler that switches server connections per transaction (PgBouncer)
DB_PREPARED_STATEMENTS = True

# --- search ------------------------------------------------------------------
SEARCH_HOSTS = ["http://127.0.0.1:9200"]
SEARCH_INDEX_PREFIX = ""
SEARCH_REFRESH = False  # True makes each write visible to search at once (tests)
SEARCH_TIMEOUT = 10
SEARCH_MAX_SIZE = 1000
INDEX_QUEUE_MAX_ATTEMPTS = 5  # refusals of a document (e.g. a mapping error) before its queue row is parked
INDEX_QUEUE_DRAIN_ON_WRITE = 200  # older queued rows a write indexes after its own (0: only the worker drains)
SEARCH_NUMBER_OF_REPLICAS = 0  # replicas of each index created (1 on a cluster of 2+ nodes)
JSONSCHEMAS_HOST = "rero-ils-users.local"
JSONSCHEMAS_REGISTER_ENDPOINTS_API = False
JSONSCHEMAS_REGISTER_ENDPOINTS_UI = False

# --- Celery ------------------------------------------------------------------
CELERY_BROKER_URL = "redis://127.0.0.1:6379/0"
CELERY_RESULT_BACKEND = None
CELERY_TASK_ALWAYS_EAGER = False
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BEAT_SCHEDULE = {
    "index-queue": {"task": "rero_ils_users.index_queue", "schedule": timedelta(seconds=30)},
    "expire-patrons": {"task": "rero_ils_users.expire_patrons", "schedule": crontab(hour=2, minute=0)},
    "purge-history": {"task": "rero_ils_users.purge_history", "schedule": crontab(hour=3, minute=0)},
    "purge-audit": {"task": "rero_ils_users.purge_audit", "schedule": crontab(hour=3, minute=30)},
    "erase-orphans": {"task": "rero_ils_users.erase_orphans", "schedule": crontab(hour=4, minute=0)},
}
JOBS_LOCK_REDIS_URL = "redis://127.0.0.1:6379/0"
PATRON_EXPIRY_REMINDER_DAYS = 30
MONITORING_TIMEOUT = 1.0  # seconds each health check (index, broker, worker ping) may take
HISTORY_MAX_AGE_MONTHS = 6
AUDIT_MAX_AGE_MONTHS = 12  # age after which audit entries of personal data are purged
ORPHAN_RETENTION_DAYS = 30  # days a person with no patron record is kept before erasure
EXPORT_RATE_LIMIT = "5 per hour"  # exports of one's own data per person (`limits` notation)
RATE_LIMIT_REDIS_URL = "redis://127.0.0.1:6379/0"  # where the rate limits are counted
JOBS_BATCH_SIZE = 500  # rows per transaction in the scheduled jobs
JOBS_LOCK_TIMEOUT = 600  # seconds a job lock lives unless renewed (a batch renews it)
JOBS_LOCK_WAIT = 0  # seconds a run waits for another run of the same job (then skips)

# --- accounts ----------------------------------------------------------------
PASSWORD_MIN_LENGTH = 8  # also Flask-Security's SECURITY_PASSWORD_LENGTH_MIN (factory.py)
PASSWORD_REQUIRE_SPECIAL = False
LOGIN_MAX_ATTEMPTS = 5
LOGIN_LOCKOUT = timedelta(minutes=15)  # failures counted over, and lockout length; seconds from the environment
LOGIN_REDIS_URL = "redis://127.0.0.1:6379/0"
REGISTRATION_TOKEN_MAX_AGE = 1800  # seconds a lookup's registration_token stays valid

SECURITY_PASSWORD_HASH = "argon2"
# argon2id with OWASP's recommended parameters (19 MiB, 2 passes, 1 lane): ~40 ms a hash
# here, where the library defaults (64 MiB, 3 passes, 4 lanes) cost ~0.4 s on 2 cores
SECURITY_PASSWORD_HASH_PASSLIB_OPTIONS = {"argon2__memory_cost": 19456, "argon2__rounds": 2, "argon2__parallelism": 1}
SECURITY_PASSWORD_SALT = "change-me-in-production-too"
# hashes a login may verify: ours (argon2) and RERO ILS / invenio-accounts' pbkdf2-sha512, stored as
# imported and rehashed to argon2 at the first successful login (deprecated scheme)
SECURITY_PASSWORD_SCHEMES = ["argon2", "pbkdf2_sha512"]
SECURITY_DEPRECATED_PASSWORD_SCHEMES = ["pbkdf2_sha512"]
# the SECURITY_PASSWORD_SALT of the installation whose pbkdf2-sha512 hashes were imported (None: ours)
LEGACY_PASSWORD_SALT = None
SECURITY_USERNAME_ENABLE = True
SECURITY_USERNAME_REQUIRED = True
SECURITY_USERNAME_MIN_LENGTH = 3
SECURITY_USERNAME_MAX_LENGTH = 255
SECURITY_RETURN_GENERIC_RESPONSES = True
SECURITY_EMAIL_VALIDATOR_ARGS = {"check_deliverability": False}
SECURITY_RECOVERABLE = True
SECURITY_RESET_PASSWORD_WITHIN = "1 days"
SECURITY_SEND_REGISTER_EMAIL = False
SECURITY_TRACKABLE = False
SECURITY_URL_PREFIX = "/security"
SECURITY_CSRF_PROTECT_MECHANISMS = ["session", "basic"]
SECURITY_CSRF_IGNORE_UNAUTH_ENDPOINTS = True
SECURITY_CSRF_HEADER = "X-CSRF-Token"
SECURITY_CLI_USERS_NAME = False  # `users create` is ours (accounts/cli.py): policy, account roles
SECURITY_CLI_ROLES_NAME = False
WTF_CSRF_CHECK_DEFAULT = False
WTF_CSRF_TIME_LIMIT = None

# --- mail --------------------------------------------------------------------
MAIL_SERVER = "127.0.0.1"
MAIL_PORT = 25
MAIL_DEFAULT_SENDER = "noreply@rero-ils-users.local"
MAIL_SUPPRESS_SEND = False

# --- input limits ------------------------------------------------------------
# (Flask's) a bigger request body is refused with a 413 before it is read
MAX_CONTENT_LENGTH = 1024 * 1024
# nesting of a JSON body (objects and arrays); a deeper one is a 400 naming "(body)"
MAX_JSON_DEPTH = 32
# path and query string; a longer URL is a JSON 414 on /api. Below the servers' own
# limits (gunicorn's limit_request_line is 4094, the development server's 65536) so
# that the application answers first.
MAX_URL_LENGTH = 4000
# namespace of this installation's keys in a shared Redis (failed-login counters):
# None derives it from SERVICE_NAME and SEARCH_INDEX_PREFIX, which tell installations apart
REDIS_KEY_PREFIX = None

# --- bulk import -------------------------------------------------------------
IMPORT_BATCH_SIZE = 500  # rows per transaction (and per bulk index request) of `rero-ils-users import`
IMPORT_JOBS = None  # processes writing batches at once (PostgreSQL); None: the cores
