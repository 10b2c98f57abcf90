"""The patron account: records, circulation history, own personal data, password."""

import re

from playwright.sync_api import expect

from tests.ui.world import add_history, log_in, make_world


def test_patron_account_shows_records_and_history(page, shot):
    world = make_world()
    add_history(world, "Le Petit Prince", days_ago=10)
    add_history(world, "Heidi", days_ago=2)
    log_in(page, "alice")
    record = page.locator(f'#account-records [data-pid="{world.alice_pid}"]')
    expect(record).to_contain_text("Network")
    expect(record).to_contain_text("Adult")
    expect(record).to_contain_text("2050000111")
    rows = page.locator("#history-table tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_contain_text("Heidi")  # newest first
    expect(rows.nth(1)).to_contain_text("Le Petit Prince")
    # names and birth date are read-only for the patron
    profile = page.locator("#profile-form")
    expect(profile.get_by_label("Last name")).to_have_attribute("readonly", "")
    expect(profile.get_by_label("Birth date")).to_have_attribute("readonly", "")
    expect(profile.get_by_label("Keep the circulation history")).to_be_checked()
    shot(page, "patron-account")


def test_patron_edits_own_data_and_turns_history_off(page):
    world = make_world()
    add_history(world, "Heidi", days_ago=2)
    log_in(page, "alice")
    profile = page.locator("#profile-form")
    expect(page.locator("#history-table tbody tr")).to_have_count(1)
    profile.get_by_label("City").fill("Bulle")
    profile.get_by_label("Mobile phone").fill("+41791234567")
    profile.get_by_label("Keep the circulation history").uncheck()
    page.get_by_role("alertdialog").get_by_role("button", name="Delete my history").click()
    profile.get_by_role("button", name="Save").click()
    expect(profile.locator(".form-alert")).to_have_text("Your personal data was saved.")
    page.reload()
    expect(page.locator("#profile-form").get_by_label("City")).to_have_value("Bulle")
    expect(page.locator("#history")).to_contain_text("Your history is not kept")
    # a bad phone comes back as a 400 next to its field
    profile = page.locator("#profile-form")
    profile.get_by_label("Mobile phone").fill("079 123")
    profile.get_by_role("button", name="Save").click()
    expect(profile.locator('[data-field="mobile_phone"] .field-error')).to_be_visible()


def test_patron_changes_password_with_the_current_one(page):
    make_world()
    log_in(page, "bruno")
    form = page.locator("#password-form")
    form.get_by_label("Current password").fill("Not-The-One1")
    form.get_by_label("New password").fill("Brand-New-Pass9")
    form.get_by_role("button", name="Change password").click()
    expect(form.locator(".field-error")).to_be_visible()
    form.get_by_label("Current password").fill("Secret123")
    form.get_by_role("button", name="Change password").click()
    expect(form.locator(".form-alert")).to_have_text("Your password was changed.")
    page.get_by_role("button", name="Log out").click()
    log_in(page, "bruno", "Brand-New-Pass9")
    expect(page).to_have_url(re.compile(r"/account$"))
