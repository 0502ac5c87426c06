"""Map legends and colour classes: class limits at readable quantiles, colour-blind-safe palettes, and the
legend drawn as a small SVG image (its text escaped). Nothing here imports Streamlit."""

from __future__ import annotations

import base64
import html
import math
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

# Sequential (ColorBrewer YlGnBu) and diverging (PuOr, orange = negative) classes, colour-blind safe.
SEQUENTIAL = ([255, 255, 204], [161, 218, 180], [65, 182, 196], [44, 127, 184], [37, 52, 148])
DIVERGING = ([230, 97, 1], [253, 184, 99], [247, 247, 247], [178, 171, 210], [94, 60, 153])
# Areas below, like and above a reference: the diverging ends around a blue-grey that does not vanish on white.
VERSUS = ([230, 97, 1], [196, 204, 216], [94, 60, 153])
NOT_ENOUGH_COLOUR = [120, 120, 120]  # areas whose figure may not be shown (small numbers)
NO_FIGURE_COLOUR = [225, 225, 225]  # areas without a figure for another reason (no population, ...)
FILL_ALPHA = 190
CLASSES = 5

LEGEND_FONT = "Source Sans Pro, Helvetica, Arial, sans-serif"
LEGEND_WIDTH_PX = 360  # fits a phone's screen (the image is shrunk to the column, never enlarged)
LEGEND_FONT_PX = 13
LEGEND_CHAR_PX = 6.6  # estimated width of a character at LEGEND_FONT_PX
LEGEND_SWATCH_PX = 12.0
LEGEND_ROW_PX = 20.0
LEGEND_TITLE_PX = 24.0
LEGEND_TITLE_LINE_PX = 17.0  # the title wraps onto lines this high
LEGEND_BOLD = 1.08  # bold characters are this much wider
LEGEND_SCALE = 1.3  # drawn up to this much larger where there is room (readable beside a large map)


@dataclass(frozen=True)
class LegendItem:
    """One entry of a legend: a colour, a shape (square, circle or ring), its size in pixels and its words."""

    colour: tuple[int, ...]
    label: str
    shape: str = "square"
    size: float = 12.0


# --- classes and colours ------------------------------------------------------------------------------


def _nice(value: float, step: float) -> float:
    """`value` rounded to a multiple of `step`."""
    return round(round(value / step) * step, 10)


def class_breaks(values: np.ndarray, classes: int = CLASSES, whole: bool = False) -> list[float]:
    """Inner class limits at quantiles, rounded to readable numbers (v is in class i if b[i-1] <= v < b[i])."""
    v = np.asarray(values, dtype="float64")
    v = v[np.isfinite(v)]
    if len(v) == 0:
        return []
    lo, hi = float(v.min()), float(v.max())
    if hi <= lo:
        return []
    span = hi - lo
    step = 10 ** math.floor(math.log10(span / classes / 2)) if span > 0 else 1.0
    if whole:
        step = max(step, 1.0)
    qs = np.quantile(v, np.linspace(0, 1, classes + 1)[1:-1])
    out: list[float] = []
    for q in qs:
        b = _nice(float(q), step)
        if lo < b <= hi and (not out or b > out[-1]):
            out.append(b)
    return out


def class_colours(values: np.ndarray, breaks: Sequence[float], palette: Sequence[Sequence[int]]) -> list:
    """The palette colour (with alpha) of each value's class; None for NaN."""
    v = np.asarray(values, dtype="float64")
    idx = np.searchsorted(np.asarray(breaks, dtype="float64"), v, side="right")
    shades = spread(palette, len(breaks) + 1)
    return [None if np.isnan(x) else [*shades[i], FILL_ALPHA] for x, i in zip(v, idx, strict=True)]


