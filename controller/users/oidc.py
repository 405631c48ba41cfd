"""Sign-in with the province's SSO portal: OpenID Connect, authorization code with PKCE.

The controller is a confidential client (or a public one when no secret is configured) of
the portal. `begin` sends the browser to the portal with a fresh ``state``, ``nonce`` and
PKCE challenge (S256, RFC 7636); their values travel in a short-lived cookie signed with a
key of its own, so any replica can finish the sign-in and nothing is stored per attempt.
`finish` checks the returned ``state`` against the cookie, exchanges the code with the
verifier, and accepts the ID token only if its signature (the portal's published keys),
issuer, audience, expiry and nonce are right (OpenID Connect Core 3.1.3.7). Claims the ID
token does not carry (portals often keep ``groups`` for the UserInfo endpoint) are read
from UserInfo, whose ``sub`` must be the ID token's.

Each refusal has its own code (``oidc.bad_state``, ``oidc.bad_nonce`` ...) so the console
can say what happened and the audit log can tell a forged callback from a slow portal.
The token exchange is one form POST (httpx); the token checks are PyJWT's.
"""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote_plus, urlencode

import httpx
import jwt

from controller.directory_settings import OidcSettings
from controller.errors import DomainError
from controller.security import SecretBox
from controller.users.directory import DirectoryPerson, DirectoryUnavailable

__all__ = ["COOKIE", "OidcClient", "OidcRefused"]

COOKIE = "diemcau_oidc"
COOKIE_TTL_S = 600  # time to sign in at the portal
USERNAME = r"^[A-Za-z0-9._@-]{1,64}$"  # as a local user name: it becomes one
_METADATA_TTL_S = 3600
_ALGORITHMS = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"]


class OidcRefused(DomainError):
    """The portal's answer cannot be trusted or used; ``code`` says which check failed."""

    status, slug, title = 401, "unauthorized", "Single sign-on failed"

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(detail, code=code)
        self.code = code


@dataclass
class _Metadata:
    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str
    userinfo_endpoint: str | None
    fetched_at: float


def _form(value: str) -> str:
    return quote_plus(value, safe="")


def _b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


