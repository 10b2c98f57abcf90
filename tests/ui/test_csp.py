"""Issue 11: every page runs under the Content-Security-Policy (no inline script or
style) without a violation or a console error; the login page follows only a
same-site ``next``; logging out is a POST with the CSRF token."""

import re

from playwright.sync_api import expect

from tests.helpers import PASSWORD
from tests.ui.world import log_in, make_world

# recorded by the browser itself, whatever the console shows
WATCH = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__violations.push(`${e.violatedDirective} ${e.blockedURI || "inline"} at ${e.sourceFile}:${e.lineNumber}`);
});
"""


def watch(page):
    problems = []
    page.add_init_script(WATCH)
    page.on("console", lambda msg: msg.type == "error" and problems.append(f"{page.url}: console: {msg.text}"))
    page.on("response", lambda res: res.status >= 400 and problems.append(f"{page.url}: {res.status} {res.url}"))
    return problems


def visit(page, problems, path, status=200):
    response = page.goto(path, wait_until="networkidle")
    assert response.status == status, path
    csp = response.headers.get("content-security-policy", "")
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp, path
    page.wait_for_timeout(150)  # late renders of the page scripts
    problems.extend(f"{path}: CSP: {v}" for v in page.evaluate("window.__violations"))
    if status != 200:  # the lines about the expected status of the page itself
        problems[:] = [p for p in problems if f"status of {status} " not in p and not p.endswith(f"{status} {page.url}")]


def test_every_page_runs_under_the_csp_without_errors(page):
    world = make_world()
    problems = watch(page)
    visit(page, problems, "/")
    visit(page, problems, "/reset/not-a-real-token")
    log_in(page, "librarian")
    for path in (
        "/staff/patrons",
        "/staff/patrons?q=Alice",
        "/staff/patrons?q=Bern&city=Bern&sort=name",
        f"/staff/patrons/{world.alice_pid}",
        f"/staff/patrons/{world.librarian_pid}",
        "/staff/register",
        f"/staff/patrons/{world.bruno_pid}/edit",
        "/staff/permissions",
        "/account",
        "/logout",
    ):
        visit(page, problems, path)
    page.get_by_role("main").get_by_role("button", name="Log out").click()
    page.wait_for_url(re.compile(r"/$"))
    log_in(page, "alice")
    visit(page, problems, "/account")
    visit(page, problems, "/staff/patrons", status=403)
    assert problems == [], "\n".join(problems)


def test_the_watch_sees_an_inline_style(page):
    """The check above can fail: an inline style is reported."""
    make_world()
    problems = watch(page)
    visit(page, problems, "/")
    page.evaluate("document.body.insertAdjacentHTML('beforeend', '<div style=\"color: red\">x</div>')")
    page.wait_for_timeout(150)
    assert page.evaluate("window.__violations")


def log_in_from(page, url, login, before_submit=None):
    page.goto(url)
    page.get_by_label("Username or e-mail").fill(login)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    if before_submit:
        before_submit()
    page.get_by_role("button", name="Log in").click()


def test_a_crafted_next_lands_on_the_home_page(page):
    make_world()
    for crafted in ("/%5Cevil.example", "/%09/evil.example", "//evil.example", "https://evil.example"):
        log_in_from(page, f"/?next={crafted}", "alice")
        page.wait_for_url(re.compile(r"/account$"))
        page.get_by_role("button", name="Log out").click()
        page.wait_for_url(re.compile(r"/$"))
    log_in_from(page, "/?next=/account%3Ftab%3Dhistory", "alice")
    page.wait_for_url(re.compile(r"/account\?tab=history$"))


def test_the_page_script_checks_next_again(page):
    """Even a next the server let through (``data-next``) is checked by the script."""
    make_world()
    for crafted in ("/%5Cevil.example", "/\\evil.example", "/%2509/evil.example", "//evil.example"):
        set_next = lambda value=crafted: page.evaluate("(v) => document.querySelector('#login-form').dataset.next = v", value)  # noqa: E731
        log_in_from(page, "/", "librarian", before_submit=set_next)
        page.wait_for_url(re.compile(r"/staff/patrons$"))
        page.get_by_role("button", name="Log out").click()
        page.wait_for_url(re.compile(r"/$"))


def test_get_logout_shows_a_button_and_logs_out_only_when_pressed(page):
    make_world()
    log_in(page, "alice")
    page.goto("/logout")
    expect(page.get_by_role("heading", name="Log out")).to_be_visible()
    page.goto("/account")
    expect(page).to_have_url(re.compile(r"/account$"))  # still logged in
    page.goto("/logout")
    page.get_by_role("main").get_by_role("button", name="Log out").click()
    page.wait_for_url(re.compile(r"/$"))
    page.goto("/account")
    expect(page).to_have_url(re.compile(r"/\?next=/account$"))
