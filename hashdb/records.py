"""Plain-dict views of stored records, shared by the audit log, the API and the CLI."""

from __future__ import annotations

from typing import Any

from hashdb.store.models import AuditRecord, Entry, HashList


def list_record(hash_list: HashList) -> dict[str, Any]:
    return {
        "name": hash_list.name,
        "description": hash_list.description,
        "action": hash_list.action.value,
        "thresholds": dict(hash_list.thresholds),
        "created_at": hash_list.created_at.isoformat(),
        "updated_at": hash_list.updated_at.isoformat(),
    }


def entry_record(entry: Entry) -> dict[str, Any]:
    return {
        "entry_id": entry.id,
        "list": entry.list_name,
        "algorithm": entry.algorithm,
        "hash": entry.hex,
        "quality": entry.quality,
        "label": entry.label,
        "note": entry.note,
        "added_by": entry.added_by,
        "added_at": entry.added_at.isoformat(),
        "source_sha256": entry.source_sha256,
        "retired_at": entry.retired_at.isoformat() if entry.retired_at else None,
        "retired_reason": entry.retired_reason,
        "retired_by": entry.retired_by,
        "organisation": entry.organisation,
        "source": entry.source,
        "labels": list(entry.labels),
    }


def audit_record(record: AuditRecord) -> dict[str, Any]:
    return {
        "id": record.id,
        "at": record.at.isoformat(),
        "actor": record.actor,
        "action": record.action,
        "target_type": record.target_type,
        "target_id": record.target_id,
        "before": record.before,
        "after": record.after,
    }
