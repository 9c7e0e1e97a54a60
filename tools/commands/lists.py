"""``hashdb lists``, ``create-list`` and ``update-list``."""

from __future__ import annotations

from typing import Annotated

import typer

from hashdb.errors import UsageError
from hashdb.store import HashList, ListAction, MatchingMode, NewList
from hashdb.store.models import ListSettings, Sharing
from tools.context import cells, emit_json, state

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


SharingOption = Annotated[
    Sharing | None,
    typer.Option(
        "--sharing",
        help="private (owner only), shared-read (all members match, owner writes) "
        "or shared-write (all members' analysts write too).",
    ),
]
OwnerOption = Annotated[
    str | None, typer.Option("--owner", help="Owner organisation (see `hashdb orgs`).")
]
_MODE_HELP = (
    "Which stages may match: exact (MD5/SHA-256 only), hash (also perceptual hashes within "
    "the thresholds) or robust (also edited copies confirmed geometrically)."
)
ReviewRadiusOption = Annotated[
    list[str] | None,
    typer.Option(
        "--review-radius",
        help="ALGORITHM=BITS wider than the threshold, e.g. pdq=45 (repeatable): hits between "
        "the threshold and it go to the review queue.",
    ),
]
KeepThumbnailsOption = Annotated[
    bool | None,
    typer.Option(
        "--keep-thumbnails/--no-keep-thumbnails",
        help="Keep a small thumbnail of media added to the list, for the console (off by "
        "default; turning it off deletes the list's thumbnails).",
    ),
]


def _list_dict(
    hash_list: HashList, live_entries: int, settings: ListSettings | None = None
) -> dict[str, object]:
    return {
        "name": hash_list.name,
        "description": hash_list.description,
        "action": hash_list.action.value,
        "thresholds": hash_list.thresholds,
        "matching_mode": hash_list.matching_mode.value,
        "live_entries": live_entries,
        "created_at": hash_list.created_at.isoformat(),
        **(settings or ListSettings(hash_list.id)).to_dict(),
    }


def show_lists(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per list.")] = False,
) -> None:
    """Show every list with its action, matching mode, thresholds and number of live
    entries."""
    cli = state(ctx)
    service = cli.service
    all_settings = service.store.all_list_settings()
    for hash_list in service.lists.visible(cli.principal):
        settings = all_settings.get(hash_list.id, ListSettings(hash_list.id))
        body = _list_dict(hash_list, service.store.count_entries(hash_list.id), settings)
        if as_json:
            emit_json(body)
        else:
            thresholds = " ".join(f"{k}<={v}" for k, v in sorted(hash_list.thresholds.items()))
            review = "".join(f" review:{k}<={v}" for k, v in sorted(settings.review_radius.items()))
            typer.echo(
                cells(
                    hash_list.name,
                    hash_list.action.value,
                    f"{body['live_entries']} entries",
                    f"{thresholds}{review}",
                    hash_list.description,
                    f"owner={settings.owner or '-'} {settings.sharing.value}",
                    f"mode={hash_list.matching_mode.value}"
                    + (" thumbnails" if settings.keep_thumbnails else ""),
                )
            )


def create_list(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="List name.")],
    action: Annotated[
        ListAction, typer.Option("--action", help="What a match means.")
    ] = ListAction.BLOCK,
    thresholds: ThresholdOption = None,
    description: Annotated[str, typer.Option("--description", help="What the list holds.")] = "",
    owner: OwnerOption = None,
    sharing: SharingOption = None,
    review_radius: ReviewRadiusOption = None,
    mode: Annotated[MatchingMode, typer.Option("--mode", help=_MODE_HELP)] = MatchingMode.ROBUST,
    keep_thumbnails: KeepThumbnailsOption = None,
) -> None:
    """Create a list. Without --threshold it matches PDQ<=31, MD5 and SHA-256; without
    --mode, edited copies too (robust)."""
    cli = state(ctx)
    service = cli.service
    with service.store.transaction():
        created = service.lists.create(
            NewList(
                name=name,
                description=description,
                action=action,
                thresholds=parse_thresholds(thresholds),
                matching_mode=mode,
            ),
            cli.principal,
            sharing=sharing,
            owner=owner,
        )
        if review_radius or keep_thumbnails:
            service.sharing.update(
                name,
                cli.principal,
                review_radius=parse_thresholds(review_radius),
                keep_thumbnails=keep_thumbnails,
            )
    emit_json(_list_dict(created, 0, service.store.list_settings(created.id)))


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
    owner: OwnerOption = None,
    sharing: SharingOption = None,
    review_radius: ReviewRadiusOption = None,
    mode: Annotated[MatchingMode | None, typer.Option("--mode", help=_MODE_HELP)] = None,
    keep_thumbnails: KeepThumbnailsOption = None,
) -> None:
    """Change a list's action, description, thresholds (replacing the old set), matching
    mode, owner, sharing, review radius (replacing the old set) or whether it keeps
    thumbnails."""
    cli = state(ctx)
    service = cli.service
    with service.store.transaction():
        updated = service.lists.update(
            name,
            description=description,
            action=action,
            thresholds=parse_thresholds(thresholds),
            matching_mode=mode,
            principal=cli.principal,
        )
        settings = service.store.list_settings(updated.id)
        if any(option is not None for option in (owner, sharing, review_radius, keep_thumbnails)):
            settings = service.sharing.update(
                name,
                cli.principal,
                owner=owner,
                sharing=sharing,
                review_radius=parse_thresholds(review_radius),
                keep_thumbnails=keep_thumbnails,
            )
    emit_json(_list_dict(updated, service.store.count_entries(updated.id), settings))


def register(app: typer.Typer) -> None:
    app.command("lists")(show_lists)
    app.command("create-list")(create_list)
    app.command("update-list")(update_list)
