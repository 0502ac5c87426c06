"""The town-hall pack as files: a self-contained HTML file, a PDF, each chart as PNG, each table as CSV.

The HTML file carries plotly.js inline (once) and a Content-Security-Policy that forbids every request,
so it opens offline and never reaches for a network. The PDF and PNGs are drawn by headless Chromium
(Debian's /usr/bin/chromium, driven by Playwright) from that same HTML with every network request
aborted: one slide of 1280 x 720 pixels per section. Every text from the data is HTML-escaped here.
"""

from __future__ import annotations

import html
import io
import json
import zipfile

import plotly.graph_objects as go
import plotly.io as pio
from plotly.offline import get_plotlyjs

from cpdash.charts.town_hall import projector
from cpdash.export.chromium import (  # noqa: F401 - the pack's Chromium settings, named here too
    CHROMIUM_ARGS,
    Chromium,
    Drawing,
    Drawn,
    Renderer,
    RenderError,
    browser_available,
    chromium_path,
)
from cpdash.export.safe_csv import file_name, to_csv_bytes
from cpdash.views import town_hall as th

SLIDE_WIDTH, SLIDE_HEIGHT = 1280, 720  # a 16:9 projector, in CSS pixels
CHART_WIDTH, CHART_HEIGHT = 620, 470  # a chart beside the text of a slide
PNG_SCALE = 2  # PNGs at twice the pixels, sharp when printed
MISSING = "pdf-and-png-missing"  # the name of the note that says why the ZIP has no PDF or PNG
PLOTLY_CONFIG = {"displayModeBar": False, "responsive": False, "displaylogo": False}
# No request of any kind leaves the file: scripts and styles are inline, images are data: URLs.
CSP = (
    "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; "
    "img-src data: blob:; font-src data:; connect-src 'none'; form-action 'none'; base-uri 'none'"
)

STYLE = """
@page { size: 1280px 720px; margin: 0; }
* { box-sizing: border-box; }
html, body { margin: 0; padding: 0; background: #ffffff; color: #000000;
  font-family: "Source Sans Pro", "Helvetica Neue", Arial, sans-serif; }
.slide { width: 1280px; height: 720px; padding: 28px 48px 20px; overflow: hidden; position: relative;
  display: flex; flex-direction: column; break-after: page; page-break-after: always; }
.slide:last-of-type { break-after: auto; page-break-after: auto; }
@media screen { .slide { margin: 0 auto 24px; border-bottom: 6px solid #0072B2; } }
.top { display: flex; justify-content: space-between; font-size: 20px; color: #1a1a1a;
  border-bottom: 3px solid #0072B2; padding-bottom: 8px; }
.top .area { font-weight: 700; }
h1 { font-size: 46px; line-height: 1.1; margin: 16px 0 6px; color: #00304f; }
.lead { font-size: 26px; line-height: 1.3; margin: 0 0 14px; }
.body { display: flex; gap: 32px; flex: 1; min-height: 0; }
.body.wide { flex: none; margin-bottom: 18px; }
.text { flex: 1; min-width: 0; display: flex; flex-direction: column; gap: 12px; }
.chart { width: 620px; flex: none; }
.facts { display: grid; grid-template-columns: repeat(auto-fill, minmax(250px, 1fr)); gap: 10px 28px; }
.fact .label { font-size: 20px; font-weight: 600; }
.fact .value { font-size: 52px; font-weight: 800; line-height: 1.05; color: #00304f; }
.fact .detail { font-size: 17px; color: #262626; max-width: 300px; }
blockquote { font-size: 21px; line-height: 1.3; margin: 0; padding: 6px 14px; border-left: 6px solid #CC79A7;
  background: #f7f0f4; }
.cards { display: grid; grid-template-columns: repeat(3, 1fr); gap: 14px; }
.card { border: 2px solid #404040; border-radius: 8px; padding: 10px 12px; font-size: 18px; line-height: 1.25; }
.card h3 { font-size: 16px; text-transform: uppercase; letter-spacing: .04em; margin: 0 0 2px; color: #00304f; }
.card .said { margin: 0 0 8px; }
.card .did { margin: 0; border-top: 2px solid #009E73; padding-top: 6px; }
.card .when { font-size: 15px; color: #262626; }
ul { font-size: 21px; line-height: 1.35; margin: 0; padding-left: 26px; }
.notes { font-size: 15px; color: #262626; border-top: 1px solid #999; padding-top: 6px; margin-top: 8px; }
"""


# --- HTML ------------------------------------------------------------------------------------------


def _e(value: object) -> str:
    """Text from the data, HTML-escaped."""
    return html.escape(str(value), quote=True)


def slide_figure(fig: go.Figure, width: int = CHART_WIDTH, height: int = CHART_HEIGHT) -> go.Figure:
    """A chart sized for a slide, in projector type."""
    return projector(fig, height=height, width=width)


