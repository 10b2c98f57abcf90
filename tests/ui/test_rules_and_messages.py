"""Rules stated next to their fields before they are broken (from the schemas the server
checks with), broken rules said while typing, and messages written for a librarian."""

import re

from playwright.sync_api import expect

from tests.ui.world import log_in, look_up, make_world


def test_username_and_card_number_rules_are_stated_and_checked_while_typing(page):
    make_world()
    log_in(page, "librarian")
    look_up(page, "nina@example.org")
    personal = page.locator("#personal-form")
    # the rule is there before anything is typed (the schema's 3-255 and its characters)
    expect(personal.locator("#username-rule")).to_have_text(re.compile(r"3 to 255 characters: letters without accents"))
    expect(personal.get_by_label("Username")).to_have_attribute("aria-describedby", re.compile("username-rule"))
    personal.get_by_label("Username").fill("nina m")  # a space: said at once, nothing sent
    expect(personal.locator('[data-field="username"] .field-error')).to_contain_text("no spaces")
    expect(personal.get_by_label("Username")).to_have_attribute("aria-invalid", "true")
    personal.get_by_label("Username").fill("nina_m")
    expect(personal.locator('[data-field="username"] .field-error')).to_have_count(0)
    personal.get_by_label("First name").fill("Nina")
    personal.get_by_label("Last name").fill("Nydegger")
    personal.get_by_label("Birth date").fill("1999-09-09")
    personal.get_by_role("button", name="Save personal data").click()
    management = page.locator("#management-form")
    management.get_by_label("patron", exact=True).check()
    expect(management.locator("#barcode-hint")).to_contain_text("6 to 64 characters per card")
    management.get_by_label("Barcode or card number").fill("123")
    management.get_by_label("Barcode or card number").press("Tab")
    expect(management.locator('[data-field="patron.barcode"] .field-error')).to_contain_text("123 has 3 characters")
    management.get_by_label("Barcode or card number").fill("12345678")
    expect(management.locator('[data-field="patron.barcode"] .field-error')).to_have_count(0)


def test_an_empty_required_field_is_said_plainly(page):
    world = make_world()
    log_in(page, "librarian")
    page.goto(f"/staff/patrons/{world.bruno_pid}/edit")
    management = page.locator("#management-form")
    expect(management.get_by_label("Reason for the block")).to_have_value("Lost three books")
    expect(management.get_by_label("Reason for the block")).to_have_attribute("aria-required", "true")
    management.get_by_label("Reason for the block").fill("")
    management.get_by_role("button", name="Save", exact=True).click()
    error = management.locator('[data-field="patron.blocked_note"] .field-error')
    expect(error).to_have_text("Required: please fill this in.")
    expect(page.get_by_text("should be non-empty")).to_have_count(0)


def test_the_forgot_form_says_what_is_missing(page):
    page.goto("/")
    page.get_by_text("Forgot password?").click()
    page.get_by_role("button", name="Send the reset link").click()
    form = page.locator("#forgot-form")
    expect(form.locator(".form-alert")).to_have_text("Enter your e-mail address.")
    expect(form.locator('[data-field="email"] .field-error')).to_have_text("Required: please fill this in.")
    expect(page.get_by_text("characters is required")).to_have_count(0)


def test_a_dead_reset_link_is_said_before_the_password_is_typed(page):
    page.goto("/reset/not-a-real-token")
    form = page.locator("#reset-form")
    form.get_by_label("New password").focus()
    # before anything is typed: the link is dead, the form says so and cannot be used
    expect(form.locator(".form-alert")).to_contain_text("invalid, expired or already used")
    expect(form.get_by_label("New password")).to_be_disabled()
    expect(page.get_by_text("token:")).to_have_count(0)
    expect(form.get_by_role("link", name="Ask for a new link")).to_have_attribute("href", "/")
