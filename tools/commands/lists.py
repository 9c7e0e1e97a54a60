"""``hashdb lists``, ``create-list`` and ``update-list``."""

from __future__ import annotations

from typing import Annotated

import typer

from hashdb.errors import UsageError
from hashdb.store import HashList, ListAction, NewList
from tools.context import current_user, emit_json, state

ThresholdOption = Annotated[
    list[str] | None,
    typer.Option(
        "--threshold",
        "-t",
        help="ALGORITHM=BITS, e.g. pdq=31 or phash=10 (repeatable); enables that algorithm.",
    ),
]


def parse_thresholds(values: list[str] | None) -> dict[str, int] | None:
    if not values:
        return None
    thresholds: dict[str, int] = {}
    for value in values:
        name, sep, bits = value.partition("=")
        if not sep or not bits.strip().isdigit():
            raise UsageError(f"--threshold takes ALGORITHM=BITS, got {value!r}")
        thresholds[name.strip().lower()] = int(bits)
    return thresholds


def _list_dict(hash_list: HashList, live_entries: int) -> dict[str, object]:
    return {
        "name": hash_list.name,
        "description": hash_list.description,
        "action": hash_list.action.value,
        "thresholds": hash_list.thresholds,
        "live_entries": live_entries,
        "created_at": hash_list.created_at.isoformat(),
    }


def show_lists(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per list.")] = False,
) -> None:
    """Show every list with its action, thresholds and number of live entries."""
    service = state(ctx).service
    for hash_list in service.lists():
        body = _list_dict(hash_list, service.store.count_entries(hash_list.id))
        if as_json:
            emit_json(body)
        else:
            thresholds = " ".join(f"{k}<={v}" for k, v in sorted(hash_list.thresholds.items()))
            typer.echo(
                f"{hash_list.name}\t{hash_list.action.value}\t{body['live_entries']} entries"
                f"\t{thresholds}\t{hash_list.description}"
            )


def create_list(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="List name.")],
    action: Annotated[
        ListAction, typer.Option("--action", help="What a match means.")
    ] = ListAction.BLOCK,
    thresholds: ThresholdOption = None,
    description: Annotated[str, typer.Option("--description", help="What the list holds.")] = "",
) -> None:
    """Create a list. Without --threshold it matches PDQ<=31, MD5 and SHA-256."""
    service = state(ctx).service
    created = service.create_list(
        NewList(
            name=name,
            description=description,
            action=action,
            thresholds=parse_thresholds(thresholds),
        ),
        current_user(),
    )
    emit_json(_list_dict(created, 0))


def update_list(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="List name.")],
    action: Annotated[
        ListAction | None, typer.Option("--action", help="What a match means.")
    ] = None,
    thresholds: ThresholdOption = None,
    description: Annotated[
        str | None, typer.Option("--description", help="What the list holds.")
    ] = None,
) -> None:
    """Change a list's action, description or thresholds (thresholds replace the old set)."""
    service = state(ctx).service
    updated = service.update_list(
        name,
        description=description,
        action=action,
        thresholds=parse_thresholds(thresholds),
        actor=current_user(),
    )
    emit_json(_list_dict(updated, service.store.count_entries(updated.id)))


def register(app: typer.Typer) -> None:
    app.command("lists")(show_lists)
    app.command("create-list")(create_list)
    app.command("update-list")(update_list)
