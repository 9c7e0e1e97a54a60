"""Symbol-like pictures for the robustness benchmark, and their hard negatives.

A *symbol set* is a family of pictures drawn in one style that differ in one element: the
glyphs of one font in one colour scheme (filled or outlined), the icons of one icon-font
group (faces, files, arrows ...), emoji-like faces that differ in the eyes or the mouth,
flags that differ by one stripe, emblem or word, posters in one template with different
text. Known images are a few members of a set; every other member is a *hard negative*: the
same style, the same layout, a different picture. Members that are the same picture up to an
edit the matcher is meant to undo (``b``/``d``/``p``/``q``, ``n``/``u``, ``o``/``O``, a mirrored
arrow) are not negatives: ``bench/robustness_cases.py`` leaves them out.

Two splits draw from disjoint sources: different text fonts, different icon fonts, other
face/flag/poster styles and other seeds. Thresholds are tuned on ``DEV`` only;
``HELD_OUT`` is the check that they generalise.

Fonts come from PyPI packages (the ``fonts`` extra, part of ``test`` and ``bench``:
``qtawesome`` for its icon fonts, the ``font-*`` packages) and DejaVu, which the Debian base
image ships (``fonts-dejavu-core``).
"""

from __future__ import annotations

import importlib.util
import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

KINDS = ("glyph", "icon", "face", "flag", "text-poster")
_DEJAVU = Path("/usr/share/fonts/truetype/dejavu")
_DIACRITICS = "ÀÁÂÄÅÇÈÉÊËÌÍÎÏÑÒÓÔÖØÙÚÛÜÝàáâäåçèéêëìíîïñòóôöøùúûüýÿ"
ALPHABET = (
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789" + _DIACRITICS + "&?!%#@$"
)


@dataclass(frozen=True)
class Split:
    name: str
    #: (package or "dejavu" or "pillow", file name): text fonts glyphs are drawn in.
    text_fonts: tuple[tuple[str, str], ...]
    #: qtawesome font file stems icons come from.
    icon_fonts: tuple[str, ...]
    #: Face, flag and poster drawing style (0 or 1).
    style: int
    #: Seeds of known and distractor pictures of the classic kinds.
    known_seed: int
    distractor_seed: int


DEV = Split(
    "dev",
    text_fonts=(
        ("dejavu", "DejaVuSans.ttf"),
        ("dejavu", "DejaVuSans-Bold.ttf"),
        ("dejavu", "DejaVuSerif.ttf"),
        ("dejavu", "DejaVuSansMono.ttf"),
        ("font_roboto", "Roboto-Regular.ttf"),
        ("font_roboto", "Roboto-Black.ttf"),
        ("font_source_serif_pro", "SourceSerifPro-Regular.ttf"),
        ("font_fredoka_one", "FredokaOne-Regular.ttf"),
        ("font_lato", "Lato-Bold.ttf"),
    ),
    icon_fonts=(
        "fontawesome6-solid-webfont-6.7.2",
        "fontawesome6-regular-webfont-6.7.2",
        "codicon-0.0.36",
    ),
    style=0,
    known_seed=1000,
    distractor_seed=1_000_000,
)
HELD_OUT = Split(
    "held-out",
    text_fonts=(
        ("font_source_sans_pro", "SourceSansPro-Regular.otf"),
        ("font_source_sans_pro", "SourceSansPro-Bold.ttf"),
        ("font_caladea", "Caladea-Regular.ttf"),
        ("font_caladea", "Caladea-Bold.ttf"),
        ("font_hanken_grotesk", "HankenGrotesk-Regular.otf"),
        ("font_manrope", "Manrope-Bold.ttf"),
        ("font_fjallaone", "FjallaOne-Regular.ttf"),
        ("pillow", "Aileron"),
    ),
    icon_fonts=(
        "materialdesignicons6-webfont-6.9.96",
        "phosphor-1.3.0",
        "remixicon-2.5.0",
        "elusiveicons-webfont-2.0",
    ),
    style=1,
    known_seed=7000,
    distractor_seed=3_000_000,
)
SPLITS = {split.name: split for split in (DEV, HELD_OUT)}
#: A small split for tests: DejaVu (Debian's base image ships it), no icon font.
TEST = Split(
    "test",
    text_fonts=(("dejavu", "DejaVuSans-Bold.ttf"),),
    icon_fonts=(),
    style=0,
    known_seed=0,
    distractor_seed=0,
)


