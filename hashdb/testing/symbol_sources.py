"""Where the symbol pictures come from: the two splits' fonts, icon fonts, styles and seeds,
and loading those fonts (``hashdb.testing.symbols`` draws with them)."""

from __future__ import annotations

import importlib.util
import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from PIL import ImageFont

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
    #: Face, flag and poster drawing style (0 or 1; it also seeds every set's drawing).
    style: int
    #: Seeds of known and distractor pictures of the classic kinds.
    known_seed: int
    distractor_seed: int
    #: A second face, flag and poster style (2) that about half the sets are drawn in, or None.
    second_style: int | None = None


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
    second_style=2,
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
#: Dev's second style (oval faces, crossed flags, words beside the emblem) in a small split
#: for tests.
TEST_SECOND_STYLE = Split(
    "test-second-style",
    text_fonts=(("dejavu", "DejaVuSerif.ttf"),),
    icon_fonts=(),
    style=2,
    known_seed=0,
    distractor_seed=0,
)
#: The held-out style (square faces, diagonal flags, text-on-top posters) in a small split for
#: tests, with the held-out split's text font.
TEST_HELD_OUT = Split(
    "test-held-out",
    text_fonts=(("font_caladea", "Caladea-Bold.ttf"),),
    icon_fonts=(),
    style=1,
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
def icon_font_and_map(stem: str, size: int) -> tuple[ImageFont.FreeTypeFont, dict[str, str]]:
    folder = _package_dir("qtawesome") / "fonts"
    name, version = stem.rsplit("-", 1)
    charmap = json.loads((folder / f"{name}-charmap-{version}.json").read_text())
    codes = {key: chr(int(str(value), 16)) for key, value in charmap.items()}
    return ImageFont.truetype(str(folder / f"{stem}.ttf"), size), codes


@cache
def icon_groups(stem: str) -> tuple[tuple[str, ...], ...]:
    """Icon names grouped by their first word (``face-smile``, ``face-frown`` ...), within one
    weight of the font (phosphor and remix name their weights), groups of 4 to 40."""
    _, codes = icon_font_and_map(stem, 16)
    groups: dict[str, list[str]] = {}
    for name in sorted(codes):
        if len(name) < 3 or name[0].isdigit():
            continue
        words = name.split("-")
        weight = words[-1] if words[-1] in ("bold", "fill", "light", "thin", "line") else ""
        groups.setdefault(f"{words[0]}/{weight}", []).append(name)
    return tuple(tuple(names[:40]) for _, names in sorted(groups.items()) if len(names) >= 4)


@cache
def covered(source: tuple[str, str]) -> tuple[str, ...]:
    """The characters of ``ALPHABET`` that font ``source`` has."""
    font = text_font(source, 64)
    return tuple(c for c in ALPHABET if _has_glyph(font, c))


def _has_glyph(font: ImageFont.FreeTypeFont, char: str) -> bool:
    """False when ``font`` draws ``char`` as its missing-glyph box."""
    missing = font.getmask("\U0010fffd")
    drawn = font.getmask(char)
    return bool(drawn.size != missing.size or bytes(drawn) != bytes(missing))
