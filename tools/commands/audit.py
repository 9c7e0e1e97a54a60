"""``hashdb audit``: read the audit log."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Annotated

import typer

from hashdb.errors import UsageError
from hashdb.store.models import AUDIT_TARGETS
from tools.context import emit_json, state

_TARGETS = ", ".join(sorted(AUDIT_TARGETS))


def audit(
    ctx: typer.Context,
    target_type: Annotated[
        str | None,
        typer.Option(
            "--type", help="Only this kind of target: " + ", ".join(sorted(AUDIT_TARGETS)) + "."
        ),
    ] = None,
    target_id: Annotated[
        str | None, typer.Option("--target", help="Only this target (list name, entry id).")
    ] = None,
    since: Annotated[
        str | None, typer.Option("--since", help="Only records at or after this ISO time.")
    ] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, help="At most this many.")] = 1000,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per record.")] = False,
) -> None:
    """Who changed what and when, with the state before and after; oldest first."""
    if target_type is not None and target_type not in AUDIT_TARGETS:
        raise UsageError(
            f"--type takes one of {', '.join(sorted(AUDIT_TARGETS))}; got {target_type!r}"
        )
    start = None
    if since is not None:
        try:
            start = datetime.fromisoformat(since)
        except ValueError:
            raise UsageError(f"--since takes an ISO 8601 time, got {since!r}") from None
    cli = state(ctx)
    records = cli.service.audit.records(
        cli.principal, target_type=target_type, target_id=target_id, since=start, limit=limit
    )
    for record in records:
        if as_json:
            emit_json(record.to_dict())
            continue
        change = json.dumps(record.after if record.after is not None else record.before)
        typer.echo(
            f"{record.at.isoformat()}\t{record.actor or '-'}\t{record.action}\t"
            f"{record.target_type}:{record.target_id}\t{change}"
        )


def register(app: typer.Typer) -> None:
    app.command("audit")(audit)
