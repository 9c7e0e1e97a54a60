"""``hashdb items``, ``item`` and ``restore``: media items (a file, or a raw hash added alone)
and their hashes, which ``retire`` and ``label`` act on as one."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import typer

from hashdb.errors import UsageError
from hashdb.store.models import Item, ItemQuery
from tools.context import emit_json, state

JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON lines.")]


def search_items(
    ctx: typer.Context,
    list_name: Annotated[str | None, typer.Option("--list", "-l", help="Only this list.")] = None,
    label: Annotated[
        str | None, typer.Option("--label", help="A free-text or FACET:VALUE label.")
    ] = None,
    added_after: Annotated[
        datetime | None, typer.Option("--added-after", help="Only items added after (UTC).")
    ] = None,
    hash_hex: Annotated[
        str | None, typer.Option("--hash", help="Any hash of the item, or its file's SHA-256.")
    ] = None,
    live: Annotated[bool, typer.Option("--live", help="Only items not retired.")] = False,
    limit: Annotated[int, typer.Option("--limit", min=1, max=1000, help="At most this many.")] = 50,
    after: Annotated[int, typer.Option("--after", min=0, help="Items with a larger id.")] = 0,
    as_json: JsonOption = False,
) -> None:
    """Search items (a piece of media or a raw hash, with its hashes), oldest first."""
    cli = state(ctx)
    value = None
    if hash_hex is not None:
        try:
            value = bytes.fromhex(hash_hex.strip())
        except ValueError:
            raise UsageError(f"--hash is not hexadecimal: {hash_hex!r}") from None
    found = cli.service.items.search(
        ItemQuery(
            list_name=list_name,
            label=label,
            added_after=added_after.astimezone() if added_after else None,
            hash=value,
            include_retired=not live,
            after_id=after,
            limit=limit,
        ),
        cli.principal,
    )
    for item in found:
        if as_json:
            emit_json(item.to_dict())
        else:
            typer.echo(_summary(item))


def show_item(
    ctx: typer.Context,
    item_id: Annotated[int, typer.Argument(help="Item id.")],
    as_json: JsonOption = False,
) -> None:
    """Show one item: its hashes, provenance, labels, feedback and audit trail."""
    cli = state(ctx)
    detail = cli.service.items.detail(item_id, cli.principal)
    if as_json:
        emit_json(detail.to_dict())
        return
    item = detail.item
    typer.echo(_summary(item))
    for key in ("source_sha256", "organisation", "added_by", "source", "label", "note"):
        value = getattr(item, key)
        if value:
            typer.echo(f"{key}: {value}")
    if item.labels:
        typer.echo(f"labels: {', '.join(item.labels)}")
    if item.retired_at:
        typer.echo(f"retired: {item.retired_at.isoformat()} by {item.retired_by or '-'}")
        typer.echo(f"reason: {item.retired_reason}")
    for entry in item.entries:
        state_text = "live" if entry.live else "retired"
        typer.echo(f"  entry {entry.id}\t{entry.algorithm}\t{entry.hex}\t{state_text}")
    typer.echo(f"feedback: {detail.feedback.agree} agree, {detail.feedback.disagree} disagree")
    for record in detail.audit:
        typer.echo(f"  {record.at.isoformat()}\t{record.actor or '-'}\t{record.action}")


def restore(
    ctx: typer.Context,
    item_id: Annotated[int, typer.Argument(help="Item id (see `hashdb entry` or `items`).")],
    as_json: JsonOption = False,
) -> None:
    """Restore a retired item: the hashes retired with it match again at once."""
    cli = state(ctx)
    item = cli.service.items.restore(item_id, principal=cli.principal)
    if as_json:
        emit_json(item.to_dict())
    else:
        typer.echo(_summary(item))


def _summary(item: Item) -> str:
    state_text = "live" if item.live else "retired"
    live = sum(1 for entry in item.entries if entry.live)
    return (
        f"item {item.id}\t{item.list_name}\t{item.kind.value}\t{state_text}"
        f"\t{live}/{len(item.entries)} hashes live\t{item.label or ''}"
    ).rstrip()


def register(app: typer.Typer) -> None:
    app.command("items")(search_items)
    app.command("item")(show_item)
    app.command("restore")(restore)