def spread(palette: Sequence[Sequence[int]], n: int) -> list[list[int]]:
    """`n` colours of the palette, spread from its first to its last (the middle one when n is 1)."""
    if n <= 1:
        return [list(palette[len(palette) // 2])]
    picks = np.round(np.linspace(0, len(palette) - 1, n)).astype(int)
    return [list(palette[i]) for i in picks]


def _fmt(value: float, decimals: int) -> str:
    """A class limit as text ('−5', '1,200', '0.5')."""
    text = f"{value:,.{decimals}f}"
    return text.replace("-", "−")


def bin_legend(
    breaks: Sequence[float],
    palette: Sequence[Sequence[int]],
    decimals: int = 0,
    unit: str = "",
    values: np.ndarray | None = None,
) -> list[LegendItem]:
    """Legend entries of the classes ('under 45', '45 to 52', '60 and over'), or of the one value."""
    shades = spread(palette, len(breaks) + 1)
    suffix = f" {unit}" if unit else ""
    if not breaks:
        known = np.asarray(values if values is not None else [], dtype="float64")
        known = known[np.isfinite(known)]
        if not len(known):
            return []
        return [LegendItem(tuple(shades[0]), f"all {_fmt(float(known.min()), decimals)}{suffix}")]
    items = [LegendItem(tuple(shades[0]), f"under {_fmt(breaks[0], decimals)}{suffix}")]
    for i in range(1, len(breaks)):
        items.append(
            LegendItem(
                tuple(shades[i]), f"{_fmt(breaks[i - 1], decimals)} to {_fmt(breaks[i], decimals)}{suffix}"
            )
        )
    items.append(LegendItem(tuple(shades[-1]), f"{_fmt(breaks[-1], decimals)} and over{suffix}"))
    return items


# --- legend ------------------------------------------------------------------------------------------


def _rgb(colour: Sequence[int]) -> str:
    """'rgb(r,g,b)' of a colour."""
    r, g, b = (int(c) for c in colour[:3])
    return f"rgb({r},{g},{b})"


def _swatch(item: LegendItem, cx: float, cy: float) -> str:
    """The SVG shape of one legend entry, centred on (cx, cy)."""
    fill = _rgb(item.colour)
    if item.shape == "circle":
        return f'<circle cx="{cx:.1f}" cy="{cy:.1f}" r="{item.size / 2:.1f}" fill="{fill}"/>'
    if item.shape == "ring":
        r = item.size / 2 - 1
        return (
            f'<circle cx="{cx:.1f}" cy="{cy:.1f}" r="{r:.1f}" fill="none" stroke="{fill}" stroke-width="2"/>'
        )
    s = item.size
    return (
        f'<rect x="{cx - s / 2:.1f}" y="{cy - s / 2:.1f}" width="{s:.1f}" height="{s:.1f}" fill="{fill}" '
        'stroke="#777777" stroke-width="0.6"/>'
    )


def legend_svg(items: Sequence[LegendItem], title: str, width: int = LEGEND_WIDTH_PX, note: str = "") -> str:
    """The legend as a small SVG image: its title, swatches with their words, then `note`, wrapped to `width`;
    named in words for screen readers (role img, aria-label), as wide as its column up to LEGEND_SCALE x
    `width`."""
    if not items:
        return ""
    rows: list[list[tuple[LegendItem, float]]] = [[]]
    x = 0.0
    for item in items:
        w = max(item.size, LEGEND_SWATCH_PX) + 6 + len(item.label) * LEGEND_CHAR_PX + 18
        if rows[-1] and x + w > width:
            rows.append([])
            x = 0.0
        rows[-1].append((item, x))
        x += w
    heights = [max(LEGEND_ROW_PX, max(i.size for i, _ in row) + 6) for row in rows]
    lines = textwrap.wrap(title, max(int(width / (LEGEND_CHAR_PX * LEGEND_BOLD)), 10)) or [""]
    title_height = LEGEND_TITLE_PX + LEGEND_TITLE_LINE_PX * (len(lines) - 1)
    chars = max(int(width / LEGEND_CHAR_PX), 10)
    note_lines = [line for part in note.split("\n") for line in textwrap.wrap(part, chars)]  # \n: a new line
    height = int(title_height + sum(heights) + LEGEND_TITLE_LINE_PX * len(note_lines) + 4)
    words = html.escape(
        f"Legend. {title}: " + "; ".join(item.label for item in items) + ". " + " ".join(note.split())
    )
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="{html.escape(LEGEND_FONT)}" '
        f'font-size="{LEGEND_FONT_PX}" role="img" aria-label="{words}" '
        f'style="width: 100%; max-width: {round(width * LEGEND_SCALE)}px; height: auto">',
        *(
            f'<text x="0" y="{15 + LEGEND_TITLE_LINE_PX * i:.0f}" font-weight="600" fill="#1a1a1a">'
            f"{html.escape(line)}</text>"
            for i, line in enumerate(lines)
        ),
    ]
    top = title_height
    for row, h in zip(rows, heights, strict=True):
        cy = top + h / 2
        for item, x0 in row:
            swatch = max(item.size, LEGEND_SWATCH_PX)
            parts.append(_swatch(item, x0 + swatch / 2, cy))
            parts.append(
                f'<text x="{x0 + swatch + 6:.1f}" y="{cy + 4.5:.1f}" fill="#1a1a1a">{html.escape(item.label)}</text>'
            )
        top += h
    for line in note_lines:
        top += LEGEND_TITLE_LINE_PX
        parts.append(f'<text x="0" y="{top - 4:.1f}" fill="#1a1a1a">{html.escape(line)}</text>')
    parts.append("</svg>")
    return "".join(parts)


def legend_html(items: Sequence[LegendItem], title: str, note: str = "") -> str:
    """The legend as an image for st.html, whose sanitiser drops inline SVG: the SVG of legend_svg as a data
    URI, its words as the image's alternative text."""
    svg = legend_svg(items, title, note=note)
    if not svg:
        return ""
    words = (
        "Legend. " + title + ": " + "; ".join(item.label for item in items) + ". " + " ".join(note.split())
    )
    data = base64.b64encode(svg.encode("utf-8")).decode("ascii")
    return (
        f'<img src="data:image/svg+xml;base64,{data}" alt="{html.escape(words.strip())}" '
        f'style="width: 100%; max-width: {round(LEGEND_WIDTH_PX * LEGEND_SCALE)}px; height: auto">'
    )
