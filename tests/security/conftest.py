"""Fixtures of the adversarial suite (issue 10): the app as the API tests have it,
with mail kept in memory, and a headless browser for the login page."""

import shutil

import pytest

from tests.live import served

CHROMIUM = "/usr/bin/chromium"


@pytest.fixture(scope="module")
def app_config(app_config):
    # no SMTP server: Flask-Mail records what would be sent (``mail.record_messages``)
    return {**app_config, "MAIL_SUPPRESS_SEND": True}


@pytest.fixture(scope="module")
def ui_url(app):
    """The app on a free loopback port (for the browser)."""
    with served(app) as url:
        yield url


@pytest.fixture(scope="module")
def browser_page(ui_url):
    """A headless Chromium page on the live server (as tests/ui drives the UI)."""
    if not shutil.which(CHROMIUM):
        pytest.fail(f"{CHROMIUM} is missing: apt-get install -y chromium (scripts/test does it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        args = ["--headless", "--no-sandbox", "--disable-gpu"]
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=args)
        context = browser.new_context(base_url=ui_url)
        context.set_default_timeout(10000)
        yield context.new_page()
        browser.close()
