"""Town hall: one area's story for a presenter, one section at a time, and the pack to hand out."""

import streamlit as st

from cpdash import ui
from cpdash.charts.town_hall import projector
from cpdash.export import pack
from cpdash.export.safe_csv import file_name, to_csv_bytes
from cpdash.views import town_hall as th
from cpdash.views.format import markdown_text as md

PRESENTING = "town_hall_presenting"
PRESENTER_CHART_HEIGHT = 450  # fits below the title on a 1280x720 projector
SLIDE = "town_hall_slide_index"
# A constant stylesheet (no data in it): presenter mode hides the sidebar, the app's header and every
# element outside the stage, and sets large, high-contrast type for a 1280x720 projector (growing with
# wider screens); on a phone, type that fits and a bar of buttons under the slide, not over it.
PRESENTER_CSS = """<style>
[data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"], [data-testid="stHeader"],
[data-testid="stToolbar"], [data-testid="stDecoration"], [data-testid="stStatusWidget"],
[data-testid="stExpandSidebarButton"] { display: none !important; }
[data-testid="stMainBlockContainer"] > [data-testid="stVerticalBlock"] > *:not(:has(.st-key-town_hall_stage)) {
  display: none !important; }
[data-testid="stMainBlockContainer"] { max-width: 100% !important; padding: 0.8rem 2.5rem 4.5rem !important; }
html { font-size: max(16px, 1.25vw) !important; }
[data-testid="stApp"], [data-testid="stMain"] { background: #ffffff !important; }
.st-key-town_hall_stage, .st-key-town_hall_stage [data-testid="stVerticalBlock"] { gap: 0.45rem !important; }
.st-key-town_hall_stage * { color: #000000; }
.st-key-town_hall_stage .st-key-town_hall_nav [data-testid="stBaseButton-primary"],
.st-key-town_hall_stage .st-key-town_hall_nav [data-testid="stBaseButton-primary"] p,
.st-key-town_hall_stage .st-key-town_hall_nav [data-testid="stBaseButton-primary"] * { color: #ffffff !important; }
.st-key-town_hall_stage h1 { font-size: 3rem !important; line-height: 1.1 !important; color: #00304f !important;
  padding: 0.1rem 0 0.2rem !important; }
.st-key-town_hall_stage [data-testid="stMarkdownContainer"] p,
.st-key-town_hall_stage [data-testid="stMarkdownContainer"] li { font-size: 1.55rem !important;
  line-height: 1.35 !important; color: #000000 !important; }
.st-key-town_hall_stage [data-testid="stCaptionContainer"],
.st-key-town_hall_stage [data-testid="stCaptionContainer"] p { font-size: 1.1rem !important;
  line-height: 1.3 !important; color: #1a1a1a !important; opacity: 1 !important; }
.st-key-town_hall_stage [data-testid="stMetricLabel"] p { font-size: 1.3rem !important; font-weight: 700 !important; }
.st-key-town_hall_stage [data-testid="stMetricValue"],
.st-key-town_hall_stage [data-testid="stMetricValue"] p { font-size: 3.4rem !important; font-weight: 800 !important;
  line-height: 1.05 !important; color: #00304f !important; }
.st-key-town_hall_stage blockquote { border-left: 0.4rem solid #CC79A7 !important; background: #f7f0f4;
  padding: 0.2rem 0.8rem !important; margin: 0 0 0.3rem !important; color: #000000 !important; opacity: 1 !important; }
.st-key-town_hall_stage blockquote p { font-size: 1.35rem !important; color: #000000 !important; }
.st-key-town_hall_nav { position: fixed !important; right: 1.5rem; bottom: 0.7rem; width: auto !important;
  z-index: 999990; gap: 0.8rem !important; }
.st-key-town_hall_nav button { min-height: 3rem !important; padding: 0 1.4rem !important; }
.st-key-town_hall_nav button p { font-size: 1.3rem !important; }
@media (max-width: 640px) {
  html { font-size: 16px !important; }
  [data-testid="stMainBlockContainer"] { padding: 0.6rem 1rem 5.5rem !important; }
  .st-key-town_hall_stage h1 { font-size: 2rem !important; }
  .st-key-town_hall_stage [data-testid="stMarkdownContainer"] p,
  .st-key-town_hall_stage [data-testid="stMarkdownContainer"] li { font-size: 1.15rem !important; }
  .st-key-town_hall_stage [data-testid="stMetricValue"],
  .st-key-town_hall_stage [data-testid="stMetricValue"] p { font-size: 2.3rem !important; }
  .st-key-town_hall_stage [data-testid="stMetricLabel"] p { font-size: 1.05rem !important; }
  .st-key-town_hall_stage blockquote p { font-size: 1.1rem !important; }
  .st-key-town_hall_nav { left: 0; right: 0; bottom: 0; width: 100% !important; padding: 0.5rem 0.75rem !important;
    background: #ffffff; border-top: 1px solid #d0d0d0; justify-content: space-between; gap: 0.4rem !important; }
  .st-key-town_hall_nav button { min-height: 2.6rem !important; padding: 0 0.7rem !important; }
  .st-key-town_hall_nav button p { font-size: 1.05rem !important; }
}
</style>"""

