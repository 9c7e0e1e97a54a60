"""``hashdb video-rule``: the shares of time a video-to-video match needs on a list."""

from __future__ import annotations

from typing import Annotated

import typer

from tools.context import emit_json, state


def video_rule(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="List name.")],
    min_query_share: Annotated[
        float | None,
        typer.Option(
            "--min-query-share",
            min=0.0,
            max=1.0,
            help="Share (0-1) of the query video's time that must match the known video.",
        ),
    ] = None,
    min_reference_share: Annotated[
        float | None,
        typer.Option(
            "--min-reference-share",
            min=0.0,
            max=1.0,
            help="Share (0-1) of the known video's time the query must cover (0: clips match).",
        ),
    ] = None,
) -> None:
    """Show a list's video match rule, or set it with the options (unset ones are kept)."""
    cli = state(ctx)
    service = cli.service
    rule = service.lists.video_rule(name, cli.principal)
    if min_query_share is not None or min_reference_share is not None:
        rule = service.lists.set_video_rule(
            name,
            rule.min_query_share if min_query_share is None else min_query_share,
            rule.min_reference_share if min_reference_share is None else min_reference_share,
            principal=cli.principal,
        )
    emit_json(
        {
            "list": name,
            "min_query_share": rule.min_query_share,
            "min_reference_share": rule.min_reference_share,
        }
    )


def register(app: typer.Typer) -> None:
    app.command("video-rule")(video_rule)