def _package_dir(package: str) -> Path:
    spec = importlib.util.find_spec(package)  # finds the package without importing it
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError(f"font package {package!r} missing: pip install -e '.[fonts]'")
    return Path(next(iter(spec.submodule_search_locations)))


@cache
def text_font(source: tuple[str, str], size: int) -> ImageFont.FreeTypeFont:
    package, name = source
    if package == "pillow":
        loaded = ImageFont.load_default(size=size)
        assert isinstance(loaded, ImageFont.FreeTypeFont)
        return loaded
    folder = _DEJAVU if package == "dejavu" else _package_dir(package) / "files"
    return ImageFont.truetype(str(folder / name), size)


@cache
def _icon_font_and_map(stem: str, size: int) -> tuple[ImageFont.FreeTypeFont, dict[str, str]]:
    folder = _package_dir("qtawesome") / "fonts"
    name, version = stem.rsplit("-", 1)
    charmap = json.loads((folder / f"{name}-charmap-{version}.json").read_text())
    codes = {key: chr(int(str(value), 16)) for key, value in charmap.items()}
    return ImageFont.truetype(str(folder / f"{stem}.ttf"), size), codes


@cache
def icon_groups(stem: str) -> tuple[tuple[str, ...], ...]:
    """Icon names grouped by their first word (``face-smile``, ``face-frown`` ...), within one
    weight of the font (phosphor and remix name their weights), groups of 4 to 40."""
    _, codes = _icon_font_and_map(stem, 16)
    groups: dict[str, list[str]] = {}
    for name in sorted(codes):
        if len(name) < 3 or name[0].isdigit():
            continue
        words = name.split("-")
        weight = words[-1] if words[-1] in ("bold", "fill", "light", "thin", "line") else ""
        groups.setdefault(f"{words[0]}/{weight}", []).append(name)
    return tuple(tuple(names[:40]) for _, names in sorted(groups.items()) if len(names) >= 4)


def _colour(rng: np.random.Generator, low: int = 0, high: int = 256) -> tuple[int, int, int]:
    r, g, b = (int(v) for v in rng.integers(low, high, 3))
    return (r, g, b)


def _contrasting(rng: np.random.Generator) -> tuple[tuple[int, int, int], tuple[int, int, int]]:
    """Background and ink with clear contrast."""
    if rng.random() < 0.65:
        return _colour(rng, 205, 256), _colour(rng, 0, 90)
    return _colour(rng, 0, 60), _colour(rng, 170, 256)


