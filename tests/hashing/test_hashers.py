"""Conformance of every hasher: pinned hashes of committed images, and the robustness every
perceptual hash promises (re-encodes and resizes stay close, unrelated images stay far)."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pdqhash
import pytest
from PIL import Image

from hashdb.hashing import ALGORITHMS, Digest, HashAlgorithm, compute_all
from hashdb.hashing.pdq import pdq_vector_to_bytes
from hashdb.media import DecodeOptions, decode_image
from hashdb.media.image import PDQ_SIDE
from hashdb.testing.images import encode, scene

DATA = Path(__file__).parent.parent / "data"

#: Hashes of the committed images, pinned so that a library upgrade that changes hash values
#: (and would silently break every stored list) fails here first.
PINNED: dict[str, dict[str, str]] = {
    "scene-101.jpg": {
        "pdq": "8afeb311b2140bd6bb32239eb4d8cddc9344459c351195b6732a49bccdcaae65",
        "phash": "dbd3a98ca236c49c",
        "dhash": "4959484861373513",
        "md5": "cc10655a17ec56ae863fddcfff65a626",
        "sha256": "321a32401ac11c524f82dc75a5de7847fe418307f1f8a4aaaf755dde93146f2d",
    },
    "scene-202.png": {
        "pdq": "9dc9a18f7296d87407baa74a9a39ccd4448f2576937edf04781824eb02cef9a3",
        "phash": "d662396b8c903f36",
        "dhash": "cacccca46460583e",
    },
    "logo-alpha.png": {
        "pdq": "69657a5ae1a627a40796b6f19e9a199e7819659ba6799e6155e11187ea15e858",
        "phash": "ea1881e5969e9a79",
        "dhash": "0c172b4d4d0f0f0c",
    },
}

PERCEPTUAL = sorted(name for name, algorithm in ALGORITHMS.items() if not algorithm.exact)


def _hash(algorithm: str, data: bytes) -> Digest:
    return ALGORITHMS[algorithm].compute(decode_image(data))


@pytest.mark.parametrize("filename", sorted(PINNED))
def test_pinned_hashes_of_committed_images(filename: str) -> None:
    digests = {
        d.algorithm: d.hex for d in compute_all(decode_image((DATA / filename).read_bytes()))
    }
    for algorithm, expected in PINNED[filename].items():
        assert digests[algorithm] == expected, algorithm


def test_every_algorithm_declares_its_shape() -> None:
    for name, algorithm in ALGORITHMS.items():
        assert isinstance(algorithm, HashAlgorithm)
        assert algorithm.name == name and algorithm.bits % 8 == 0
        assert 0 <= algorithm.default_threshold <= algorithm.bits // 2
        assert algorithm.exact == (algorithm.default_threshold == 0)


def test_pdq_reports_quality() -> None:
    detailed = _hash("pdq", encode(scene(5)))
    flat = _hash("pdq", encode(Image.new("RGB", (300, 300), (90, 90, 90)), "PNG"))
    assert detailed.quality is not None and detailed.quality >= 50
    assert flat.quality is not None and flat.quality < 50


@pytest.mark.parametrize("algorithm", PERCEPTUAL)
class TestPerceptualConformance:
    """What every perceptual hash must do for a blocklist to work."""

    def test_deterministic(self, algorithm: str) -> None:
        data = encode(scene(1))
        assert _hash(algorithm, data) == _hash(algorithm, data)

    @pytest.mark.parametrize("quality", [30, 60])
    def test_jpeg_re_encode_stays_within_threshold(self, algorithm: str, quality: int) -> None:
        original = scene(2)
        a = _hash(algorithm, encode(original, "PNG"))
        b = _hash(algorithm, encode(original, "JPEG", quality=quality))
        assert a.distance(b) <= ALGORITHMS[algorithm].default_threshold // 2

    @pytest.mark.parametrize("factor", [0.5, 0.25, 1.5])
    def test_resize_stays_within_threshold(self, algorithm: str, factor: float) -> None:
        original = scene(3, (800, 600))
        resized = original.resize((int(800 * factor), int(600 * factor)), Image.Resampling.LANCZOS)
        a = _hash(algorithm, encode(original))
        b = _hash(algorithm, encode(resized))
        assert a.distance(b) <= ALGORITHMS[algorithm].default_threshold

    def test_unrelated_images_are_far_apart(self, algorithm: str) -> None:
        hashes = [_hash(algorithm, encode(scene(seed))) for seed in range(100, 112)]
        threshold = ALGORITHMS[algorithm].default_threshold
        for i, a in enumerate(hashes):
            for b in hashes[i + 1 :]:
                assert a.distance(b) > threshold

    def test_reduced_size_decode_changes_little(self, algorithm: str) -> None:
        data = encode(scene(4, (1920, 1080)), "JPEG", quality=90)
        reduced = ALGORITHMS[algorithm].compute(decode_image(data))
        full = ALGORITHMS[algorithm].compute(decode_image(data, DecodeOptions(decode_size=0)))
        assert reduced.distance(full) <= ALGORITHMS[algorithm].bits // 32


def test_png_and_jpeg_of_one_image_agree_exactly_only_on_perceptual_hashes() -> None:
    image = scene(6)
    png, jpg = encode(image, "PNG"), encode(image, "JPEG", quality=95)
    assert _hash("sha256", png) != _hash("sha256", jpg)
    assert _hash("pdq", png).distance(_hash("pdq", jpg)) <= 8


def test_hashing_does_not_depend_on_buffer_identity() -> None:
    data = encode(scene(7))
    copy = io.BytesIO(data).getvalue()
    assert compute_all(decode_image(data)) == compute_all(decode_image(copy))


def test_pdq_agrees_with_the_reference_hashers_thumbnail() -> None:
    """ThreatExchange's reference hasher fits images into 512x512 before PDQ; partners' hashes
    computed that way must land within a few bits of ours."""
    data = encode(scene(8, (1920, 1080)), "JPEG", quality=90)
    prepared = decode_image(data)
    assert PDQ_SIDE // 2 < max(prepared.pdq_array.shape[:2]) <= PDQ_SIDE
    reference = Image.open(io.BytesIO(data)).convert("RGB")
    reference.thumbnail((PDQ_SIDE, PDQ_SIDE))
    vector, _quality = pdqhash.compute(np.asarray(reference))
    expected = Digest("pdq", pdq_vector_to_bytes(vector))
    assert ALGORITHMS["pdq"].compute(prepared).distance(expected) <= 6


def test_pdq_is_bit_for_bit_pdqhash_with_its_rotations() -> None:
    # hashdb thresholds PDQ's DCT itself (and turns it for the rotations and mirrors); every
    # stored PDQ hash, and every partner's, was made by pdqhash's own bits.
    from hashdb.hashing.pdq import dihedral_hashes_of, pdq_hash

    for seed in range(40):
        for size in [(64, 48), (640, 480), (333, 1001), (257, 255)]:
            rgb = np.asarray(scene(seed, size), dtype=np.uint8)
            if seed % 4 == 0:
                rgb = rgb // 32 * 32  # flat steps: many equal coefficients around the median
            vectors, quality = pdqhash.compute_dihedral(np.ascontiguousarray(rgb))
            assert dihedral_hashes_of(rgb) == (
                [pdq_vector_to_bytes(vector) for vector in vectors],
                quality,
            )
            vector, quality = pdqhash.compute(np.ascontiguousarray(rgb))
            assert pdq_hash(rgb) == (pdq_vector_to_bytes(vector), quality)


def test_phash_is_bit_for_bit_imagehash_without_scipy() -> None:
    # hashdb computes pHash's DCT itself; every stored pHash was made by imagehash's.
    import imagehash

    from hashdb.hashing.imagehashes import phash_bits

    for seed in range(60):
        for size in [(64, 48), (640, 480), (333, 1001)]:
            picture = scene(seed, size).convert("L")
            assert (phash_bits(picture) == imagehash.phash(picture).hash).all(), (seed, size)
