"""What the robust stages accept, and the candidates they weigh."""

from __future__ import annotations

from dataclasses import dataclass, field

from hashdb.matching.robust import geometric, variants


@dataclass(frozen=True)
class RobustPolicy:
    #: Uploads whose PDQ quality is below this never match on a perceptual hash alone.
    min_query_quality: int = 50
    #: First-stage radius (PDQ bits) for candidates that the geometric check then confirms.
    candidate_distance: int = 76
    #: Candidates verified per upload, nearest first.
    max_candidates: int = 3
    #: Query variants match raw (feature-less) entries on hash alone only this close.
    hash_only_distance: int = 24
    #: Skip the robust stages when the upload's own perceptual hash already matched.
    stop_at_plain_match: bool = True
    #: Keypoint votes a reference needs to be checked when PDQ found nothing (0: off).
    min_keypoint_votes: int = 12
    #: ... and only if some query variant came this close (PDQ bits) to a reference row:
    #: the keypoint stage costs an ORB pass, which most unrelated uploads need not pay.
    keypoint_gate: int = 84
    #: Keypoint-voted candidates come from a wider net (any reference, not the few within a
    #: PDQ radius), so their tile check is stricter.
    keypoint_min_agreement: float = 0.85
    keypoint_min_inliers: int = 18
    keypoint_min_spread: float = 0.25
    #: A trimmed picture, a region or the mirror image within this many PDQ bits of a
    #: reference's whole picture is checked in place when keypoints cannot align it (a
    #: glyph or a flag has too few): the evidence a plain match needs, the hash and the
    #: aligned content (0: off).
    in_place_distance: int = 31
    #: The whole upload within this many PDQ bits of a reference's whole-picture row is
    #: checked in place when keypoints cannot align it: downscaling, noise or re-encoding
    #: move a flat drawing's hash further than a photograph's, and leave it too few
    #: keypoints; the hash within the plain threshold already is (0: off).
    whole_in_place_distance: int = 64
    geometric: geometric.GeometricPolicy = field(default_factory=geometric.GeometricPolicy)


@dataclass(frozen=True)
class Candidate:
    """A reference the PDQ stage (or the keypoint votes) puts forward for the geometric check."""

    entry_id: int
    distance: int
    query: variants.VariantHash
    reference_variant: str
