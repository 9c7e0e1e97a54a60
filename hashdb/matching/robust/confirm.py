"""Confirming one geometric candidate: which pictures of the upload it is checked on, the
gate keypoint candidates must pass, and the match a confirmation makes."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from hashdb.hashing import ALGORITHMS, hamming_distance
from hashdb.matching.match import Evidence, Match, Stage
from hashdb.matching.robust import geometric, lettering, margins, recolour, symmetry, variants
from hashdb.matching.robust.placement import Probe, Regions, probe_of, view_of
from hashdb.matching.robust.policy import Candidate, RobustPolicy
from hashdb.media.image import PreparedImage
from hashdb.store.models import Entry, HashList, ReferenceFeatures


def gate_for(candidates: list[Candidate], policy: RobustPolicy) -> geometric.GeometricPolicy:
    """The geometric gate, raised to the keypoint stage's when a candidate came from
    keypoint votes alone (no hash brought it near)."""
    gate = policy.geometric
    if any(c.reference_variant == "keypoints" for c in candidates):
        gate = replace(
            gate,
            min_agreement=max(gate.min_agreement, policy.keypoint_min_agreement),
            min_inliers=max(gate.min_inliers, policy.keypoint_min_inliers),
            min_inlier_spread=max(gate.min_inlier_spread, policy.keypoint_min_spread),
        )
    return gate


def check(
    reference: ReferenceFeatures,
    candidate: Candidate,
    image: PreparedImage,
    regions: Regions,
    probes: dict[str, Probe],
    gate: geometric.GeometricPolicy,
    policy: RobustPolicy,
) -> tuple[geometric.Verdict, str]:
    """The verdict on ``candidate`` and the key of the upload's picture it was reached on.

    The variant that found the candidate first; a wrong trim or region (the picture's own
    plain background taken for a bar) falls back to the whole upload and its trimmed
    picture, mirrored if the candidate was found mirrored, and then unmirrored: a symmetric
    picture's mirror image is as near as itself. A corner window's candidate is checked on
    the whole upload only: the window found it, and nothing short of the whole may prove it."""
    first = candidate.query.image
    fallbacks: tuple[str, ...] = ("original", "trim")
    if first.endswith("mirror"):
        fallbacks = ("mirror", "trim+mirror", *fallbacks)
    if variants.window_row(candidate.query.variant) is not None:
        fallbacks = ()  # a corner window's candidate: the whole upload, nothing less
    keys = [first] + [
        k for k in fallbacks if k != first and (not k.startswith("trim") or "trim" in regions[0])
    ]
    for key in keys:
        probe = probe_of(probes, image.rgb_array, regions, key)
        verdict = geometric.verify(
            reference, probe.points, probe.gray, gate, probe.colour, probe.outlined
        )
        verdict = _unless_refuted(reference, verdict, key, probes, (image, regions))
        if verdict.confirmed:
            return verdict, key
    if in_place(candidate, policy) and not (
        candidate.query.variant == "original"
        and lettering.has_words(geometric.unpack(reference)[1])
    ):
        # The whole upload far from the plain threshold: not against a reference with
        # lines of words of its own, which another poster in its layout, with other small
        # words, matches in all but a cell or two (as words laid over, below).
        key = candidate.query.image
        probe = probes[key]
        placed = geometric.verify_in_place(
            reference, probe.gray, gate, probe.colour, probe.outlined
        )
        placed = _unless_refuted(reference, placed, key, probes, (image, regions))
        if placed.confirmed:
            return placed, key
    if lettered_in_place(candidate, policy):
        probe = probe_of(probes, image.rgb_array, regions, "original")
        placed = geometric.verify_in_place(
            reference, probe.gray, gate, probe.colour, probe.outlined
        )
        if (
            placed.confirmed
            and placed.comparison is not None
            and placed.comparison.lettered
            and not lettering.has_words(geometric.unpack(reference)[1])
        ):
            return placed, "original"
    return verdict, key


def _unless_refuted(
    reference: ReferenceFeatures,
    verdict: geometric.Verdict,
    key: str,
    probes: dict[str, Probe],
    upload: tuple[PreparedImage, Regions],
) -> geometric.Verdict:
    """``verdict``, refused when it confirmed what the upload's picture ``key`` cannot
    prove: a match through its mirror image to a reference whose own mirror image is itself
    but for a detail (:mod:`.symmetry`: the mirror image of an À is an Á), or through a
    trimmed picture whose cut-away ground lands where the reference shows something
    (:mod:`.margins`: an A trimmed tight is not an Á), or in another colour at the same grey
    (a flag whose edge stripe, trimmed away, is orange where the known one's is purple)."""
    if not verdict.confirmed:
        return verdict
    ref, thumb = geometric.unpack(reference)
    if key.endswith("mirror") and symmetry.ambiguous(thumb):
        return replace(verdict, confirmed=False, reason="mirror image of a near-symmetric picture")
    if key not in ("original", "mirror") and verdict.model is not None:
        image, regions = upload
        trimmed = (probes[key].gray, probes[key].frame)
        whole = view_of(probes, image.rgb_array, regions, "original")

        def colours() -> tuple[np.ndarray, np.ndarray] | None:
            reference_colour = recolour.colour_thumbnail(reference)
            if reference_colour is None:
                return None
            made = probes.get("original")  # its colours are the whole upload's, sized alike
            size = whole[1].size
            shown = made.colour if made else recolour.colour_at(image.rgb_array, size, max(size))
            return reference_colour, shown

        if margins.hides_content(thumb, ref.size, verdict.model, trimmed, whole, colours):
            reason = "the trimmed-away ground hides what the reference shows"
            return replace(verdict, confirmed=False, reason=reason)
    return verdict


def in_place(candidate: Candidate, policy: RobustPolicy) -> bool:
    """Whether the candidate's query picture may be the reference's whole picture as it
    is, only resized: the whole upload within the whole-upload radius of the reference's
    full row, or an unturned variant (trimmed, a region, mirrored left to right) within
    the in-place radius, with detail."""
    query = candidate.query
    variant = query.variant.removeprefix("trim+").removeprefix("tight+")
    radius = policy.in_place_distance
    if query.variant == "original":
        radius = policy.whole_in_place_distance
    elif not (variant in ("trim", "tight", "mirror-h") or variant.startswith("region-")):
        return False
    return (
        candidate.reference_variant == "full"
        and 0 <= candidate.distance <= radius
        and query.quality >= policy.min_query_quality
    )


def lettered_in_place(candidate: Candidate, policy: RobustPolicy) -> bool:
    """Whether the whole upload may be checked in place against a candidate a hash found
    (not keypoint votes alone), confirming it only if it agrees once the words laid over
    it are left out: words across a picture move its hash and hide the keypoints under
    them, so neither the in-place radius nor an alignment may be reached, while the
    picture round the words is the reference's, resized. Not for a reference with lines
    of words of its own (:func:`.lettering.has_words`): another poster in its layout
    differs in a few cells at most, which the words laid over may hide. Nor for a corner
    window's candidate: a window finds pictures overlaid in a corner, and words across a
    picture may hide all that tells it from another (a Q's tail under words is an O)."""
    return (
        candidate.reference_variant != "keypoints"
        and variants.window_row(candidate.query.variant) is None
        and candidate.query.quality >= policy.min_query_quality
    )


def distance(query: variants.VariantHash, entry: Entry) -> int:
    """PDQ distance of a query hash to the entry's own hash (all bits if not PDQ)."""
    if entry.algorithm != "pdq":
        return ALGORITHMS["pdq"].bits
    return hamming_distance(query.value, entry.value)


def explain(
    entry: Entry,
    hash_list: HashList,
    candidate: Candidate,
    verdict: geometric.Verdict,
    drawn: dict[str, object],
    radius: int,
    variant: str,
) -> Match:
    evidence = Evidence(
        algorithm=entry.algorithm,
        distance=candidate.distance,
        threshold=radius,
        query_hash=candidate.query.value.hex(),
        stage=Stage.GEOMETRIC,
        variant=f"{variant}>{candidate.reference_variant}",
        verification={**verdict.to_dict(), **drawn},
    )
    return Match.of(entry, hash_list, evidence)
