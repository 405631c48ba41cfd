"""Secrets at rest and credentials in flight.

- `SecretBox` encrypts device passwords (Fernet). The key comes from
  ``DIEMCAU_SECRET_KEY`` or a key file created 0600 on first run; losing it
  means re-entering every device password, so OPERATIONS.md says to back it up.
- User passwords are Argon2id hashes, computed in a worker pool of their own when the
  caller is async (`hash_password_async`, `verify_password_async`); API keys are random tokens stored as a
  SHA-256 digest (they are high-entropy, so a slow hash buys nothing) and looked
  up by a short public prefix.
- Access tokens are short-lived HS256 JWTs signed with a key derived from the
  same secret, so one secret file is all an operator has to protect.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import os
import secrets
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from cryptography.fernet import Fernet, InvalidToken

from controller.settings import Settings

API_KEY_PREFIX = "dck_"
_hasher = PasswordHasher()


def load_or_create_key(settings: Settings) -> bytes:
    """The Fernet key: from the environment, else the key file (created 0600)."""
    if settings.secret_key is not None:
        key = settings.secret_key.get_secret_value().encode()
        Fernet(key)  # validates format; raises ValueError on a bad key
        return key
    path: Path = settings.key_file
    if path.exists():
        return path.read_bytes().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    key = Fernet.generate_key()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(key + b"\n")
    return key


class SecretBox:
    """Encrypts device credentials; the only place plaintext passwords are produced."""

    def __init__(self, key: bytes) -> None:
        self._fernet = Fernet(key)
        self._fernet_key = key
        self._jwt_key = hmac.new(key, b"diemcau-jwt-v1", hashlib.sha256).digest()

    def encrypt(self, plaintext: str) -> str:
        return self._fernet.encrypt(plaintext.encode()).decode()

    def decrypt(self, token: str) -> str:
        try:
            return self._fernet.decrypt(token.encode()).decode()
        except InvalidToken as exc:
            raise ValueError("stored secret cannot be decrypted with the current key") from exc

    @property
    def jwt_key(self) -> bytes:
        return self._jwt_key

    def derived_key(self, purpose: str) -> bytes:
        """A key of its own for one purpose (the SSO sign-in's state cookie): a value signed
        for one purpose can never pass as another's, such as an access token."""
        return hmac.new(self._fernet_key, f"diemcau-{purpose}-v1".encode(), hashlib.sha256).digest()


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


# Argon2 costs tens of milliseconds of CPU and 64 MiB per call on purpose. On the event loop
# ten logins a second would stall SSH polling, WHEP, SSE and webhooks; so async code hashes
# and verifies in this pool. It is its own, small one: a flood of logins queues here and
# never takes the default pool's threads (camera decoding, file work) from the rest.
PASSWORD_THREADS = 2
PASSWORD_POOL = ThreadPoolExecutor(PASSWORD_THREADS, thread_name_prefix="argon2")


async def hash_password_async(password: str) -> str:
    return await asyncio.get_running_loop().run_in_executor(PASSWORD_POOL, hash_password, password)


async def verify_password_async(password_hash: str, password: str) -> bool:
    return await asyncio.get_running_loop().run_in_executor(
        PASSWORD_POOL, verify_password, password_hash, password
    )


# A hash of a random password, verified against when the user does not exist so
# that a login for an unknown name costs the same time as a wrong password.
DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))


@dataclass(frozen=True)
class TokenClaims:
    subject: str  # the user name, for logs and people; the user is found by `user_id`
    role: str
    expires_at: datetime
    user_id: uuid.UUID  # a user deleted and created again under the same name has a new id
    version: int  # the user's `token_version` when the token was issued
    session_id: uuid.UUID | None = None  # the sign-in (refresh family) it was issued from


def issue_token(
    box: SecretBox,
    subject: str,
    role: str,
    ttl: timedelta,
    *,
    user_id: uuid.UUID,
    version: int,
    session_id: uuid.UUID | None = None,
) -> tuple[str, datetime]:
    now = datetime.now(UTC)
    expires = now + ttl
    payload: dict[str, object] = {
        "sub": subject,
        "uid": str(user_id),
        "ver": version,
        "role": role,
        "exp": expires,
        "iat": now,
        "typ": "access",
        "jti": secrets.token_hex(8),  # two tokens issued in the same second still differ
    }
    if session_id is not None:
        payload["sid"] = str(session_id)
    return jwt.encode(payload, box.jwt_key, algorithm="HS256"), expires


def read_token(box: SecretBox, token: str) -> TokenClaims | None:
    """The token's claims, or None if it is forged, expired or malformed.

    A token without the user's id and token version (one issued before they existed) is
    malformed: it could not be refused when its user's credentials change.
    """
    try:
        data = jwt.decode(
            token,
            box.jwt_key,
            algorithms=["HS256"],
            options={"require": ["exp", "sub", "role", "uid", "ver"]},
        )
        user_id = uuid.UUID(str(data["uid"]))
        session_id = uuid.UUID(str(data["sid"])) if "sid" in data else None
    except (jwt.PyJWTError, ValueError):
        return None
    version = data["ver"]
    if data.get("typ") != "access" or not isinstance(version, int) or isinstance(version, bool):
        return None
    return TokenClaims(
        subject=str(data["sub"]),
        role=str(data["role"]),
        expires_at=datetime.fromtimestamp(data["exp"], UTC),
        user_id=user_id,
        version=version,
        session_id=session_id,
    )


REFRESH_PREFIX = "drt_"


def new_refresh_token() -> tuple[str, str]:
    """(token given to the client once, digest to store)."""
    token = REFRESH_PREFIX + secrets.token_urlsafe(32)
    return token, refresh_digest(token)


def refresh_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_api_key() -> tuple[str, str, str]:
    """(full key shown once, public prefix, digest to store)."""
    prefix = secrets.token_hex(4)
    key = f"{API_KEY_PREFIX}{prefix}_{secrets.token_urlsafe(32)}"
    return key, prefix, api_key_digest(key)


def api_key_digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def split_api_key(key: str) -> str | None:
    """The prefix of a well-formed API key, else None."""
    if not key.startswith(API_KEY_PREFIX):
        return None
    rest = key[len(API_KEY_PREFIX) :]
    prefix, sep, _ = rest.partition("_")
    if not sep or len(prefix) != 8:
        return None
    return prefix
