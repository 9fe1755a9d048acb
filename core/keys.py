"""Keys derived from the secret key, one per purpose, and the versioned format of sealed values.

The secret is `SECRET_KEY`, or the random key generated once into `DATA_DIR/secret.key`
(`Settings.secret_material`). Each purpose gets its own 32-byte key from HKDF-SHA256
(RFC 5869) with the purpose and the key version in HKDF's `info`, so the key that encrypts
OAuth tokens at rest is never the key of anything else (the sealed OAuth result pages, the
Telegram webhook secret).

A sealed value is a Fernet token (AES-128-CBC with HMAC-SHA256, timestamped: the
`cryptography` package's Fernet specification) behind its key version, `v1.`. A value with no
version was sealed before versions existed, with Fernet keyed by the secret's SHA-256 (or by
the generated key itself); it still opens, and migration 0004 seals every stored one again
with the current key, so nobody has to reconnect an account.
"""

from __future__ import annotations

import base64
import enum
import hashlib

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from core.config import Settings

VERSION = 1
PREFIX = f"v{VERSION}.".encode()


class Purpose(enum.StrEnum):
    """What a derived key is for; part of the HKDF `info`, so each purpose has its own key."""

    oauth_tokens = "oauth-tokens"
    oauth_result_page = "oauth-result-page"
    telegram_webhook = "telegram-webhook"
    download_link = "download-link"


# Purposes whose values were sealed before key versions existed, so may still be met unversioned.
UNVERSIONED_BEFORE = {Purpose.oauth_tokens, Purpose.oauth_result_page}


def derive(settings: Settings, purpose: Purpose, version: int = VERSION) -> bytes:
    """The 32-byte key for `purpose` (HKDF-SHA256 of the secret, no salt, info names purpose and version)."""
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=None,
                info=f"ettametta {purpose.value} v{version}".encode())
    return hkdf.derive(settings.secret_material())


def legacy_fernet_key(settings: Settings) -> bytes:
    """The Fernet key of values sealed before key versions: SHA-256 of SECRET_KEY, or the generated key."""
    if settings.secret_key:
        digest = hashlib.sha256(settings.secret_key.get_secret_value().encode()).digest()
        return base64.urlsafe_b64encode(digest)
    return settings.secret_material()


class Sealer:
    """Seals and opens values for one purpose; `open` raises InvalidToken for a value it can't open
    (tampered, expired past `ttl`, or sealed with another secret)."""

    def __init__(self, settings: Settings, purpose: Purpose) -> None:
        self._current = Fernet(base64.urlsafe_b64encode(derive(settings, purpose)))
        self._legacy = Fernet(legacy_fernet_key(settings)) if purpose in UNVERSIONED_BEFORE else None

    def seal(self, plain: bytes, *, at: int | None = None) -> bytes:
        """`v1.` + a Fernet token of `plain` (URL-safe: base64url and a dot), timestamped now or
        `at` (epoch seconds)."""
        token = self._current.encrypt(plain) if at is None else self._current.encrypt_at_time(plain, at)
        return PREFIX + token

    def open(self, sealed: bytes, *, ttl: int | None = None) -> bytes:
        """The plain bytes; `ttl` (seconds) refuses values sealed longer ago than that."""
        if sealed.startswith(PREFIX):
            return self._current.decrypt(sealed[len(PREFIX):], ttl=ttl)
        if self._legacy is None:
            raise InvalidToken
        return self._legacy.decrypt(sealed, ttl=ttl)

    @staticmethod
    def is_current(sealed: bytes) -> bool:
        return sealed.startswith(PREFIX)

    def reseal(self, sealed: bytes) -> bytes:
        """The same value sealed with the current key (its timestamp kept); raises InvalidToken."""
        if self.is_current(sealed):
            return sealed
        if self._legacy is None:
            raise InvalidToken
        return PREFIX + MultiFernet([self._current, self._legacy]).rotate(sealed)

    def reseal_legacy(self, sealed: bytes) -> bytes:
        """The value in the format before key versions (for a migration's downgrade)."""
        if not self.is_current(sealed) or self._legacy is None:
            return sealed
        return MultiFernet([self._legacy, self._current]).rotate(sealed[len(PREFIX):])
