"""What a user meets in the browser on the sample city (staff view): the keyboard alone reaches and operates
everything that matters, the presenter keeps the area it presents, the Overview reads on a phone, and a
bookmarked /overview opens the Overview. One server and one browser for the module."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from browser_support import PHONE, chromium, require_browser, server
from playwright.sync_api import Browser, BrowserContext, Page
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from scripts.serve import PHONE_AGENT, AppServer, open_page, wait_for_drawn, wait_for_idle, wait_for_page

pytestmark = pytest.mark.browser
require_browser()

FIRST_ACTION = ".st-key-overview_attention_0_0 button"
AREA_BOX = "[data-testid=stMain] [data-testid=stSelectbox] input"
STAGE_CAPTION = ".st-key-town_hall_stage [data-testid=stCaptionContainer]"
MAX_TABS = 10


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    yield from chromium()


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AppServer]:
    yield from server(tmp_path_factory.mktemp("cache-ux"))


@pytest.fixture(scope="module")
def context(browser: Browser) -> Iterator[BrowserContext]:
    context = browser.new_context(viewport={"width": 1440, "height": 900})
    yield context
    context.close()


@pytest.fixture
def page(context: BrowserContext) -> Iterator[Page]:
    page = context.new_page()
    yield page
    page.close()


def focused(page: Page) -> str:
    """What has the keyboard focus, in words (for messages)."""
    return page.evaluate(
        "() => { const e = document.activeElement; return e.tagName + ' ' + "
        "(e.getAttribute('aria-label') || e.innerText || '').trim().slice(0, 40); }"
    )


def query(page: Page) -> dict[str, list[str]]:
    """The URL's parameters."""
    return parse_qs(urlsplit(page.url).query)


def test_the_first_needs_attention_action_is_ten_tab_presses_from_the_top(page: Page, app: AppServer) -> None:
    """Tab from the top: the skip link (Enter on it) passes the navigation and the filters, and the first
    "Needs attention" action comes before any chart's toolbar."""
    open_page(page, app.url, "overview")
    target = page.locator(FIRST_ACTION)
    target.wait_for(state="visible")
    page.evaluate("() => { document.activeElement && document.activeElement.blur(); window.scrollTo(0, 0); }")
    path: list[str] = []
    for _ in range(MAX_TABS):
        page.keyboard.press("Tab")
        path.append(focused(page))
        if "Skip to main content" in path[-1]:
            page.keyboard.press("Enter")
        if target.evaluate("e => e === document.activeElement"):
            break
    else:
        pytest.fail(f"not reached in {MAX_TABS} Tab presses; the focus went: " + " → ".join(path))
    page.keyboard.press("Enter")  # and the action works from the keyboard
    page.wait_for_url(re.compile(r"/(you_said_we_did|community_voice|participation)\?"), timeout=30_000)
    wait_for_idle(page)


def test_a_typed_date_range_applies_on_enter(page: Page, app: AppServer) -> None:
    """Type a year into the period's start and press Enter: the period changes (Esc is not needed)."""
    open_page(page, app.url, "overview")
    before = query(page).get("filter_period")
    year = page.get_by_role("spinbutton", name=re.compile("year, Period start date"))
    year.focus()
    year.press_sequentially("2024")
    page.keyboard.press("Enter")
    page.wait_for_timeout(300)
    wait_for_idle(page)
    period = query(page).get("filter_period")
    assert period and period != before and period[0].startswith("2024-"), f"the URL reads {page.url}"


def choose_by_keyboard(page: Page, label: str, text: str) -> None:
    """Focus a sidebar filter by its name, type, Enter to choose the first match, Escape to close."""
    box = page.locator("[data-testid=stSidebar]").get_by_role("combobox", name=label)
    box.focus()
    page.keyboard.type(text)
    page.keyboard.press("Enter")
    page.keyboard.press("Escape")
    page.wait_for_timeout(300)
    wait_for_idle(page)


def test_every_filter_works_from_the_keyboard(page: Page, app: AppServer) -> None:
    """Areas, programs and the comparison are chosen with typing, Enter and Escape, and kept in the URL."""
    open_page(page, app.url, "participation")
    choose_by_keyboard(page, "Areas", "Harlow")
    choose_by_keyboard(page, "Programs", "Coffee")
    choose_by_keyboard(page, "Compare with", "same period")
    asked = query(page)
    assert asked.get("filter_area") == ["Harlow Junction"], page.url
    assert asked.get("filter_program") and asked["filter_program"][0].startswith("Coffee"), page.url
    assert asked.get("filter_compare"), page.url
    assert "same period last year" in page.locator("[data-testid=stMain]").inner_text().lower()


def presenting(page: Page) -> str:
    """The area the presenter shows (its caption's first part)."""
    page.locator(STAGE_CAPTION).first.wait_for(state="visible")
    return page.locator(STAGE_CAPTION).first.inner_text().split(" · ")[0]


