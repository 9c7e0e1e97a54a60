"""The second stage: does the query really show the reference, geometrically and in content?

A candidate from the loose first stage is confirmed only if (1) ORB keypoints of the query
and the reference agree on one affine transform (RANSAC), with enough inliers and a sane
scale/shear (failing that on content, on a similarity, or on either refined on the pixels:
:mod:`.refine`), and (2) once the query is warped into the reference's frame, its picture agrees
with the reference's thumbnail tile by tile (normalised cross-correlation). The second check
is what keeps different pictures in one poster template or screenshot layout apart: their
shared frame gives keypoint inliers, but the tiles that carry the picture disagree.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field, replace

import cv2
import numpy as np

from hashdb.matching.robust import bunched, content, framing, recolour, refine, tiles
from hashdb.store.models import ReferenceFeatures

# OpenCV splits each call over a pool of threads, one per core. The robust stages call it
# on pictures of a few hundred pixels, where handing the work out costs more than it saves
# (a batch of 1,000 files took 67 CPU-seconds with the pool and 49 without, and less time
# on the clock too), and the processes that run them, server and batch workers, already
# keep every core busy. Set here, where both the matching and the adding paths first load
# OpenCV (the package itself does not import it: most uploads never need it).
cv2.setNumThreads(1)

#: ORB works on images reduced to this longest side (reference and query alike).
FEATURE_SIDE = 512
#: The reference thumbnail the content check compares with (stored PNG-compressed: flat
#: symbols, the pictures that most need the check, compress to a few KB). At 128 px a line
#: of poster text or a face's mouth was a blur two different pictures shared.
THUMB_SIDE = 256
#: A query picture (a trimmed picture, a screenshot region) smaller than this is enlarged to
#: FEATURE_SIDE before ORB: a picture shown small inside a screenshot otherwise gives too
#: few keypoints (ORB skips a 31-pixel margin at every pyramid level), and its scale then
#: meets the reference's finest levels.
ENLARGE_BELOW = 384
ORB_FEATURES = 500
_SPREAD = 5  # keypoint grid: at most ORB_FEATURES / 25 (or 4) per cell


@dataclass(frozen=True)
class Keypoints:
    points: np.ndarray  # float32 (n, 2), in a frame of ``size``
    descriptors: np.ndarray  # uint8 (n, 32)
    size: tuple[int, int]  # (width, height)

    def __len__(self) -> int:
        return int(self.points.shape[0])


@dataclass(frozen=True)
class Verdict:
    """The outcome of the geometric check; ``confirmed`` is the decision, the rest its why."""

    confirmed: bool
    inliers: int
    agreement: float  # fraction of informative tiles whose content agrees
    tiles: int  # informative tiles compared
    reason: str
    #: The aligned content comparison (None when the check stopped before aligning).
    comparison: content.Comparison | None = None
    #: The fitted affine transform (2x3, reference frame -> query frame) and the inlier pairs
    #: (n x 4: reference x, y, query x, y), kept so the evidence can be drawn; None when no
    #: transform was fitted.
    model: np.ndarray | None = field(default=None, compare=False, repr=False)
    pairs: np.ndarray | None = field(default=None, compare=False, repr=False)

    def to_dict(self) -> dict[str, object]:
        found: dict[str, object] = {
            "inliers": self.inliers,
            "agreement": round(self.agreement, 3),
            "tiles": self.tiles,
        }
        if self.comparison is not None:
            found["score"] = round(self.comparison.score, 3)
            found["differing"] = self.comparison.differing
        return found


@dataclass(frozen=True)
class GeometricPolicy:
    min_inliers: int = 14
    min_inlier_ratio: float = 0.25
    min_agreement: float = 0.7
    min_tiles: int = 4
    tile_correlation: float = 0.55
    #: The inliers' bounding box must cover this share of the reference: a shared word or
    #: emblem alone (two logos with one slogan) gives inliers in a corner of the picture.
    min_inlier_spread: float = 0.12
    #: Few inliers are weak evidence (a shared frame or a few chance corners reach 14):
    #: below ``weak_inliers`` the tiles must agree at least this much.
    weak_inliers: int = 20
    weak_min_agreement: float = 0.85
    #: The aligned content must agree cell by cell (:mod:`hashdb.matching.robust.content`).
    check_content: bool = True
    content: content.ContentPolicy = field(default_factory=content.ContentPolicy)


def to_gray(rgb: np.ndarray, side: int, *, enlarge_from: int | None = None) -> np.ndarray:
    """Grayscale reduced so the longest side is at most ``side``; with ``enlarge_from``,
    a picture whose longest side is smaller than that is enlarged to ``side``."""
    gray = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
    height, width = gray.shape
    scale = side / max(width, height)
    if scale < 1 or (enlarge_from is not None and max(width, height) < enlarge_from):
        size = (max(1, round(width * scale)), max(1, round(height * scale)))
        method = cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR
        gray = cv2.resize(gray, size, interpolation=method)
    # Stretch dark or washed-out pictures, judged by the interior: a screenshot region's
    # box may take in a strip of the bright frame around a dark picture.
    height, width = gray.shape
    margin_y, margin_x = height // 16, width // 16
    low, high = framing.spread(gray[margin_y : height - margin_y, margin_x : width - margin_x])
    if high - low >= 8 and (low > 8 or high < 247):
        gray = cv2.convertScaleAbs(
            gray, alpha=255.0 / (high - low), beta=-low * 255.0 / (high - low)
        )
    return np.ascontiguousarray(gray)


def keypoints(gray: np.ndarray) -> Keypoints:
    """ORB keypoints spread over the picture: the strongest few per cell of a grid, so an
    overlaid caption or logo (dense, high-contrast strokes) cannot take every keypoint."""
    height, width = gray.shape
    orb = cv2.ORB_create(  # type: ignore[attr-defined]
        nfeatures=ORB_FEATURES * 3, fastThreshold=12
    )
    found = orb.detect(gray, None)
    if found:
        # The strongest ``quota`` of each grid cell (vectorised: a Python sort per cell cost
        # more than ORB itself).
        xy = np.asarray(cv2.KeyPoint.convert(found), dtype=np.float64)
        response = np.array([point.response for point in found], dtype=np.float64)
        cell = (xy[:, 1] * _SPREAD // height).astype(np.int64) * (_SPREAD + 1) + (
            xy[:, 0] * _SPREAD // width
        ).astype(np.int64)
        order = np.lexsort((-response, cell))
        ranked = cell[order]
        first = np.searchsorted(ranked, ranked, side="left")
        quota = max(4, ORB_FEATURES // (_SPREAD * _SPREAD))
        keep = np.sort(order[np.arange(order.size) - first < quota])
        found, descriptors = orb.compute(gray, [found[i] for i in keep.tolist()])
    else:
        descriptors = None
    if descriptors is None or not found:
        return Keypoints(np.empty((0, 2), np.float32), np.empty((0, 32), np.uint8), (width, height))
    points = np.asarray(cv2.KeyPoint.convert(found), dtype=np.float32).reshape(-1, 2)
    return Keypoints(points, np.ascontiguousarray(descriptors, dtype=np.uint8), (width, height))


def thumbnail(gray: np.ndarray) -> np.ndarray:
    height, width = gray.shape
    scale = THUMB_SIDE / max(width, height)
    size = (max(8, round(width * scale)), max(8, round(height * scale)))
    return np.ascontiguousarray(cv2.resize(gray, size, interpolation=cv2.INTER_AREA))


def reference_features(rgb: np.ndarray) -> ReferenceFeatures:
    gray = to_gray(rgb, FEATURE_SIDE)
    found = keypoints(gray)
    thumb = thumbnail(gray)
    colour = recolour.colour_at(
        np.ascontiguousarray(rgb), (thumb.shape[1], thumb.shape[0]), FEATURE_SIDE
    )
    # The grey thumbnail, then the colour one (PNG each, one after the other): readers that
    # know only the first still read it, and older entries simply have no colours.
    stored = (
        cv2.imencode(".png", thumb)[1].tobytes()
        + cv2.imencode(".png", cv2.cvtColor(colour, cv2.COLOR_RGB2BGR))[1].tobytes()
    )
    return ReferenceFeatures(
        width=found.size[0],
        height=found.size[1],
        keypoints=found.points.astype("<f4").tobytes(),
        descriptors=found.descriptors.tobytes(),
        thumb_width=int(thumb.shape[1]),
        thumb_height=int(thumb.shape[0]),
        thumbnail=stored,
    )


def unpack(features: ReferenceFeatures) -> tuple[Keypoints, np.ndarray]:
    points = np.frombuffer(features.keypoints, dtype="<f4").reshape(-1, 2).astype(np.float32)
    descriptors = np.frombuffer(features.descriptors, dtype=np.uint8).reshape(-1, 32)
    thumb = _grey_thumbnail(features.thumbnail, features.thumb_height, features.thumb_width)
    return Keypoints(points, descriptors, (features.width, features.height)), thumb


@functools.lru_cache(maxsize=64)
def _grey_thumbnail(stored: bytes, height: int, width: int) -> np.ndarray:
    """The grey thumbnail of a stored blob, decoded once for the few references an upload's
    candidates check several times over (each key, each fit); read-only, as it is shared."""
    thumb: np.ndarray
    if stored.startswith(_PNG):
        first = stored[: recolour.png_end(stored)]
        raw = np.frombuffer(first, dtype=np.uint8)
        thumb = np.asarray(cv2.imdecode(raw, cv2.IMREAD_GRAYSCALE), dtype=np.uint8)
    else:  # stored raw by earlier versions
        raw = np.frombuffer(stored, dtype=np.uint8)
        thumb = raw.reshape(height, width).copy()
    thumb.setflags(write=False)
    return thumb


_PNG = recolour.PNG
_MATCHER = cv2.BFMatcher(cv2.NORM_HAMMING)


def verify(
    reference: ReferenceFeatures,
    query: Keypoints,
    query_gray: np.ndarray,
    policy: GeometricPolicy | None = None,
    query_colour: np.ndarray | None = None,
    query_outlined: tiles.Outlined | None = None,
) -> Verdict:
    """The geometric check; ``query_colour`` (the query picture in RGB at ``query_gray``'s
    size) lets the content check absorb a hue or saturation edit, and ``query_outlined``
    find small words laid over it."""
    policy = policy or GeometricPolicy()
    ref, thumb = unpack(reference)
    colours = tiles.colours_for(reference, query_colour, query_outlined)
    if len(ref) < policy.min_inliers or len(query) < policy.min_inliers:
        return Verdict(False, 0, 0.0, 0, "too few keypoints")
    pairs = _MATCHER.knnMatch(ref.descriptors, query.descriptors, k=2)
    good = [
        first
        for pair in pairs
        if len(pair) == 2
        for first, second in [pair]
        if first.distance < 0.8 * second.distance and first.distance <= 64
    ]
    if len(good) < policy.min_inliers:
        return Verdict(False, len(good), 0.0, 0, "too few descriptor matches")
    src = ref.points[[m.queryIdx for m in good]]
    dst = query.points[[m.trainIdx for m in good]]
    threshold = 0.012 * max(query.size)
    verdicts: list[Verdict] = []
    # A full affine fit first (a squashed copy needs it), then a similarity (turn, scale,
    # shift): on a glyph's outline, whose inner and outer strokes look alike, the affine
    # fit can take a shear that leaves a turned copy a few pixels off everywhere, and the
    # content check then rightly sees strokes that do not meet. The similarity has fewer
    # ways to be wrong. A second alignment is a second chance, so its content must agree
    # with a margin (``ContentPolicy.for_second_alignment``).
    second = replace(policy, content=policy.content.for_second_alignment())
    for estimate, judged in ((cv2.estimateAffine2D, policy), (cv2.estimateAffinePartial2D, second)):
        model, mask = estimate(
            src, dst, method=cv2.RANSAC, ransacReprojThreshold=threshold, maxIters=2000
        )
        if model is None or mask is None:
            verdict = Verdict(False, 0, 0.0, 0, "no consistent transform")
        else:
            inliers = (len(good), src, dst, mask.ravel().astype(bool))
            verdict = _judge(model, inliers, ref, thumb, query, query_gray, judged, colours)
        if verdict.confirmed:
            return verdict
        verdicts.append(verdict)
    # Aligned, but the content disagreed: the alignment may be a few pixels off (see
    # :mod:`.refine`). The closer of the two, refined on the pixels, is judged again.
    aligned = [v for v in verdicts if v.comparison is not None and v.pairs is not None]
    if aligned:
        best = max(aligned, key=lambda v: v.comparison.score if v.comparison else 0.0)
        assert best.model is not None and best.pairs is not None
        refined = refine.refine(best.model, ref.size, thumb, query_gray)
        if refined is not None:
            kept = np.ones(len(best.pairs), bool)  # the inliers of the fit it refines
            same = (len(good), best.pairs[:, :2], best.pairs[:, 2:], kept)
            verdict = _judge(refined, same, ref, thumb, query, query_gray, second, colours)
            if verdict.confirmed:
                return verdict
    return verdicts[0]


def _judge(
    model: np.ndarray,
    matched: tuple[int, np.ndarray, np.ndarray, np.ndarray],
    ref: Keypoints,
    thumb: np.ndarray,
    query: Keypoints,
    query_gray: np.ndarray,
    policy: GeometricPolicy,
    colours: tiles.Colours | None,
) -> Verdict:
    """The checks on one fitted transform: inliers, their spread, a sane shape, content."""
    good, src, dst, inlying = matched
    inliers = int(inlying.sum())
    if inliers < policy.min_inliers or inliers < policy.min_inlier_ratio * good:
        return Verdict(False, inliers, 0.0, 0, "too few inliers")
    kept = src[inlying]
    inlier_pairs = np.hstack([kept, dst[inlying]])
    extent = kept.max(axis=0) - kept.min(axis=0)
    spread = float(extent[0] * extent[1]) / float(ref.size[0] * ref.size[1])
    colour_must_agree = False
    if spread < policy.min_inlier_spread and not bunched.over_detail(
        ref.size, thumb, extent, model, query.size
    ):
        if not bunched.over_keypoints(
            ref.points, extent, model, query.size, policy.min_inlier_spread
        ):
            return Verdict(
                False,
                inliers,
                0.0,
                0,
                "inliers bunched in one part",
                model=model,
                pairs=inlier_pairs,
            )
        colour_must_agree = True
    linear = model[:, :2]
    singular = np.linalg.svd(linear, compute_uv=False)
    if (
        np.linalg.det(linear) <= 0
        or singular[1] < 0.08
        or singular[0] > 12
        or singular[0] / singular[1] > 2.5
    ):
        return Verdict(
            False, inliers, 0.0, 0, "implausible transform", model=model, pairs=inlier_pairs
        )
    agreement, compared_tiles, compared = tiles.content_agreement(
        model,
        ref.size,
        thumb,
        query_gray,
        (policy.tile_correlation, policy.content),
        colours,
        colour_must_agree,
    )
    needed = policy.min_agreement
    if inliers < policy.weak_inliers:
        needed = max(needed, policy.weak_min_agreement)
    verdict = _decide(inliers, agreement, compared_tiles, compared, needed, policy)
    return replace(verdict, model=model, pairs=inlier_pairs)


def verify_in_place(
    reference: ReferenceFeatures,
    query_gray: np.ndarray,
    policy: GeometricPolicy | None = None,
    query_colour: np.ndarray | None = None,
    query_outlined: tiles.Outlined | None = None,
) -> Verdict:
    """The content check alone for an upload that is the reference resized (a plain hash
    match): the upload is scaled onto the reference's frame, no keypoints needed."""
    policy = policy or GeometricPolicy()
    ref, thumb = unpack(reference)
    height, width = query_gray.shape
    model = np.array(
        [[width / ref.size[0], 0.0, 0.0], [0.0, height / ref.size[1], 0.0]], dtype=np.float64
    )
    agreement, compared_tiles, compared = tiles.content_agreement(
        model,
        ref.size,
        thumb,
        query_gray,
        (policy.tile_correlation, policy.content),
        tiles.colours_for(reference, query_colour, query_outlined),
    )
    # The hash already matched: only the content is in question (a flag or a glyph has too
    # few informative tiles for the tile vote, which was made for aligning by keypoints).
    confirmed = compared.agrees or not policy.check_content
    reason = "confirmed" if confirmed else "content differs"
    return Verdict(confirmed, 0, agreement, compared_tiles, reason, compared)


def _decide(
    inliers: int,
    agreement: float,
    tiles: int,
    compared: content.Comparison,
    needed: float,
    policy: GeometricPolicy,
) -> Verdict:
    confirmed = tiles >= policy.min_tiles and agreement >= needed
    reason = "confirmed" if confirmed else "tiles differ"
    if tiles < policy.min_tiles:
        reason = "too little detail in the overlap"
    elif confirmed and policy.check_content and not compared.agrees:
        confirmed, reason = False, "content differs"
    return Verdict(confirmed, inliers, agreement, tiles, reason, compared)
