"""Take the screenshots used in README.md and docs/user-guide.md from a running firegov demo.

    firegov demo &            # in another terminal
    python docs/screenshots.py [--url http://127.0.0.1:8000] [--chromium /usr/bin/chromium]

Uses Playwright driving Debian's chromium; writes PNG files to docs/screenshots/.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from playwright.sync_api import sync_playwright

OUT = Path(__file__).resolve().parent / "screenshots"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def shoot(page, url: str, name: str, full: bool = False, wait: str | None = None) -> None:
    page.goto(url)
    if wait:
        page.wait_for_selector(wait, state="attached", timeout=15000)
    page.wait_for_timeout(600)
    page.screenshot(path=str(OUT / f"{name}.png"), full_page=full)
    print("wrote", OUT / f"{name}.png")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", default="http://127.0.0.1:8000")
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    parser.add_argument("--user", default="xuecheng")
    args = parser.parse_args()
    OUT.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=args.chromium, args=ARGS)
        for label, viewport in (("desktop", {"width": 1366, "height": 860}), ("phone", {"width": 390, "height": 844})):
            page = browser.new_page(viewport=viewport, locale="zh-CN")
            shoot(page, f"{args.url}/login/", f"{label}-login")
            page.fill("#id_username", args.user)
            page.fill("#id_password", "Firegov-2026")
            page.click("button[type=submit]")
            page.wait_for_url(f"{args.url}/")
            shoot(page, f"{args.url}/", f"{label}-overview", wait="#chart-region canvas")
            shoot(page, f"{args.url}/units/?classification=key_unit", f"{label}-units")
            first = page.locator("table.units a").first.get_attribute("href")
            shoot(page, f"{args.url}{first}?tab=classification", f"{label}-unit-classification")
            shoot(page, f"{args.url}/units/map/?classification=key_unit", f"{label}-map", wait="#map[data-loaded]")
            if label == "desktop":
                shoot(page, f"{args.url}/units/new/", f"{label}-unit-form", full=True)
                shoot(page, f"{args.url}{first}", f"{label}-unit")
                shoot(page, f"{args.url}/units/import/", f"{label}-import")
            page.close()
        page = browser.new_page(viewport={"width": 1366, "height": 860}, locale="zh-CN")  # the campaign's issuer
        page.goto(f"{args.url}/login/")
        page.fill("#id_username", "zhidui")
        page.fill("#id_password", "Firegov-2026")
        page.click("button[type=submit]")
        page.wait_for_url(f"{args.url}/")
        page.goto(f"{args.url}/campaigns/")
        campaign = page.locator("a", has_text="三年行动").first.get_attribute("href")
        shoot(page, f"{args.url}{campaign}?tab=timeline", "desktop-campaign-timeline")
        shoot(page, f"{args.url}{campaign}?tab=map", "desktop-campaign-map", full=True, wait="#region-map[data-loaded]")
        browser.close()


if __name__ == "__main__":
    main()