def box_and_caption(page: Page) -> tuple[str, str]:
    """The area the town hall's box shows, and the one its caption (and preview) describe."""
    return (
        page.locator(AREA_BOX).first.input_value(),
        page.locator("[data-testid=stMain] [data-testid=stCaptionContainer]")
        .first.inner_text()
        .split(" · ")[0],
    )


def next_slide_by_keyboard(page: Page) -> None:
    """→ moves to the second slide. A key pressed while the page is still running the rerun that drew the
    stage can be dropped before its shortcut is bound (seen on a loaded machine): press again, only while
    the first slide still shows, so that a late first press cannot skip a slide unseen."""
    caption = page.locator(STAGE_CAPTION).first
    for _ in range(3):
        page.keyboard.press("ArrowRight")
        try:
            caption.filter(has_text=" 2 / ").wait_for(timeout=10_000)
            break
        except PlaywrightTimeout:
            if " 1 / " not in caption.inner_text():
                break
    wait_for_idle(page)


def end_with_escape(page: Page) -> None:
    """Esc ends the presentation."""
    page.keyboard.press("Escape")
    page.locator(".st-key-town_hall_stage").wait_for(state="detached")
    wait_for_idle(page)


@pytest.mark.parametrize("chosen", ["in the box", "by the link"])
def test_the_presenter_keeps_its_area_through_esc_and_present(
    page: Page, app: AppServer, chosen: str
) -> None:
    """Whether the area came from the box or the URL: present it, move on with →, end with Esc; the box,
    the caption and the next presentation all show that same area. All by keyboard."""
    area = "Harlow Junction"
    if chosen == "by the link":
        open_page(page, app.url, "town_hall", urlencode({"filter_area": area}))
    else:
        open_page(page, app.url, "town_hall")
        page.locator(AREA_BOX).first.focus()
        page.keyboard.type("Harlow")
        page.keyboard.press("Enter")
        page.wait_for_timeout(300)
        wait_for_idle(page)
    assert box_and_caption(page) == (area, area)
    for _ in range(2):
        page.get_by_role("button", name="Present").focus()
        page.keyboard.press("Enter")
        wait_for_idle(page)
        assert presenting(page) == area
        next_slide_by_keyboard(page)
        assert " 2 / " in page.locator(STAGE_CAPTION).first.inner_text()
        assert presenting(page) == area
        end_with_escape(page)
        assert box_and_caption(page) == (area, area)


def assert_two_a_row(page: Page, container: str, at_least: int) -> None:
    """The KPI cards in this keyed container sit two a row, each under half the phone's width."""
    cards = page.locator(f".st-key-{container} [data-testid=stMetric]")
    boxes = [cards.nth(i).bounding_box() for i in range(cards.count())]
    assert len(boxes) >= at_least
    for left, right in zip(boxes[0:at_least:2], boxes[1:at_least:2], strict=True):
        assert abs(left["y"] - right["y"]) < 2, f"not two a row: {boxes}"
        assert left["width"] < PHONE["width"] / 2


def test_the_overview_on_a_phone(browser: Browser, app: AppServer) -> None:
    """390x844: KPI cards two a row, "Needs attention" within the first two screens, chart titles clear of
    any toolbar."""
    context = browser.new_context(viewport=PHONE, has_touch=True, is_mobile=True, user_agent=PHONE_AGENT)
    page = context.new_page()
    try:
        open_page(page, app.url, "overview")
        assert_two_a_row(page, "overview_kpis", 6)
        heading = page.locator("[data-testid=stMain] h2", has_text="Needs attention")
        top = heading.evaluate("e => e.getBoundingClientRect().top + window.scrollY")
        main_scroll = page.locator("[data-testid=stMain]").evaluate("e => e.scrollTop")
        assert top + main_scroll < 2 * PHONE["height"], f"Needs attention starts at {top} px"
        wait_for_drawn(page)
        page.locator("[data-testid=stPlotlyChart]").first.tap()
        covered = page.evaluate(
            """() => [...document.querySelectorAll('[data-testid=stPlotlyChart]')].flatMap((chart) => {
                 const title = chart.querySelector('.gtitle');
                 if (!title) return [];
                 const t = title.getBoundingClientRect();
                 return [...chart.querySelectorAll('.modebar-container, [data-testid=stElementToolbar]')]
                   .filter((bar) => getComputedStyle(bar).display !== 'none' && bar.offsetParent !== null)
                   .map((bar) => bar.getBoundingClientRect())
                   .filter((b) => b.width > 0 && b.left < t.right && t.left < b.right && b.top < t.bottom
                                  && t.top < b.bottom)
                   .map(() => title.textContent);
               })"""
        )
        assert not covered, f"toolbars cover the titles of {covered}"
    finally:
        context.close()


def test_participation_kpis_two_a_row_on_a_phone(browser: Browser, app: AppServer) -> None:
    """390x844: Participation's KPI cards sit two a row, as the Overview's do."""
    context = browser.new_context(viewport=PHONE, has_touch=True, is_mobile=True, user_agent=PHONE_AGENT)
    page = context.new_page()
    try:
        open_page(page, app.url, "participation")
        assert_two_a_row(page, "participation_kpis", 4)
    finally:
        context.close()


