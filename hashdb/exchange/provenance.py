"""Who imported entries are recorded as added by, when the importer is not an operator.

An operator's import keeps the provenance a file carries (``organisation``, ``added_by``,
``added_at``, ``retired_by``): that is how one deployment copies another. Anyone else is
recorded as the one who added every entry, at the time of the import; what the file claimed
is returned for the import's audit record, never stored on the entries.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from hashdb.store.exchange import ImportRow
from hashdb.store.plain_import import PlainRows

#: Entry fields that say who added or retired an entry, and when it was added.
PROVENANCE = ("organisation", "added_by", "added_at", "retired_by")
#: Distinct claimed values of a field kept for the audit record.
MAX_CLAIMS = 50


@dataclass(frozen=True, slots=True)
class Importer:
    """The importing caller: its key's name and organisation (None: a deployment key)."""

    name: str
    organisation: str | None

    def stamp(self, rows: Sequence[ImportRow]) -> dict[str, set[str]]:
        """Record ``rows`` as this importer's (``added_at`` left to the import's time);
        returns the values the file claimed instead, by field."""
        claims: dict[str, set[str]] = {}
        for row in rows:
            fields = row.fields
            for name in PROVENANCE:
                claimed = fields.pop(name, None)
                if claimed is not None:
                    claims.setdefault(name, set()).add(str(claimed))
            fields["organisation"] = self.organisation
            fields["added_by"] = self.name
            if fields.get("retired_at") is not None:
                fields["retired_by"] = self.name
        return claims

    def stamp_plain(self, batches: Sequence[PlainRows]) -> list[PlainRows]:
        """Plain rows (algorithm, hash, label, note) recorded as this importer's; they carry
        no provenance to claim."""
        mine = {"added_by": self.name}
        if self.organisation is not None:
            mine["organisation"] = self.organisation
        return [
            replace(batch, variants=[{**variant, **mine} for variant in batch.variants])
            for batch in batches
        ]


def claimed(claims: dict[str, set[str]]) -> dict[str, list[str]]:
    """The claims as the audit record keeps them: a few sorted values of each field."""
    return {name: sorted(values)[:MAX_CLAIMS] for name, values in sorted(claims.items())}