def slide_figures(town_hall: th.TownHall) -> dict[str, go.Figure]:
    """Every chart of the pack sized for a slide, by name (built once for the HTML, the PDF and the PNGs)."""
    return {name: slide_figure(fig) for section in town_hall.sections for name, fig in section.charts}


def _chart_html(name: str, sized: go.Figure, index: int) -> str:
    """One slide-sized chart as a div and the script that draws it (plotly.js is loaded once, in the head)."""
    return pio.to_html(
        sized,
        full_html=False,
        include_plotlyjs=False,
        config=PLOTLY_CONFIG,
        div_id=f"chart-{index}-{name}",
        default_width=f"{CHART_WIDTH}px",
        default_height=f"{CHART_HEIGHT}px",
    )


def _facts_html(section: th.Section) -> str:
    """The section's facts, large."""
    if not section.facts:
        return ""
    items = []
    for fact in section.facts:
        detail = f'<div class="detail">{_e(fact.detail)}</div>' if fact.detail else ""
        items.append(
            f'<div class="fact"><div class="label">{_e(fact.label)}</div>'
            f'<div class="value">{_e(fact.value)}</div>{detail}</div>'
        )
    return f'<div class="facts">{"".join(items)}</div>'


def _cards_html(section: th.Section) -> str:
    """'You said / we did' cards."""
    if not section.cards:
        return ""
    cards = []
    for card in section.cards:
        said = card.said or card.topic
        days = f" · {card.days} days" if card.days is not None else ""
        cards.append(
            '<div class="card">'
            f'<h3>You said · {_e(card.topic)}</h3><p class="said">{_e(said)}<br>'
            f'<span class="when">{card.raised:%-d %b %Y}</span></p>'
            f'<h3>We did</h3><p class="did">{_e(card.did or "Resolved; no action was recorded.")}<br>'
            f'<span class="when">{card.resolved:%-d %b %Y}{days}</span></p></div>'
        )
    return f'<div class="cards">{"".join(cards)}</div>'


def section_html(
    section: th.Section,
    number: int,
    total: int,
    town_hall: th.TownHall,
    notice: str | None,
    sized: dict[str, go.Figure] | None = None,
) -> str:
    """One section as one slide (its charts from `sized`, when given, as slide_figures made them)."""
    sized = sized or {}
    text = [_facts_html(section)]
    text += [f"<blockquote>“{_e(q)}”</blockquote>" for q in section.quotes]
    if section.bullets:
        text.append("<ul>" + "".join(f"<li>{_e(b)}</li>" for b in section.bullets) + "</ul>")
    charts = "".join(
        _chart_html(name, sized[name] if name in sized else slide_figure(fig), number)
        for name, fig in section.charts
    )
    body = f'<div class="text">{"".join(text)}</div>'
    if charts:
        body += f'<div class="chart">{charts}</div>'
    wide = "" if charts else " wide"
    notes = list(section.notes) + ([notice] if notice else [])
    return (
        f'<section class="slide" id="{_e(section.key)}">'
        f'<div class="top"><span class="area">{_e(town_hall.area_name)}</span>'
        f"<span>{_e(town_hall.period_text)}</span><span>{number} / {total}</span></div>"
        f'<h1>{_e(section.title)}</h1><p class="lead">{_e(section.lead)}</p>'
        f'<div class="body{wide}">{body}</div>{_cards_html(section)}'
        + (f'<div class="notes">{"<br>".join(_e(n) for n in notes)}</div>' if notes else "")
        + "</section>"
    )


def page_head() -> str:
    """The head of every page the pack is drawn in: the no-network policy, the styles, plotly.js inline."""
    return (
        '<meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">'
        f'<meta name="viewport" content="width={SLIDE_WIDTH}">'
        f"<style>{STYLE}</style><script>{get_plotlyjs()}</script>"
    )


def pack_title(town_hall: th.TownHall) -> str:
    """The pack's title (not escaped)."""
    return f"Town hall · {town_hall.area_name} · {town_hall.period_text}"


def slides_html(
    town_hall: th.TownHall, notice: str | None = None, sized: dict[str, go.Figure] | None = None
) -> str:
    """Every section as a slide: the body of the pack."""
    total = len(town_hall.sections)
    return "".join(
        section_html(section, i, total, town_hall, notice, sized)
        for i, section in enumerate(town_hall.sections, 1)
    )


def _document(town_hall: th.TownHall, body: str) -> str:
    """The pack's page around its slides."""
    title = _e(pack_title(town_hall))
    return f'<!DOCTYPE html><html lang="en"><head>{page_head()}<title>{title}</title></head><body>{body}</body></html>'


