"""UI tests: the real app served on a loopback port, driven by headless Chromium
(Debian's ``/usr/bin/chromium``, installed by ``scripts/test`` when missing)."""

import os
import shutil

import pytest

from tests.live import served

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SHOTS = os.environ.get("UI_SHOTS", "/tmp/ui-shots")


@pytest.fixture(scope="module")
def app_config(app_config):
    # the browser sends X-CSRF-Token like any client: keep the check on
    return {**app_config, "WTF_CSRF_ENABLED": True}


@pytest.fixture(scope="module")
def ui_server(app):
    """The app on a free loopback port, in a background thread."""
    with served(app) as url:
        yield url


@pytest.fixture(scope="module")
def chromium_browser():
    if not shutil.which(CHROMIUM):
        pytest.fail(f"{CHROMIUM} is missing: apt-get install -y chromium (scripts/test does it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture()
def page(chromium_browser, ui_server, clean, no_lockouts):
    context = chromium_browser.new_context(base_url=ui_server, viewport={"width": 1280, "height": 900})
    context.set_default_timeout(10000)
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    yield page
    context.close()
    assert not errors, f"JavaScript errors: {errors}"


@pytest.fixture()
def shot():
    """``shot(page, name)``: a full-page screenshot into /tmp/ui-shots/ for a human to look at."""
    os.makedirs(SHOTS, exist_ok=True)

    def take(page, name):
        page.screenshot(path=os.path.join(SHOTS, f"{name}.png"), full_page=True)

    return take
