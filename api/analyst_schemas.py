"""Request bodies of the analyst routes (organisations, sharing, labels, review, feedback)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, StringConstraints

from api.models.common import RequestBody

#: Free text without NUL characters (PostgreSQL refuses them), bounded.
Text = Annotated[str, StringConstraints(max_length=2000, pattern=r"^[^\x00]*$")]
Name = Annotated[str, StringConstraints(min_length=1, max_length=200, pattern=r"^[^\x00]*$")]
Label = Annotated[str, StringConstraints(min_length=3, max_length=265, pattern=r"^[^\x00]*$")]
#: Path ids fit a signed 64-bit integer, so no id reaches the database as an overflow.
MAX_ID = 2**63 - 1


class OrganisationIn(RequestBody):
    name: Name
    description: Text = ""


class SharingIn(RequestBody):
    sharing: Literal["private", "shared-read", "shared-write"] | None = Field(
        default=None, description="Who besides the owner sees (and writes) the list."
    )
    owner: Name | None = Field(default=None, description="Hand the list to this organisation.")
    review_radius: dict[Annotated[str, StringConstraints(max_length=32)], int] | None = Field(
        default=None,
        description="Algorithm -> radius wider than the threshold; replaces the old set.",
    )
    keep_thumbnails: bool | None = Field(
        default=None,
        description="Keep a small thumbnail of media added to the list, for the console; "
        "false deletes the list's thumbnails.",
    )


class VocabularyIn(RequestBody):
    facet: Annotated[str, StringConstraints(min_length=1, max_length=64)]
    values: list[Annotated[str, StringConstraints(min_length=1, max_length=200)]] = Field(
        min_length=1, max_length=1000
    )
    description: Text = ""


class EntryLabelsIn(RequestBody):
    add: list[Label] = Field(default=[], max_length=100)
    remove: list[Label] = Field(default=[], max_length=100)


class FeedbackIn(RequestBody):
    verdict: Literal["agree", "disagree"]
    reason: Text | None = None


class ReviewConfirmIn(RequestBody):
    list_name: Name | None = Field(
        default=None, alias="list", description="Target list (default: the item's)."
    )
    note: Text | None = None
    labels: list[Label] = Field(default=[], max_length=100)


class ReviewAllowIn(RequestBody):
    list_name: Name = Field(
        alias="list", description="The allow list (created with action allow if missing)."
    )
    note: Text | None = None


class ReviewDismissIn(RequestBody):
    note: Text | None = None
