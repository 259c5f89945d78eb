"""Login sessions, their tokens and lifetimes, and the RSA key for encrypted passwords.

The model (REFERENCE §2, §3, §11):

- ``CST`` identifies a login session; ``X-SECURITY-TOKEN`` identifies the active account within it. A session
  owns several account tokens: login issues one for the preferred account, and every ``PUT /session`` issues a
  new one bound to the new account. Tokens issued earlier stay valid and keep addressing their own account,
  so concurrent users of one session are not broken by a switch. Whether the real API does this is open
  (REFERENCE §6, §10): with the knob ``account_switch_scope="session"`` a switch instead moves the whole
  session, its token unchanged, and every token of the CST addresses the new account from then on.
- A session dies after ``session_idle_seconds`` without use (any authenticated request is a use) or
  ``session_max_seconds`` after login, whichever comes first, on ``DELETE /session``, on an injected
  ``expired_session`` fault, and (knob ``single_session_per_user``) when its user logs in again.
- The encryption key is one RSA-2048 pair per simulator start; an encrypted password is
  ``base64(RSA-PKCS#1-v1.5(base64(password + "|" + timeStamp)))`` (REFERENCE §5).
"""

from __future__ import annotations

import base64
import binascii
import secrets
from dataclasses import dataclass, field

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from capital_pipeline.simulator.config import SimulatorUser
from capital_pipeline.simulator.responses import ApiError

__all__ = ["Authenticated", "EncryptionKey", "LoginSession", "SessionStore"]


class EncryptionKey:
    """The key pair behind ``GET /session/encryptionKey``."""

    def __init__(self) -> None:
        self._private_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        der = self._private_key.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        self.public_key_base64 = base64.b64encode(der).decode("ascii")

    def decrypt_password(self, encrypted: str) -> tuple[str, int] | None:
        """``(password, timeStamp)`` from an encrypted password field, or ``None`` if it does not decrypt."""
        try:
            ciphertext = base64.b64decode(encrypted, validate=True)
            encoded = self._private_key.decrypt(ciphertext, padding.PKCS1v15())
            password, _, stamp = base64.b64decode(encoded, validate=True).decode("utf-8").rpartition("|")
            return password, int(stamp)
        except (ValueError, binascii.Error, UnicodeDecodeError):
            return None


@dataclass(eq=False)
class LoginSession:
    """One ``CST``: its user, its account tokens and its clock."""

    user: SimulatorUser
    created: float
    last_used: float
    account_tokens: dict[str, str] = field(default_factory=dict, repr=False)
    # The session's active account: what every token addresses when a switch moves the whole session.
    active_account_id: str = ""
    cst: str = field(default_factory=lambda: secrets.token_urlsafe(24), repr=False)
    ended: bool = False


@dataclass(frozen=True)
class Authenticated:
    """A request whose tokens check out: the session and the account its ``X-SECURITY-TOKEN`` addresses."""

    session: LoginSession
    security_token: str = field(repr=False)
    account_id: str


class SessionStore:
    """Every session of the running simulator, looked up by ``CST``."""

    def __init__(self) -> None:
        self._sessions: dict[str, LoginSession] = {}
        # Every token handed out, for tests that search logs and tables for leaks (``/_simulator/tokens``).
        self.issued: list[str] = []

    def open(
        self, user: SimulatorUser, account_id: str, now: float, *, single_session: bool
    ) -> Authenticated:
        """Start a session for ``user`` on ``account_id``; with ``single_session`` earlier ones end."""
        # Dead sessions are dropped here, at most once per login (logins are limited to 1/s per key).
        self._sessions = {cst: s for cst, s in self._sessions.items() if not s.ended}
        if single_session:
            for session in self._sessions.values():
                if session.user is user:
                    session.ended = True
        session = LoginSession(user=user, created=now, last_used=now, active_account_id=account_id)
        self._sessions[session.cst] = session
        self.issued.append(session.cst)
        return self.issue_account_token(session, account_id)

    def switch(self, auth: Authenticated, account_id: str, *, whole_session: bool) -> Authenticated:
        """``PUT /session``: a new token bound to ``account_id``, or (``whole_session``) the same token with
        the whole session moved to ``account_id``."""
        auth.session.active_account_id = account_id
        if whole_session:
            return Authenticated(auth.session, auth.security_token, account_id)
        return self.issue_account_token(auth.session, account_id)

    def issue_account_token(self, session: LoginSession, account_id: str) -> Authenticated:
        """A new ``X-SECURITY-TOKEN`` in ``session`` bound to ``account_id`` (login and ``PUT /session``)."""
        token = secrets.token_urlsafe(24)
        session.account_tokens[token] = account_id
        self.issued.append(token)
        return Authenticated(session, token, account_id)

    def authenticate(
        self,
        cst: str | None,
        security_token: str | None,
        now: float,
        idle: float,
        lifetime: float,
        *,
        whole_session_switches: bool = False,
    ) -> Authenticated:
        """Check both tokens and mark the session used; raise the API's error otherwise (REFERENCE §11)."""
        if not cst:
            raise ApiError(400, "error.null.client.token")
        if not security_token:
            raise ApiError(400, "error.null.security.token")
        session = self._sessions.get(cst)
        if session is None or session.ended:
            raise ApiError(401, "error.invalid.session.token")
        if now - session.last_used > idle or now - session.created > lifetime:
            session.ended = True
            raise ApiError(401, "error.invalid.session.token")
        account_id = session.account_tokens.get(security_token)
        if account_id is None:
            raise ApiError(401, "error.invalid.session.token")
        session.last_used = now
        if whole_session_switches:
            account_id = session.active_account_id
        return Authenticated(session, security_token, account_id)
