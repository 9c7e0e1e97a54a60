"""API keys: create, list, revoke, and authenticate a presented key into a :class:`Principal`.

A key is ``hdb_`` followed by 43 URL-safe random characters (256 bits from :mod:`secrets`).
The store keeps the first 12 characters as a lookup prefix and the key's SHA-256; comparing
digests with :func:`hmac.compare_digest` keeps the check constant-time. A high-entropy random
key needs no slow password hash: nobody can guess it from its SHA-256.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass

from hashdb.errors import Forbidden, InvalidValue, KeyNotFound, Unauthorized
from hashdb.identity import Principal, Role
from hashdb.store.base import Store
from hashdb.store.models import ApiKey, NewApiKey

KEY_SCHEME = "hdb_"
PREFIX_LENGTH = 12


def generate_key() -> str:
    return KEY_SCHEME + secrets.token_urlsafe(32)


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def key_prefix(key: str) -> str:
    return key[:PREFIX_LENGTH]


@dataclass(frozen=True)
class CreatedKey:
    """A new key's record and, this once, the key itself."""

    record: ApiKey
    key: str


@dataclass(frozen=True, slots=True)
class _Checked:
    """A key found good: when, at which change sequence, and who it is."""

    at: float
    seq: int
    principal: Principal


class KeyService:
    """Every action on API keys; writes are audited in the same transaction.

    :meth:`authenticate` trusts a key it checked for ``cache_seconds``, and only while
    ``latest_change`` (the newest change sequence this process knows of) has not moved since.
    A revocation is a change: it takes effect at once in the process that makes it, and in
    every other one as soon as that process learns the sequence moved (PostgreSQL: notified
    on commit; SQLite: within ``refresh_interval``), at the latest after ``cache_seconds``.
    """

    def __init__(
        self,
        store: Store,
        cache_seconds: float = 0.0,
        latest_change: Callable[[], int] | None = None,
    ) -> None:
        self.store = store
        self.cache_seconds = cache_seconds
        self._latest_change = latest_change
        self._cache: dict[str, _Checked] = {}

    def create(
        self,
        name: str,
        role: Role,
        *,
        organisation: str | None = None,
        principal: Principal,
    ) -> CreatedKey:
        """A new key. An operator makes keys of any organisation or of none; an organisation
        admin only keys of its own organisation (the default when it names none)."""
        name = name.strip()
        if not name:
            raise InvalidValue("an API key needs a name (who or what uses it)")
        organisation = organisation.strip() if organisation else None
        _check_admin(principal)
        if not principal.is_operator:
            if organisation not in (None, principal.organisation):
                raise Forbidden(
                    f"an admin of {principal.organisation} makes keys of "
                    f"{principal.organisation} only"
                )
            organisation = principal.organisation
        key = generate_key()
        with self.store.transaction():
            record = self.store.create_key(
                NewApiKey(
                    name=name,
                    role=Role(role),
                    prefix=key_prefix(key),
                    key_hash=hash_key(key),
                    organisation=organisation or None,
                    created_by=principal.name,
                )
            )
            self.store.record_audit(
                principal.name,
                "key.create",
                "key",
                str(record.id),
                after=record.to_dict(),
                organisation=record.organisation,
            )
        return CreatedKey(record, key)

    def list(self, principal: Principal, *, include_revoked: bool = True) -> list[ApiKey]:
        """Every key for an operator; its organisation's keys for an organisation admin."""
        _check_admin(principal)
        return [
            key
            for key in self.store.list_keys(include_revoked=include_revoked)
            if _administers(principal, key)
        ]

    def revoke(self, key_id: int, *, principal: Principal) -> ApiKey:
        """Revoke a key: refused at once by this process, and by every other one as soon as it
        learns of the change the revocation writes (``cache_seconds`` at the latest)."""
        _check_admin(principal)
        with self.store.transaction():
            before = self.store.get_key(key_id)
            if not _administers(principal, before):  # another organisation's: not found
                raise KeyNotFound(f"no API key with id {key_id}", key_id=key_id)
            revoked = self.store.revoke_key(key_id, principal.name)
            self._cache.clear()
            self.store.record_audit(
                principal.name,
                "key.revoke",
                "key",
                str(key_id),
                before=before.to_dict(),
                after=revoked.to_dict(),
                organisation=revoked.organisation,
            )
        return revoked

    def has_active_keys(self) -> bool:
        return bool(self.store.list_keys(include_revoked=False))

    def authenticate(self, key: str) -> Principal:
        """The principal a presented key acts as, or :class:`Unauthorized`."""
        digest = hash_key(key)
        now = time.monotonic()
        seq = 0
        if self.cache_seconds > 0 and self._latest_change is not None:
            seq = self._latest_change()  # read before the key: a later revocation moves it
        cached = self._cache.get(digest)
        if cached is not None and now - cached.at < self.cache_seconds and cached.seq == seq:
            return cached.principal
        principal = self.identify(key).principal
        if self.cache_seconds > 0:
            if len(self._cache) > 10_000:
                self._cache.clear()
            self._cache[digest] = _Checked(now, seq, principal)
        return principal

    def identify(self, key: str) -> ApiKey:
        """The active key record a presented key belongs to, or :class:`Unauthorized`
        (uncached: signing in to the console checks the database every time)."""
        if not key.startswith(KEY_SCHEME) or len(key) < PREFIX_LENGTH + 8:
            raise Unauthorized("the API key is not valid")
        record = self.store.key_by_prefix(key_prefix(key))
        if record is None or not hmac.compare_digest(record.key_hash, hash_key(key)):
            raise Unauthorized("the API key is not valid")
        if not record.active:
            raise Unauthorized("the API key has been revoked")
        return record

    def active(self, key_id: int) -> ApiKey:
        """A key by id while it is active (a console session re-checks its key on every
        request): :class:`Unauthorized` once it is revoked or gone."""
        try:
            record = self.store.get_key(key_id)
        except KeyNotFound:
            raise Unauthorized("the API key no longer exists") from None
        if not record.active:
            raise Unauthorized("the API key has been revoked")
        return record


def _check_admin(principal: Principal) -> None:
    if not principal.has(Role.ADMIN):
        raise Forbidden(f"managing API keys needs the admin role; you have {principal.role.value}")


def _administers(principal: Principal, key: ApiKey) -> bool:
    """Operators manage every key; an organisation admin the keys of its organisation."""
    return principal.is_operator or (
        principal.organisation is not None and key.organisation == principal.organisation
    )
