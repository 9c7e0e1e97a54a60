"""``hashdb hash``: print the hashes of media files."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from hashdb.errors import HashDBError
from tools.context import emit_json, error_line, state


def hash_files(
    ctx: typer.Context,
    files: Annotated[list[Path], typer.Argument(help="Media files to hash.", show_default=False)],
    as_json: Annotated[
        bool, typer.Option("--json", help="One JSON object per file per line.")
    ] = False,
    algorithm: Annotated[
        list[str] | None,
        typer.Option("--algorithm", "-a", help="Only these algorithms (repeatable)."),
    ] = None,
    frames: Annotated[
        bool,
        typer.Option("--frames", help="Videos: also list every sampled frame (time, PDQ)."),
    ] = False,
) -> None:
    """Print the PDQ, pHash, dHash, MD5 and SHA-256 hashes of each file."""
    service = state(ctx).service
    failed = 0
    for path in files:
        try:
            hashes = service.media.hash_file(path, algorithm or None)
        except HashDBError as error:
            failed += 1
            if as_json:
                emit_json({"path": str(path), "error": error.to_dict()})
            else:
                typer.echo(f"{path}: {error_line(error)}", err=True)
            continue
        if as_json:
            extra = {"frames": hashes.frames_dict()} if frames and hashes.video else {}
            emit_json({"path": str(path), **hashes.to_dict(), **extra})
        else:
            for warning in hashes.warnings:
                typer.echo(f"{path}: warning: {warning}", err=True)
            for digest in hashes.digests:
                quality = f" quality={digest.quality}" if digest.quality is not None else ""
                typer.echo(f"{path}\t{digest.algorithm}\t{digest.hex}{quality}")
            if hashes.video is not None:
                body = hashes.to_dict()
                typer.echo(
                    f"{path}\tvpdq\t{body['hashes']['vpdq']} frames={len(hashes.video.frames)}"
                    f" duration={hashes.video.duration}s"
                )
                for frame in hashes.frames_dict() if frames else []:
                    typer.echo(
                        f"{path}\tframe@{frame['timestamp']:.3f}s\t{frame['pdq']} "
                        f"quality={frame['quality']}"
                    )
    if failed:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    app.command("hash")(hash_files)