ctx = ui.page_context()
st.session_state.setdefault(PRESENTING, False)
st.session_state.setdefault(SLIDE, 0)
total = len(th.SECTIONS)
chromium = ui.get_chromium()  # None without Chromium: no PDF or PNG


def move(step: int) -> None:
    """Go to the next (1) or previous (-1) section."""
    st.session_state[SLIDE] = th.step(st.session_state[SLIDE], step)


def present(on: bool) -> None:
    """Start presenting at the first section, or stop."""
    st.session_state[PRESENTING] = on
    st.session_state[SLIDE] = 0


def show_section(section: th.Section, big: bool, slot: str) -> None:
    """One section: its lead, facts, quotes, cards, next steps and chart."""
    st.markdown(md(section.lead))
    has_chart = bool(section.charts)
    text, chart = st.columns([5, 6], gap="large") if has_chart else (st.container(), None)
    if section.facts:
        per_row = 2 if has_chart else 4
        for start in range(0, len(section.facts), per_row):
            row = section.facts[start : start + per_row]
            for column, fact in zip(text.columns(per_row), row, strict=False):
                column.metric(fact.label, fact.value)
                if fact.detail:
                    column.caption(md(fact.detail))
    for quote in section.quotes:
        text.markdown("> “" + md(quote) + "”")
    for bullet in section.bullets:
        text.markdown("- " + md(bullet))
    if section.cards:
        for column, card in zip(st.columns(len(section.cards)), section.cards, strict=True):
            box = column.container(border=True)
            box.markdown(f"**You said** · {md(card.topic)} · {card.raised:%-d %b %Y}")
            box.markdown(md(card.said) if card.said else f"_{md(card.topic)}_")
            days = f" · {card.days} days" if card.days is not None else ""
            box.markdown(f"**We did** · {card.resolved:%-d %b %Y}{days}")
            box.markdown(md(card.did) if card.did else "_No action was recorded._")
    if chart is not None:
        projected = big and not ctx.phone  # a phone keeps the page's chart type, which fits its width
        for name, fig in section.charts:
            chart.plotly_chart(
                projector(fig, height=PRESENTER_CHART_HEIGHT) if projected else fig,
                key=f"town_hall_{slot}_{name}",
                config={"displayModeBar": False},
                theme=None if projected else "streamlit",
            )
    if section.notes:
        st.caption("  \n".join(md(n) for n in section.notes))


options = th.area_options(ctx.names)
if not options:
    st.title("Town hall", anchor=False)
    ui.empty_state(th.NO_AREAS)
    st.stop()
st.session_state["town_hall_area"] = th.default_area(
    options, ctx.filters, st.session_state.get("town_hall_area")
)


def current() -> th.Setup:
    """The town hall of the chosen area, public-safe as chosen."""
    return th.setup(
        ctx.src,
        ctx.ds,
        st.session_state["town_hall_area"],
        ctx.filters,
        ctx.policy,
        ctx.compare,
        st.session_state.get("town_hall_public_safe", True),
        ui.get_concern_table(ctx.settings, ctx.ds),
        ui.approved_quotes(ctx.settings),
    )


if st.session_state[PRESENTING]:
    st.html(PRESENTER_CSS)
    ui.sentiment_status(ctx.ds)  # hidden on the stage; the slides fill in when sentiment is done
    view = current()
    index = st.session_state[SLIDE]
    key, title = th.SECTIONS[index]
    with st.container(key="town_hall_stage"):
        st.caption(f"{md(view.caption)} · {index + 1} / {total}")
        st.title(title, anchor=False)
        show_section(ui.get_town_hall_section(ctx.settings, view.scope, key), big=True, slot=f"present_{key}")
        if view.notice:
            st.caption(view.notice)
        with st.container(key="town_hall_nav", horizontal=True):
            st.button(
                "End ✕", key="town_hall_end", on_click=present, args=(False,), shortcut="Esc", type="tertiary"
            )
            st.button(
                "← Previous",
                key="town_hall_previous",
                on_click=move,
                args=(-1,),
                disabled=index == 0,
                shortcut="Left",
            )
            st.button(
                "Next →",
                key="town_hall_next",
                on_click=move,
                args=(1,),
                disabled=index == total - 1,
                shortcut="Right",
                type="primary",
            )
    st.stop()

