"""What the content check (:mod:`.content`) accepts, and what it answers: the thresholds
of its cell comparison and excuses, and the comparison it reports."""

from __future__ import annotations

from dataclasses import dataclass, replace


@dataclass(frozen=True)
class ContentPolicy:
    #: A cell has structure when its brightness spreads at least this share of the
    #: picture's contrast (standard deviation).
    structure: float = 0.06
    #: Two structured cells agree when their correlation reaches this.
    correlation: float = 0.5
    #: ... and when the weaker structure is at least this share of the stronger.
    structure_ratio: float = 0.3
    #: A cell's mean tone-map residual (share of contrast) above this differs.
    tone: float = 0.3
    #: A reference is detailed when this share of its compared cells has structure ...
    detailed_share: float = 0.6
    #: ... and not mostly flat: less than this share of its pixels lie in flat colour (a
    #: face drawn in outlines has structure in most cells, but is flat colours in between,
    #: and its eyes are a few cells). None: structure alone decides. On the dev split's
    #: knowns, glyphs, icons, faces, flags, logos and text posters have 0.85-0.98 of their
    #: pixels flat, photos, posters, screenshots and dark scenes 0.03-0.80; a face's
    #: trimmed row, with less plain ground round it, 0.82.
    flat_share: float | None = 0.8
    #: ... and then this share of cells may differ (an overlay); 0 for others.
    overlay_share: float = 0.06
    #: A pixel is flat when its 3-pixel neighbourhood's spread (standard deviation) is
    #: below this share of the picture's contrast.
    flat_spread: float = 0.01
    #: On a reference of flat colours, a rim cell where the upload is busier than the
    #: reference is excused only where the reference is flat (False: wherever).
    rim_elements: bool = True
    #: A cell whose brightness agrees on average may still hold an element the other
    #: picture lacks, smaller than the cell: two square dots where the reference has a
    #: circumflex. Pixels whose tone-map residual exceeds this share of contrast ...
    element_residual: float = 0.5
    #: ... in a patch that survives an opening by a square of this side (a pixel or two of
    #: misalignment leaves strips along edges, narrower than that) ...
    element_width: int = 5
    #: ... make a cell inside the rim differ when it holds this many of them (None: off).
    element_area: int | None = 40
    #: On a reference of flat colours, a rim cell differs too when it holds as many pixels
    #: of such a patch lying this many pixels or more inside the covered area's edge: an
    #: element standing free (the dots of a ÿ just under a crop's edge), not the edge of
    #: a fill or a frame, which runs along it (None: off).
    element_clearance: int | None = 4
    #: A second try (with the upload's colour edit undone, without its lettering) is a
    #: second chance a picture that differs by one cell may slip through: it must agree
    #: with a margin (stricter correlation, structure ratio and tone residual).
    retry_correlation: float = 0.6
    retry_structure_ratio: float = 0.4
    retry_tone: float = 0.2
    #: Differing cells all in one corner, in a box at most this share of the side, where
    #: the upload is busier than the reference, are an overlay (a logo) on any picture
    #: (0: never).
    corner_share: float = 0.25
    #: A grey comparison that agrees must agree in hue too, after the upload's measured
    #: hue shift and saturation factor, in the cells it found agreeing (not those it
    #: excused: a logo, the fill of a turn): a cell colourful in both whose hue differs by
    #: more than this (degrees) differs. Hue, not a*b* distance: a brightness or contrast
    #: edit moves the chroma of saturated colours, little their hue; a stripe of another
    #: colour at the grey of the one it replaced has another hue. None: grey only.
    hue_margin: float | None = 50.0
    #: ... when at least this many cells differ so (an element, not the edge of a clipped
    #: colour or a few small letters laid over it).
    hue_cells: int = 8
    #: Both pictures are blurred by a Gaussian of this standard deviation (thumbnail
    #: pixels) before cells are compared: it absorbs resampling, JPEG and sub-pixel
    #: misalignment. :func:`.content.compare` raises it for an upload much noisier than the
    #: reference (:func:`.noise.blur_for`).
    blur: float = 1.0
    #: ... and the reference by this one more (a deviation; 0: none): an upload blurrier
    #: than the reference is compared with the reference as blurred
    #: (:func:`.noise.reference_blur`).
    reference_blur: float = 0.0
    #: A thin element of another colour at nearly the grey of what lies round it (pink brows
    #: on a pale green face) changes no cell's grey and too few cells' mean hue. In a
    #: comparison that agrees in grey, the cells it found agreeing differ where they hold
    #: part of a patch of coloured pixels whose a*b* (CIELAB) lie more than this far from
    #: the reference's, as it is and after the upload's colour edit, with a hue more than
    #: ``hue_margin`` off where the reference is coloured, and unlike any colour the
    #: reference shows round them (:func:`.recolour.colour_element_cells`) ...
    colour_element_distance: float | None = 30.0
    #: ... that survives an opening by a square of this side (JPEG's colour fringes along
    #: an edge are a pixel wide) and holds this many pixels at least (None: off).
    colour_element_width: int = 2
    colour_element_area: int = 40

    def with_margin(self) -> ContentPolicy:
        """This policy for a second chance: the retry thresholds for every comparison."""
        return replace(
            self,
            correlation=max(self.correlation, self.retry_correlation),
            structure_ratio=max(self.structure_ratio, self.retry_structure_ratio),
            tone=min(self.tone, self.retry_tone),
        )

    def for_second_alignment(self) -> ContentPolicy:
        """This policy for an upload aligned a second way (another fit, a refinement): the
        retries' margin, and no differing corner passed off as a logo laid there (a poster
        with other words in a corner agrees everywhere else; a second alignment must not
        find it the excuse the first did not)."""
        return replace(self.with_margin(), corner_share=0.0)


@dataclass(frozen=True)
class Comparison:
    cells: int  # cells compared
    differing: int  # cells that differ and are not excused
    excused: int  # differing cells excused (fill on the rim, overlay allowance)
    detailed: bool  # whether the reference counted as detailed
    #: Whether it agreed only once the white-on-black lettering the upload lays over the
    #: picture was left out (:mod:`.lettering`).
    lettered: bool = False

    @property
    def score(self) -> float:
        """1 - the share of differing cells (1: the content agrees everywhere)."""
        return 1.0 - self.differing / self.cells if self.cells else 0.0

    @property
    def agrees(self) -> bool:
        return self.cells > 0 and self.differing == 0
