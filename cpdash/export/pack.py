"""The town-hall pack as files: a self-contained HTML file, a PDF, each chart as PNG, each table as CSV.

The HTML file carries plotly.js inline (once) and a Content-Security-Policy that forbids every request,
so it opens offline and never reaches for a network. The PDF and PNGs are drawn by headless Chromium
(Debian's /usr/bin/chromium, driven by Playwright) from that same HTML with every network request
aborted: one slide of 1280 x 720 pixels per section. Every text from the data is HTML-escaped here.
"""

from __future__ import annotations

import base64
import html
import io
import json
import os
import zipfile
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TypeVar

import plotly.graph_objects as go
import plotly.io as pio
from plotly.offline import get_plotlyjs

from cpdash.charts.town_hall import projector
from cpdash.export.safe_csv import file_name, to_csv_bytes
from cpdash.views import town_hall as th

SLIDE_WIDTH, SLIDE_HEIGHT = 1280, 720  # a 16:9 projector, in CSS pixels
CHART_WIDTH, CHART_HEIGHT = 620, 470  # a chart beside the text of a slide
PNG_SCALE = 2  # PNGs at twice the pixels, sharp when printed
CHROMIUM_ENV = "CPDASH_CHROMIUM"  # where Chromium is, when not at the Debian path
CHROMIUM_DEFAULT = "/usr/bin/chromium"
CHROMIUM_ARGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--enable-unsafe-swiftshader",
)
RENDER_TIMEOUT_MS = 60_000
PLOTLY_CONFIG = {"displayModeBar": False, "responsive": False, "displaylogo": False}
# No request of any kind leaves the file: scripts and styles are inline, images are data: URLs.
CSP = (
    "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; "
    "img-src data: blob:; font-src data:; connect-src 'none'; form-action 'none'; base-uri 'none'"
)
LOCAL_SCHEMES = ("data:", "about:", "blob:")  # what a rendering page may load; everything else is aborted

STYLE = """
@page { size: 1280px 720px; margin: 0; }
* { box-sizing: border-box; }
html, body { margin: 0; padding: 0; background: #ffffff; color: #000000;
  font-family: "Source Sans Pro", "Helvetica Neue", Arial, sans-serif; }
.slide { width: 1280px; height: 720px; padding: 28px 48px 20px; overflow: hidden; position: relative;
  display: flex; flex-direction: column; break-after: page; page-break-after: always; }
.slide:last-child { break-after: auto; page-break-after: auto; }
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

T = TypeVar("T")


# --- HTML ------------------------------------------------------------------------------------------


def _e(value: object) -> str:
    """Text from the data, HTML-escaped."""
    return html.escape(str(value), quote=True)


def slide_figure(fig: go.Figure, width: int = CHART_WIDTH, height: int = CHART_HEIGHT) -> go.Figure:
    """A chart sized for a slide, in projector type."""
    return projector(fig, height=height, width=width)


def _chart_html(name: str, fig: go.Figure, index: int) -> str:
    """One chart as a div and the script that draws it (plotly.js is loaded once, in the head)."""
    return pio.to_html(
        slide_figure(fig),
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
    section: th.Section, number: int, total: int, town_hall: th.TownHall, notice: str | None
) -> str:
    """One section as one slide."""
    text = [_facts_html(section)]
    text += [f"<blockquote>“{_e(q)}”</blockquote>" for q in section.quotes]
    if section.bullets:
        text.append("<ul>" + "".join(f"<li>{_e(b)}</li>" for b in section.bullets) + "</ul>")
    charts = "".join(_chart_html(name, fig, number) for name, fig in section.charts)
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


def pack_html(town_hall: th.TownHall, notice: str | None = None) -> str:
    """The whole pack as one self-contained HTML page: plotly.js inline once, no outside request."""
    total = len(town_hall.sections)
    slides = "".join(
        section_html(section, i, total, town_hall, notice) for i, section in enumerate(town_hall.sections, 1)
    )
    title = f"Town hall · {town_hall.area_name} · {town_hall.period_text}"
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">'
        f'<meta name="viewport" content="width={SLIDE_WIDTH}"><title>{_e(title)}</title>'
        f"<style>{STYLE}</style><script>{get_plotlyjs()}</script></head>"
        f"<body>{slides}</body></html>"
    )


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


def chromium_path() -> Path:
    """Where Chromium is: $CPDASH_CHROMIUM, else Debian's /usr/bin/chromium."""
    return Path(os.environ.get(CHROMIUM_ENV) or CHROMIUM_DEFAULT)


