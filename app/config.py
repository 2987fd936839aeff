"""Configuration: every setting comes from an environment variable with a documented default.

The README's configuration table is written from `SETTINGS`; keep the two in step.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
INSTANCE = ROOT / "instance"


@dataclass(frozen=True)
class Setting:
    name: str
    default: object
    help: str
    cast: type = str


def _bool(value: str | bool) -> bool:
    if isinstance(value, bool):
        return value
    return value.strip().lower() in {"1", "true", "yes", "on"}


SETTINGS: tuple[Setting, ...] = (
    Setting(
        "DATABASE_URL",
        f"sqlite:///{INSTANCE / 'baladiya.sqlite3'}",
        "SQLAlchemy URL of the database",
    ),
    Setting("REDIS_URL", "", "Redis for rq jobs; empty: jobs run in-process"),
    Setting(
        "WORKER_MAX_JOBS",
        500,
        "An rq worker (`flask jobs worker`) starts its process afresh after this many jobs "
        "(jobs run in the worker's own warm process, not a fork each); 0: never",
        int,
    ),
    Setting(
        "WORKER_MAX_RSS_MB",
        512,
        "An rq worker starts its process afresh after a job that leaves it above this resident "
        "memory, MiB; 0: no limit",
        int,
    ),
    Setting(
        "SECRET_KEY",
        "dev-insecure-secret-key-change-me-in-production",
        "Signs access tokens; set a long random value in production",
    ),
    Setting("ACCESS_TOKEN_TTL", 900, "Lifetime of a bearer access token, seconds", int),
    Setting("REFRESH_TOKEN_TTL", 30 * 24 * 3600, "Lifetime of a refresh token, seconds", int),
    Setting("PASSWORD_HASH_MEMORY_KIB", 65536, "Argon2id memory cost per hash, KiB", int),
    Setting(
        "LOGIN_MAX_FAILURES",
        5,
        "Failed logins in a row before the login identifier locks for a while (known or not)",
        int,
    ),
    Setting(
        "LOGIN_LOCK_SECONDS", 900, "How long a locked login identifier stays locked, seconds", int
    ),
    Setting(
        "REFRESH_REUSE_GRACE_SECONDS",
        2,
        "A refresh token presented again this soon after its rotation is refused without ending "
        "the session (two tabs refreshing at once); later it ends the session",
        int,
    ),
    Setting("RATE_LIMITS_ENABLED", True, "Enforce the RATE_LIMIT_* request limits", _bool),
    Setting(
        "TRUSTED_PROXY_COUNT",
        0,
        "Proxies in front that append to X-Forwarded-For; 0: the socket address is the client's",
        int,
    ),
    Setting("RATE_LIMIT_LOGIN_PER_ADDRESS", "30/minute;300/hour", "Logins per client address"),
    Setting(
        "RATE_LIMIT_LOGIN_PER_ACCOUNT",
        "10/minute;50/hour",
        "Logins per login identifier (e-mail or civil ID)",
    ),
    Setting("RATE_LIMIT_REFRESH_PER_ADDRESS", "60/minute", "Token refreshes per client address"),
    Setting("RATE_LIMIT_REGISTER_PER_ADDRESS", "20/hour", "Registrations per client address"),
    Setting("RATE_LIMIT_PASSWORD_PER_ADDRESS", "20/hour", "Password changes per client address"),
    Setting("RATE_LIMIT_PASSWORD_PER_ACCOUNT", "5/hour", "Password changes per account"),
    Setting(
        "RATE_LIMIT_PASSWORD_RESET_PER_ADDRESS",
        "10/hour",
        "Password reset requests and confirmations per client address",
    ),
    Setting(
        "RATE_LIMIT_PASSWORD_RESET_PER_ACCOUNT",
        "5/hour",
        "Password reset requests and code confirmations per e-mail or civil ID",
    ),
    Setting("PASSWORD_RESET_TTL", 900, "How long a reset link or code works, seconds", int),
    Setting(
        "PASSWORD_RESET_MAX_TRIES", 5, "Wrong codes after which an SMS reset stops working", int
    ),
    Setting(
        "PASSWORD_RESET_MAX_PER_HOUR",
        3,
        "Resets sent to one account an hour (more are answered alike and send nothing)",
        int,
    ),
    Setting(
        "PASSWORD_RESET_URL",
        "{base}/portal/password-reset?token={token}",
        "The link a reset e-mail holds; {base} is PUBLIC_BASE_URL, {token} the one-time token",
    ),
    Setting(
        "RATE_LIMIT_UPLOAD_PER_ADDRESS",
        "300/hour",
        "Uploads (application documents, refund evidence) per client address",
    ),
    Setting("RATE_LIMIT_UPLOAD_PER_ACCOUNT", "60/hour", "Uploads per account"),
    Setting(
        "RATE_LIMIT_PUBLIC_REPORTS_PER_ADDRESS",
        "120/minute;2000/hour",
        "Public service-level reads per client address",
    ),
    Setting(
        "RATE_LIMIT_OPEN311_PER_ADDRESS", "300/hour", "Open311 reports filed per client address"
    ),
    Setting("RATE_LIMIT_OPEN311_PER_KEY", "1000/hour", "Open311 reports filed per API key"),
    Setting("MAX_CONTENT_LENGTH", 1024 * 1024, "Largest JSON request body, bytes (413 above)", int),
    Setting(
        "DOCUMENT_MAX_BYTES", 10 * 1024 * 1024, "Largest uploaded document, bytes (413 above)", int
    ),
    Setting(
        "DOCUMENT_STORAGE_PATH",
        "",
        "Folder of uploaded and generated documents; empty: instance/documents",
    ),
    Setting("CORS_ORIGINS", "", "Comma-separated origins allowed by CORS; empty: CORS off"),
    Setting("HSTS", False, "Send Strict-Transport-Security (behind HTTPS only)", _bool),
    Setting("LOG_LEVEL", "INFO", "Log level of the JSON logs"),
    Setting(
        "PAYMENT_GATEWAYS",
        "stripe",
        "Payment gateways offered, comma-separated; the first is the default",
    ),
    Setting(
        "PAYMENT_GATEWAYS_BY_AUTHORITY",
        "",
        "Per-authority override of PAYMENT_GATEWAYS: CODE=gw1,gw2;CODE2=gw "
        "(e.g. MCT=thawani,stripe)",
    ),
    Setting("STRIPE_API_KEY", "sk_test_baladiya", "Stripe secret key"),
    Setting(
        "STRIPE_PUBLISHABLE_KEY",
        "pk_test_baladiya",
        "Stripe publishable key, given to the front end",
    ),
    Setting(
        "STRIPE_API_BASE", "http://127.0.0.1:8420", "Stripe API base URL; localstripe by default"
    ),
    Setting("STRIPE_TIMEOUT", 10, "Seconds to wait for Stripe before answering 503", int),
    Setting(
        "UNPAID_EXPIRY_DAYS",
        14,
        "Days an application waits for its fee before it is cancelled",
        int,
    ),
    Setting("REFUND_SLA_DAYS", 10, "Working days finance has to decide a refund", int),
    Setting(
        "MESSAGE_REPLY_WORKING_DAYS",
        1,
        "Working days staff have to answer an applicant's message on an application's thread "
        "before it is escalated",
        int,
    ),
    Setting(
        "REFUND_SECOND_APPROVAL_BAISA",
        100_000,
        "Refunds above this (baisa) need a second approver",
        int,
    ),
    Setting(
        "REFUND_CARD_WINDOW_DAYS",
        180,
        "Days after a card payment during which it is refunded to the card; later by bank transfer",
        int,
    ),
    Setting(
        "REFUND_RESEND_AFTER_SECONDS",
        300,
        "Seconds after a refund's last send before reconciliation sends it again",
        int,
    ),
    Setting("STRIPE_WEBHOOK_SECRET", "whsec_baladiya_dev", "Secret that signs Stripe webhooks"),
    Setting(
        "THAWANI_API_BASE",
        "http://127.0.0.1:8430/api/v1",
        "Thawani Checkout API base URL (UAT: https://uatcheckout.thawani.om/api/v1, production: "
        "https://checkout.thawani.om/api/v1); by default the test server's address",
    ),
    Setting(
        "THAWANI_CHECKOUT_BASE",
        "http://127.0.0.1:8430",
        "Base of Thawani's hosted payment page, {base}/pay/{session_id}?key={publishable key} "
        "(UAT: https://uatcheckout.thawani.om, production: https://checkout.thawani.om)",
    ),
    Setting("THAWANI_SECRET_KEY", "thawani_test_baladiya", "Thawani secret key (thawani-api-key)"),
    Setting(
        "THAWANI_PUBLISHABLE_KEY",
        "thawani_pk_test_baladiya",
        "Thawani publishable key, put in the hosted page's URL",
    ),
    Setting(
        "THAWANI_WEBHOOK_SECRET",
        "thawani_whsec_baladiya_dev",
        "Secret that signs Thawani webhooks; Thawani offered with an empty THAWANI_* setting "
        "fails at start",
    ),
    Setting("THAWANI_TIMEOUT", 10, "Seconds to wait for Thawani before answering 503", int),
    Setting("SMTP_HOST", "", "SMTP server; empty: e-mail is written to the console"),
    Setting("SMTP_PORT", 25, "SMTP port", int),
    Setting("SMTP_USERNAME", "", "SMTP user (optional)"),
    Setting("SMTP_PASSWORD", "", "SMTP password (optional)"),
    Setting("SMTP_STARTTLS", False, "Use STARTTLS with the SMTP server", _bool),
    Setting("MAIL_FROM", "Baladiya <no-reply@baladiya.om>", "Sender of e-mail"),
    Setting("SMS_BACKEND", "console", "console, or http for the generic HTTP gateway"),
    Setting("SMS_GATEWAY_URL", "", "URL of the HTTP SMS gateway"),
    Setting("SMS_GATEWAY_USERNAME", "", "SMS gateway user"),
    Setting("SMS_GATEWAY_PASSWORD", "", "SMS gateway password"),
    Setting("SMS_SENDER_ID", "Baladiya", "SMS sender id"),
    Setting(
        "PUBLIC_BASE_URL",
        "http://127.0.0.1:5000",
        "Base URL printed in links (verification, QR codes) and of the pages a hosted payment "
        "page sends the payer back to ({base}/payments/{reference}/done or /cancelled)",
    ),
)


def from_environment(environ: dict[str, str] | None = None) -> dict[str, object]:
    """Read every setting from the environment, falling back to its documented default."""
    environ = os.environ if environ is None else environ
    values: dict[str, object] = {}
    for setting in SETTINGS:
        raw = environ.get(setting.name)
        values[setting.name] = setting.default if raw is None else setting.cast(raw)
    return values


# Fixed settings of the libraries; not meant to change per deployment.
STATIC = {
    "API_TITLE": "Baladiya API",
    "API_VERSION": "v1",
    "OPENAPI_VERSION": "3.1.0",
    "OPENAPI_URL_PREFIX": "/api",
    "OPENAPI_JSON_PATH": "openapi.json",
    "OPENAPI_SWAGGER_UI_PATH": "docs",
    "OPENAPI_SWAGGER_UI_URL": "/api/docs/assets/",
    "BABEL_DEFAULT_LOCALE": "ar",
    "BABEL_DEFAULT_TIMEZONE": "Asia/Muscat",
    "LANGUAGES": ("ar", "en"),
    "JSON_SORT_KEYS": False,
    # hide_parameters: a database error's text never quotes the row's values (civil IDs,
    # e-mail addresses, hashes), so neither a log line nor a traceback can leak them.
    # No pool_pre_ping: a connection is pinged only after an idle spell (app/pool.py).
    "SQLALCHEMY_ENGINE_OPTIONS": {"hide_parameters": True},
}
