"""Turned and mirrored copies of a picture that is its own mirror image but for a detail.

An A is symmetric; its accent is not. Mirror an À and it is an Á, pixel for pixel: a
mirrored upload of one is the other, and no comparison can tell an edited copy of the
known Á from the lawful À beside it. The same holds for a picture that looks the same
turned upside down but for a mark (a flag's emblem, a face's tear). So a match reached
only through a turn or a mirror image is refused when the reference, turned or mirrored
the same way, would agree with itself everywhere but in a few cells: what the upload
shows is then as much the reference's sibling as its edited copy. A reference that is
wholly symmetric (its mirror image is itself) or plainly asymmetric (a photo, a line of
words) is not affected.
"""

from __future__ import annotations

import math

import cv2
import numpy as np

from hashdb.matching.robust import content

#: At most this share of cells may differ between the reference and its own turned or
#: mirrored copy for that copy to count as "the same picture but for a detail".
NEAR_SHARE = 0.07
#: A fitted rotation within this many degrees of a quarter turn counts as that turn.
_QUARTER_SLACK = 20.0


def quarter_turns(model: np.ndarray | None) -> int:
    """How many quarter turns clockwise (0-3) a fitted transform (reference points to
    upload points, y down) carries, or 0 when it is not near a quarter turn."""
    if model is None:
        return 0
    angle = math.degrees(math.atan2(float(model[1, 0]), float(model[0, 0])))
    turns = round(angle / 90.0)
    if abs(angle - 90.0 * turns) > _QUARTER_SLACK:
        return 0
    return turns % 4


def turned(thumb: np.ndarray, turns: int, mirrored: bool) -> np.ndarray:
    """``thumb`` turned ``turns`` quarter turns clockwise, then mirrored left to right, at
    ``thumb``'s own size (a turned oblong picture is stretched back to its frame)."""
    picture = np.rot90(thumb, -turns) if turns else thumb
    if mirrored:
        picture = picture[:, ::-1]
    picture = np.ascontiguousarray(picture)
    if picture.shape != thumb.shape:
        picture = cv2.resize(
            picture, (thumb.shape[1], thumb.shape[0]), interpolation=cv2.INTER_AREA
        )
    return picture


def ambiguous(thumb: np.ndarray, turns: int, mirrored: bool) -> bool:
    """Whether an upload matched to ``thumb`` (the reference's grey thumbnail) only once
    turned ``turns`` quarter turns and/or mirrored could as well be another picture: the
    reference turned that way agrees with itself in all but a few cells (not in none)."""
    if not turns and not mirrored:
        return False
    other = turned(thumb, turns, mirrored).astype(np.float32)
    found = content.strict_comparison(thumb, other)
    return 0 < found.differing <= NEAR_SHARE * found.cells
