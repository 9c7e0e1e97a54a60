"""Deterministic data for the robustness benchmark and its tests.

Everything is drawn from seeds, so two runs (and the tests) see identical pixels:

* known images of five kinds (photo-like scenes, posters with text, logos/clipart on flat
  backgrounds, screenshots, dark scenes), each drawn from ``(kind, seed)``;
* unrelated distractors of the same kinds from a disjoint seed range, plus *hard negatives*:
  a different picture in the same poster template or the same screenshot layout as a known;
* the edits re-uploads come back with (``FAMILIES``), each at several strengths.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageEnhance, ImageFilter, ImageFont, ImageOps

KINDS = ("photo", "poster", "logo", "screenshot", "dark")

_WORDS = tuple(
    " ".join(
        (
            "news update world live report today breaking join channel official video watch",
            "message statement people city free truth voice rise media press now read more",
            "share north south east west river valley time power light fire storm unity call",
        )
    ).split(" ")
)


@lru_cache(maxsize=32)
def font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    return ImageFont.load_default(size=size)


def _colour(rng: np.random.Generator, low: int = 0, high: int = 256) -> tuple[int, int, int]:
    r, g, b = (int(v) for v in rng.integers(low, high, 3))
    return (r, g, b)


def _phrase(rng: np.random.Generator, words: int) -> str:
    return " ".join(str(rng.choice(_WORDS)) for _ in range(words))


def _noise_field(rng: np.random.Generator, width: int, height: int) -> np.ndarray:
    """Multi-scale smooth noise in [0, 1]: the texture that makes a scene photo-like."""
    total = np.zeros((height, width), dtype=np.float32)
    for cells, weight in ((4, 1.0), (8, 0.5), (16, 0.25), (48, 0.12)):
        small = rng.random((cells, cells)).astype(np.float32)
        total += weight * cv2.resize(small, (width, height), interpolation=cv2.INTER_CUBIC)
    total -= total.min()
    return total / max(float(total.max()), 1e-6)


def photo(seed: int, size: tuple[int, int] = (640, 480), dark: bool = False) -> Image.Image:
    """A photo-like scene: textured gradient background, blurred shapes, lines."""
    rng = np.random.default_rng([1, seed])
    width, height = size
    field = _noise_field(rng, width, height)
    base = rng.uniform(0, 255, 3).astype(np.float32)
    tint = rng.uniform(-120, 120, 3).astype(np.float32)
    background = base + tint * (field[:, :, None] - np.float32(0.5))
    image = Image.fromarray(np.clip(background, 0, 255).astype(np.uint8), "RGB")
    draw = ImageDraw.Draw(image)
    scale = max(width, height) / 640
    for _ in range(int(rng.integers(12, 30))):
        x0, y0 = int(rng.integers(0, width)), int(rng.integers(0, height))
        w, h = (rng.integers(15, 220, 2) * scale).astype(int)
        colour = _colour(rng)
        shape = rng.random()
        if shape < 0.4:
            draw.ellipse([x0, y0, x0 + w, y0 + h], fill=colour)
        elif shape < 0.8:
            draw.rectangle([x0, y0, x0 + w, y0 + h], fill=colour)
        else:
            points = [(int(rng.integers(0, width)), int(rng.integers(0, height))) for _ in range(3)]
            draw.polygon(points, fill=colour)
    for _ in range(int(rng.integers(4, 12))):
        points = [(int(rng.integers(0, width)), int(rng.integers(0, height))) for _ in range(2)]
        draw.line(points, fill=_colour(rng), width=int(rng.integers(2, 6)))
    sigma = float(rng.uniform(0.8, 2.0))
    pixels = np.asarray(
        cv2.GaussianBlur(np.asarray(image, dtype=np.float32), (0, 0), sigma), dtype=np.float32
    )
    grain = rng.standard_normal((height, width, 1), dtype=np.float32) * 4
    pixels += grain
    if dark:
        pixels = pixels * rng.uniform(0.12, 0.25) + rng.uniform(0, 10)
    return Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8), "RGB")


def poster(seed: int, template: int | None = None) -> Image.Image:
    """A poster: template (layout, colours, frame, header) and content (picture, words).

    The template comes from ``template`` (default: the seed), the content from the seed, so
    ``poster(a, t)`` and ``poster(b, t)`` are two different posters in one template.
    """
    layout = np.random.default_rng([2, seed if template is None else template])
    content = np.random.default_rng([3, seed])
    width, height = (480, 640) if layout.random() < 0.6 else (640, 480)
    background = _colour(layout)
    image = Image.new("RGB", (width, height), background)
    draw = ImageDraw.Draw(image)
    accent = _colour(layout)
    frame = int(layout.integers(8, 24))
    draw.rectangle([0, 0, width - 1, height - 1], outline=accent, width=frame)
    header = int(height * layout.uniform(0.12, 0.2))
    draw.rectangle([frame, frame, width - frame, frame + header], fill=accent)
    draw.text((frame + 14, frame + 10), "OFFICIAL", fill=background, font=font(header // 3))
    # The content: a picture panel and a title and a few lines of text.
    top = frame + header + 16
    panel_h = int((height - top) * layout.uniform(0.45, 0.6))
    panel = photo(int(content.integers(0, 2**31)), (width - 2 * frame - 32, panel_h))
    image.paste(panel, (frame + 16, top))
    text_colour = _colour(layout, 0, 90) if sum(background) > 380 else _colour(layout, 180, 256)
    y = top + panel_h + 14
    draw.text((frame + 16, y), _phrase(content, 3).upper(), fill=text_colour, font=font(30))
    y += 44
    while y < height - frame - 30:
        draw.text((frame + 16, y), _phrase(content, 5), fill=text_colour, font=font(18))
        y += 26
    return image


def logo(seed: int) -> Image.Image:
    """Clipart or a logo on a flat background: a few bold flat shapes, outlines, a word."""
    rng = np.random.default_rng([4, seed])
    size = 512
    background = _colour(rng, 200, 256) if rng.random() < 0.7 else _colour(rng, 0, 60)
    image = Image.new("RGB", (size, size), background)
    draw = ImageDraw.Draw(image)
    centre = size // 2
    for _ in range(int(rng.integers(3, 7))):
        radius = int(rng.integers(40, 170))
        cx = centre + int(rng.integers(-90, 90))
        cy = centre - 40 + int(rng.integers(-70, 70))
        box = [cx - radius, cy - radius, cx + radius, cy + radius]
        colour, outline = _colour(rng), _colour(rng, 0, 80)
        kind = rng.random()
        if kind < 0.35:
            draw.ellipse(box, fill=colour, outline=outline, width=6)
        elif kind < 0.7:
            sides = int(rng.integers(3, 8))
            angle = float(rng.uniform(0, 360))
            draw.regular_polygon(
                (cx, cy, radius), sides, rotation=angle, fill=colour, outline=outline
            )
        else:
            start = float(rng.uniform(0, 360))
            draw.pieslice(box, start, start + float(rng.uniform(90, 300)), fill=colour)
    word = str(rng.choice(_WORDS)).upper()
    draw.text((centre, size - 70), word, fill=_colour(rng, 0, 120), font=font(54), anchor="mm")
    return image


def screenshot(seed: int, layout: int | None = None) -> Image.Image:
    """A chat/news app screenshot: UI chrome from ``layout``, messages and a picture from the
    seed, so two seeds with one layout differ only in content."""
    ui = np.random.default_rng([5, seed if layout is None else layout])
    content = np.random.default_rng([6, seed])
    width, height = (420, 760) if ui.random() < 0.5 else (800, 520)
    light = ui.random() < 0.6
    background = (245, 245, 245) if light else (24, 26, 30)
    ink = (30, 30, 30) if light else (220, 220, 220)
    image = Image.new("RGB", (width, height), background)
    draw = ImageDraw.Draw(image)
    bar = _colour(ui)
    draw.rectangle([0, 0, width, 56], fill=bar)
    draw.text((16, 16), _phrase(ui, 2).title(), fill=(255, 255, 255), font=font(22))
    y = 72
    while y < height - 60:
        if content.random() < 0.3 and y < height - 260:
            pic_w = int(width * content.uniform(0.5, 0.8))
            pic_h = int(pic_w * content.uniform(0.5, 0.75))
            pic = photo(int(content.integers(0, 2**31)), (pic_w, pic_h))
            image.paste(pic, (16, y))
            y += pic_h + 12
        else:
            bubble = _colour(ui, 180, 256) if light else _colour(ui, 40, 90)
            lines = int(content.integers(1, 4))
            box_w = int(width * content.uniform(0.4, 0.85))
            draw.rounded_rectangle([16, y, 16 + box_w, y + 12 + 22 * lines], 10, fill=bubble)
            for line in range(lines):
                draw.text((26, y + 6 + 22 * line), _phrase(content, 4), fill=ink, font=font(16))
            y += 24 + 22 * lines
    draw.rectangle([0, height - 48, width, height], fill=bar)
    draw.text((16, height - 36), "type a message", fill=(255, 255, 255), font=font(16))
    return image


def draw_kind(kind: str, seed: int) -> Image.Image:
    if kind == "photo":
        rng = np.random.default_rng([7, seed])
        size = (int(rng.integers(480, 800)), int(rng.integers(360, 640)))
        return photo(seed, size)
    if kind == "dark":
        return photo(seed, (640, 480), dark=True)
    if kind == "poster":
        return poster(seed)
    if kind == "logo":
        return logo(seed)
    if kind == "screenshot":
        return screenshot(seed)
    raise ValueError(f"unknown kind {kind!r}")


@dataclass(frozen=True)
class Known:
    index: int
    kind: str
    seed: int

    def image(self) -> Image.Image:
        return draw_kind(self.kind, self.seed)


def knowns(count: int) -> list[Known]:
    return [Known(i, KINDS[i % len(KINDS)], 1000 + i) for i in range(count)]


def distractor(
    index: int, known_count: int, known_seed: int = 1000, distractor_seed: int = 1_000_000
) -> tuple[str, Image.Image]:
    """Distractor ``index``: every fifth one is a hard negative (a known's poster template or
    screenshot layout with different content), the rest unrelated pictures of every kind.
    Known ``i`` is drawn from seed ``known_seed + i``, distractors from ``distractor_seed``."""
    seed = distractor_seed + index
    if index % 5 == 4:
        # Known posters and screenshots sit at indices 1 and 3 (mod 5); cycle through them.
        groups = max(1, known_count // len(KINDS))
        target = len(KINDS) * ((index // 10) % groups)
        if index // 5 % 2 == 0:
            return "hard-poster", poster(seed, template=known_seed + target + 1)
        return "hard-screenshot", screenshot(seed, layout=known_seed + target + 3)
    kind = KINDS[index % len(KINDS)]
    return kind, draw_kind(kind, seed)


# --- transforms ------------------------------------------------------------------------------

Transform = Callable[[Image.Image, np.random.Generator], Image.Image]


def encode(image: Image.Image, quality: int = 90) -> bytes:
    buffer = io.BytesIO()
    image.convert("RGB").save(buffer, "JPEG", quality=quality)
    return buffer.getvalue()


def _scale(image: Image.Image, factor: float) -> Image.Image:
    w, h = image.size
    return image.resize(
        (max(16, round(w * factor)), max(16, round(h * factor))), Image.Resampling.LANCZOS
    )


def _crop(image: Image.Image, fraction: float, where: str) -> Image.Image:
    w, h = image.size
    cw, ch = round(w * (1 - fraction)), round(h * (1 - fraction))
    x = {"c": (w - cw) // 2, "l": 0, "r": w - cw}[where[1]]
    y = {"c": (h - ch) // 2, "t": 0, "b": h - ch}[where[0]]
    return image.crop((x, y, x + cw, y + ch))


def _pad(
    image: Image.Image, fraction: float, vertical: bool, colour: tuple[int, int, int]
) -> Image.Image:
    w, h = image.size
    if vertical:
        extra = round(h * fraction)
        canvas = Image.new("RGB", (w, h + 2 * extra), colour)
        canvas.paste(image, (0, extra))
    else:
        extra = round(w * fraction)
        canvas = Image.new("RGB", (w + 2 * extra, h), colour)
        canvas.paste(image, (extra, 0))
    return canvas


def caption(
    image: Image.Image, rng: np.random.Generator, fraction: float, where: str
) -> Image.Image:
    """A meme caption: a white (or black) bar with bold text above and/or below."""
    w, h = image.size
    bar = max(24, round(h * fraction))
    white = rng.random() < 0.75
    colour, ink = ((255, 255, 255), (0, 0, 0)) if white else ((0, 0, 0), (255, 255, 255))
    bars = {"top": (1, 0), "bottom": (0, 1), "both": (1, 1)}[where]
    canvas = Image.new("RGB", (w, h + bar * sum(bars)), colour)
    canvas.paste(image, (0, bar * bars[0]))
    draw = ImageDraw.Draw(canvas)
    for y, shown in ((bar // 2, bars[0]), (h + bar * bars[0] + bar // 2, bars[1])):
        if not shown:
            continue
        text = _phrase(rng, 4).upper()
        size = max(12, int(bar * 0.45))
        while size > 12 and draw.textlength(text, font=font(size)) > 0.92 * w:
            size -= 2  # meme generators shrink the text to fit the width
        draw.text((w // 2, y), text, fill=ink, font=font(size), anchor="mm")
    return canvas


def embed_screenshot(image: Image.Image, rng: np.random.Generator, scale: float) -> Image.Image:
    """The picture shown inside a phone or browser frame with UI chrome around it."""
    phone = rng.random() < 0.5
    cw, ch = (720, 1280) if phone else (1280, 860)
    light = rng.random() < 0.6
    background = (250, 250, 250) if light else (18, 18, 20)
    ink = (40, 40, 40) if light else (210, 210, 210)
    canvas = Image.new("RGB", (cw, ch), background)
    draw = ImageDraw.Draw(canvas)
    bar = _colour(rng)
    draw.rectangle([0, 0, cw, 90], fill=bar)
    draw.text((24, 30), _phrase(rng, 3).title(), fill=(255, 255, 255), font=font(30))
    fit = min((cw - 40) / image.width, (ch - 400) / image.height) * scale
    shown = _scale(image, fit)
    x = (cw - shown.width) // 2 if phone else 40
    y = 130 + int(rng.integers(0, 60))
    draw.text((x, 100), _phrase(rng, 5), fill=ink, font=font(20))
    canvas.paste(shown, (x, y))
    ty = y + shown.height + 20
    while ty < ch - 110:
        draw.text((x, ty), _phrase(rng, 6), fill=ink, font=font(22))
        ty += 34
    if not phone:
        draw.rectangle(
            [cw - 300, 120, cw - 30, ch - 100], fill=(230, 230, 235) if light else (40, 40, 46)
        )
        for row in range(8):
            draw.text((cw - 285, 140 + row * 60), _phrase(rng, 2), fill=ink, font=font(20))
    draw.rectangle([0, ch - 80, cw, ch], fill=bar)
    return canvas


def text_overlay(image: Image.Image, rng: np.random.Generator, size: float) -> Image.Image:
    out = image.copy()
    draw = ImageDraw.Draw(out)
    w, h = out.size
    px = max(12, int(h * size))
    y = int(rng.uniform(0.1, 0.8) * h)
    draw.text(
        (w // 2, y),
        _phrase(rng, 3).upper(),
        fill=(255, 255, 255),
        font=font(px),
        anchor="mm",
        stroke_width=max(1, px // 12),
        stroke_fill=(0, 0, 0),
    )
    return out


def logo_corner(image: Image.Image, rng: np.random.Generator, size: float) -> Image.Image:
    out = image.copy()
    w, h = out.size
    side = max(16, int(min(w, h) * size))
    mark = logo(int(rng.integers(0, 2**31))).resize((side, side), Image.Resampling.LANCZOS)
    corner = int(rng.integers(0, 4))
    margin = int(min(w, h) * 0.03)
    x = margin if corner % 2 == 0 else w - side - margin
    y = margin if corner < 2 else h - side - margin
    out.paste(mark, (x, y))
    return out


def _rotate(image: Image.Image, degrees: float) -> Image.Image:
    return image.rotate(degrees, Image.Resampling.BICUBIC, expand=False, fillcolor=(0, 0, 0))


def _noise(image: Image.Image, rng: np.random.Generator, sigma: float) -> Image.Image:
    pixels = np.asarray(image, dtype=np.float32) + rng.normal(
        0, sigma, (image.height, image.width, 3)
    )
    return Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8), "RGB")


def _hue(image: Image.Image, shift: int, saturation: float) -> Image.Image:
    hsv = np.asarray(image.convert("HSV"), dtype=np.int16).copy()
    hsv[:, :, 0] = (hsv[:, :, 0] + shift) % 256
    hsv[:, :, 1] = np.clip(hsv[:, :, 1] * saturation, 0, 255)
    return Image.fromarray(hsv.astype(np.uint8), "HSV").convert("RGB")


def _combo(image: Image.Image, rng: np.random.Generator, crop: float) -> Image.Image:
    cropped = _crop(image, crop, str(rng.choice(["cc", "tl", "br"])))
    return caption(cropped, rng, 0.18, "top")


@dataclass(frozen=True)
class Family:
    """One kind of edit at its strengths; ``quality`` is the JPEG quality it is uploaded at."""

    name: str
    strengths: tuple[str, ...]
    apply: Callable[[Image.Image, np.random.Generator, str], Image.Image]
    quality: Callable[[str], int] = lambda strength: 90


def _jpeg_quality(strength: str) -> int:
    return int(strength[1:])


FAMILIES: tuple[Family, ...] = (
    Family("jpeg", ("q20", "q35", "q50"), lambda im, r, s: im, _jpeg_quality),
    Family(
        "downscale",
        ("30%", "40%", "50%", "thumb160"),
        lambda im, r, s: (
            ImageOps.contain(im, (160, 160), Image.Resampling.LANCZOS)
            if s == "thumb160"
            else _scale(im, int(s[:-1]) / 100)
        ),
    ),
    Family("upscale", ("150%", "200%"), lambda im, r, s: _scale(im, int(s[:-1]) / 100)),
    Family(
        "squash",
        ("w70%", "h80%", "w125%"),
        lambda im, r, s: im.resize(
            (round(im.width * int(s[1:-1]) / 100), im.height)
            if s[0] == "w"
            else (im.width, round(im.height * int(s[1:-1]) / 100)),
            Image.Resampling.LANCZOS,
        ),
    ),
    Family(
        "crop-centre",
        ("5%", "10%", "15%", "20%", "25%"),
        lambda im, r, s: _crop(im, int(s[:-1]) / 100, "cc"),
    ),
    Family(
        "crop-corner",
        ("5%", "10%", "15%", "20%", "25%"),
        lambda im, r, s: _crop(
            im, int(s[:-1]) / 100, str(r.choice(["tl", "tr", "bl", "br", "tc", "cl"]))
        ),
    ),
    Family(
        "letterbox",
        ("v10%", "v25%", "h15%", "h30%"),
        lambda im, r, s: _pad(
            im, int(s[1:-1]) / 100, s[0] == "v", (0, 0, 0) if r.random() < 0.7 else (255, 255, 255)
        ),
    ),
    Family(
        "caption",
        ("top15%", "bottom20%", "both15%", "top30%"),
        lambda im, r, s: caption(
            im,
            r,
            int(s.rstrip("%").lstrip("topbmh")) / 100,
            "top" if s.startswith("top") else "bottom" if s.startswith("bottom") else "both",
        ),
    ),
    Family(
        "screenshot",
        ("80%", "65%", "50%"),
        lambda im, r, s: embed_screenshot(im, r, int(s[:-1]) / 100),
    ),
    Family(
        "text-overlay",
        ("small", "large"),
        lambda im, r, s: text_overlay(im, r, 0.06 if s == "small" else 0.11),
    ),
    Family("logo-corner", ("10%", "20%"), lambda im, r, s: logo_corner(im, r, int(s[:-1]) / 100)),
    Family("mirror", ("horizontal",), lambda im, r, s: ImageOps.mirror(im)),
    Family("rotate-90", ("90", "180", "270"), lambda im, r, s: im.rotate(int(s), expand=True)),
    Family(
        "rotate-small", ("2", "4", "6", "8", "-3", "-7"), lambda im, r, s: _rotate(im, float(s))
    ),
    Family(
        "brightness-contrast",
        ("+30%", "-30%", "contrast50%", "contrast150%"),
        lambda im, r, s: (
            ImageEnhance.Brightness(im).enhance(1 + int(s[:-1]) / 100)
            if s[0] in "+-"
            else ImageEnhance.Contrast(im).enhance(int(s[8:-1]) / 100)
        ),
    ),
    Family(
        "saturation-hue",
        ("sat0.4", "sat1.8", "hue+20", "hue-40"),
        lambda im, r, s: (
            _hue(im, 0, float(s[3:])) if s.startswith("sat") else _hue(im, int(s[3:]), 1.0)
        ),
    ),
    Family("grayscale", ("gray",), lambda im, r, s: im.convert("L").convert("RGB")),
    Family(
        "blur", ("r1", "r2", "r3"), lambda im, r, s: im.filter(ImageFilter.GaussianBlur(int(s[1:])))
    ),
    Family("noise", ("s5", "s10", "s20"), lambda im, r, s: _noise(im, r, int(s[1:]))),
    Family(
        "combo",
        ("crop10+caption+q40", "crop20+caption+q40"),
        lambda im, r, s: _combo(im, r, 0.1 if s.startswith("crop10") else 0.2),
        lambda strength: 40,
    ),
)

FAMILY_NAMES = tuple(family.name for family in FAMILIES)


def family(name: str) -> Family:
    return next(f for f in FAMILIES if f.name == name)


def transformed(image: Image.Image, name: str, strength: str, seed: int) -> bytes:
    """``image`` edited by family ``name`` at ``strength`` and uploaded as a JPEG."""
    chosen = family(name)
    rng = np.random.default_rng([8, seed, FAMILY_NAMES.index(name)])
    edited = chosen.apply(image.convert("RGB"), rng, strength)
    return encode(edited, chosen.quality(strength))