def browser_available() -> bool:
    """True when the PDF and PNGs can be drawn (Playwright installed, Chromium present)."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return False
    return chromium_path().exists()


def _off_thread(work: Callable[[], T]) -> T:
    """Run `work` in a thread of its own (Playwright's sync API refuses a thread with a running event loop)."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(work).result()


def block_network(page: object, attempted: list[str] | None = None) -> None:
    """Abort every request of `page` that is not data:, about: or blob: (and note it in `attempted`)."""

    def handle(route: object) -> None:
        """Let local URLs through; abort the rest."""
        url = route.request.url
        if url.startswith(LOCAL_SCHEMES):
            route.continue_()
            return
        if attempted is not None:
            attempted.append(url)
        route.abort()

    page.route("**/*", handle)


def _render(
    page_html: str, charts: int, pngs: list[tuple[str, go.Figure]], pdf: bool
) -> tuple[bytes | None, dict]:
    """Open `page_html` in headless Chromium, offline; print it to PDF and draw `pngs` with plotly.js."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(chromium_path()), args=list(CHROMIUM_ARGS))
        try:
            context = browser.new_context(
                viewport={"width": SLIDE_WIDTH, "height": SLIDE_HEIGHT},
                offline=True,
                java_script_enabled=True,
            )
            page = context.new_page()
            page.set_default_timeout(RENDER_TIMEOUT_MS)
            block_network(page)
            page.set_content(page_html, wait_until="load")
            page.wait_for_function("() => typeof Plotly !== 'undefined'")
            page.wait_for_function(
                "n => document.querySelectorAll('.js-plotly-plot .main-svg').length >= n", arg=charts
            )
            document = None
            if pdf:
                document = page.pdf(
                    width=f"{SLIDE_WIDTH}px",
                    height=f"{SLIDE_HEIGHT}px",
                    print_background=True,
                    prefer_css_page_size=True,
                    margin={"top": "0", "right": "0", "bottom": "0", "left": "0"},
                )
            images = {}
            for name, fig in pngs:
                spec = json.loads(slide_figure(fig).to_json())
                url = page.evaluate(
                    "([fig, w, h, s]) => Plotly.toImage(fig, {format: 'png', width: w, height: h, scale: s})",
                    [spec, CHART_WIDTH, CHART_HEIGHT, PNG_SCALE],
                )
                images[name] = base64.b64decode(url.split(",", 1)[1])
            return document, images
        finally:
            browser.close()


def _all_charts(town_hall: th.TownHall) -> list[tuple[str, go.Figure]]:
    """Every chart of the pack with the name of its PNG file."""
    return [
        (file_name(*town_hall.name_parts, name, ext="png"), fig)
        for section in town_hall.sections
        for name, fig in section.charts
    ]


def pack_pdf(town_hall: th.TownHall, notice: str | None = None) -> bytes:
    """The pack as a PDF: one 1280 x 720 page per section."""
    page_html = pack_html(town_hall, notice)
    document, _ = _off_thread(lambda: _render(page_html, chart_count(town_hall), [], pdf=True))
    return document


def _plotly_page() -> str:
    """An empty page with plotly.js inline, under the same no-network policy, to draw PNGs in."""
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">'
        f"<script>{get_plotlyjs()}</script></head><body></body></html>"
    )


def chart_pngs(town_hall: th.TownHall) -> dict[str, bytes]:
    """Each chart of the pack as a PNG, by file name."""
    charts = _all_charts(town_hall)
    _, images = _off_thread(lambda: _render(_plotly_page(), 0, charts, pdf=False))
    return images


def chart_png(fig: go.Figure) -> bytes:
    """One chart as a PNG, in slide size and projector type."""
    _, images = _off_thread(lambda: _render(_plotly_page(), 0, [("chart", fig)], pdf=False))
    return images["chart"]


def pack_zip(town_hall: th.TownHall, notice: str | None = None) -> bytes:
    """Everything in one ZIP: the HTML pack, the PDF and PNGs (when Chromium is there), the CSV tables."""
    page_html = pack_html(town_hall, notice)
    files: dict[str, bytes] = {file_name(*town_hall.name_parts, ext="html"): page_html.encode("utf-8")}
    if browser_available():
        document, images = _off_thread(
            lambda: _render(page_html, chart_count(town_hall), _all_charts(town_hall), pdf=True)
        )
        files[file_name(*town_hall.name_parts, ext="pdf")] = document
        files.update(images)
    files.update(tables_csv(town_hall))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return buffer.getvalue()
