"""What one run of the pipeline takes: the query (hashes, and pixels or frames when the media
was decoded here) and its scope (the lists it runs against, for whom, with which filters)."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass

from hashdb.hashing import Digest
from hashdb.hashing.vpdq import HashedVideo
from hashdb.identity import Principal
from hashdb.matching.policy import LabelFilter
from hashdb.media import PreparedImage
from hashdb.store.models import HashList, ListSettings


@dataclass(frozen=True)
class Query:
    """The hashes of one piece of media; the robust stages also look at an image's pixels,
    the video stage at a video's sampled frames (a hash-only query has neither)."""

    digests: Sequence[Digest]
    image: PreparedImage | None = None
    video: HashedVideo | None = None


@dataclass(frozen=True)
class Scope:
    """The lists one query runs against on behalf of ``caller``."""

    caller: Principal
    #: The candidate lists by id: the visible ones asked for, plus every visible allow list.
    lists: dict[int, HashList]
    #: The same lists by name for the stages; None when every list takes part.
    names: Collection[str] | None
    #: Every list's sharing settings (review radius, owner), as the near-miss step needs.
    settings: dict[int, ListSettings]
    labels: LabelFilter | None = None
