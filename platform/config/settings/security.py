"""Authentication, passwords, brute-force protection, two-factor, HTTPS and limits."""

import ipaddress
from datetime import timedelta

from .base import DEBUG
from .environment import env

AUTHENTICATION_BACKENDS = [
    # Axes first: it refuses a locked-out client before any password is checked.
    "axes.backends.AxesStandaloneBackend",
    "apps.accounts.backends.UsernameOrEmailBackend",
]

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 8},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LOGIN_URL = "/auth/login/"

# Brute-force protection (django-axes) on every login: the admin, the OAuth login
# page and the password grant.
AXES_ENABLED = env.bool("AXES_ENABLED", default=True)
# Failures count per account and address, per account, and per address, each with
# its own limit (apps.accounts.lockout.AccountLockoutHandler).
AXES_HANDLER = "apps.accounts.lockout.AccountLockoutHandler"
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"], "username", "ip_address"]
# AXES_FAILURE_LIMIT: failed logins on one account from one address before that
# address is locked out of that account.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
# AGORA_LOCKOUT_ACCOUNT_LIMIT: failed logins on one account, from all addresses,
# before the account is locked for everyone (guessing spread over many addresses).
AGORA_LOCKOUT_ACCOUNT_LIMIT = env.int("AGORA_LOCKOUT_ACCOUNT_LIMIT", default=20)
# AGORA_LOCKOUT_ADDRESS_LIMIT: failed logins from one address, on all accounts,
# before the address is locked out of every account (a ceiling above the others).
AGORA_LOCKOUT_ADDRESS_LIMIT = env.int("AGORA_LOCKOUT_ADDRESS_LIMIT", default=50)
# AXES_COOLOFF_MINUTES: how long a lockout lasts.
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=30))
# Attempts refused during a lockout are not counted, so they never reach the
# per-address ceiling and lock other accounts out.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_RESET_ON_SUCCESS = True
# The account an identifier names, however it is spelt, is what failures count against.
AXES_USERNAME_CALLABLE = "apps.accounts.lockout.account_key"
AXES_LOCKOUT_CALLABLE = "apps.accounts.lockout.lockout_response"
# AGORA_TRUSTED_PROXIES: addresses or networks (CIDR) of the reverse proxies in
# front of Agora, e.g. "10.0.0.0/8,192.0.2.10". X-Forwarded-For is believed only
# from them, read from the right (core.addresses.client_address). Default none:
# the socket's address is the client, so a forged X-Forwarded-For changes nothing.
AGORA_TRUSTED_PROXIES = env.list("AGORA_TRUSTED_PROXIES", default=[])
for _proxy in AGORA_TRUSTED_PROXIES:
    ipaddress.ip_network(_proxy.strip(), strict=False)  # a typo stops the start, loudly
# Axes counts failures by the same client address as the rate limits.
AXES_CLIENT_IP_CALLABLE = "core.addresses.client_address"

# Two-factor authentication (django-otp).
OTP_TOTP_ISSUER = env.str("AGORA_TITLE", default="Agora")

# HTTPS and cookies. Each defaults to the safe value unless DEBUG is on.
# SECURE_SSL_REDIRECT: redirect plain HTTP to HTTPS.
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
# SECURE_PROXY_SSL_HEADER: set to "HTTP_X_FORWARDED_PROTO" behind a TLS-terminating proxy.
_proxy_ssl_header = env.str("SECURE_PROXY_SSL_HEADER", default="")
SECURE_PROXY_SSL_HEADER = (_proxy_ssl_header, "https") if _proxy_ssl_header else None
# SECURE_HSTS_SECONDS: how long browsers must use HTTPS only.
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=not DEBUG)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=False)

# Deploy checks silenced on purpose: Mastodon clients need the password grant,
# loopback http redirect URIs, PKCE-less authorization codes, tokens they can look
# up as issued, tokens in the query string and no RFC 9207 `iss` parameter; joining
# the HSTS preload list is the operator's decision (SECURE_HSTS_PRELOAD).
SILENCED_SYSTEM_CHECKS = [
    "oauth2_provider.W002",
    "oauth2_provider.W004",
    "oauth2_provider.W005",
    "oauth2_provider.W006",
    "oauth2_provider.W008",
    "oauth2_provider.W010",
    "security.W021",
]
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=not DEBUG)
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"

# Request limits: body size, form fields and files per request.
# DATA_UPLOAD_MAX_MEMORY_SIZE: largest request body (bytes) outside file uploads.
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("DATA_UPLOAD_MAX_MEMORY_SIZE", default=2_621_440)
DATA_UPLOAD_MAX_NUMBER_FIELDS = env.int("DATA_UPLOAD_MAX_NUMBER_FIELDS", default=200)
DATA_UPLOAD_MAX_NUMBER_FILES = env.int("DATA_UPLOAD_MAX_NUMBER_FILES", default=5)
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440

# EMAIL_URL: e.g. smtp+tls://user:password@smtp.example.com:587. Unset: printed to the console.
EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
# DEFAULT_FROM_EMAIL: the sender of Agora's e-mail.
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Agora <noreply@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