def areas_chosen(page: Page) -> str:
    """What the sidebar's Areas filter shows."""
    return page.locator("[data-testid=stSidebar] .st-key-filter_area").inner_text().replace("\n", " ")


def test_a_bookmarked_overview_opens_the_overview(page: Page, app: AppServer, tmp_path: Path) -> None:
    """/overview (the default page lives at /) opens the Overview, not "Page not found"."""
    page.goto(f"{app.url}/overview?filter_area=Harlow+Junction", wait_until="domcontentloaded")
    wait_for_page(page, "Overview")
    page.wait_for_timeout(500)
    wait_for_idle(page)
    assert not page.get_by_text("Page not found").count()
    assert "Harlow Junction" in areas_chosen(page)


def test_back_after_a_drill_down_returns_to_the_overview_as_it_was(page: Page, app: AppServer) -> None:
    """An Overview narrowed to two areas; a "Needs attention" action opens its page for one area; the
    browser's Back returns to the Overview with both areas again, in the sidebar and the URL."""
    chosen = ["Harlow Junction", "Cinder Flats"]
    open_page(page, app.url, "overview", urlencode({"filter_area": chosen}, doseq=True))
    assert query(page).get("filter_area") == chosen
    page.locator(FIRST_ACTION).click()
    page.wait_for_url(re.compile(r"/(you_said_we_did|community_voice|participation)\?"), timeout=30_000)
    page.wait_for_function(
        "() => new URLSearchParams(location.search).getAll('filter_area').length === 1", timeout=30_000
    )
    wait_for_idle(page)
    page.go_back()
    wait_for_page(page, "Overview")
    page.wait_for_timeout(500)
    wait_for_idle(page)
    page.wait_for_function("() => !location.search.includes('drilled_from')", timeout=30_000)
    assert sorted(query(page).get("filter_area", [])) == sorted(chosen), page.url
    shown = areas_chosen(page)
    assert all(name in shown for name in chosen), shown


def test_the_presenter_on_a_phone(browser: Browser, app: AppServer) -> None:
    """390x844: every slide's text fits the screen's width, its charts keep a phone's type (a projector's
    cut their titles), and the buttons sit in a bar of their own under the slide (scrolled to the end,
    nothing of the slide is behind them)."""
    context = browser.new_context(viewport=PHONE, has_touch=True, is_mobile=True, user_agent=PHONE_AGENT)
    page = context.new_page()
    try:
        open_page(page, app.url, "town_hall")
        page.get_by_role("button", name="Present").click()
        page.locator(".st-key-town_hall_stage").wait_for()
        for slide in range(1, 4):
            page.locator(STAGE_CAPTION, has_text=f" {slide} / ").first.wait_for(timeout=60_000)
            wait_for_idle(page)
            wait_for_drawn(page)
            page.locator("[data-testid=stMain]").evaluate("e => e.scrollTo(0, e.scrollHeight)")
            page.wait_for_timeout(200)
            found = page.evaluate(
                """() => {
                     const nav = document.querySelector('.st-key-town_hall_nav').getBoundingClientRect();
                     const parts = [...document.querySelectorAll(
                       '.st-key-town_hall_stage [data-testid=stMarkdownContainer],'
                       + ' .st-key-town_hall_stage [data-testid=stMetric],'
                       + ' .st-key-town_hall_stage [data-testid=stPlotlyChart]')]
                       .filter((e) => !e.closest('.st-key-town_hall_nav'))
                       .map((e) => e.getBoundingClientRect()).filter((r) => r.height > 0);
                     const titles = [...document.querySelectorAll('.st-key-town_hall_stage .gtitle')]
                       .filter((t) => parseFloat(getComputedStyle(t).fontSize) > 18).length;
                     return {
                       titles,
                       wide: parts.filter((r) => r.right > window.innerWidth + 1).length,
                       under: parts.filter((r) => r.bottom > nav.top + 1 && r.top < nav.bottom).length,
                       navWide: nav.width >= window.innerWidth - 1,
                     };
                   }"""
            )
            assert found == {"titles": 0, "wide": 0, "under": 0, "navWide": True}, f"slide {slide}: {found}"
            page.get_by_role("button", name="Next →").click()
    finally:
        context.close()


def test_a_table_drawn_only_while_open_appears_when_opened(app: AppServer, page: Page) -> None:
    """ "You said, we did": the table of every area is not sent until its expander is opened; opening it
    (one click) draws the table and its download, and closing and opening again keeps working."""
    open_page(page, app.url, "you_said_we_did")
    expander = page.locator(".st-key-you_said_status_more")
    table = expander.locator("[data-testid=stDataFrame]")
    summary = expander.locator("summary")
    assert table.count() == 0
    summary.click()
    table.wait_for(state="visible", timeout=30_000)
    wait_for_idle(page)
    assert expander.get_by_role("button", name="Download this table (CSV)").is_visible()
    summary.click()
    wait_for_idle(page)
    summary.click()
    table.wait_for(state="visible", timeout=30_000)