@dataclass(frozen=True)
class SymbolSet:
    """One style and its members; ``draw(member)`` renders a member in that style."""

    kind: str
    seed: int
    split: Split
    #: Glyphs and icons outlined (True) or filled (False); None: drawn from the seed.
    outline: bool | None = None

    def _rng(self, salt: int = 0) -> np.random.Generator:
        return np.random.default_rng(
            [40 + KINDS.index(self.kind), self.split.style, self.seed, salt]
        )

    @property
    def members(self) -> tuple[str, ...]:
        if self.kind == "glyph":
            return _covered(self._font_source())
        if self.kind == "icon":
            return self._icon_group()[1]
        if self.kind == "face":
            return tuple(
                f"{e}{m}{b}{x}"
                for e in range(4)
                for m in range(6)
                for b in range(3)
                for x in range(3)
            )
        if self.kind == "flag":
            return tuple(
                f"{a}{b}{c}{e}{w}"
                for a in range(5)
                for b in range(5)
                for c in range(5)
                for e in range(4)
                for w in range(3)
                if len({a, b, c}) == 3
            )
        return tuple(str(n) for n in range(40))  # text-poster: the text's seed

    def identity(self, member: str) -> tuple[str, ...]:
        """What the member shows regardless of colours and badge: a glyph of a font or an
        icon of an icon font is the same symbol in every set that draws it."""
        if self.kind == "glyph":
            return ("glyph", *self._font_source(), member)
        if self.kind == "icon":
            return ("icon", self._icon_group()[0], member)
        return (self.kind, str(self.seed), member)

    def neighbours(self, member: str) -> tuple[str, ...]:
        """Members that differ from ``member`` in one element (all others for glyphs, icons
        and posters)."""
        if self.kind in ("face", "flag"):
            return tuple(
                m
                for m in self.members
                if m != member and sum(x != y for x, y in zip(m, member, strict=True)) == 1
            )
        return tuple(m for m in self.members if m != member)

    def _font_source(self) -> tuple[str, str]:
        fonts = self.split.text_fonts
        return fonts[int(self._rng(1).integers(len(fonts)))]

    def _icon_group(self) -> tuple[str, tuple[str, ...]]:
        rng = self._rng(1)
        stem = self.split.icon_fonts[int(rng.integers(len(self.split.icon_fonts)))]
        groups = icon_groups(stem)
        return stem, groups[int(rng.integers(len(groups)))]

    def draw(self, member: str) -> Image.Image:
        return {
            "glyph": self._glyph,
            "icon": self._icon,
            "face": self._face,
            "flag": self._flag,
            "text-poster": self._poster,
        }[self.kind](member)

    # --- the kinds -------------------------------------------------------------------------

    def _canvas(self) -> tuple[Image.Image, ImageDraw.ImageDraw, tuple[int, int, int], int]:
        rng = self._rng(2)
        side = int(rng.integers(360, 600))
        background, ink = _contrasting(rng)
        image = Image.new("RGB", (side, side), background)
        draw = ImageDraw.Draw(image)
        if rng.random() < 0.3:  # a badge behind the symbol
            badge = _colour(rng)
            margin = side // 12
            if rng.random() < 0.5:
                draw.ellipse([margin, margin, side - margin, side - margin], fill=badge)
            else:
                draw.rounded_rectangle(
                    [margin, margin, side - margin, side - margin], side // 8, fill=badge
                )
            # Ink that stands out in brightness, not only in hue: every hash and check
            # here sees grey levels, and a magenta glyph on a green badge is grey on grey.
            light = 0.299 * badge[0] + 0.587 * badge[1] + 0.114 * badge[2] > 128
            ink = _colour(rng, 0, 70) if light else _colour(rng, 190, 256)
        return image, draw, ink, side

    def _lettering(self, text: str, font: ImageFont.FreeTypeFont) -> Image.Image:
        """``text`` centred on the set's canvas, filled or outlined (the set's style)."""
        image, draw, ink, side = self._canvas()
        centre = (side / 2, side / 2)
        outlined = self._rng(3).random() < 0.4 if self.outline is None else self.outline
        if outlined:  # the inside keeps the colour behind it
            inside = image.getpixel((side // 2, side // 2))
            draw.text(
                centre,
                text,
                font=font,
                anchor="mm",
                fill=inside,
                stroke_width=max(2, side // 60),
                stroke_fill=ink,
            )
        else:
            draw.text(centre, text, font=font, anchor="mm", fill=ink)
        return image

    def _glyph(self, member: str) -> Image.Image:
        side = int(self._rng(2).integers(360, 600))
        return self._lettering(member, text_font(self._font_source(), round(side * 0.62)))

    def _icon(self, member: str) -> Image.Image:
        stem, _ = self._icon_group()
        side = int(self._rng(2).integers(360, 600))
        font, codes = _icon_font_and_map(stem, round(side * 0.6))
        return self._lettering(codes[member], font)

    def _face(self, member: str) -> Image.Image:
        eyes, mouth, brows, extra = (int(c) for c in member)
        image, draw, ink, side = self._canvas()
        rng = self._rng(4)
        skin = _colour(rng, 150, 256)
        line = max(3, side // 40)
        c, r = side / 2, side * 0.36
        if self.split.style == 0:
            draw.ellipse([c - r, c - r, c + r, c + r], fill=skin, outline=ink, width=line)
        else:
            draw.rounded_rectangle(
                [c - r, c - r * 0.9, c + r, c + r * 0.9], side // 10, outline=ink, width=line
            )
        for dx in (-1, 1):
            ex, ey, er = c + dx * r * 0.38, c - r * 0.22, r * 0.11
            if eyes == 0:
                draw.ellipse([ex - er, ey - er, ex + er, ey + er], fill=ink)
            elif eyes == 1:
                draw.arc([ex - er, ey - er, ex + er, ey + er], 200, 340, fill=ink, width=line)
            elif eyes == 2:
                draw.line([ex - er, ey - er, ex + er, ey + er], fill=ink, width=line)
                draw.line([ex - er, ey + er, ex + er, ey - er], fill=ink, width=line)
            else:
                draw.ellipse(
                    [ex - er, ey - 1.6 * er, ex + er, ey + 1.6 * er], outline=ink, width=line
                )
            if brows == 1:
                draw.line(
                    [ex - er * 1.4, ey - er * 2.4, ex + er * 1.4, ey - er * 2.1],
                    fill=ink,
                    width=line,
                )
            elif brows == 2:
                tilt = dx * er * 0.8
                draw.line(
                    [ex - er * 1.4, ey - er * 2.2 - tilt, ex + er * 1.4, ey - er * 2.2 + tilt],
                    fill=ink,
                    width=line,
                )
        mx, my, mw = c, c + r * 0.35, r * 0.5
        box = [mx - mw, my - mw * 0.6, mx + mw, my + mw * 0.6]
        if mouth == 0:
            draw.arc(box, 20, 160, fill=ink, width=line)
        elif mouth == 1:
            draw.arc(
                [box[0], box[1] + mw * 0.6, box[2], box[3] + mw * 0.6],
                200,
                340,
                fill=ink,
                width=line,
            )
        elif mouth == 2:
            draw.line([mx - mw * 0.7, my, mx + mw * 0.7, my], fill=ink, width=line)
        elif mouth == 3:
            draw.ellipse([mx - mw * 0.3, my - mw * 0.3, mx + mw * 0.3, my + mw * 0.4], fill=ink)
        elif mouth == 4:
            draw.chord(box, 0, 180, fill=ink)
        else:
            points = [(mx - mw + i * mw / 3, my + (8 if i % 2 else -8)) for i in range(7)]
            draw.line(points, fill=ink, width=line)
        if extra == 1:  # a tear
            draw.ellipse([c + r * 0.3, c, c + r * 0.42, c + r * 0.2], fill=(60, 140, 230))
        elif extra == 2:  # blush
            for dx in (-1, 1):
                bx = c + dx * r * 0.6
                draw.ellipse(
                    [bx - r * 0.12, c + r * 0.05, bx + r * 0.12, c + r * 0.18], fill=(240, 120, 130)
                )
        return image

    def _flag(self, member: str) -> Image.Image:
        colours_at, emblem, word = [int(c) for c in member[:3]], int(member[3]), int(member[4])
        rng = self._rng(5)
        palette = [_colour(rng) for _ in range(5)]
        width, height = int(rng.integers(480, 640)), int(rng.integers(300, 400))
        image = Image.new("RGB", (width, height), palette[colours_at[0]])
        draw = ImageDraw.Draw(image)
        vertical = rng.random() < 0.5
        if self.split.style == 0:
            for i, at in enumerate(colours_at):
                if vertical:
                    draw.rectangle(
                        [i * width / 3, 0, (i + 1) * width / 3, height], fill=palette[at]
                    )
                else:
                    draw.rectangle(
                        [0, i * height / 3, width, (i + 1) * height / 3], fill=palette[at]
                    )
        else:  # a cross or a diagonal band, and a canton
            draw.polygon(
                [(0, height), (width * 0.25, height), (width, 0), (width * 0.75, 0)],
                fill=palette[colours_at[1]],
            )
            draw.rectangle([0, 0, width * 0.3, height * 0.4], fill=palette[colours_at[2]])
        cx, cy, r = width / 2, height / 2, height * 0.2
        ink = _colour(rng)
        if emblem == 1:
            draw.ellipse([cx - r, cy - r, cx + r, cy + r], fill=ink)
        elif emblem == 2:
            draw.regular_polygon((cx, cy, r), 5, fill=ink)
        elif emblem == 3:
            draw.ellipse([cx - r, cy - r, cx + r, cy + r], fill=ink)
            draw.ellipse(
                [cx - r * 0.6, cy - r, cx + r * 1.2, cy + r * 0.9], fill=palette[colours_at[1]]
            )
        if word:
            words = ("UNITY", "FREEDOM", "LIBERTY", "NATION", "PEOPLE", "REPUBLIC")
            text = words[(self.seed + word) % len(words)]
            font = text_font(self.split.text_fonts[0], height // 9)
            draw.text((cx, height * 0.86), text, fill=ink, font=font, anchor="mm")
        return image

    def _poster(self, member: str) -> Image.Image:
        rng = self._rng(6)
        words = np.random.default_rng([47, self.split.style, self.seed, int(member)])
        width, height = (480, 640) if rng.random() < 0.6 else (600, 480)
        background, ink = _contrasting(rng)
        image = Image.new("RGB", (width, height), background)
        draw = ImageDraw.Draw(image)
        accent = _colour(rng)
        draw.rectangle([0, 0, width - 1, height - 1], outline=accent, width=14)
        r = min(width, height) * 0.18
        ex, ey = (
            (width / 2, height * 0.3) if self.split.style == 0 else (width * 0.75, height * 0.7)
        )
        draw.regular_polygon((ex, ey, r), int(rng.integers(3, 9)), fill=accent)
        draw.ellipse([ex - r / 2, ey - r / 2, ex + r / 2, ey + r / 2], fill=background)
        font = text_font(self.split.text_fonts[int(rng.integers(len(self.split.text_fonts)))], 34)
        lexicon = (
            "RISE",
            "JOIN",
            "TRUTH",
            "NOW",
            "FREE",
            "VOICE",
            "STAND",
            "UNITE",
            "MARCH",
            "WE",
            "ARE",
            "ONE",
            "HOPE",
            "FIGHT",
            "PEACE",
            "DAWN",
        )
        y = height * (0.58 if self.split.style == 0 else 0.1)
        for _ in range(3):
            text = " ".join(str(words.choice(lexicon)) for _ in range(2))
            draw.text((width * 0.1, y), text, fill=ink, font=font)
            y += 48
        return image


@cache
def _covered(source: tuple[str, str]) -> tuple[str, ...]:
    """The characters of ``ALPHABET`` that font ``source`` has."""
    font = text_font(source, 64)
    return tuple(c for c in ALPHABET if _has_glyph(font, c))


def _has_glyph(font: ImageFont.FreeTypeFont, char: str) -> bool:
    """False when ``font`` draws ``char`` as its missing-glyph box."""
    missing = font.getmask("\U0010fffd")
    drawn = font.getmask(char)
    return bool(drawn.size != missing.size or bytes(drawn) != bytes(missing))
