"""The browser tests' Chromium page (Playwright, headless, Debian's Chromium)."""

import contextlib
import os
import shutil

import pytest
from django.db import connections
from playwright.sync_api import sync_playwright

CHROMIUM = os.environ.get("BROWSER_PATH") or shutil.which("chromium") or shutil.which("chromium-browser")


@contextlib.contextmanager
def chromium_page(base_url: str):
    """A headless Chromium page whose relative URLs go to `base_url`."""
    assert CHROMIUM, (
        "Chromium is needed for the admin browser test: apt-get install chromium (or set BROWSER_PATH)"
    )
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--no-first-run",
                "--disable-sync",
            ],
        )
        try:
            yield browser.new_page(base_url=base_url, viewport={"width": 1400, "height": 900})
        finally:
            browser.close()
            # The test's ORM calls ran under Playwright's event loop, on a connection of their
            # own that would otherwise stay open and stop PostgreSQL dropping the test database.
            connections.close_all()


@pytest.fixture
def page(live_server, monkeypatch):
    # Playwright's sync API runs an event loop in this thread; the test's own ORM calls are sync.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with chromium_page(live_server.url) as page:
        yield page
