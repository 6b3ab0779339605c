"""Renew the README screenshot of the household page (一户一档) from a running shequ.

    make run            # in another terminal: serves the demo at http://127.0.0.1:8000
    uv run python scripts/screenshot.py [--url URL] [--username U] [--password P] [--query 王]

It logs in through the real login form, searches the ledger, opens the first result's household and saves a
desktop-sized full-page screenshot (docs/img/household.png by default). Chinese glyphs need a CJK font in the
system (Debian: fonts-noto-cjk). It builds nothing itself."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parent.parent


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--url", default="http://127.0.0.1:8000", help="base URL of the running server")
    parser.add_argument("--username", default="shequ-worker", help="a community worker's demo account")
    parser.add_argument("--password", default="shequ2026")
    parser.add_argument("--query", default="王", help="search text used to find a household to show")
    parser.add_argument("--path", default="", help="open this path (e.g. /ledger/households/12/) instead")
    parser.add_argument("--out", default=str(ROOT / "docs" / "img" / "household.png"))
    parser.add_argument("--width", type=int, default=1280)
    parser.add_argument("--height", type=int, default=900)
    parser.add_argument("--chromium", default="/usr/bin/chromium", help="Chromium executable")
    args = parser.parse_args(argv)
    base = args.url.rstrip("/")
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=args.chromium)
        page = browser.new_page(viewport={"width": args.width, "height": args.height}, locale="zh-CN")
        page.goto(f"{base}/accounts/login/")
        page.fill("input[name=username]", args.username)
        page.fill("input[name=password]", args.password)
        page.click("button[type=submit]")
        page.wait_for_load_state("networkidle")
        if "/accounts/login/" in page.url:
            print("login failed: check --username/--password (the demo accounts are printed by make run)")
            return 1
        if args.path:
            page.goto(base + args.path)
        else:
            page.goto(f"{base}/ledger/search/?q={args.query}")
            links = page.locator("table.results a[href*='/ledger/people/']")
            if links.count() == 0:
                print(f"no search result for {args.query!r}; pass --query or --path")
                return 1
            # Prefer someone in a household with several members (the page then shows more).
            links.first.click()
            page.wait_for_load_state("networkidle")
            household = page.locator("a[href*='/ledger/households/']").first
            if household.count() == 0:
                print("the first result belongs to no household; pass --query or --path")
                return 1
            household.click()
        page.wait_for_load_state("networkidle")
        page.screenshot(path=str(out), full_page=True)
        browser.close()
    print(f"saved {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
