"""What one split of the robustness benchmark holds: known pictures, hard negatives, and the
unrelated distractors.

Half the known pictures are of the classic kinds (photo-like scenes, posters, logos,
screenshots, dark scenes; ``hashdb/testing/robustness/``), half are symbols: three members of
each symbol set (``hashdb/testing/symbols.py``). Every other member of those sets is a
hard negative, uploaded under one of the edit families in turn (or unedited), so a glyph
pair like E/F is tried mirrored, turned, cropped, captioned and in a screenshot too.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import cv2
import numpy as np
from PIL import Image

from hashdb.testing import robustness as data
from hashdb.testing import symbols

#: Symbol sets cycle through these kinds (glyphs and icons most: the clipart that shares
#: a style most closely).
_SET_KINDS = ("glyph", "icon", "glyph", "face", "glyph", "flag", "icon", "text-poster")
MEMBERS_PER_SET = 3
#: Edits hard negatives are uploaded with, in turn ("none": the picture as drawn).
NEGATIVE_EDITS = ("none", *data.FAMILY_NAMES)


@dataclass(frozen=True)
class Known:
    index: int
    kind: str
    seed: int
    split: str
    member: str = ""  # a symbol set's member ("" for the classic kinds)

    def image(self) -> Image.Image:
        if self.kind in symbols.KINDS:
            return self.symbol_set().draw(self.member)
        return data.draw_kind(self.kind, self.seed)

    def symbol_set(self) -> symbols.SymbolSet:
        return symbols.SymbolSet(self.kind, self.seed, symbols.SPLITS[self.split])


@dataclass(frozen=True)
class HardNegative:
    number: int
    kind: str
    seed: int
    split: str
    member: str
    edit: str
    strength: str

    def upload(self) -> bytes:
        picture = symbols.SymbolSet(self.kind, self.seed, symbols.SPLITS[self.split]).draw(
            self.member
        )
        if self.edit == "none":
            return data.encode(picture, 85)
        return data.transformed(picture, self.edit, self.strength, 50_000 + self.number)


def knowns(count: int, split: symbols.Split) -> list[Known]:
    """``count`` known pictures: the first half classic kinds, the rest symbols."""
    classic = (count + 1) // 2
    found = [
        Known(i, data.KINDS[i % len(data.KINDS)], split.known_seed + i, split.name)
        for i in range(classic)
    ]
    set_number = 0
    shown: set[tuple[str, ...]] = set()  # one known per symbol, whatever its colours
    while len(found) < count:
        kind = _SET_KINDS[set_number % len(_SET_KINDS)]
        seed = split.known_seed + set_number
        for member in _chosen_members(kind, seed, split.name):
            item = Known(len(found), kind, seed, split.name, member)
            identity = item.symbol_set().identity(member)
            if len(found) < count and identity not in shown:
                found.append(item)
                shown.add(identity)
        set_number += 1
    return found


@cache
def _chosen_members(kind: str, seed: int, split: str) -> tuple[str, ...]:
    """Members of a set that are known: drawn by seed, none the same picture as another."""
    chosen = symbols.SymbolSet(kind, seed, symbols.SPLITS[split])
    members = chosen.members
    rng = np.random.default_rng([60, seed])
    picked: list[str] = []
    pictures = np.empty((0, _SIDE, _SIDE), np.float32)
    for index in rng.permutation(len(members)).tolist():
        shape = structure(chosen.draw(members[index]))
        if not _twin_of_any(shape, pictures):
            picked.append(members[index])
            pictures = np.concatenate([pictures, _variants(shape)])
        if len(picked) == MEMBERS_PER_SET:
            break
    return tuple(picked)


def hard_negatives(known: list[Known], per_set: int | None = None) -> list[HardNegative]:
    """The other members of every known symbol set (for faces and flags: those differing in
    one element from a known member), without any that is a known picture up to an edit, at
    most ``per_set`` of each set; each under the next edit of ``NEGATIVE_EDITS``."""
    by_set: dict[tuple[str, int, str], list[str]] = {}
    for item in known:
        if item.member:
            by_set.setdefault((item.kind, item.seed, item.split), []).append(item.member)
    shapes = {
        (item.kind, item.seed, item.member): structure(item.image())
        for item in known
        if item.member
    }
    # The same glyph of the same font in another set (other colours, a badge) is the same
    # symbol, not a negative.
    identities = {item.symbol_set().identity(item.member) for item in known if item.member}
    negatives: list[HardNegative] = []
    for (kind, seed, split), members in by_set.items():
        chosen = symbols.SymbolSet(kind, seed, symbols.SPLITS[split])
        others = sorted({n for m in members for n in chosen.neighbours(m)} - set(members))
        rng = np.random.default_rng([61, seed, symbols.KINDS.index(kind)])
        others = [others[i] for i in rng.permutation(len(others)).tolist()]
        same_kind = np.concatenate(
            [_variants(shape) for (k, _, _), shape in shapes.items() if k == kind]
        )
        kept = 0
        for member in others:
            if per_set is not None and kept >= per_set:
                break
            if chosen.identity(member) in identities:
                continue
            shape = structure(chosen.draw(member))
            if _twin_of_any(shape, same_kind):
                continue  # the same picture as a known, up to an edit: not a negative
            number = len(negatives)
            edit = NEGATIVE_EDITS[number % len(NEGATIVE_EDITS)]
            strengths = ("",) if edit == "none" else data.family(edit).strengths
            strength = strengths[(number // len(NEGATIVE_EDITS)) % len(strengths)]
            negatives.append(HardNegative(number, kind, seed, split, member, edit, strength))
            kept += 1
    return negatives


# --- the same picture up to an edit ------------------------------------------------------------

_SIDE = 64
#: Two structure maps are one picture when no cell of an 8x8 grid differs by this much on
#: average (in standard deviations). Measured on DejaVu Sans/Serif and Roboto: b/d/p/q, n/u,
#: 6/9, I/l, Ò/Ó and the lower case letters that are a scaled capital (w/W, x/X, s/S, v/V)
#: fall below 0.6; the next pairs (O/o 0.69, C/c 0.75, Z/z 0.82 ...) differ in stroke weight
#: and stay negatives, as do E/F, È/É, u/ü, j/J (above 0.9).
TWIN_TOLERANCE = 0.6


def structure(image: Image.Image) -> np.ndarray:
    """The picture's content box (pixels unlike the corner colour) scaled to a square and
    normalised to zero mean and unit spread: what is left once scale, aspect (squash),
    position and colour (a recolour, grayscale) are taken out."""
    rgb = np.asarray(image.convert("RGB"))
    distance = np.abs(rgb.astype(np.int16) - rgb[0, 0].astype(np.int16))
    differs = np.maximum(np.maximum(distance[..., 0], distance[..., 1]), distance[..., 2]) > 24
    x, y, width, height = cv2.boundingRect(differs.astype(np.uint8))
    gray = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY).astype(np.float32)
    if width and height:
        gray = gray[y : y + height, x : x + width]
    small = cv2.resize(gray, (_SIDE, _SIDE), interpolation=cv2.INTER_AREA)
    spread = float(small.std())
    normalised: np.ndarray = (small - small.mean()) / (spread if spread > 1 else 1.0)
    return normalised


def _variants(shape: np.ndarray) -> np.ndarray:
    """The 8 turns and mirrors of a structure map, and their negatives: (16, side, side)."""
    turns = [np.rot90(shape, turn) for turn in range(4)]
    dihedral = np.stack(turns + [turned[:, ::-1] for turned in turns])
    return np.concatenate([dihedral, -dihedral])


def _twin_of_any(shape: np.ndarray, others: np.ndarray) -> bool:
    """Whether ``shape`` is one picture with any of ``others`` (stacked ``_variants``) under
    some turn or mirror, in negative colours too (light ink on dark is the same outline)."""
    if not others.size:
        return False
    difference = np.abs(others - shape).reshape(-1, 8, _SIDE // 8, 8, _SIDE // 8)
    return bool(difference.mean(axis=(2, 4)).max(axis=(1, 2)).min() < TWIN_TOLERANCE)


def distractor(index: int, known_count: int, split: symbols.Split) -> tuple[str, Image.Image]:
    """Unrelated picture ``index`` of the split (every fifth a classic hard negative: another
    picture in a known poster's template or a known screenshot's layout)."""
    classic = (known_count + 1) // 2
    return data.distractor(index, classic, split.known_seed, split.distractor_seed)
