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
face/flag/poster styles (dev draws about half its sets in a second style of its own: oval
faces, crossed flags, posters with the words beside the emblem) and other seeds. Thresholds
are tuned on ``DEV`` only; ``HELD_OUT`` is the check that they generalise.

Fonts come from PyPI packages (the ``fonts`` extra, part of ``test`` and ``bench``:
``qtawesome`` for its icon fonts, the ``font-*`` packages) and DejaVu, which the Debian base
image ships (``fonts-dejavu-core``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from hashdb.testing.symbol_sources import (
    DEV,
    HELD_OUT,
    SPLITS,
    TEST,
    TEST_HELD_OUT,
    TEST_SECOND_STYLE,
    Split,
    covered,
    icon_font_and_map,
    icon_groups,
    text_font,
)

__all__ = [
    "DEV",
    "HELD_OUT",
    "KINDS",
    "SPLITS",
    "TEST",
    "TEST_HELD_OUT",
    "TEST_SECOND_STYLE",
    "Split",
    "SymbolSet",
]

KINDS = ("glyph", "icon", "face", "flag", "text-poster")


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
    def style(self) -> int:
        """The face, flag and poster style this set is drawn in."""
        second = self.split.second_style
        if second is not None and self._rng(8).random() < 0.5:
            return second
        return self.split.style

    @property
    def members(self) -> tuple[str, ...]:
        if self.kind == "glyph":
            return covered(self._font_source())
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
        font, codes = icon_font_and_map(stem, round(side * 0.6))
        return self._lettering(codes[member], font)

    def _face(self, member: str) -> Image.Image:
        eyes, mouth, brows, extra = (int(c) for c in member)
        image, draw, ink, side = self._canvas()
        rng = self._rng(4)
        skin = _colour(rng, 150, 256)
        line = max(3, side // 40)
        c, r = side / 2, side * 0.36
        if self.style == 0:
            draw.ellipse([c - r, c - r, c + r, c + r], fill=skin, outline=ink, width=line)
        elif self.style == 2:  # an oval with ears and a fringe, no skin
            for dx in (-1, 1):
                ear = c + dx * r * 0.82
                draw.ellipse([ear - r * 0.14, c - r * 0.2, ear + r * 0.14, c + r * 0.15], fill=ink)
            draw.ellipse(
                [c - r * 0.8, c - r, c + r * 0.8, c + r], fill=skin, outline=ink, width=line
            )
            draw.chord([c - r * 0.8, c - r, c + r * 0.8, c - r * 0.2], 180, 360, fill=ink)
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
        if self.style == 0:
            for i, at in enumerate(colours_at):
                if vertical:
                    draw.rectangle(
                        [i * width / 3, 0, (i + 1) * width / 3, height], fill=palette[at]
                    )
                else:
                    draw.rectangle(
                        [0, i * height / 3, width, (i + 1) * height / 3], fill=palette[at]
                    )
        elif self.style == 2:  # a cross towards the hoist, edged in a third colour
            bar = height * 0.18
            x0, y0 = width * 0.3, height / 2 - bar / 2
            edge = bar * 0.25
            draw.rectangle([x0 - edge, 0, x0 + bar + edge, height], fill=palette[colours_at[2]])
            draw.rectangle([0, y0 - edge, width, y0 + bar + edge], fill=palette[colours_at[2]])
            draw.rectangle([x0, 0, x0 + bar, height], fill=palette[colours_at[1]])
            draw.rectangle([0, y0, width, y0 + bar], fill=palette[colours_at[1]])
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
        ex, ey = {0: (width / 2, height * 0.3), 2: (width * 0.27, height * 0.5)}.get(
            self.style, (width * 0.75, height * 0.7)
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
        lines = [" ".join(str(words.choice(lexicon)) for _ in range(2)) for _ in range(3)]
        if self.style == 2:  # one word a line, beside the emblem
            x, y = width * 0.52, height / 2 - 3 * 40
            for text in " ".join(lines).split():
                draw.text((x, y), text, fill=ink, font=font)
                y += 40
            return image
        y = height * (0.58 if self.style == 0 else 0.1)
        for text in lines:
            draw.text((width * 0.1, y), text, fill=ink, font=font)
            y += 48
        return image
