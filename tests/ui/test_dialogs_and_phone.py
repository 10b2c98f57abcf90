"""No native alert/confirm (an accessible dialog), a focus that is seen, the account page
that follows a change without reload, and the account and login pages on a phone."""

import re

from playwright.sync_api import expect

from tests.ui.world import add_history, log_in, make_world


def test_deleting_a_patron_asks_in_an_accessible_dialog(page):
    world = make_world()
    native = []
    page.on("dialog", lambda d: (native.append(d.type), d.dismiss()))
    log_in(page, "librarian")
    page.goto(f"/staff/patrons/{world.carla_pid}")
    delete = page.get_by_role("button", name="Delete", exact=True)
    delete.focus()
    page.keyboard.press("Enter")
    dialog = page.get_by_role("alertdialog")
    expect(dialog).to_have_attribute("aria-modal", "true")
    expect(dialog).to_contain_text("Delete the patron record of Carla Cattaneo?")
    cancel = dialog.get_by_role("button", name="Cancel")
    expect(cancel).to_be_focused()
    # the focus stays inside while it is open
    page.keyboard.press("Tab")
    expect(dialog.get_by_role("button", name="Delete", exact=True)).to_be_focused()
    page.keyboard.press("Tab")
    expect(cancel).to_be_focused()
    page.keyboard.press("Shift+Tab")
    expect(dialog.get_by_role("button", name="Delete", exact=True)).to_be_focused()
    page.keyboard.press("Escape")  # cancels, the focus back on the page's button
    expect(dialog).to_have_count(0)
    expect(delete).to_be_focused()
    expect(page).to_have_url(re.compile(rf"/staff/patrons/{world.carla_pid}$"))
    delete.click()
    page.get_by_role("alertdialog").get_by_role("button", name="Delete", exact=True).click()
    expect(page).to_have_url(re.compile(r"/staff/patrons\?deleted="))
    assert native == []


def test_the_keyboard_focus_is_seen_also_on_the_dark_top_bar(page):
    make_world()
    log_in(page, "librarian")
    page.locator(".skip").focus()
    page.keyboard.press("Tab")  # the brand link, on the dark bar, reached by keyboard
    focused = page.evaluate("""() => { const s = getComputedStyle(document.activeElement);
        return [document.activeElement.className, s.outlineStyle, parseFloat(s.outlineWidth), s.outlineColor]; }""")
    assert focused[0] == "brand" and focused[1] == "solid" and focused[2] >= 3, focused
    assert focused[3] == "rgb(255, 209, 102)", focused  # light on the dark bar


def test_the_history_note_follows_the_choice_without_reload(page):
    world = make_world()
    log_in(page, "alice")
    profile = page.locator("#profile-form")
    keep = profile.get_by_label("Keep the circulation history")
    expect(page.locator("#history")).to_contain_text("No loans in your history yet")
    keep.uncheck()
    dialog = page.get_by_role("alertdialog")
    expect(dialog).to_contain_text("deletes your circulation history")
    dialog.get_by_role("button", name="Keep my history").click()
    expect(keep).to_be_checked()  # cancelled: nothing changes
    keep.uncheck()
    page.get_by_role("alertdialog").get_by_role("button", name="Delete my history").click()
    profile.get_by_role("button", name="Save").click()
    expect(profile.locator(".form-alert")).to_have_text("Your personal data was saved.")
    expect(page.locator("#history")).to_contain_text("Your history is not kept")
    keep.check()
    profile.get_by_role("button", name="Save").click()
    expect(page.locator("#history")).to_contain_text("No loans in your history yet")  # no reload
    add_history(world, "Heidi", days_ago=1)
    del world


def test_the_block_reason_field_says_the_patron_sees_it(page):
    world = make_world()
    log_in(page, "librarian")
    page.goto(f"/staff/patrons/{world.bruno_pid}/edit")
    field = page.locator("#management-form").get_by_label("Reason for the block")
    expect(field).to_have_accessible_description(re.compile("Shown to the patron"))


def _no_sideways_scroll(page):
    width = page.evaluate("document.scrollingElement.scrollWidth")
    wide = page.evaluate("""() => [...document.querySelectorAll('body *')].filter((el) => el.getBoundingClientRect().right > 391)
        .slice(0, 5).map((el) => el.tagName + '#' + el.id + '.' + el.className)""")
    assert width <= 390, (width, wide)


def test_account_and_login_pages_fit_a_phone(page, shot):
    world = make_world()
    add_history(world, "Le Petit Prince et la rose du désert", days_ago=3)
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto("/")
    expect(page.get_by_role("button", name="Log in")).to_be_visible()
    _no_sideways_scroll(page)
    shot(page, "phone-login")
    log_in(page, "alice")
    expect(page.locator("#history-table tbody tr")).to_have_count(1)
    expect(page.locator("#profile-form").get_by_label("City")).to_have_value("Fribourg")
    _no_sideways_scroll(page)
    shot(page, "phone-account")
    page.goto("/account/data")
    _no_sideways_scroll(page)
    shot(page, "phone-account-data")
