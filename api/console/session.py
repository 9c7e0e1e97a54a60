"""The console's session: a signed cookie, the CSRF token in it, and the security headers.

The cookie holds a random session id, the session's CSRF token, the id of the API key that
signed in (never the key) and when; it is signed with ``itsdangerous`` and expires
``HASHDB_CONSOLE_SESSION_HOURS`` after it was issued (the signature's timestamp says when).
Every request re-checks that the key is still active (:mod:`api.console.viewer`), so revoking
a key signs its sessions out at once. Every visitor gets a session, signed in or not, so the
sign-in form has a CSRF token too.

Cookie: ``HttpOnly`` (no script reads it), ``SameSite=Strict`` (no other site's page sends
it), its path the console's (``/console``), and ``Secure`` when the request came over https.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from typing import Any

from itsdangerous import BadSignature, URLSafeTimedSerializer
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

COOKIE = "hashdb_console"
SCOPE_KEY = "console_session"

#: Pages run only the console's own script and style, load pictures only from the console or
#: from data/blob URLs (the upload under test), post forms only to the console, and are never
#: framed: a CDN or any other host is refused by the browser itself.
SECURITY_HEADERS = {
    "content-security-policy": (
        "default-src 'self'; img-src 'self' data: blob:; style-src 'self'; "
        "script-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
        "frame-ancestors 'none'"
    ),
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
    "cache-control": "no-store",
}


@dataclass
class Session:
    """One browser's session; ``changed`` sends a new cookie with the response."""

    sid: str = field(default_factory=lambda: secrets.token_urlsafe(16))
    csrf: str = field(default_factory=lambda: secrets.token_urlsafe(32))
    key_id: int | None = None
    changed: bool = True
    #: Set when a revoked key was found on it: the next sign-in page says so.
    notice: str | None = None

    def sign_in(self, key_id: int) -> None:
        """A new session id and CSRF token for the signed-in session (nothing from before
        signing in carries over)."""
        self.sid = secrets.token_urlsafe(16)
        self.csrf = secrets.token_urlsafe(32)
        self.key_id = key_id
        self.notice = None
        self.changed = True

    def sign_out(self, notice: str | None = None) -> None:
        self.sid = secrets.token_urlsafe(16)
        self.csrf = secrets.token_urlsafe(32)
        self.key_id = None
        self.notice = notice
        self.changed = True

    def check_csrf(self, token: str | None) -> bool:
        return token is not None and secrets.compare_digest(token, self.csrf)

    def dump(self) -> dict[str, Any]:
        body: dict[str, Any] = {"sid": self.sid, "csrf": self.csrf, "key": self.key_id}
        if self.notice:
            body["notice"] = self.notice
        return body

    @classmethod
    def load(cls, body: object) -> Session | None:
        if not isinstance(body, dict):
            return None
        sid, csrf, key_id = body.get("sid"), body.get("csrf"), body.get("key")
        if not isinstance(sid, str) or not isinstance(csrf, str):
            return None
        if key_id is not None and not isinstance(key_id, int):
            return None
        notice = body.get("notice")
        return cls(sid, csrf, key_id, False, notice if isinstance(notice, str) else None)


class SessionMiddleware:
    """Pure ASGI: loads the session into the scope, writes it back when it changed, and
    adds the security headers to every console response."""

    def __init__(self, app: ASGIApp, *, secret: str, max_age: float) -> None:
        self.app = app
        self.max_age = max_age
        self.serializer = URLSafeTimedSerializer(secret, salt="hashdb.console.session")

    def _read(self, scope: Scope) -> Session:
        for name, value in scope.get("headers", ()):
            if name == b"cookie":
                cookie: SimpleCookie = SimpleCookie()
                try:
                    cookie.load(value.decode("latin-1"))
                except Exception:  # a malformed Cookie header is a visitor without a session
                    continue
                morsel = cookie.get(COOKIE)
                if morsel is None:
                    continue
                try:
                    body = self.serializer.loads(morsel.value, max_age=round(self.max_age))
                except BadSignature:  # forged, or expired (SignatureExpired is a subclass)
                    continue
                loaded = Session.load(body)
                if loaded is not None:
                    return loaded
        return Session()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        session = self._read(scope)
        scope[SCOPE_KEY] = session
        secure = scope.get("scheme") == "https"
        path = scope.get("root_path") or "/"

        async def send_with_session(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in SECURITY_HEADERS.items():
                    headers.setdefault(name, value)
                if session.changed:
                    value = self.serializer.dumps(session.dump())
                    attributes = [
                        f"{COOKIE}={value}",
                        f"Path={path}",
                        f"Max-Age={int(self.max_age)}",
                        "HttpOnly",
                        "SameSite=Strict",
                    ]
                    if secure:
                        attributes.append("Secure")
                    headers.append("set-cookie", "; ".join(attributes))
            await send(message)

        await self.app(scope, receive, send_with_session)


def session_of(scope: Scope) -> Session:
    session = scope.get(SCOPE_KEY)
    assert isinstance(session, Session), "the console's routes run under SessionMiddleware"
    return session
