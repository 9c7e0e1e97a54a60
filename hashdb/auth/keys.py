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
from dataclasses import dataclass

from hashdb.errors import InvalidValue, Unauthorized
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


class KeyService:
    """Every action on API keys; writes are audited in the same transaction.

    :meth:`authenticate` remembers a good key for ``cache_seconds``: revoking a key takes
    effect at once in this process and within that time in every other one.
    """

    def __init__(self, store: Store, cache_seconds: float = 0.0) -> None:
        self.store = store
        self.cache_seconds = cache_seconds
        self._cache: dict[str, tuple[float, Principal]] = {}

    def create(
        self,
        name: str,
        role: Role,
        *,
        organisation: str | None = None,
        actor: Principal | None = None,
    ) -> CreatedKey:
        name = name.strip()
        if not name:
            raise InvalidValue("an API key needs a name (who or what uses it)")
        organisation = organisation.strip() if organisation else None
        key = generate_key()
        with self.store.transaction():
            record = self.store.create_key(
                NewApiKey(
                    name=name,
                    role=Role(role),
                    prefix=key_prefix(key),
                    key_hash=hash_key(key),
                    organisation=organisation or None,
                    created_by=actor.name if actor else None,
                )
            )
            self.store.record_audit(
                actor.name if actor else None,
                "key.create",
                "key",
                str(record.id),
                after=record.to_dict(),
            )
        return CreatedKey(record, key)

    def list(self, *, include_revoked: bool = True) -> list[ApiKey]:
        return self.store.list_keys(include_revoked=include_revoked)

    def revoke(self, key_id: int, *, actor: Principal | None = None) -> ApiKey:
        with self.store.transaction():
            before = self.store.get_key(key_id)
            revoked = self.store.revoke_key(key_id, actor.name if actor else None)
            self._cache.clear()
            self.store.record_audit(
                actor.name if actor else None,
                "key.revoke",
                "key",
                str(key_id),
                before=before.to_dict(),
                after=revoked.to_dict(),
            )
        return revoked

    def has_active_keys(self) -> bool:
        return bool(self.store.list_keys(include_revoked=False))

    def authenticate(self, key: str) -> Principal:
        """The principal a presented key acts as, or :class:`Unauthorized`."""
        if not key.startswith(KEY_SCHEME) or len(key) < PREFIX_LENGTH + 8:
            raise Unauthorized("the API key is not valid")
        digest = hash_key(key)
        now = time.monotonic()
        cached = self._cache.get(digest)
        if cached is not None and now - cached[0] < self.cache_seconds:
            return cached[1]
        record = self.store.key_by_prefix(key_prefix(key))
        if record is None or not hmac.compare_digest(record.key_hash, digest):
            raise Unauthorized("the API key is not valid")
        if not record.active:
            raise Unauthorized("the API key has been revoked")
        principal = Principal(name=record.name, role=record.role, organisation=record.organisation)
        if self.cache_seconds > 0:
            if len(self._cache) > 10_000:
                self._cache.clear()
            self._cache[digest] = (now, principal)
        return principal
