"""The edits re-uploads of the robustness benchmark come back with, each at several
strengths (``FAMILIES``)."""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw, ImageEnhance, ImageFilter, ImageOps

from hashdb.testing.robustness.pictures import font, logo, random_colour, random_phrase

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
        text = random_phrase(rng, 4).upper()
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
    bar = random_colour(rng)
    draw.rectangle([0, 0, cw, 90], fill=bar)
    draw.text((24, 30), random_phrase(rng, 3).title(), fill=(255, 255, 255), font=font(30))
    fit = min((cw - 40) / image.width, (ch - 400) / image.height) * scale
    shown = _scale(image, fit)
    x = (cw - shown.width) // 2 if phone else 40
    y = 130 + int(rng.integers(0, 60))
    draw.text((x, 100), random_phrase(rng, 5), fill=ink, font=font(20))
    canvas.paste(shown, (x, y))
    ty = y + shown.height + 20
    while ty < ch - 110:
        draw.text((x, ty), random_phrase(rng, 6), fill=ink, font=font(22))
        ty += 34
    if not phone:
        draw.rectangle(
            [cw - 300, 120, cw - 30, ch - 100], fill=(230, 230, 235) if light else (40, 40, 46)
        )
        for row in range(8):
            draw.text((cw - 285, 140 + row * 60), random_phrase(rng, 2), fill=ink, font=font(20))
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
        random_phrase(rng, 3).upper(),
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
