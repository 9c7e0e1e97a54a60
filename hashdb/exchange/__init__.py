"""Bulk exchange of hash lists: JSONL, CSV and the ThreatExchange hash CSV (``te``).

One module per format turns a text stream into ``(line number, record)`` pairs and records
back into text; :mod:`hashdb.exchange.records` turns records into validated rows and entries
into records, generically over the fields of :class:`~hashdb.store.models.Entry`;
:mod:`hashdb.exchange.transfer` runs whole imports and exports against a store.
"""

from __future__ import annotations

from hashdb.exchange.formats import ExchangeFormat, detect_format
from hashdb.exchange.transfer import ImportReport, export_entries, import_records

__all__ = ["ExchangeFormat", "ImportReport", "detect_format", "export_entries", "import_records"]
