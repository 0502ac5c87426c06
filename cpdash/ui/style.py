"""What every page shares on screen beyond Streamlit's theme: readable contrast, a visible keyboard focus, a
phone layout, charts named for screen readers, and Enter applying a typed date. Constant text (no data in
it), installed once per run by the router."""

from __future__ import annotations

import streamlit as st

FOCUS = "#0072B2"  # the theme's primary colour
MUTED_TEXT = "#505159"  # captions and hints: 7.5:1 on white, 7:1 on the sidebar's grey (WCAG AA is 4.5:1)

CSS = f"""<style>
/* Captions, hints and placeholders: Streamlit draws them at 60 % of the text colour (3.8:1); AA needs 4.5:1. */
[data-testid="stCaptionContainer"], [data-testid="stCaptionContainer"] p,
[data-testid="stWidgetLabel"] p, [data-testid="stMetricLabel"] p,
[data-testid="stSidebar"] [data-testid="stCaptionContainer"] p {{ color: {MUTED_TEXT} !important;
  opacity: 1 !important; }}
[data-testid="stMultiSelect"] [data-baseweb="select"] [aria-hidden="true"] ~ div,
[data-testid="stSelectbox"] [data-baseweb="select"] div[class*="placeholder"],
input::placeholder, textarea::placeholder {{ color: {MUTED_TEXT} !important; opacity: 1 !important; }}
/* Quoted text (residents' comments): Streamlit draws blockquotes at 60 % too. */
[data-testid="stMarkdownContainer"] blockquote, [data-testid="stMarkdownContainer"] blockquote p {{
  color: {MUTED_TEXT} !important; opacity: 1 !important; }}
/* A keyboard focus anyone can see. */
a:focus-visible, button:focus-visible, summary:focus-visible, [role="tab"]:focus-visible,
[role="spinbutton"]:focus-visible, input:focus-visible, [tabindex]:focus-visible {{
  outline: 3px solid {FOCUS} !important; outline-offset: 2px !important; border-radius: 4px; }}
[data-testid="stSidebarNavLink"]:focus-visible {{ background: #e3eef7 !important; }}
/* The route that sends /overview to the Overview (at /) is not a page of its own. */
[data-testid="stSidebarNav"] li:has(a[href$="/overview"]) {{ display: none !important; }}
/* Section headings (h2) at the size Streamlit gives subheaders: the outline goes h1, h2, h3 without a jump. */
[data-testid="stMain"] h2 {{ font-size: 1.6rem !important; padding-top: 0.9rem !important; }}
/* Plotly's own toolbar: only while a mouse is over the chart, never over its title, never in the Tab order
   (Streamlit's toolbar keeps full screen). */
[data-testid="stPlotlyChart"] .modebar-container {{ display: none !important; }}
@media (hover: hover) {{
  [data-testid="stPlotlyChart"]:hover .modebar-container {{ display: block !important; }}
  [data-testid="stPlotlyChart"]:hover .modebar {{ top: -4px !important; }}
}}
/* A phone: KPI cards two a row, a little tighter. */
@media (max-width: 640px) {{
  [class*="_kpis"] [data-testid="stHorizontalBlock"] {{ flex-wrap: wrap !important; flex-direction: row !important;
    gap: 0.5rem !important; }}
  [class*="_kpis"] [data-testid="stColumn"] {{ flex: 1 1 calc(50% - 0.5rem) !important;
    width: calc(50% - 0.5rem) !important; min-width: calc(50% - 0.5rem) !important; }}
  [class*="_kpis"] [data-testid="stMetric"] {{ padding: 0.45rem 0.6rem !important; }}
  [class*="_kpis"] [data-testid="stMetricValue"] {{ font-size: 1.45rem !important; }}
  [class*="_kpis"] [data-testid="stMetricLabel"] p, [class*="_kpis"] [data-testid="stMetricLabel"] div {{
    white-space: normal !important; overflow: visible !important; text-overflow: clip !important; }}
  [data-testid="stMain"] h1 {{ font-size: 1.9rem !important; }}
}}
</style>"""

# Charts get a name (role img, "Chart: <its title>"); Enter in a date field applies it, as Escape does.
SCRIPT = """<script>
(() => {
  if (window.cpdashAccess) { return; }
  window.cpdashAccess = true;
  const text = (el) => (el && el.textContent ? el.textContent.trim() : "");
  const nameCharts = () => {
    document.querySelectorAll('[data-testid="stPlotlyChart"] .js-plotly-plot').forEach((plot) => {
      const axes = [text(plot.querySelector(".ytitle")), text(plot.querySelector(".xtitle"))].filter(Boolean);
      const title = text(plot.querySelector(".gtitle")) || axes.join(" by ") || "chart";
      const name = "Chart: " + title;
      if (plot.getAttribute("aria-label") !== name) {
        plot.setAttribute("role", "img");
        plot.setAttribute("aria-label", name);
      }
    });
  };
  let pending = false;
  new MutationObserver(() => {
    if (pending) { return; }
    pending = true;
    setTimeout(() => { pending = false; nameCharts(); }, 150);
  }).observe(document.body, { childList: true, subtree: true });
  nameCharts();
  document.addEventListener("keydown", (event) => {
    if (event.key !== "Enter" || event.shiftKey || event.altKey || event.ctrlKey || event.metaKey) { return; }
    const field = event.target.closest && event.target.closest('[data-testid="stDateInputField"]');
    if (!field) { return; }
    event.preventDefault();
    event.target.dispatchEvent(new KeyboardEvent("keydown",
      { key: "Escape", code: "Escape", keyCode: 27, bubbles: true, cancelable: true }));
  }, true);
})();
</script>"""


def install() -> None:
    """Add the shared stylesheet and script to this run (call once, from the router)."""
    st.html(CSS)
    with st.sidebar:
        st.html(SCRIPT, unsafe_allow_javascript=True)
