"""Bulk exchange of hash lists: JSONL, CSV and the ThreatExchange hash CSV (``te``).

One module per format turns a text stream into ``(line number, record)`` pairs and records
back into text; :mod:`hashdb.exchange.records` turns records into validated rows and entries
into records, generically over the fields of :class:`~hashdb.store.models.Entry`;
:mod:`hashdb.exchange.transfer` runs whole imports and exports against a store.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from hashdb.exchange.formats import ExchangeFormat, detect_format

if TYPE_CHECKING:
    from hashdb.exchange.transfer import ImportReport, export_entries, import_records

_TRANSFER = {"ImportReport", "export_entries", "import_records"}


def __getattr__(name: str) -> Any:
    # Transfers pull in the store and pyarrow; the formats alone are light.
    if name in _TRANSFER:
        from hashdb.exchange import transfer

        return getattr(transfer, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["ExchangeFormat", "ImportReport", "detect_format", "export_entries", "import_records"]
