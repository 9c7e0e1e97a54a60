"""Where a geometric match lies on the upload: its evidence in a form a person can check.

The geometric check works on a probe picture: the upload, its trimmed picture or a screenshot
region, perhaps mirrored, reduced for ORB. This maps what the check found back onto the whole
upload, in fractions of its width and height (so a drawing of any size can use it), and onto
the reference, in fractions of the reference picture: the fitted transform, the outline of the
reference on the upload, and a sample of the inlier pairs.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from hashdb.matching.robust import lettering, recolour
from hashdb.matching.robust.framing import Box
from hashdb.matching.robust.geometric import (
    ENLARGE_BELOW,
    FEATURE_SIDE,
    Keypoints,
    Verdict,
    keypoints,
    to_gray,
)

#: Inlier pairs kept in an answer: enough to see the agreement, few enough to stay small.
MAX_LINES = 40
_DIGITS = 4


@dataclass(frozen=True)
class ProbeFrame:
    """How a probe picture sits in the upload."""

    #: The probe's source box in the decoded upload's pixels.
    box: Box
    mirrored: bool
    #: The probe picture's width and height (after reduction or enlargement).
    size: tuple[int, int]
    #: The decoded upload's width and height.
    upload: tuple[int, int]

    def to_upload(self) -> np.ndarray:
        """3x3 matrix: probe pixels -> fractions of the upload."""
        x0, y0, x1, y1 = self.box
        sx, sy = (x1 - x0) / self.size[0], (y1 - y0) / self.size[1]
        width, height = self.upload
        if self.mirrored:  # the probe is the box flipped left to right
            to_box = np.array([[-sx, 0, x1], [0, sy, y0], [0, 0, 1]], np.float64)
        else:
            to_box = np.array([[sx, 0, x0], [0, sy, y0], [0, 0, 1]], np.float64)
        return np.diag([1 / width, 1 / height, 1.0]) @ to_box


def placement(
    verdict: Verdict, reference_size: tuple[int, int], frame: ProbeFrame
) -> dict[str, object]:
    """The drawable evidence of a verdict with a fitted transform (empty without one):

    - ``transform``: ``[a, b, c, d, e, f]`` mapping a reference point ``(u, v)`` (fractions of
      the reference) to the upload point ``(a*u + b*v + c, d*u + e*v + f)`` (fractions of the
      upload), as an SVG ``matrix(a d b e c f)`` would;
    - ``region``: the reference's four corners on the upload (the matched region);
    - ``lines``: up to :data:`MAX_LINES` inlier pairs ``[upload x, y, reference x, y]``;
    - ``reference_size``: the reference picture's width and height (its aspect).
    """
    if verdict.model is None or verdict.pairs is None:
        return {}
    width, height = reference_size
    to_upload = frame.to_upload()
    model = np.vstack([verdict.model.astype(np.float64), [0.0, 0.0, 1.0]])
    transform = to_upload @ model @ np.diag([width, height, 1.0])
    corners = np.array([[0, 0, 1], [1, 0, 1], [1, 1, 1], [0, 1, 1]], np.float64)
    region = (transform @ corners.T).T[:, :2]
    pairs = verdict.pairs.astype(np.float64)
    if len(pairs) > MAX_LINES:
        pairs = pairs[np.linspace(0, len(pairs) - 1, MAX_LINES).round().astype(int)]
    ones = np.ones((len(pairs), 1))
    on_upload = (to_upload @ np.hstack([pairs[:, 2:], ones]).T).T[:, :2]
    on_reference = pairs[:, :2] / np.array([width, height], np.float64)
    return {
        "transform": _rounded(transform[:2].ravel()),
        "region": [_rounded(corner) for corner in region],
        "lines": [_rounded(line) for line in np.hstack([on_upload, on_reference])],
        "reference_size": [int(width), int(height)],
    }


def _rounded(values: np.ndarray) -> list[float]:
    return [round(float(value), _DIGITS) for value in values]


#: A query's trimmed pictures and screenshot regions, by name, and their boxes in the upload.
Regions = tuple[Mapping[str, np.ndarray], Mapping[str, Box]]


class Probe:
    """A query picture as the geometric check takes it, and where it sits in the upload.

    Its ORB keypoints are found on first use: a plain match confirmed in place, or a
    candidate refused before any alignment, never needs them (ORB is the dearest part of
    making a probe)."""

    __slots__ = ("_outlined", "_points", "_source", "colour", "frame", "gray")

    def __init__(
        self, gray: np.ndarray, frame: ProbeFrame, colour: np.ndarray, source: np.ndarray
    ) -> None:
        gray.flags.writeable = False  # its keypoints may be found later, from these pixels
        self.gray = gray
        self.frame = frame
        #: The query picture in RGB at ``gray``'s size (for a hue or saturation edit).
        self.colour = colour
        self._source = source
        self._points: Keypoints | None = None
        self._outlined: np.ndarray | None = None

    @property
    def points(self) -> Keypoints:
        if self._points is None:
            self._points = keypoints(self.gray)
        return self._points

    def outlined(self) -> np.ndarray:
        """Where the query picture, at its own resolution, shows white strokes edged in
        black (:func:`.lettering.outlined`), at ``gray``'s size; found on first use (only
        a comparison that failed looks for words laid over)."""
        if self._outlined is None:
            self._outlined = lettering.outlined(self._source, self.frame.size)
        return self._outlined


def probe_of(probes: dict[str, Probe], rgb: np.ndarray, regions: Regions, key: str) -> Probe:
    """The probe of ``key`` (:func:`probe_for`), made once per upload: ``probes`` keeps
    those made so far."""
    probe = probes.get(key)
    if probe is None:
        probe = probes[key] = probe_for(rgb, regions, key)
    return probe


def probe_for(rgb: np.ndarray, regions: Regions, key: str) -> Probe:
    """Keypoints and gray of a query picture: the upload ("original"), a trimmed picture
    or region, or the mirror image of either ("mirror", "trim+mirror")."""
    source, gray, frame = _view(rgb, regions, key)
    colour = recolour.colour_at(source, frame.size, max(frame.size))
    return Probe(gray, frame, colour, source)


def view_of(
    probes: dict[str, Probe], rgb: np.ndarray, regions: Regions, key: str
) -> tuple[np.ndarray, ProbeFrame]:
    """The gray and frame of ``key``'s query picture: its probe's if made, else without the
    keypoints and colours a probe needs (a view to warp, not to align)."""
    probe = probes.get(key)
    if probe is not None:
        return probe.gray, probe.frame
    _, gray, frame = _view(rgb, regions, key)
    return gray, frame


def _view(rgb: np.ndarray, regions: Regions, key: str) -> tuple[np.ndarray, np.ndarray, ProbeFrame]:
    """A query picture's pixels (RGB), its gray as the geometric check takes it, and its
    frame."""
    name, mirrored = key.removesuffix("mirror").removesuffix("+"), key.endswith("mirror")
    pictures, boxes = regions
    height, width = rgb.shape[:2]
    whole = name in ("", "original")
    source = rgb if whole else pictures.get(name, rgb)
    box = (0, 0, width, height) if whole else boxes.get(name, (0, 0, width, height))
    if mirrored:
        source = source[:, ::-1]
    source = np.ascontiguousarray(source)
    enlarge = None if whole else ENLARGE_BELOW
    gray = to_gray(source, FEATURE_SIDE, enlarge_from=enlarge)
    frame = ProbeFrame(box, mirrored, (gray.shape[1], gray.shape[0]), (width, height))
    return source, gray, frame