class OidcClient:
    def __init__(self, settings: OidcSettings, box: SecretBox) -> None:
        self.settings = settings
        self._key = box.derived_key("oidc-state")
        self._metadata: _Metadata | None = None
        self._jwks: jwt.PyJWKSet | None = None

    async def _get(self, url: str, **kwargs: Any) -> dict[str, Any]:
        try:
            async with httpx.AsyncClient(timeout=self.settings.timeout_s) as client:
                response = await client.get(url, **kwargs)
                response.raise_for_status()
                body = response.json()
        except (httpx.HTTPError, ValueError) as exc:
            raise DirectoryUnavailable(f"{url}: {type(exc).__name__}: {exc}") from None
        if not isinstance(body, dict):
            raise DirectoryUnavailable(f"{url}: not a JSON object")
        return body

    async def metadata(self) -> _Metadata:
        """The portal's endpoints from its discovery document (cached for an hour)."""
        if self._metadata and time.monotonic() - self._metadata.fetched_at < _METADATA_TTL_S:
            return self._metadata
        issuer = self.settings.issuer.rstrip("/")
        doc = await self._get(f"{issuer}/.well-known/openid-configuration")
        try:
            meta = _Metadata(
                issuer=str(doc["issuer"]),
                authorization_endpoint=str(doc["authorization_endpoint"]),
                token_endpoint=str(doc["token_endpoint"]),
                jwks_uri=str(doc["jwks_uri"]),
                userinfo_endpoint=str(doc["userinfo_endpoint"]) if doc.get("userinfo_endpoint") else None,
                fetched_at=time.monotonic(),
            )
        except KeyError as exc:
            raise DirectoryUnavailable(f"the portal's discovery document has no {exc.args[0]}") from None
        if meta.issuer.rstrip("/") != issuer:  # Discovery 4.3: it must be the configured issuer
            raise DirectoryUnavailable(f"the portal says its issuer is {meta.issuer!r}, not {issuer!r}")
        self._metadata = meta
        return meta

    async def begin(self) -> tuple[str, str]:
        """Where to send the browser, and the cookie to set for the way back."""
        meta = await self.metadata()
        state, nonce, verifier = (
            secrets.token_urlsafe(32),
            secrets.token_urlsafe(32),
            secrets.token_urlsafe(64),
        )
        query = {
            "response_type": "code",
            "client_id": self.settings.client_id,
            "redirect_uri": self.settings.redirect_uri,
            "scope": self.settings.scopes,
            "state": state,
            "nonce": nonce,
            "code_challenge": _b64url(hashlib.sha256(verifier.encode()).digest()),
            "code_challenge_method": "S256",
        }
        cookie = jwt.encode(
            {"state": state, "nonce": nonce, "verifier": verifier, "exp": int(time.time()) + COOKIE_TTL_S},
            self._key,
            algorithm="HS256",
        )
        return f"{meta.authorization_endpoint}?{urlencode(query)}", cookie

    def _attempt(self, cookie: str | None) -> dict[str, str]:
        if not cookie:
            raise OidcRefused("oidc.no_state", "this browser did not start a sign-in here, or took too long")
        try:
            return jwt.decode(cookie, self._key, algorithms=["HS256"], options={"require": ["exp"]})
        except jwt.ExpiredSignatureError:
            raise OidcRefused("oidc.no_state", "the sign-in took too long; start again") from None
        except jwt.InvalidTokenError:
            raise OidcRefused("oidc.no_state", "the sign-in cookie is not ours") from None

    async def finish(self, cookie: str | None, params: dict[str, str]) -> DirectoryPerson:
        """The person the portal vouches for on this callback; OidcRefused with the check
        that failed; DirectoryUnavailable when the portal cannot be reached."""
        attempt = self._attempt(cookie)
        if not secrets.compare_digest(params.get("state", ""), attempt.get("state", "")):
            raise OidcRefused("oidc.bad_state", "the portal's answer is not for this sign-in (state)")
        if "error" in params:
            raise OidcRefused("oidc.provider_error", f"the portal refused: {params['error'][:100]}")
        code = params.get("code")
        if not code:
            raise OidcRefused("oidc.bad_callback", "the portal's answer has no code")
        meta = await self.metadata()
        tokens = await self._exchange(meta, code, attempt["verifier"])
        claims = await self._id_claims(meta, tokens.get("id_token"), attempt["nonce"])
        if self._missing_claims(claims) and meta.userinfo_endpoint and tokens.get("access_token"):
            claims = await self._with_userinfo(meta.userinfo_endpoint, str(tokens["access_token"]), claims)
        return self._person(claims)

    async def _exchange(self, meta: _Metadata, code: str, verifier: str) -> dict[str, Any]:
        form = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": self.settings.redirect_uri,
            "code_verifier": verifier,
        }
        secret = self.settings.client_secret
        # client_secret_basic: each part form-encoded before base64 (RFC 6749 section 2.3.1)
        auth = (
            httpx.BasicAuth(_form(self.settings.client_id), _form(secret.get_secret_value()))
            if secret
            else None
        )
        if auth is None:
            form["client_id"] = self.settings.client_id  # a public client names itself
        try:
            async with httpx.AsyncClient(timeout=self.settings.timeout_s, auth=auth) as client:
                response = await client.post(meta.token_endpoint, data=form)
        except httpx.HTTPError as exc:
            raise DirectoryUnavailable(f"token endpoint: {type(exc).__name__}: {exc}") from None
        try:
            body = response.json()
        except ValueError:
            body = {}
        if response.status_code != 200 or not isinstance(body, dict):
            error = (
                body.get("error", response.status_code) if isinstance(body, dict) else response.status_code
            )
            raise OidcRefused("oidc.exchange_failed", f"the portal did not exchange the code ({error})")
        return body

    async def _signing_key(self, meta: _Metadata, token: str) -> Any:
        kid = jwt.get_unverified_header(token).get("kid")
        for refresh in (False, True):  # a key the cached set lacks: the portal rotated its keys
            if self._jwks is None or refresh:
                self._jwks = jwt.PyJWKSet.from_dict(await self._get(meta.jwks_uri))
            for key in self._jwks.keys:
                if kid is None or key.key_id == kid:
                    return key.key
        raise OidcRefused("oidc.bad_token", "the ID token is signed with a key the portal does not publish")

    async def _id_claims(self, meta: _Metadata, token: object, nonce: str) -> dict[str, Any]:
        if not isinstance(token, str):
            raise OidcRefused("oidc.bad_token", "the portal sent no ID token")
        try:
            key = await self._signing_key(meta, token)
            claims: dict[str, Any] = jwt.decode(
                token,
                key,
                algorithms=_ALGORITHMS,
                audience=self.settings.client_id,
                issuer=meta.issuer,
                options={"require": ["iss", "sub", "aud", "exp", "iat"]},
                leeway=60,
            )
        except jwt.PyJWTError as exc:
            raise OidcRefused("oidc.bad_token", f"the ID token is not valid: {exc}") from None
        if not secrets.compare_digest(str(claims.get("nonce", "")), nonce):
            raise OidcRefused("oidc.bad_nonce", "the ID token is not for this sign-in (nonce)")
        return claims

    def _missing_claims(self, claims: dict[str, Any]) -> bool:
        return self.settings.username_claim not in claims or self.settings.groups_claim not in claims

    async def _with_userinfo(self, url: str, access_token: str, claims: dict[str, Any]) -> dict[str, Any]:
        info = await self._get(url, headers={"Authorization": f"Bearer {access_token}"})
        if info.get("sub") != claims["sub"]:  # Core 5.3.2: else the answer is about someone else
            raise OidcRefused("oidc.bad_token", "UserInfo is about another subject")
        return {**info, **claims}

    def _person(self, claims: dict[str, Any]) -> DirectoryPerson:
        username = claims.get(self.settings.username_claim)
        if not isinstance(username, str) or not re.fullmatch(USERNAME, username):
            raise OidcRefused(
                "oidc.bad_claims",
                f"the portal's {self.settings.username_claim} is missing or not a user name "
                "(letters, digits and . _ @ -, at most 64)",
            )
        groups = claims.get(self.settings.groups_claim) or []
        if isinstance(groups, str):
            groups = [groups]
        if not isinstance(groups, list):
            raise OidcRefused("oidc.bad_claims", f"the portal's {self.settings.groups_claim} is not a list")
        name = claims.get(self.settings.name_claim)
        return DirectoryPerson(
            username=username,
            full_name=name[:200] if isinstance(name, str) else None,
            groups=tuple(str(g)[:1000] for g in groups[:500]),
            source="oidc",
        )