def pack_html(town_hall: th.TownHall, notice: str | None = None) -> str:
    """The whole pack as one self-contained HTML page: plotly.js inline once, no outside request."""
    return _document(town_hall, slides_html(town_hall, notice))


def chart_count(town_hall: th.TownHall) -> int:
    """How many charts the pack draws."""
    return sum(len(s.charts) for s in town_hall.sections)


# --- CSV -------------------------------------------------------------------------------------------


def tables_csv(town_hall: th.TownHall) -> dict[str, bytes]:
    """Each table of the pack as spreadsheet-safe CSV, by file name."""
    return {
        file_name(*town_hall.name_parts, name): to_csv_bytes(table)
        for section in town_hall.sections
        for name, table in section.tables
    }


# --- Chromium --------------------------------------------------------------------------------------


def _with(renderer: Renderer | None, drawing: Drawing) -> Drawn:
    """Draw with `renderer`, or in a Chromium started for this drawing alone (and stopped after)."""
    if renderer is not None:
        return renderer.render(drawing)
    with Chromium() as alone:
        return alone.render(drawing)


def _png_specs(charts: list[tuple[str, go.Figure]]) -> tuple[tuple[str, dict], ...]:
    """Each slide-sized chart as the dict plotly.js draws."""
    return tuple((name, json.loads(sized.to_json())) for name, sized in charts)


def _drawing(
    body: str, charts: int, pngs: list[tuple[str, go.Figure]], pdf: bool, title: str = ""
) -> Drawing:
    """A slide-sized drawing of `body`: printed to PDF if `pdf`, with `pngs` (slide-sized) drawn as PNG."""
    return Drawing(
        page_head(),
        body,
        title,
        SLIDE_WIDTH,
        SLIDE_HEIGHT,
        charts=charts,
        pdf=pdf,
        pngs=_png_specs(pngs),
        png_width=CHART_WIDTH,
        png_height=CHART_HEIGHT,
        png_scale=PNG_SCALE,
    )


def _png_names(town_hall: th.TownHall, sized: dict[str, go.Figure]) -> list[tuple[str, go.Figure]]:
    """Every slide-sized chart of the pack with the name of its PNG file."""
    return [(file_name(*town_hall.name_parts, name, ext="png"), fig) for name, fig in sized.items()]


def pack_pdf(town_hall: th.TownHall, notice: str | None = None, renderer: Renderer | None = None) -> bytes:
    """The pack as a PDF: one 1280 x 720 page per section."""
    body = slides_html(town_hall, notice)
    drawing = _drawing(body, chart_count(town_hall), [], pdf=True, title=pack_title(town_hall))
    return _with(renderer, drawing).pdf


def chart_pngs(town_hall: th.TownHall, renderer: Renderer | None = None) -> dict[str, bytes]:
    """Each chart of the pack as a PNG, by file name (all drawn in one page)."""
    return _with(renderer, _drawing("", 0, _png_names(town_hall, slide_figures(town_hall)), pdf=False)).pngs


def chart_png(fig: go.Figure, renderer: Renderer | None = None) -> bytes:
    """One chart as a PNG, in slide size and projector type."""
    return _with(renderer, _drawing("", 0, [("chart", slide_figure(fig))], pdf=False)).pngs["chart"]


def pack_zip(town_hall: th.TownHall, notice: str | None = None, renderer: Renderer | None = None) -> bytes:
    """Everything in one ZIP: the HTML pack, the PDF and PNGs (when Chromium draws them), the CSV tables.

    The PDF and every PNG are drawn in one page of one browser. When Chromium fails, the ZIP still holds
    the HTML and the tables, and a text file that says why the PDF and PNGs are missing."""
    sized = slide_figures(town_hall)
    body = slides_html(town_hall, notice, sized)
    files: dict[str, bytes] = {
        file_name(*town_hall.name_parts, ext="html"): _document(town_hall, body).encode()
    }
    if renderer is not None or browser_available():
        pngs = _png_names(town_hall, sized)
        drawing = _drawing(body, chart_count(town_hall), pngs, pdf=True, title=pack_title(town_hall))
        try:
            drawn = _with(renderer, drawing)
        except RenderError as err:
            files[file_name(*town_hall.name_parts, MISSING, ext="txt")] = missing_note(str(err))
        else:
            files[file_name(*town_hall.name_parts, ext="pdf")] = drawn.pdf
            files.update(drawn.pngs)
    files.update(tables_csv(town_hall))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def missing_note(reason: str) -> bytes:
    """The text put in a ZIP in place of the PDF and PNGs that could not be drawn."""
    return (
        "The PDF and the PNG charts of this pack could not be drawn:\n"
        f"{reason}\n\nThe HTML file has every slide and chart; open it in a browser and print it to PDF.\n"
    ).encode()
