"""Playwright (sync API) driving Debian's Chromium against pytest-django's live server.

Playwright's sync API runs an event loop in the test thread, so Django must be told that database access from
it is fine; the live server runs the real middleware (CSP, sessions, CSRF) and serves static files."""

from __future__ import annotations

import os
import shutil

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

import pytest  # noqa: E402

CHROMIUM = os.environ.get("SHEQU_CHROMIUM", "/usr/bin/chromium")


def _chromium_available() -> bool:
    return os.path.exists(CHROMIUM) or shutil.which(CHROMIUM) is not None


@pytest.fixture(scope="session")
def browser():
    if not _chromium_available():
        pytest.skip(f"Chromium not found at {CHROMIUM} (Debian: apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM)
        yield chromium
        chromium.close()


@pytest.fixture
def new_page(browser):
    """Make pages in fresh contexts (separate cookies, so two users can be logged in at once)."""
    contexts = []

    def make(width: int = 1280, height: int = 900):
        context = browser.new_context(viewport={"width": width, "height": height}, locale="zh-CN")
        context.set_default_timeout(10_000)
        contexts.append(context)
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.js_errors = errors
        return page

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def browser_world(transactional_db, live_server):
    from shequ.testing.world import build_world

    return build_world()


@pytest.fixture
def login(live_server):
    from shequ.testing.world import PASSWORD

    def do(page, username: str, password: str = PASSWORD):
        page.goto(f"{live_server.url}/accounts/login/")
        page.fill("input[name=username]", username)
        page.fill("input[name=password]", password)
        page.click("form button[type=submit]")
        page.wait_for_url(f"{live_server.url}/")
        return page

    return do
