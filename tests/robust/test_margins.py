"""What a trim cut away must not hide what the reference shows: an A on a black ground,
trimmed tight, covers an Á's letter but not its accent, and the black it was trimmed from
lands where the accent is."""

from __future__ import annotations

import cv2
import numpy as np

from hashdb.matching.robust import margins
from hashdb.matching.robust.placement import ProbeFrame

SIDE = 400
LETTER = (140, 140, 260, 320)  # x0, y0, x1, y1 of the letter's body
ACCENT = (180, 80, 220, 110)


def _picture(accent: bool, bars: int = 0) -> np.ndarray:
    """A white letter on black, with an accent above it or without, and black bars of
    ``bars`` pixels above and below."""
    gray = np.zeros((SIDE + 2 * bars, SIDE), np.uint8)
    x0, y0, x1, y1 = LETTER
    gray[y0 + bars : y1 + bars, x0:x1] = 255
    if accent:
        ax0, ay0, ax1, ay1 = ACCENT
        gray[ay0 + bars : ay1 + bars, ax0:ax1] = 255
    return gray


def _hides(upload: np.ndarray, box: tuple[int, int, int, int], bars: int = 0) -> bool:
    reference = _picture(accent=True)
    thumb = cv2.resize(reference, (256, 256), interpolation=cv2.INTER_AREA)
    x0, y0, x1, y1 = box
    probe = upload[y0:y1, x0:x1]
    size = (upload.shape[1], upload.shape[0])
    probe_frame = ProbeFrame(box, False, (x1 - x0, y1 - y0), size)
    whole_frame = ProbeFrame((0, 0, *size), False, size, size)
    # Reference point (u, v) is upload point (u, v + bars), that is trimmed-picture point
    # (u - x0, v + bars - y0).
    model = np.array([[1.0, 0.0, -x0], [0.0, 1.0, bars - y0]])
    return margins.hides_content(
        thumb, (SIDE, SIDE), model, (probe, probe_frame), (upload, whole_frame)
    )


def test_the_ground_a_trim_cut_away_may_not_hide_the_references_accent() -> None:
    upload = _picture(accent=False)
    assert _hides(upload, (120, 120, 280, 340))


def test_a_trim_that_cut_away_what_the_reference_shows_too_hides_nothing() -> None:
    upload = _picture(accent=True)  # the accent is there, in the part cut away
    assert not _hides(upload, (120, 120, 280, 340))


def test_bars_a_trim_cut_away_land_outside_the_reference() -> None:
    upload = _picture(accent=True, bars=60)  # letterboxed: the bars are not the picture
    assert not _hides(upload, (0, 60, SIDE, SIDE + 60), bars=60)


# A flag of three stripes: the trim of a copy cut its left stripe away (the box below), and
# the two it kept agree with the reference's. What lands where the left stripe is decides.
PURPLE, BROWN, GREEN = (140, 90, 160), (110, 80, 20), (150, 175, 90)
#: An orange at the grey of the purple (cv2's grey of each within a level or two).
ORANGE = (200, 85, 30)
STRIPES = (0, 134, 267, SIDE)  # the three stripes' x edges


def _flag(first: tuple[int, int, int], hue_turn: int = 0) -> np.ndarray:
    rgb = np.zeros((SIDE, SIDE, 3), np.uint8)
    for colour, x0, x1 in zip((first, BROWN, GREEN), STRIPES, STRIPES[1:], strict=False):
        rgb[:, x0:x1] = colour
    if hue_turn:
        hsv = cv2.cvtColor(rgb, cv2.COLOR_RGB2HSV_FULL)
        hsv[..., 0] = (hsv[..., 0].astype(np.int16) + hue_turn) % 256
        return np.asarray(cv2.cvtColor(hsv, cv2.COLOR_HSV2RGB_FULL), np.uint8)
    return rgb