st.title("Town hall", anchor=False)
ui.sentiment_status(ctx.ds)
st.markdown(
    "Choose an area, then **Present**: one section at a time in large type for a projector, with "
    "nothing else on screen. ← and → move between sections, Esc ends. The period and programs come "
    "from the sidebar."
)
choose, safe, start = st.columns([3, 2, 1], vertical_alignment="bottom")
choose.selectbox("Area", options, format_func=lambda a: ctx.names.get(a, a), key="town_hall_area")
switch = th.public_safe_choice(ctx.policy)
if switch:
    safe.toggle("Public-safe", value=True, key="town_hall_public_safe", help=switch)
view = current()
if view.refused:
    st.warning(view.refused, icon="🔒")
    st.stop()
start.button("▶ Present", key="town_hall_present", on_click=present, args=(True,), type="primary")

st.caption(md(view.caption))
if view.needs:
    ui.empty_state(view.needs)


def whole() -> th.TownHall:
    """Every section, built when a download is asked for (not on every rerun)."""
    return ui.get_town_hall(ctx.settings, view.scope)


def packed(make, kind: str):
    """A pack's file maker; a pack with tables of rows (staff) is recorded in the audit log once made."""
    if not view.scope.rows:
        return make
    record = ui.row_record(
        ctx, f"town-hall pack ({kind}) for {view.scope.area_name}, with its lists of concerns"
    )

    def made():
        data = make()
        if record is not None:
            record(th.rows_in(whole()))
        return data

    return made


with st.expander("Take the pack with you: HTML, PDF, or everything in a ZIP", expanded=False, icon="⬇️"):
    st.caption(view.pack_note)
    if view.pack_waits:  # refused, not waited for: the page fills in when scoring is done
        st.info(view.pack_waits, icon="⏳")
    else:
        html_col, pdf_col, zip_col = st.columns(3)
        html_col.download_button(
            "Pack (HTML)",
            packed(lambda: pack.pack_html(whole(), view.notice).encode("utf-8"), "HTML"),
            file_name=file_name(*view.file_parts, ext="html"),
            mime="text/html",
            key="town_hall_html",
            icon="🌐",
            on_click="ignore",
        )
        if chromium is not None:
            pdf_col.download_button(
                "Pack (PDF)",
                packed(lambda: pack.pack_pdf(whole(), view.notice, chromium), "PDF"),
                file_name=file_name(*view.file_parts, ext="pdf"),
                mime="application/pdf",
                key="town_hall_pdf",
                icon="📄",
                on_click="ignore",
            )
        else:
            pdf_col.caption("The PDF and PNG files need Chromium (/usr/bin/chromium) on the server.")
        zip_col.download_button(
            "Everything (ZIP)",
            packed(lambda: pack.pack_zip(whole(), view.notice, chromium), "ZIP"),
            file_name=file_name(*view.file_parts, ext="zip"),
            mime="application/zip",
            key="town_hall_zip",
            icon="🗜️",
            on_click="ignore",
        )
        if chromium is not None and chromium.problem:
            st.caption(f"⚠️ The last PDF or PNG could not be drawn: {md(chromium.problem)}")

st.header("Preview", anchor=False)
keys = [key for key, _ in th.SECTIONS]
chosen = (
    st.segmented_control(
        "Section",
        keys,
        format_func=lambda key: f"{keys.index(key) + 1} · {th.TITLES[key]}",
        default=keys[0],
        required=True,
        key="town_hall_preview",
        label_visibility="collapsed",
    )
    or keys[0]
)
section = ui.get_town_hall_section(ctx.settings, view.scope, chosen)
with st.container(border=True):
    st.markdown(f"### {keys.index(chosen) + 1}. {md(section.title)}")
    show_section(section, big=False, slot=f"preview_{chosen}")
    downloads = st.container(horizontal=True)
    for name, table in section.tables:
        downloads.download_button(
            f"Table: {name.replace('-', ' ')} (CSV)",
            ui.recorded(
                lambda table=table: to_csv_bytes(table),
                ui.row_record(ctx, f"town-hall table {name} for {view.scope.area_name}")
                if name in th.ROW_TABLES
                else None,
                len(table),
            ),
            file_name=file_name(*view.file_parts, name),
            mime="text/csv",
            key=f"town_hall_csv_{name}",
            icon="⬇️",
            on_click="ignore",
        )
    for name, fig in section.charts if chromium is not None else ():
        downloads.download_button(
            f"Chart: {name.replace('-', ' ')} (PNG)",
            lambda fig=fig: pack.chart_png(fig, chromium),
            file_name=file_name(*view.file_parts, name, ext="png"),
            mime="image/png",
            key=f"town_hall_png_{name}",
            icon="🖼️",
            on_click="ignore",
        )
