"""The login page: good and bad credentials, where each kind of person lands, logout."""

import re

from playwright.sync_api import expect

from tests.ui.world import log_in, make_world


def test_login_with_a_wrong_password_shows_the_api_message(page, shot):
    make_world()
    log_in(page, "librarian", "Wrong-Pass1", landed=False)
    expect(page.get_by_role("alert")).to_have_text("Wrong login or password.")
    expect(page).to_have_url(re.compile(r"/$"))
    shot(page, "login-error")


def test_librarian_logs_in_by_email_and_lands_on_the_patron_search(page, shot):
    make_world()
    page.goto("/")
    shot(page, "login")
    log_in(page, "LIBRARIAN@example.org")
    expect(page).to_have_url(re.compile(r"/staff/patrons$"))
    expect(page.get_by_role("heading", name="Patrons")).to_be_visible()
    page.get_by_role("button", name="Log out").click()
    expect(page).to_have_url(re.compile(r"/$"))
    page.goto("/staff/patrons")
    expect(page).to_have_url(re.compile(r"/\?next=/staff/patrons$"))


def test_patron_logs_in_and_lands_on_the_account(page):
    make_world()
    log_in(page, "alice")
    expect(page).to_have_url(re.compile(r"/account$"))
    expect(page.get_by_role("heading", name="My account")).to_be_visible()
    expect(page.get_by_role("button", name="Log out")).to_be_visible()


def test_too_many_attempts_locks_the_login(page):
    make_world()
    for _ in range(5):
        log_in(page, "alice", "Wrong-Pass1", landed=False)
        expect(page.get_by_role("alert")).to_have_text("Wrong login or password.")
    log_in(page, "alice", landed=False)
    expect(page.get_by_role("alert")).to_contain_text("Too many failed attempts")


def test_forgot_password_form_answers(page):
    make_world()
    page.goto("/")
    page.get_by_text("Forgot password?").click()
    page.get_by_label("E-mail", exact=True).fill("alice@example.org")
    page.get_by_role("button", name="Send the reset link").click()
    expect(page.locator("#forgot-form .form-alert")).to_be_visible()
    expect(page.locator("#forgot-form .form-alert")).to_have_class(re.compile("success"))
