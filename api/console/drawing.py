"""The picture of a geometric match's evidence: the upload and the reference side by side, the
matched region outlined on the upload, and the inlier pairs joined by lines.

Only layout: the service's answer already says where everything is, in fractions of the
upload and of the reference (:mod:`hashdb.matching.robust.placement`); this scales those
fractions into two panels of one SVG.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

#: Height of both panels, in SVG units; the widths follow each picture's aspect.
PANEL_HEIGHT = 320.0
GAP = 56.0
MARGIN = 8.0
#: Room under the panels for their captions.
CAPTION = 24.0


@dataclass(frozen=True)
class Panel:
    x: float
    y: float
    width: float
    height: float

    def point(self, fx: float, fy: float) -> tuple[float, float]:
        return (round(self.x + fx * self.width, 1), round(self.y + fy * self.height, 1))


@dataclass(frozen=True)
class EvidenceDrawing:
    width: float
    height: float
    upload: Panel
    reference: Panel
    #: The reference's outline on the upload, as SVG polygon points.
    region: str
    #: Inlier pairs: upload x, y, reference x, y (SVG units).
    lines: list[tuple[float, float, float, float]]
    #: SVG transform placing a unit square (the reference picture) on the upload, aligned.
    aligned: str


def evidence_drawing(
    verification: Mapping[str, object] | None, upload_size: tuple[int, int]
) -> EvidenceDrawing | None:
    """The drawing of a geometric match, or None when the answer carries no placement."""
    if not verification or "transform" not in verification:
        return None
    transform = _numbers(verification["transform"])
    reference_size = _numbers(verification.get("reference_size", [1, 1]))
    region = [_numbers(corner) for corner in _rows(verification.get("region"))]
    lines = [_numbers(line) for line in _rows(verification.get("lines"))]
    upload_w, upload_h = upload_size
    upload = Panel(MARGIN, MARGIN, PANEL_HEIGHT * upload_w / max(upload_h, 1), PANEL_HEIGHT)
    ref_w, ref_h = reference_size[0], reference_size[1]
    reference = Panel(
        upload.x + upload.width + GAP, MARGIN, PANEL_HEIGHT * ref_w / max(ref_h, 1), PANEL_HEIGHT
    )
    a, b, c, d, e, f = transform
    # Unit square -> reference fractions -> upload fractions -> the upload panel.
    aligned = (
        f"matrix({upload.width * a:.3f} {upload.height * d:.3f} {upload.width * b:.3f} "
        f"{upload.height * e:.3f} {upload.x + upload.width * c:.3f} "
        f"{upload.y + upload.height * f:.3f})"
    )
    return EvidenceDrawing(
        width=round(reference.x + reference.width + MARGIN, 1),
        height=PANEL_HEIGHT + 2 * MARGIN + CAPTION,
        upload=upload,
        reference=reference,
        region=" ".join(f"{x},{y}" for x, y in (upload.point(*corner) for corner in region)),
        lines=[
            (*upload.point(line[0], line[1]), *reference.point(line[2], line[3])) for line in lines
        ],
        aligned=aligned,
    )


def _rows(value: object) -> Sequence[object]:
    return value if isinstance(value, list) else []


def _numbers(value: object) -> list[float]:
    if not isinstance(value, list):
        raise TypeError(f"expected a list of numbers, got {value!r}")
    return [float(number) for number in value]
