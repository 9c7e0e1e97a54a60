"""Hash encoding and distances: hex round trips and Hamming distance against a bit count."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hashdb.errors import DegenerateHash, InvalidHash, LowQualityHash, UnknownAlgorithm
from hashdb.hashing import ALGORITHMS, Digest, get_algorithm, hamming_distance, parse_hash

algorithm_names = st.sampled_from(sorted(ALGORITHMS))


@st.composite
def digests(draw: st.DrawFn, algorithm: str | None = None) -> Digest:
    name = algorithm or draw(algorithm_names)
    width = ALGORITHMS[name].bits // 8
    return Digest(name, draw(st.binary(min_size=width, max_size=width)))


def _bit_string(value: bytes) -> str:
    return "".join(f"{byte:08b}" for byte in value)


@given(digests())
def test_hex_round_trip_is_lossless_and_lowercase(digest: Digest) -> None:
    text = digest.hex
    assert text == text.lower()
    assert len(text) == ALGORITHMS[digest.algorithm].bits // 4
    assert parse_hash(digest.algorithm, text) == digest
    assert parse_hash(digest.algorithm, f"  {text.upper()}\n") == digest


@given(st.data())
def test_distance_equals_brute_force_bit_count(data: st.DataObject) -> None:
    name = data.draw(algorithm_names)
    a, b = data.draw(digests(name)), data.draw(digests(name))
    expected = sum(x != y for x, y in zip(_bit_string(a.value), _bit_string(b.value), strict=True))
    assert a.distance(b) == expected == b.distance(a)
    assert hamming_distance(a.value, b.value) == expected
    assert a.distance(a) == 0


def test_pdq_hex_uses_threatexchange_bit_order() -> None:
    # First bit of the hash is the most significant bit of the first hex digit.
    value = parse_hash("pdq", "8" + "0" * 63).value
    assert _bit_string(value)[0] == "1" and _bit_string(value).count("1") == 1


@pytest.mark.parametrize(
    ("algorithm", "value"),
    [
        ("pdq", "abc"),
        ("pdq", "g" * 64),
        ("pdq", "0" * 65),
        ("phash", "0" * 15),
        ("md5", "xyz" * 10),
        ("sha256", ""),
    ],
)
def test_malformed_hashes_are_refused(algorithm: str, value: str) -> None:
    with pytest.raises(InvalidHash) as error:
        parse_hash(algorithm, value)
    assert error.value.code == "invalid_hash"


def test_unknown_algorithm() -> None:
    with pytest.raises(UnknownAlgorithm):
        get_algorithm("photodna")


def test_distance_between_algorithms_is_refused() -> None:
    with pytest.raises(InvalidHash):
        Digest("pdq", bytes(32)).distance(Digest("sha256", bytes(32)))


@pytest.mark.parametrize("name", ["pdq", "phash", "dhash"])
def test_degenerate_perceptual_hashes_are_not_storable(name: str) -> None:
    algorithm = get_algorithm(name)
    width = algorithm.bits // 8
    for value in (bytes(width), b"\xff" * width):
        with pytest.raises(DegenerateHash):
            algorithm.check_storable(Digest(name, value), min_quality=50)
    algorithm.check_storable(Digest(name, b"\x5a" * width), min_quality=50)


def test_exact_hashes_have_no_degenerate_values() -> None:
    get_algorithm("md5").check_storable(Digest("md5", bytes(16)), min_quality=50)


def test_low_quality_pdq_is_not_storable() -> None:
    pdq = get_algorithm("pdq")
    with pytest.raises(LowQualityHash):
        pdq.check_storable(Digest("pdq", b"\x5a" * 32, quality=49), min_quality=50)
    pdq.check_storable(Digest("pdq", b"\x5a" * 32, quality=50), min_quality=50)
