"""Screenshots of the dashboard in headless Chromium, served on the sample data (or any data folder).

python scripts/screenshot.py                                   # docs/overview.png, 1600x1000, full page
python scripts/screenshot.py --page map --width 1280 --height 720 --out map.png
python scripts/screenshot.py --all                             # every page at 1440x900, 1920x1080 and 390x844
                                                               # into docs/screenshots/
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from playwright.sync_api import Page, sync_playwright

sys.path.insert(0, str(Path(__file__).resolve().parent))

from serve import PAGES, PHONE_AGENT, AppServer, launch_chromium, open_page, wait_for_drawn, wait_for_idle

# The app scrolls inside its main element, not the document: measure that to take a whole page.
CONTENT_HEIGHT = """() => {
  const main = document.querySelector('[data-testid=stMain]');
  return main ? Math.ceil(main.scrollHeight) : document.documentElement.scrollHeight;
}"""

ALL_SIZES: tuple[tuple[int, int], ...] = (
    (1440, 900),
    (1920, 1080),
    (390, 844),
)  # laptop, large screen, phone
PHONE_WIDTH = 600  # narrower screens are looked at as a phone's


def shoot(
    page: Page, base_url: str, name: str, out: Path, *, query: str = "", full_page: bool = True
) -> None:
    """Open one page, wait until it has rendered, and save it as a PNG (whole page: as tall as its content)."""
    open_page(page, base_url, name, query)
    out.parent.mkdir(parents=True, exist_ok=True)
    viewport = page.viewport_size
    if full_page and viewport:
        height = page.evaluate(CONTENT_HEIGHT)
        if height > viewport["height"]:
            page.set_viewport_size({"width": viewport["width"], "height": height})
            wait_for_idle(page)
            wait_for_drawn(page)
    page.screenshot(path=str(out), animations="disabled", caret="hide")
    if viewport:
        page.set_viewport_size(viewport)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--page", choices=list(PAGES), default="overview", help="page to shoot")
    parser.add_argument("--width", type=int, default=1600, help="viewport width in CSS pixels")
    parser.add_argument("--height", type=int, default=1000, help="viewport height in CSS pixels")
    parser.add_argument("--out", type=Path, default=Path("docs/overview.png"), help="PNG file (one page)")
    parser.add_argument("--all", action="store_true", help="every page at 1440x900, 1920x1080 and 390x844")
    parser.add_argument("--out-dir", type=Path, default=Path("docs/screenshots"), help="folder for --all")
    parser.add_argument("--data", type=Path, help="data folder (default: sample_data)")
    parser.add_argument("--query", default="", help="URL query, e.g. filter_area=Millbrook")
    parser.add_argument("--mode", choices=("staff", "public"), default="staff", help="deployment mode")
    parser.add_argument(
        "--viewport-only", action="store_true", help="only the visible part, not the full page"
    )
    parser.add_argument("--scale", type=float, default=1.0, help="device pixel ratio (2 for sharp images)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Serve the app, take the screenshots asked for, stop the server."""
    args = parse_args(argv)
    if args.all:
        jobs = [
            (name, width, height, args.out_dir / f"{name}-{width}x{height}.png")
            for width, height in ALL_SIZES
            for name in PAGES
        ]
    else:
        jobs = [(args.page, args.width, args.height, args.out)]
    with AppServer(args.data, env={"CPDASH_MODE": args.mode}) as server, sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        for width, height in dict.fromkeys((w, h) for _, w, h, _ in jobs):
            phone = width < PHONE_WIDTH  # a phone's browser says so, and the server fits its maps to it
            context = browser.new_context(
                viewport={"width": width, "height": height},
                device_scale_factor=args.scale,
                is_mobile=phone,
                has_touch=phone,
                user_agent=PHONE_AGENT if phone else None,
            )
            page = context.new_page()
            for name, w, h, out in jobs:
                if (w, h) != (width, height):
                    continue
                began = time.perf_counter()
                shoot(page, server.url, name, out, query=args.query, full_page=not args.viewport_only)
                print(f"{out}  {width}x{height}  {time.perf_counter() - began:.1f} s", flush=True)
            context.close()
        browser.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
