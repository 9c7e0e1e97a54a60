"""The known pictures and distractors of the robustness benchmark, drawn from seeds."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

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


def random_colour(rng: np.random.Generator, low: int = 0, high: int = 256) -> tuple[int, int, int]:
    r, g, b = (int(v) for v in rng.integers(low, high, 3))
    return (r, g, b)


def random_phrase(rng: np.random.Generator, words: int) -> str:
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
        colour = random_colour(rng)
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
        draw.line(points, fill=random_colour(rng), width=int(rng.integers(2, 6)))
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
    background = random_colour(layout)
    image = Image.new("RGB", (width, height), background)
    draw = ImageDraw.Draw(image)
    accent = random_colour(layout)
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
    text_colour = (
        random_colour(layout, 0, 90) if sum(background) > 380 else random_colour(layout, 180, 256)
    )
    y = top + panel_h + 14
    draw.text((frame + 16, y), random_phrase(content, 3).upper(), fill=text_colour, font=font(30))
    y += 44
    while y < height - frame - 30:
        draw.text((frame + 16, y), random_phrase(content, 5), fill=text_colour, font=font(18))
        y += 26
    return image


def logo(seed: int) -> Image.Image:
    """Clipart or a logo on a flat background: a few bold flat shapes, outlines, a word."""
    rng = np.random.default_rng([4, seed])
    size = 512
    background = random_colour(rng, 200, 256) if rng.random() < 0.7 else random_colour(rng, 0, 60)
    image = Image.new("RGB", (size, size), background)
    draw = ImageDraw.Draw(image)
    centre = size // 2
    for _ in range(int(rng.integers(3, 7))):
        radius = int(rng.integers(40, 170))
        cx = centre + int(rng.integers(-90, 90))
        cy = centre - 40 + int(rng.integers(-70, 70))
        box = [cx - radius, cy - radius, cx + radius, cy + radius]
        colour, outline = random_colour(rng), random_colour(rng, 0, 80)
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
    draw.text(
        (centre, size - 70), word, fill=random_colour(rng, 0, 120), font=font(54), anchor="mm"
    )
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
    bar = random_colour(ui)
    draw.rectangle([0, 0, width, 56], fill=bar)
    draw.text((16, 16), random_phrase(ui, 2).title(), fill=(255, 255, 255), font=font(22))
    y = 72
    while y < height - 60:
        if content.random() < 0.3 and y < height - 260:
            pic_w = int(width * content.uniform(0.5, 0.8))
            pic_h = int(pic_w * content.uniform(0.5, 0.75))
            pic = photo(int(content.integers(0, 2**31)), (pic_w, pic_h))
            image.paste(pic, (16, y))
            y += pic_h + 12
        else:
            bubble = random_colour(ui, 180, 256) if light else random_colour(ui, 40, 90)
            lines = int(content.integers(1, 4))
            box_w = int(width * content.uniform(0.4, 0.85))
            draw.rounded_rectangle([16, y, 16 + box_w, y + 12 + 22 * lines], 10, fill=bubble)
            for line in range(lines):
                draw.text(
                    (26, y + 6 + 22 * line), random_phrase(content, 4), fill=ink, font=font(16)
                )
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