def _stripe_hides(upload_rgb: np.ndarray, reference: np.ndarray | None = None) -> bool:
    """Whether the upload's left stripe, trimmed away, hides what ``reference`` (by
    default the purple-brown-green flag) shows there."""
    reference = _flag(PURPLE) if reference is None else reference
    colour = cv2.resize(reference, (256, 256), interpolation=cv2.INTER_AREA)
    thumb = cv2.cvtColor(colour, cv2.COLOR_RGB2GRAY)
    upload = cv2.cvtColor(upload_rgb, cv2.COLOR_RGB2GRAY)
    box = (STRIPES[1], 0, SIDE, SIDE)  # the left stripe trimmed away
    x0, y0, x1, y1 = box
    size = (SIDE, SIDE)
    probe_frame = ProbeFrame(box, False, (x1 - x0, y1 - y0), size)
    whole_frame = ProbeFrame((0, 0, *size), False, size, size)
    model = np.array([[1.0, 0.0, -x0], [0.0, 1.0, -y0]])
    return margins.hides_content(
        thumb,
        size,
        model,
        (upload[y0:y1, x0:x1], probe_frame),
        (upload, whole_frame),
        lambda: (colour, upload_rgb),
    )


def test_a_stripe_cut_away_in_another_hue_at_the_same_grey_is_refused() -> None:
    pixels = np.array([[PURPLE, ORANGE]], np.uint8)
    grey = cv2.cvtColor(pixels, cv2.COLOR_RGB2GRAY)[0].astype(float)
    assert abs(grey[0] - grey[1]) < 4  # the grey comparison cannot tell them apart
    assert _stripe_hides(_flag(ORANGE))


def test_a_stripe_cut_away_in_another_hue_at_another_grey_is_refused() -> None:
    # A pale green where the known flag's stripe is purple: lighter, and another hue.
    pale_green = (170, 220, 150)
    pixels = np.array([[PURPLE, pale_green]], np.uint8)
    grey = cv2.cvtColor(pixels, cv2.COLOR_RGB2GRAY)[0].astype(float)
    assert grey[1] - grey[0] > 60  # far apart in grey: the rule before judged only the same grey
    assert _stripe_hides(_flag(pale_green))


def test_a_brighter_copy_of_the_same_stripe_cut_away_is_not() -> None:
    brighter = np.clip(_flag(PURPLE).astype(np.int16) + 60, 0, 255).astype(np.uint8)
    assert not _stripe_hides(brighter)


def test_the_same_stripe_cut_away_or_a_recoloured_copy_is_not() -> None:
    assert not _stripe_hides(_flag(PURPLE))
    assert not _stripe_hides(_flag(PURPLE, hue_turn=40))  # every colour turned alike


def test_a_black_bar_over_the_stripe_is_not_another_hue() -> None:
    upload = _flag(PURPLE)
    upload[:, : STRIPES[1]] = 0
    assert not _stripe_hides(upload)


# Two flags of one set: the known one salmon, orange and lilac; the other orange, lilac and
# green. Trimmed of its orange edge stripe, the other flag's lilac and green stripes agree
# with the known one's orange and lilac in grey and under one turn of hue; the orange stripe
# cut away lands on the salmon one, which agrees only under another turn.
SALMON, PALE_ORANGE, LILAC, LEAF = (213, 153, 139), (254, 210, 133), (202, 152, 225), (56, 169, 49)


def _flag_of(stripes: tuple[tuple[int, int, int], ...]) -> np.ndarray:
    rgb = np.zeros((SIDE, SIDE, 3), np.uint8)
    for colour, x0, x1 in zip(stripes, STRIPES, STRIPES[1:], strict=False):
        rgb[:, x0:x1] = colour
    return rgb


def test_a_stripe_cut_away_that_agrees_only_under_another_hue_turn_is_refused() -> None:
    known = _flag_of((SALMON, PALE_ORANGE, LILAC))
    assert _stripe_hides(_flag_of((PALE_ORANGE, LILAC, LEAF)), known)


def test_a_recoloured_copy_of_that_flag_trimmed_so_is_not() -> None:
    known = _flag_of((SALMON, PALE_ORANGE, LILAC))
    hsv = cv2.cvtColor(known, cv2.COLOR_RGB2HSV_FULL)
    hsv[..., 0] = (hsv[..., 0].astype(np.int16) + 60) % 256
    turned = np.asarray(cv2.cvtColor(hsv, cv2.COLOR_HSV2RGB_FULL), np.uint8)
    assert not _stripe_hides(known, known)
    assert not _stripe_hides(turned, known)
